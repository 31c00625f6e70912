"""Accuracy through the serving path: encoded image → decoding → normalisation → LiteRT, one image at a
time, as a request runs it (`manage.py evaluate_model`, the benchmarks).

Canvas sets are MNIST test digits redrawn as pen strokes (training.strokes) on 280 px canvases, on the
backgrounds in turn. Pen sets are the pendigits test writers' own strokes (training.pendigits) and the
validation non-digits (training.nondigits), drawn on such canvases the same way.
"""

import io
import multiprocessing
import os
from dataclasses import dataclass

import numpy as np
from PIL import Image

from recognizer.contract import IMAGE_SIZE, NOT_A_DIGIT, scaled
from recognizer.decoding import decode
from recognizer.errors import EmptyDrawing
from recognizer.preprocessing import normalise_image
from training.canvas import BACKGROUNDS
from training.metrics import (
    Evaluation,
    calibration_of,
    digit_predictions,
    evaluate_predictions,
    refusal_by_family,
    refused,
)
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


def read_outputs(encoded, model):
    """`model`'s outputs (a recognizer.litert.LiteRTModel's, 10 or 11 values) for an encoded image, as
    a request reads it; with its model input. A drawing the site finds empty answers "not a digit"."""
    try:
        model_input = model_input_of(encoded)
    except EmptyDrawing:
        outputs = np.zeros(model.num_classes, np.float32)
        if model.num_classes > NOT_A_DIGIT:
            outputs[NOT_A_DIGIT] = 1.0
        return outputs, np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    return model.predict(scaled(model_input)[None])[0], model_input


def read_digit(encoded, model):
    """The digit `model` reads in an encoded image, as a request would (its best digit, 0-9)."""
    return int(digit_predictions(read_outputs(encoded, model)[0][None])[0])


def read_all(pngs, model, *, progress=None, every=1000):
    """(outputs (n, C), model inputs (n, 28, 28)) for encoded images, calling `progress(count)` now
    and then."""
    outputs, inputs = [], []
    for count, png in enumerate(pngs, start=1):
        output, model_input = read_outputs(png, model)
        outputs.append(output)
        inputs.append(model_input)
        if progress and count % every == 0:
            progress(count)
    return np.asarray(outputs, np.float32), np.asarray(inputs, np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)


def read_digits(pngs, model, *, progress=None, every=1000):
    """`model`'s digit for each encoded image, calling `progress(count)` now and then."""
    outputs, _ = read_all(pngs, model, progress=progress, every=every)
    return digit_predictions(outputs).astype(np.int64)


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


def pen_digit_png(job):
    """One pen digit drawn on the page's canvas (anti-aliased like a browser), as PNG bytes."""
    from training.pen import drawn_canvas

    index, strokes, seed, background = job
    return encode_png(
        drawn_canvas(strokes, np.random.default_rng([seed, index]), background=background, supersample=3)
    )


def pen_pngs(digits, *, seed, backgrounds=tuple(BACKGROUNDS)):
    """Each pen digit drawn once, on the backgrounds in turn, at random sizes, places and pen widths."""
    jobs = [
        (index, digit.strokes, seed, backgrounds[index % len(backgrounds)])
        for index, digit in enumerate(digits)
    ]
    return map(pen_digit_png, jobs)


def nondigit_pngs(jobs, *, backgrounds=tuple(BACKGROUNDS)):
    """Generated non-digits (training.nondigits jobs) drawn on canvases, backgrounds in turn."""
    from training.nondigits import nondigit_canvas

    return (
        encode_png(nondigit_canvas(job, background=backgrounds[index % len(backgrounds)]))
        for index, job in enumerate(jobs)
    )


@dataclass
class ServingPathReport:
    mnist: Evaluation  # the MNIST test images as sent, 28×28
    canvas: Evaluation  # the same digits redrawn on canvases
    canvas_by_background: list  # (background, accuracy, count)
    pen: Evaluation | None = None  # the pendigits test writers' digits on canvases
    pen_by_background: list | None = None
    nondigits_by_family: list | None = None  # (family, share refused, count), "all" last
    wrongly_refused: dict | None = None  # set name → share of its real digits answered "not a digit"
    calibration: dict | None = None  # set name → Calibration
    worst_pen: list | None = None  # up to 20 (model input, true digit, read digit, its probability)


