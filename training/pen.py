"""Pen strokes drawn as the page draws them, then read as the site reads them.

A drawing is a list of strokes, each an (n, 2) float array of (x, y) points, y growing downward (canvas
coordinates, any unit). Training varies them the way people's hands do:

- `varied_strokes`: slant, rotation, squash (one affine per drawing), a wobble and jitter on each point,
  and a different pen speed (the points resampled along the stroke, sparser or denser);
- `render_to_model_input`: drawn at a random size, place and pen width on a 280 px canvas (white, black
  or transparent, training.canvas), then normalised by the site's own code (recognizer.preprocessing)
  into the 28×28 the model reads.

NumPy and Pillow only: worker processes render without TensorFlow.
"""

import math
from dataclasses import dataclass

import numpy as np

from recognizer.errors import EmptyDrawing
from recognizer.preprocessing import normalise_image
from training.canvas import BACKGROUNDS, render_strokes

CANVAS_SIZE = 280  # the page's canvas, in CSS pixels
PAGE_PEN_WIDTH = 18  # the page's pen


@dataclass(frozen=True)
class Variation:
    """How far `varied_strokes` may bend a drawing."""

    rotation_degrees: float = 12.0
    slant: float = 0.35  # x moves by slant × (height above the middle)
    squash: float = 0.18  # each axis scaled by 1 ± squash
    wobble: float = 0.025  # slow drift of the pen, as a share of the drawing's size
    jitter: float = 0.008  # point-to-point tremor, as a share of the drawing's size
    speed: tuple = (0.5, 2.0)  # resampling step, as a multiple of the stroke's own mean step


DIGIT_VARIATION = Variation()


def as_strokes(strokes):
    return [np.asarray(stroke, dtype=np.float64).reshape(-1, 2) for stroke in strokes]


def extent(strokes):
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    return low, high


def resampled(stroke, step):
    """The stroke's points spaced `step` apart along its length (its end kept): a faster or slower pen."""
    if len(stroke) < 2:
        return stroke
    lengths = np.hypot(*np.diff(stroke, axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(lengths)])
    if along[-1] <= step:
        return stroke[[0, -1]]
    targets = np.append(np.arange(0.0, along[-1], step), along[-1])
    return np.stack([np.interp(targets, along, stroke[:, axis]) for axis in (0, 1)], axis=1)


def varied_strokes(strokes, rng, variation=DIGIT_VARIATION):
    """One hand's version of `strokes`: slanted, rotated, squashed, wobbling and resampled."""
    strokes = as_strokes(strokes)
    low, high = extent(strokes)
    middle = (low + high) / 2
    size = max(float((high - low).max()), 1e-6)

    angle = math.radians(rng.uniform(-1, 1) * variation.rotation_degrees)
    slant = rng.uniform(-1, 1) * variation.slant
    scale = 1 + rng.uniform(-1, 1, 2) * variation.squash
    cos, sin = math.cos(angle), math.sin(angle)
    # y grows downward: a positive slant leans the top to the right, like italics.
    matrix = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, -slant], [0.0, 1.0]]) @ np.diag(scale)

    result = []
    for stroke in strokes:
        points = (stroke - middle) @ matrix.T
        mean_step = np.hypot(*np.diff(points, axis=0).T).mean() if len(points) > 1 else 0.0
        if mean_step > 0:
            points = resampled(points, max(mean_step * rng.uniform(*variation.speed), size * 0.01))
        if len(points) > 1:
            phase = rng.uniform(0, 2 * math.pi, 2)
            t = np.linspace(0, 1, len(points))[:, None]
            frequency = rng.uniform(0.5, 2.0)
            drift = np.sin(2 * math.pi * frequency * t + phase) * rng.uniform(0, variation.wobble) * size
            points = points + drift
        points = points + rng.normal(0, variation.jitter * size, points.shape)
        result.append(points)
    return result


def placed_on_canvas(strokes, rng, *, pen_width, size_range=(0.35, 0.86), canvas_size=CANVAS_SIZE):
    """The strokes scaled so their longer side is a random share of the canvas, at a random place."""
    low, high = extent(strokes)
    span = np.maximum(high - low, 1e-6)
    room = canvas_size - pen_width - 8
    longer = rng.uniform(*size_range) * canvas_size
    scale = min(longer, room) / span.max()
    drawn = span * scale
    centre = [
        rng.uniform(4 + pen_width / 2 + drawn[axis] / 2, canvas_size - 4 - pen_width / 2 - drawn[axis] / 2)
        if drawn[axis] < room
        else canvas_size / 2
        for axis in (0, 1)
    ]
    middle = (low + high) / 2
    return [(stroke - middle) * scale + centre for stroke in strokes]


def random_pen_width(rng):
    """Mostly near the page's pen, sometimes much thinner or thicker (a stylus, a finger)."""
    return float(np.clip(rng.normal(PAGE_PEN_WIDTH, 5.0), 5.0, 32.0))


def drawn_canvas(strokes, rng, *, background=None, size_range=(0.35, 0.86), supersample=1):
    """`strokes` drawn on the page's canvas at a random size, place and pen width: a Pillow image.
    The background is `background`, else picked at random."""
    pen_width = random_pen_width(rng)
    background = background or str(rng.choice(list(BACKGROUNDS)))
    canvas_strokes = placed_on_canvas(as_strokes(strokes), rng, pen_width=pen_width, size_range=size_range)
    return render_strokes(
        [[tuple(point) for point in stroke] for stroke in canvas_strokes],
        pen_width=pen_width,
        background=background,
        canvas_size=CANVAS_SIZE,
        supersample=supersample,
    )


def render_to_model_input(strokes, rng, *, background=None, size_range=(0.35, 0.86)):
    """`strokes` drawn on a canvas (`drawn_canvas`), then normalised by the site: the (28, 28) uint8
    model input. Raises EmptyDrawing for a drawing with no ink.

    Drawn without supersampling: the 28×28 comes from a 10× reduction, which loses the canvas' own
    anti-aliasing (and it is three times faster)."""
    return normalise_image(drawn_canvas(strokes, rng, background=background, size_range=size_range))


def safe_render(strokes, rng, **options):
    """`render_to_model_input`, or None when the strokes leave no ink."""
    try:
        return render_to_model_input(strokes, rng, **options)
    except EmptyDrawing:
        return None
