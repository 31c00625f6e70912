"""Accuracy through the serving path: encoded image → preprocessing → LiteRT, as a request runs it."""

import io
import multiprocessing
import os

import numpy as np
from PIL import Image

from recognizer.inference import get_classifier
from recognizer.preprocessing import normalise_bytes
from recognizer.strokes import BACKGROUNDS, draw_digit_on_canvas


def encode_png(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def mnist_png(digit):
    """An MNIST test image as the PNG a client could send: white on black, 28×28."""
    return encode_png(Image.fromarray(np.asarray(digit, dtype=np.uint8), mode="L"))


def canvas_png(digit, rng, background):
    """An MNIST test digit redrawn as pen strokes on a 280 px canvas, as the page would send it."""
    return encode_png(draw_digit_on_canvas(digit, rng, background=background))


def read_digit(png, classifier):
    return int(np.argmax(classifier.probabilities(normalise_bytes(png).as_float())))


def read_digits(pngs, *, progress=None, every=1000):
    """The served model's digit for each encoded image, calling `progress(count)` now and then."""
    classifier = get_classifier()
    predicted = []
    for count, png in enumerate(pngs, start=1):
        predicted.append(read_digit(png, classifier))
        if progress and count % every == 0:
            progress(count)
    return np.asarray(predicted, dtype=np.int64)


def accuracy_by_background(labels, predicted, *, backgrounds=tuple(BACKGROUNDS)):
    """(background, share read right, count) for a canvas set drawn by `canvas_pngs` (backgrounds in turn)."""
    right = np.asarray(predicted) == np.asarray(labels)
    on = np.arange(len(right)) % len(backgrounds)
    return [
        (background, right[on == index].mean(), int((on == index).sum()))
        for index, background in enumerate(backgrounds)
    ]


def mnist_pngs(images):
    return (mnist_png(digit) for digit in images)


def canvas_png_of(job):
    """One digit of a canvas set: its own random generator, so the set is the same however it's split."""
    index, digit, seed, background = job
    return canvas_png(digit, np.random.default_rng([seed, index]), background)


def canvas_pngs(images, *, seed, backgrounds=tuple(BACKGROUNDS), parallel_from=500):
    """Each digit drawn once, on the backgrounds in turn, at random sizes, places and pen widths.

    Drawing is the slow part (thinning, tracing, rendering), so large sets are drawn by one worker
    process per core."""
    jobs = ((index, digit, seed, backgrounds[index % len(backgrounds)]) for index, digit in enumerate(images))
    if len(images) < parallel_from or (os.cpu_count() or 1) == 1:
        yield from map(canvas_png_of, jobs)
        return
    with multiprocessing.get_context("spawn").Pool() as pool:
        yield from pool.imap(canvas_png_of, jobs, chunksize=16)
