"""Drawings that are not digits, made of pen strokes and drawn as the page draws them (training.pen):
the examples of the model's last class, contract.NOT_A_DIGIT.

Families: letters (Hershey stroke fonts, skipping letters a digit can look like: O, I, S, Z, B, g, q...),
shapes (triangles, squares, stars, hearts, arrows, crosses, smileys, spirals, zigzags, checkmarks),
scribbles, lone dots, lone lines (never near vertical: that is a 1), short dashes, random marks, and
parts of real pen digits too short to be one (the arc of a 0, the top of a 3, the bar of a 7).

Training and validation never share a drawing: validation letters come from other fonts, its pen parts
from the validation writers, and every drawing from its own seeds (`nondigit_set(part=...)`).

NumPy and Pillow only: worker processes render without TensorFlow.
"""

import functools
import math
import multiprocessing
import os

import numpy as np

from recognizer.contract import IMAGE_SIZE
from training.pen import Variation, drawn_canvas, safe_render, varied_strokes

LETTERS = "ACEFHKLMNPRTUVWXYcdefhkmnprtuvwxy"  # no O o Q D I i l j J S s Z z B b G g q a: digit-like
LETTER_FONTS = {
    "train": ("futural", "rowmans", "scripts", "timesr", "timesi"),
    "validation": ("futuram", "rowmand", "scriptc", "cursive", "timesib"),
}
NEAR_VERTICAL_DEGREES = 50  # a lone line closer than this to vertical may be a slanted 1: never drawn

LOOSE = Variation(rotation_degrees=20, slant=0.3, squash=0.25, wobble=0.03, jitter=0.01)
STRAIGHT = Variation(rotation_degrees=0, slant=0, squash=0, wobble=0.02, jitter=0.008)
# Partial digits: (digit, shortest and longest share of its pen path) that no longer reads as the digit.
# Only parts no digit looks like: the start of a 2 is a 7's hook, a 4's first stroke an open 2 or 4, a
# 6's top a bent 1 (the first full run refused such digits).
PARTIAL_DIGITS = {0: (0.3, 0.5), 3: (0.2, 0.35), 7: (0.1, 0.25)}


# Letters -------------------------------------------------------------------------------------------


@functools.cache
def font(name):
    from HersheyFonts import HersheyFonts

    hershey = HersheyFonts()
    hershey.load_default_font(name)
    return hershey


def letter(rng, part):
    name = str(rng.choice(LETTER_FONTS[part]))
    character = str(rng.choice(list(LETTERS)))
    strokes = [np.asarray(stroke, dtype=np.float64) for stroke in font(name).strokes_for_text(character)]
    return [stroke for stroke in strokes if len(stroke)]


# Shapes (unit size, y grows downward) ----------------------------------------------------------------


def polygon(corners, rng, *, closed=True):
    points = np.asarray(corners, dtype=np.float64)
    if closed:
        overshoot = points[0] + (points[1] - points[0]) * rng.uniform(0, 0.15)
        points = np.vstack([points, points[:1], overshoot[None]])
    return points


def circle_points(centre, radius, start, end, count=40):
    angles = np.linspace(start, end, count)
    return np.stack([centre[0] + radius * np.cos(angles), centre[1] + radius * np.sin(angles)], axis=1)


def triangle(rng):
    corners = [(rng.uniform(-0.2, 0.2), -1), (-1, rng.uniform(0.6, 1)), (1, rng.uniform(0.6, 1))]
    return [polygon(np.roll(corners, rng.integers(3), axis=0), rng)]


def square(rng):
    width = rng.uniform(0.6, 1.6)
    corners = [(-width, -1), (width, -1), (width, 1), (-width, 1)]
    if rng.random() < 0.3:  # two strokes: ⌐ then ⌙
        return [
            polygon(corners[:3], rng, closed=False),
            polygon([corners[0], corners[3], corners[2]], rng, closed=False),
        ]
    return [polygon(np.roll(corners, rng.integers(4), axis=0), rng)]


def star(rng):
    angles = -math.pi / 2 + np.arange(6) * 4 * math.pi / 5
    points = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return [points]


def heart(rng):
    t = np.linspace(0, 2 * math.pi, 60)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return [np.stack([x, y], axis=1) / 16]


