"""Numbers drawn as people draw them, for the reading tests: real MNIST test digits traced as pen strokes
(training.strokes) and drawn left to right with one round pen on one wide canvas (training.canvas), and
the same drawing's marks cut where each digit was drawn and read by the served model in one batch."""

import io

import numpy as np

from recognizer import preprocessing, reading, segmentation
from recognizer.contract import scaled
from recognizer.decoding import DecodedImage
from training.canvas import Placement, render_strokes, strokes_on_canvas
from training.strokes import trace_strokes

HEIGHT = 100  # each digit's height on the canvas, in pixels
MARGIN = 30


def number_canvas(digits, *, gap=0.35, pen_width=12, background="transparent", supersample=3):
    """(Pillow image, [(left, right)] of each digit's strokes) for MNIST `digits` drawn left to right,
    `gap` × HEIGHT apart, on one baseline."""
    strokes = [trace_strokes(digit) for digit in digits]
    columns, placed, x = [], [], MARGIN + pen_width
    for digit_strokes in strokes:
        points = np.concatenate([np.asarray(stroke) for stroke in digit_strokes])
        extent = points.max(axis=0) - points.min(axis=0)
        width = extent[0] * HEIGHT / max(extent[1], 1e-6)
        placement = Placement(
            height=HEIGHT,
            centre_x=x + width / 2,
            centre_y=MARGIN + pen_width + HEIGHT / 2,
            pen_width=pen_width,
        )
        placed.extend(strokes_on_canvas(digit_strokes, placement))
        columns.append((x - pen_width, x + width + pen_width))
        x += width + gap * HEIGHT
    side = int(x + MARGIN + pen_width)
    square = render_strokes(
        placed, pen_width=pen_width, background=background, canvas_size=side, supersample=supersample
    )
    height = int(HEIGHT + 2 * (MARGIN + pen_width))
    return square.crop((0, 0, side, height)), columns


def png_of(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def marks_where_drawn(image, columns, classifier):
    """The drawing's marks cut at the columns where each digit was drawn, each normalised on its own and
    all read by `classifier` in one batch: what a segmentation that found the digits would give."""
    ink = preprocessing.ink_of(image)
    inputs, boxes = [], []
    for left, right in columns:
        left, right = max(0, int(np.floor(left))), min(ink.shape[1], int(np.ceil(right)))
        part = np.zeros_like(ink)
        part[:, left:right] = ink[:, left:right]
        inputs.append(preprocessing.normalise_ink(part))
        rows = np.flatnonzero((part > preprocessing.INK_THRESHOLD).any(axis=1))
        cols = np.flatnonzero((part > preprocessing.INK_THRESHOLD).any(axis=0))
        boxes.append((cols[0], rows[0], cols[-1] + 1 - cols[0], rows[-1] + 1 - rows[0]))
    outputs = classifier.predict(scaled(np.stack(inputs)))
    return [
        segmentation.Mark(box=box, model_input=model_input, outputs=output)
        for box, model_input, output in zip(boxes, inputs, outputs, strict=True)
    ]


def number_reading(digits, classifier, **drawing):
    """(DecodedImage, Reading) of MNIST `digits` drawn as one number, its marks cut where drawn."""
    image, columns = number_canvas(digits, **drawing)
    marks = marks_where_drawn(image, columns, classifier)
    read = reading.Reading(marks=reading.mark_readings(marks), model_version=classifier.version)
    return DecodedImage(image=image, encoded=png_of(image)), read
