"""Strokes drawn the way the site's drawing page draws them: a round pen on a 280 px canvas, white,
black or transparent, anti-aliased like a browser canvas. Strokes come from training.strokes (MNIST
digits traced) or from anywhere else, as lists of (x, y) points."""

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

SUPERSAMPLE = 3  # draw bigger, then shrink: anti-aliased edges like a browser canvas


@dataclass(frozen=True)
class Placement:
    """Where and how a digit is drawn on the canvas, in canvas pixels."""

    height: float  # height of the strokes' centre lines
    centre_x: float
    centre_y: float
    pen_width: float


def strokes_on_canvas(strokes, placement):
    """Strokes scaled and moved from 28×28 units to canvas pixels."""
    points = np.concatenate([np.asarray(stroke) for stroke in strokes])
    (left, top), (right, bottom) = points.min(axis=0), points.max(axis=0)
    scale = placement.height / max(bottom - top, 1e-6)
    middle_x, middle_y = (left + right) / 2, (top + bottom) / 2
    return [
        [
            (placement.centre_x + (x - middle_x) * scale, placement.centre_y + (y - middle_y) * scale)
            for x, y in stroke
        ]
        for stroke in strokes
    ]


def random_placement(rng, *, canvas_size=280, strokes=None, margin=4):
    """A random size, position and pen width such as people draw with on a 280 px canvas."""
    pen_width = rng.uniform(12, 26)
    aspect = 1.0  # width / height of the strokes
    if strokes:
        points = np.concatenate([np.asarray(stroke) for stroke in strokes])
        extent = points.max(axis=0) - points.min(axis=0)
        aspect = extent[0] / max(extent[1], 1e-6)
    room = canvas_size - pen_width - 2 * margin  # the strokes' centre lines must fit in this square
    tallest = min(0.86 * canvas_size, room, room / max(aspect, 1e-6))
    height = rng.uniform(min(0.4 * canvas_size, tallest), tallest)
    half_width, half_height = aspect * height / 2, height / 2
    low, high = margin + pen_width / 2, canvas_size - margin - pen_width / 2
    centre_x = rng.uniform(low + half_width, max(low + half_width, high - half_width))
    centre_y = rng.uniform(low + half_height, max(low + half_height, high - half_height))
    return Placement(height=height, centre_x=centre_x, centre_y=centre_y, pen_width=pen_width)


BACKGROUNDS = {
    # name: (image mode, background colour, ink colour)
    "white": ("RGB", (255, 255, 255), (0, 0, 0)),
    "black": ("RGB", (0, 0, 0), (255, 255, 255)),
    "transparent": ("RGBA", (0, 0, 0, 0), (0, 0, 0, 255)),  # a fresh HTML canvas, black pen
}


def render_strokes(
    canvas_strokes,
    *,
    pen_width,
    background="white",
    canvas_size=280,
    supersample=SUPERSAMPLE,
    canvas_width=None,
):
    """Draw strokes (in canvas pixels) with a round pen; returns a Pillow image of the canvas, square
    unless `canvas_width` is given (a wide canvas for numbers, `canvas_size` high)."""
    mode, paper, ink = BACKGROUNDS[background]
    canvas_width = canvas_width or canvas_size
    image = Image.new(mode, (canvas_width * supersample, canvas_size * supersample), paper)
    draw = ImageDraw.Draw(image)
    width = max(1, round(pen_width * supersample))
    radius = width / 2
    for stroke in canvas_strokes:
        points = [(x * supersample, y * supersample) for x, y in stroke]
        if len(points) > 1:
            draw.line(points, fill=ink, width=width, joint="curve")
        for x, y in (points[0], points[-1]):  # round caps
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=ink)
    return image.resize((canvas_width, canvas_size), Image.Resampling.BOX)