def arrow(rng):
    # Any direction but up: an upward arrow is a 1 with a flag.
    angle = rng.uniform(math.radians(-60), math.radians(240))  # 0 = right, 90 = down (y grows downward)
    direction = np.array([math.cos(angle), math.sin(angle)])
    tip, tail = direction, -direction
    head = 0.45
    sides = [tip - head * np.array([math.cos(angle + turn), math.sin(angle + turn)]) for turn in (-0.5, 0.5)]
    if rng.random() < 0.5:
        return [np.vstack([tail, tip]), np.vstack([sides[0], tip, sides[1]])]
    return [np.vstack([tail, tip, sides[0]]), np.vstack([tip, sides[1]])]


def cross(rng):
    if rng.random() < 0.5:  # x
        spread = rng.uniform(0.6, 1.2)
        return [np.array([[-spread, -1], [spread, 1]]), np.array([[spread, -1], [-spread, 1]])]
    return [
        np.array([[0, -1], [0, 1]]),
        np.array([[-1, rng.uniform(-0.3, 0.3)], [1, rng.uniform(-0.3, 0.3)]]),
    ]


def smiley(rng):
    face = circle_points((0, 0), 1, 0, 2 * math.pi + 0.2, 60)
    eyes = [np.array([[x, -0.35], [x + 0.01, -0.3]]) for x in (-0.35, 0.35)]
    mood = rng.choice([1, -1])
    mouth = circle_points((0, 0.15 if mood > 0 else 0.75), 0.5, math.radians(30), math.radians(150), 20)
    if mood < 0:
        mouth = mouth * [1, -1] + [0, 1.05]
    return [face, *eyes, mouth]


def spiral(rng):
    turns = rng.uniform(1.8, 4)
    t = np.linspace(0, 2 * math.pi * turns, int(40 * turns))
    radius = 0.1 + t / t[-1]
    return [np.stack([radius * np.cos(t), radius * np.sin(t) * rng.choice([1, -1])], axis=1)]


def zigzag(rng):
    count = rng.integers(5, 9)  # four strokes or fewer make a Z, which is a 2
    x = np.linspace(-1, 1, count + 1)
    y = np.where(np.arange(count + 1) % 2, 1, -1) * rng.uniform(0.3, 0.8)
    return [np.stack([x, y], axis=1)]


def checkmark(rng):
    return [np.array([[-1, 0], [-0.4, 0.7], [1, -1]])]


SHAPES = (triangle, square, star, heart, arrow, cross, smiley, spiral, zigzag, checkmark)


def shape(rng, part):
    return SHAPES[rng.integers(len(SHAPES))](rng)


# Scribbles, dots, lines, marks ------------------------------------------------------------------


def smooth_path(points, samples=8):
    """A smooth curve through `points` (Catmull-Rom), as a pen draws it."""
    padded = np.vstack([points[:1], points, points[-1:]])
    curve = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1 : i + 3]
        for t in np.linspace(0, 1, samples, endpoint=False):
            curve.append(
                0.5
                * (
                    2 * p1
                    + (p2 - p0) * t
                    + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                    + (3 * p1 - p0 - 3 * p2 + p3) * t**3
                )
            )
    curve.append(padded[-2])
    return np.asarray(curve)


def scribble(rng, part):
    if rng.random() < 0.3:  # hatching: back and forth over an area
        count = rng.integers(5, 12)
        x = np.where(np.arange(count) % 2, 1, -1) + rng.normal(0, 0.1, count)
        y = np.linspace(-1, 1, count) + rng.normal(0, 0.05, count)
        return [np.stack([x, y], axis=1)]
    return [smooth_path(rng.uniform(-1, 1, (rng.integers(7, 16), 2)))]


def dot(rng, part):
    centre = rng.normal(0, 1, 2)
    return [centre[None] + rng.normal(0, 0.02, (rng.integers(1, 4), 2))]


def lone_line(rng, part):
    # Angle from vertical, at least NEAR_VERTICAL_DEGREES: horizontal, diagonal, never a 1.
    away = rng.uniform(NEAR_VERTICAL_DEGREES, 90) * rng.choice([1, -1])
    angle = math.radians(90 - away)
    direction = np.array([math.cos(angle), math.sin(angle)])
    line = np.stack([-direction, direction])
    if rng.random() < 0.3:  # a slight bow, as a quick hand makes
        middle = rng.normal(0, 0.08, 2)
        line = smooth_path(np.vstack([line[0], middle, line[1]]))
    return [line]


def random_marks(rng, part):
    strokes = []
    for _ in range(rng.integers(2, 6)):
        start = rng.uniform(-1, 1, 2)
        if rng.random() < 0.4:
            strokes.append(start[None])
        else:
            strokes.append(
                smooth_path(start + np.cumsum(rng.normal(0, 0.25, (rng.integers(2, 5), 2)), axis=0))
            )
    return strokes


