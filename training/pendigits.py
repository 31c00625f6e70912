"""Real pen handwriting: the 30 writers of UCI pendigits (CC BY 4.0, E. Alpaydin and F. Alimoglu), as
the page would see their digits.

Writers are split once, by a fixed shuffle (numpy's default_rng(14).permutation of the sorted ids),
into whole writers for training, for validation (temperature, early checks) and for testing (what
train_model and evaluate_model report). A writer is never in two parts: accuracy is always measured on
people the network has never seen.

NumPy and Pillow only: worker processes render without TensorFlow.
"""

import gzip
import json
import multiprocessing
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognizer.contract import IMAGE_SIZE
from training.canvas import BACKGROUNDS
from training.pen import render_to_model_input, safe_render, varied_strokes

PENDIGITS_FILE = "pendigits-train-writers.json.gz"
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "pendigits"

TRAIN_WRITERS = (
    "tra-05", "tra-06", "tra-08", "tra-10", "tra-13", "tra-14", "tra-15", "tra-16", "tra-19",
    "tra-21", "tra-22", "tra-23", "tra-24", "tra-25", "tra-26", "tra-27", "tra-28", "tra-29",
)  # fmt: skip
VALIDATION_WRITERS = ("tra-01", "tra-04", "tra-07", "tra-11", "tra-20")
TEST_WRITERS = ("tra-02", "tra-03", "tra-09", "tra-12", "tra-17", "tra-18", "tra-30")
WRITER_SPLIT = {"train": TRAIN_WRITERS, "validation": VALIDATION_WRITERS, "test": TEST_WRITERS}


class PendigitsError(Exception):
    """The pen data could not be read; the message says where and why."""


@dataclass(frozen=True)
class PenDigit:
    label: int
    writer: str
    strokes: tuple  # (n, 2) float arrays, canvas orientation (y grows downward)


def resolve_pendigits_dir(pendigits_dir=None):
    """`--pendigits-dir`, else $PENDIGITS_DIR, else ../shared/datasets/pendigits beside the project."""
    return Path(pendigits_dir or os.environ.get("PENDIGITS_DIR") or DEFAULT_DIR)


def pen_digit(record):
    """One record of the JSON as a PenDigit, y flipped: the tablet's y grows upward, a canvas' downward."""
    strokes = tuple(
        np.asarray(stroke, dtype=np.float64).reshape(-1, 2) * (1.0, -1.0) for stroke in record["strokes"]
    )
    return PenDigit(label=int(record["label"]), writer=str(record["writer"]), strokes=strokes)


def load_pendigits(pendigits_dir=None):
    """All digits of the pen data set, as PenDigits."""
    path = resolve_pendigits_dir(pendigits_dir) / PENDIGITS_FILE
    try:
        with gzip.open(path, "rt") as file:
            records = json.load(file)
    except OSError as error:
        raise PendigitsError(f"{path}: {error.strerror or error}") from None
    except ValueError as error:
        raise PendigitsError(f"{path}: not the pendigits JSON ({error})") from None
    return [pen_digit(record) for record in records]


def split_by_writer(digits):
    """{"train": [...], "validation": [...], "test": [...]} by WRITER_SPLIT."""
    part_of = {writer: part for part, writers in WRITER_SPLIT.items() for writer in writers}
    parts = {part: [] for part in WRITER_SPLIT}
    for digit in digits:
        if digit.writer in part_of:
            parts[part_of[digit.writer]].append(digit)
    return parts


# Rendering ---------------------------------------------------------------------------------------


def render_job(job):
    """One drawing: (strokes, seed, index, augmented, background) → 28×28 uint8, or None if inkless."""
    strokes, seed, index, augmented, background = job
    rng = np.random.default_rng([seed, index])
    if augmented:
        strokes = varied_strokes(strokes, rng)
    return safe_render(strokes, rng, background=background)


def map_jobs(function, jobs, *, processes=None, progress=None):
    """[function(job) for job in jobs], in worker processes when there are many."""
    jobs = list(jobs)
    processes = processes or min(2, os.cpu_count() or 1)
    if len(jobs) < 400 or processes == 1:
        return [function(job) for job in jobs]
    results = []
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for count, result in enumerate(pool.imap(function, jobs, chunksize=64), start=1):
            results.append(result)
            if progress and count % 5000 == 0:
                progress(count, len(jobs))
    return results


def render_all(jobs, *, processes=None, progress=None):
    """Render jobs (`render_job`), in worker processes when there are many; None for inkless ones."""
    return map_jobs(render_job, jobs, processes=processes, progress=progress)


def rendered_set(digits, *, copies=1, seed, augmented, backgrounds=None, progress=None):
    """(images (n, 28, 28) uint8, labels (n,)): each digit drawn `copies` times. With `backgrounds`,
    they take turns (a fixed evaluation set); otherwise each drawing picks one at random."""
    jobs, labels = [], []
    for copy in range(copies):
        for index, digit in enumerate(digits):
            number = copy * len(digits) + index
            background = backgrounds[number % len(backgrounds)] if backgrounds else None
            jobs.append((digit.strokes, seed, number, augmented, background))
            labels.append(digit.label)
    images = render_all(jobs, progress=progress)
    kept = [i for i, image in enumerate(images) if image is not None]
    return (
        np.asarray([images[i] for i in kept], dtype=np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE),
        np.asarray([labels[i] for i in kept], dtype=np.int64),
    )


def evaluation_set(digits, *, seed=0):
    """Each digit drawn once, unaltered, on the backgrounds in turn: what train_model reports on."""
    return rendered_set(digits, seed=seed, augmented=False, backgrounds=tuple(BACKGROUNDS))


def canvas_image(digit, rng, *, background="white"):
    """The model input of one pen digit drawn on the page's canvas (for a quick look)."""
    return render_to_model_input(digit.strokes, rng, background=background)
