"""Numbers written on the site's wide canvas, and how well the serving path reads them.

A number here is a row of digits' pen strokes (MNIST test digits traced by training.strokes, or real pen
trajectories, training.pendigits) written left to right with one pen on a shared baseline, at about one
height, with gaps between neighbours' ink (pen width included) as a share of the digit height:
- separated: gaps of 15–45% of the height;
- touching: gaps of −3% to +12% (neighbours' boxes overlap or nearly meet; some strokes touch).

`evaluate_numbers` reads each number as a request does (PNG → decoding → ink → find_marks → LiteRT) and
reports the share read whole and exact and the per-digit accuracy, by length (`evaluate_model --numbers`).
"""

import multiprocessing
import os
from dataclasses import dataclass, field

import numpy as np

from recognizer.contract import split_outputs
from recognizer.decoding import decode
from recognizer.limits import NOT_A_DIGIT_THRESHOLD
from recognizer.preprocessing import ink_of, shrunk_for_ink_search
from recognizer.segmentation import find_marks
from training.canvas import BACKGROUNDS, random_placement, render_strokes, strokes_on_canvas
from training.evaluation import encode_png
from training.strokes import trace_strokes

CANVAS_HEIGHT = 280  # the page's canvas is 280 px high; a number's canvas is as wide as it needs
GAPS = {"separated": (0.15, 0.45), "touching": (-0.03, 0.12)}
LENGTHS = tuple(range(2, 9))


# Strokes -----------------------------------------------------------------------------------------------


def pen_digit_image(strokes, rng, *, background="white"):
    """One pen digit on the page's 280 px canvas, at a random size, place and pen width."""
    placement = random_placement(rng, strokes=strokes)
    return render_strokes(
        strokes_on_canvas(strokes, placement), pen_width=placement.pen_width, background=background
    )


def extent(strokes):
    points = np.concatenate([np.asarray(stroke, dtype=np.float64) for stroke in strokes])
    return points.min(axis=0), points.max(axis=0)


# A number on a wide canvas -----------------------------------------------------------------------------


@dataclass
class WrittenNumber:
    strokes: list  # canvas strokes of all its digits
    pen_width: float
    canvas_width: int
    height: float  # the digits' height (each within a few percent of it)
    digit_boxes: list = field(default_factory=list)  # (left, right) of each digit's pen path


def write_number(digit_strokes, rng, *, gaps, canvas_height=CANVAS_HEIGHT):
    """Digits' strokes (any units, y downward) written left to right: one pen, one baseline, about one
    height, each gap drawn from `gaps` (share of the digit height, between neighbours' ink)."""
    height = rng.uniform(0.42, 0.68) * canvas_height
    pen_width = rng.uniform(12, 22)
    margin = pen_width + rng.uniform(8, 40)
    baseline = rng.uniform(margin + height, canvas_height - pen_width / 2 - 6)
    x = margin
    written, boxes = [], []
    for index, strokes in enumerate(digit_strokes):
        (left, top), (right, bottom) = extent(strokes)
        size = height * rng.uniform(0.93, 1.05)
        scale = size / max(bottom - top, 1e-6)
        if (right - left) * scale > 1.6 * height:  # a flat stroke (a traced 1 lying down): keep it in bounds
            scale = 1.6 * height / (right - left)
        if index:  # the pen paths are a pen's width further apart than the ink
            x += rng.uniform(*gaps) * height + pen_width
        sink = rng.uniform(-0.02, 0.02) * height
        written += [
            [(x + (px - left) * scale, baseline + sink - (bottom - py) * scale) for px, py in stroke]
            for stroke in strokes
        ]
        boxes.append((x, x + (right - left) * scale))
        x += (right - left) * scale
    return WrittenNumber(written, pen_width, int(np.ceil(x + margin)), height, boxes)


def number_image(number, *, background="white"):
    return render_strokes(
        number.strokes,
        pen_width=number.pen_width,
        background=background,
        canvas_size=CANVAS_HEIGHT,
        canvas_width=max(number.canvas_width, CANVAS_HEIGHT),
    )


def mnist_number_png(job):
    """One number of a set: its digits traced and written with the set's gaps, as a PNG. `job` is
    (index, digits (uint8 28×28 images), seed, gaps, background); each number has its own generator."""
    index, digits, seed, gaps, background = job
    rng = np.random.default_rng([seed, index])
    number = write_number([trace_strokes(digit) for digit in digits], rng, gaps=gaps)
    return encode_png(number_image(number, background=background))