FAMILIES = {
    "letter": letter,
    "shape": shape,
    "scribble": scribble,
    "dot": dot,
    "line": lone_line,
    "marks": random_marks,
    "partial digit": None,  # needs pen digits: see partial_digit
}
FAMILY_WEIGHTS = {
    "letter": 0.34,
    "shape": 0.2,
    "scribble": 0.1,
    "dot": 0.06,
    "line": 0.1,
    "marks": 0.08,
    "partial digit": 0.08,
}
SHORT_DASH_SIZE = (0.06, 0.2)  # a lone line this short (share of the canvas) is a dash
DOT_SIZE = (0.02, 0.08)


def partial_digit(rng, digit):
    """The start of a real pen digit's path, too short to read as that digit."""
    strokes = [np.asarray(stroke, dtype=np.float64) for stroke in digit.strokes]
    path = np.concatenate(strokes)
    low, high = PARTIAL_DIGITS[digit.label]
    lengths = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))])
    kept = lengths <= rng.uniform(low, high) * lengths[-1]
    return [path[kept] if kept.sum() >= 2 else path[:2]]


def nondigit_strokes(family, rng, part, pen_digit=None):
    if family == "partial digit":
        return partial_digit(rng, pen_digit)
    return FAMILIES[family](rng, part)


def size_range_of(family, rng):
    if family == "dot":
        return DOT_SIZE
    if family == "line" and rng.random() < 0.3:
        return SHORT_DASH_SIZE
    if family == "letter":
        return (0.45, 0.86)
    return (0.3, 0.86)


def nondigit_drawing(job):
    """(family, part, seed, index, pen digit or None) → (strokes, rng, size range) of one non-digit."""
    family, part, seed, index, pen_digit = job
    rng = np.random.default_rng([seed, index, 10])
    strokes = nondigit_strokes(family, rng, part, pen_digit)
    if family != "dot":
        # A line keeps its angle: turned or slanted, it could come too near vertical, where it is a 1.
        strokes = varied_strokes(strokes, rng, STRAIGHT if family == "line" else LOOSE)
    return strokes, rng, size_range_of(family, rng)


def render_nondigit(job):
    """One non-digit's 28×28 model input, or None if it left no ink."""
    strokes, rng, size_range = nondigit_drawing(job)
    return safe_render(strokes, rng, size_range=size_range)


def nondigit_canvas(job, *, background):
    """One non-digit as the page would draw it: a Pillow image of the canvas."""
    strokes, rng, size_range = nondigit_drawing(job)
    return drawn_canvas(strokes, rng, background=background, size_range=size_range, supersample=3)


def pick_families(count, rng):
    names = list(FAMILY_WEIGHTS)
    weights = np.asarray([FAMILY_WEIGHTS[name] for name in names])
    return [names[i] for i in rng.choice(len(names), count, p=weights / weights.sum())]


def nondigit_jobs(count, *, part, seed, pen_digits):
    """The jobs of `count` non-digits for `part` ("train" or "validation"); `pen_digits` are that
    part's writers' digits, for the partial ones."""
    rng = np.random.default_rng([seed, 0 if part == "train" else 1])
    families = pick_families(count, rng)
    offset = 0 if part == "train" else 10_000_000  # validation drawings use seeds training never does
    fragments = [digit for digit in pen_digits if digit.label in PARTIAL_DIGITS]
    return [
        (
            family,
            part,
            seed,
            offset + index,
            fragments[rng.integers(len(fragments))] if family == "partial digit" else None,
        )
        for index, family in enumerate(families)
    ]


def nondigit_set(count, *, part, seed, pen_digits, processes=None):
    """(images (n, 28, 28) uint8, families (n,) str) of `count` generated non-digits (`nondigit_jobs`)."""
    jobs = nondigit_jobs(count, part=part, seed=seed, pen_digits=pen_digits)
    processes = processes or min(2, os.cpu_count() or 1)
    if count < 400 or processes == 1:
        images = [render_nondigit(job) for job in jobs]
    else:
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            images = pool.map(render_nondigit, jobs, chunksize=64)
    kept = [i for i, image in enumerate(images) if image is not None]
    return (
        np.asarray([images[i] for i in kept], dtype=np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE),
        np.asarray([jobs[i][0] for i in kept]),
    )
