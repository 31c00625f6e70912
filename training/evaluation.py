"""Accuracy through the serving path: encoded image → decoding → normalisation → LiteRT, one image at a
time, as a request runs it (`manage.py evaluate_model`, the benchmarks).

Canvas sets are MNIST test digits redrawn as pen strokes (training.strokes) on 280 px canvases, on the
backgrounds in turn.
"""

import io
import multiprocessing
import os
from dataclasses import dataclass

import numpy as np
from PIL import Image

from recognizer.contract import scaled
from recognizer.decoding import decode
from recognizer.preprocessing import normalise_image
from training.canvas import BACKGROUNDS
from training.metrics import Evaluation, evaluate_predictions
from training.strokes import draw_digit_on_canvas


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


def model_input_of(encoded):
    """An encoded image (PNG, JPEG or WebP bytes) as the site reads it: the (28, 28) uint8 model input."""
    return normalise_image(decode(encoded).image)


def read_digit(encoded, model):
    """The digit `model` (a recognizer.litert.LiteRTModel) reads in an encoded image, as a request would."""
    return int(np.argmax(model.predict(scaled(model_input_of(encoded))[None])[0]))


def read_digits(pngs, model, *, progress=None, every=1000):
    """`model`'s digit for each encoded image, calling `progress(count)` now and then."""
    predicted = []
    for count, png in enumerate(pngs, start=1):
        predicted.append(read_digit(png, model))
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


@dataclass
class ServingPathReport:
    mnist: Evaluation  # the MNIST test images as sent, 28×28
    canvas: Evaluation  # the same digits redrawn on canvases
    canvas_by_background: list  # (background, accuracy, count)


def evaluate_serving_path(model, images, labels, *, seed=0, progress=None):
    """`model` measured through the serving path on MNIST test images and on the same digits redrawn
    on canvases (seeded by `seed`). `progress(what, count)` is called every 1,000 images of each set,
    and `progress(what, None)` when a set is done."""

    def read(what, pngs):
        predicted = read_digits(pngs, model, progress=progress and (lambda count: progress(what, count)))
        if progress:
            progress(what, None)
        return predicted

    mnist = read("MNIST test images", mnist_pngs(images))
    canvas = read("canvas drawings", canvas_pngs(images, seed=seed))
    return ServingPathReport(
        mnist=evaluate_predictions(labels, mnist),
        canvas=evaluate_predictions(labels, canvas),
        canvas_by_background=accuracy_by_background(labels, canvas),
    )