def number_jobs(images, labels, *, count, seed, gaps, lengths=LENGTHS, backgrounds=tuple(BACKGROUNDS)):
    """`count` numbers of MNIST test digits, lengths in turn, digits drawn at random (seeded): a list of
    (jobs for mnist_number_png, the true numbers as strings)."""
    rng = np.random.default_rng(seed)
    jobs, truths = [], []
    for index in range(count):
        length = lengths[index % len(lengths)]
        chosen = rng.choice(len(images), size=length, replace=False)
        jobs.append((index, images[chosen], seed, gaps, backgrounds[index % len(backgrounds)]))
        truths.append("".join(str(int(labels[i])) for i in chosen))
    return jobs, truths


def number_pngs(jobs, *, parallel_from=64):
    """The PNGs of `jobs`, drawn by one worker process per core for large sets (tracing is slow)."""
    if len(jobs) < parallel_from or (os.cpu_count() or 1) == 1:
        yield from map(mnist_number_png, jobs)
        return
    with multiprocessing.get_context("spawn").Pool() as pool:
        yield from pool.imap(mnist_number_png, jobs, chunksize=8)


# Reading them ------------------------------------------------------------------------------------------


def read_number(encoded, predict):
    """The digits the serving path reads in an encoded drawing, left to right, as a string: each mark's
    best digit, or "?" for a mark the model calls "not a digit" (a wrong digit here)."""
    image = decode(encoded).image
    shrunk = shrunk_for_ink_search(image)
    marks = find_marks(ink_of(shrunk), predict=predict, scale=image.width / shrunk.width)
    digits, not_a_digit = split_outputs(np.stack([mark.outputs for mark in marks]))
    refused = not_a_digit >= NOT_A_DIGIT_THRESHOLD
    return "".join("?" if no else str(int(np.argmax(p))) for p, no in zip(digits, refused, strict=True))


@dataclass
class NumbersReport:
    name: str
    truths: list
    readings: list

    def rows(self):
        """(length, count, exact share, whole share (right count of digits), per-digit accuracy)."""
        rows = []
        for length in sorted({len(truth) for truth in self.truths}) + [None]:
            pairs = [
                (t, r) for t, r in zip(self.truths, self.readings, strict=True) if length in (None, len(t))
            ]
            whole = [r for t, r in pairs if len(r) == len(t)]
            right_digits = sum(
                sum(a == b for a, b in zip(t, r, strict=True)) for t, r in pairs if len(r) == len(t)
            )
            rows.append(
                (
                    length,
                    len(pairs),
                    float(np.mean([t == r for t, r in pairs])),
                    len(whole) / len(pairs),
                    right_digits / sum(len(t) for t, _ in pairs),
                )
            )
        return rows


def evaluate_numbers(predict, images, labels, *, count, seed=0, progress=None):
    """Both sets (separated, touching) of `count` numbers each, read through the serving path."""
    reports = []
    for name, gaps in GAPS.items():
        jobs, truths = number_jobs(images, labels, count=count, seed=seed, gaps=gaps)
        readings = []
        for done, png in enumerate(number_pngs(jobs), start=1):
            readings.append(read_number(png, predict))
            if progress and (done % 100 == 0 or done == count):
                progress(name, done)
        reports.append(NumbersReport(name, truths, readings))
    return reports


def format_numbers(reports):
    """The reports as tables by length. Exact: every digit right; right length: as many marks as digits;
    per digit: digits read right in the numbers of the right length, over all digits."""
    lines = []
    for report in reports:
        lines.append(
            f"Numbers, {report.name} (gaps {GAPS[report.name][0]:.0%} to {GAPS[report.name][1]:.0%}):"
        )
        lines.append("  digits  count  exact   right length  per digit")
        for length, count, exact, whole, per_digit in report.rows():
            label = "all" if length is None else str(length)
            lines.append(f"  {label:>6}  {count:>5}  {exact:>6.1%}  {whole:>12.1%}  {per_digit:>9.1%}")
    lines.append(
        "  (exact: every digit right; right length: as many marks as digits; per digit: digits read right "
        "in numbers of the right length, over all digits)"
    )
    return "\n".join(lines)