def evaluate_serving_path(
    model, images, labels, *, seed=0, pen_digits=None, nondigit_jobs=None, progress=None
):
    """`model` measured through the serving path on MNIST test images and on the same digits redrawn
    on canvases (seeded by `seed`); with `pen_digits` (training.pendigits.PenDigit), on those drawn on
    canvases too; with `nondigit_jobs` (training.nondigits.nondigit_jobs), on those non-digits.
    `progress(what, count, total)` is called every 1,000 images of each set, and
    `progress(what, None, total)` when a set is done."""

    def read(what, pngs, total):
        result = read_all(pngs, model, progress=progress and (lambda count: progress(what, count, total)))
        if progress:
            progress(what, None, total)
        return result

    mnist, _ = read("MNIST test images", mnist_pngs(images), len(images))
    canvas, _ = read("canvas drawings", canvas_pngs(images, seed=seed), len(images))
    report = ServingPathReport(
        mnist=evaluate_predictions(labels, digit_predictions(mnist)),
        canvas=evaluate_predictions(labels, digit_predictions(canvas)),
        canvas_by_background=accuracy_by_background(labels, digit_predictions(canvas)),
        wrongly_refused={"mnist": float(refused(mnist).mean()), "canvas": float(refused(canvas).mean())},
        calibration={"canvas": calibration_of(canvas, labels), "mnist": calibration_of(mnist, labels)},
    )
    if pen_digits:
        pen_labels = np.asarray([digit.label for digit in pen_digits])
        pen, pen_inputs = read("pen test writers' digits", pen_pngs(pen_digits, seed=seed), len(pen_digits))
        report.pen = evaluate_predictions(pen_labels, digit_predictions(pen))
        report.pen_by_background = accuracy_by_background(pen_labels, digit_predictions(pen))
        report.wrongly_refused["pen"] = float(refused(pen).mean())
        report.calibration["pen"] = calibration_of(pen, pen_labels)
        report.worst_pen = worst_misreads(pen, pen_inputs, pen_labels)
    if nondigit_jobs:
        outputs, _ = read("non-digits", nondigit_pngs(nondigit_jobs), len(nondigit_jobs))
        report.nondigits_by_family = refusal_by_family(outputs, [job[0] for job in nondigit_jobs])
    return report


def worst_misreads(outputs, model_inputs, labels, *, count=20):
    """The `count` misread digits the model was surest of: (model input, true digit, read digit, its
    probability); a refused digit reads as NOT_A_DIGIT."""
    outputs = np.asarray(outputs)
    read = outputs.argmax(axis=1)
    wrong = np.flatnonzero(read != labels)
    worst = wrong[np.argsort(-outputs[wrong, read[wrong]])][:count]
    return [(model_inputs[i], int(labels[i]), int(read[i]), float(outputs[i, read[i]])) for i in worst]


def misreads_grid(misreads, *, scale=4, columns=5):
    """The misreads as one image for a person: each model input enlarged, captioned "true -> read (p)"."""
    from PIL import ImageDraw

    tile, caption = IMAGE_SIZE * scale, 14
    rows = max(1, -(-len(misreads) // columns))
    grid = Image.new("L", (columns * (tile + 4), rows * (tile + caption + 4)), 40)
    draw = ImageDraw.Draw(grid)
    for index, (model_input, true, read, probability) in enumerate(misreads):
        left, top = (index % columns) * (tile + 4), (index // columns) * (tile + caption + 4)
        grid.paste(Image.fromarray(model_input).resize((tile, tile), Image.Resampling.NEAREST), (left, top))
        answer = "not a digit" if read == NOT_A_DIGIT else str(read)
        draw.text((left + 2, top + tile + 1), f"{true} -> {answer} ({probability:.0%})", fill=255)
    return grid
