"""Reading marks: recognizer.segmentation.find_marks and the model on a drawing's ink (decoding and the
ink search excluded), in CPU time of this process: one digit on the page's 280 px canvas, as a
single-digit request reads it, and 8-digit numbers of MNIST test digits on a wide canvas, separated and
touching (training.numbers draws them)."""

import time

import numpy as np

from benchmarks.environment import served_model_path
from benchmarks.measure import latency_summary, time_each
from recognizer.contract import scaled
from recognizer.decoding import decode
from recognizer.litert import LiteRTModel
from recognizer.preprocessing import ink_of, normalise_ink
from recognizer.segmentation import find_marks
from training import numbers


def inks_of(pngs):
    return [ink_of(decode(png).image) for png in pngs]


def eight_digit_inks(images, labels, *, count, gaps, seed=0):
    jobs, _ = numbers.number_jobs(images, labels, count=count, seed=seed, gaps=gaps, lengths=(8,))
    return inks_of(list(numbers.number_pngs(jobs)))


def measure_numbers(single_pngs, images, labels, *, count=60):
    """p50/p99 CPU ms of find_marks + predict for each single-digit PNG, and for `count` 8-digit numbers
    of `images` per set; and the whole drawing normalised and read as one digit, as before numbers."""
    model = LiteRTModel.from_file(served_model_path())

    def marks(ink):
        return find_marks(ink, predict=model.predict)

    def whole_drawing(ink):
        return model.predict(scaled(normalise_ink(ink))[None])

    singles = inks_of(single_pngs)
    cpu = time.process_time
    results = {
        "single_digit": latency_summary(time_each(marks, singles, clock=cpu)),
        "single_digit_whole": latency_summary(time_each(whole_drawing, singles, clock=cpu)),
    }
    for name, gaps in numbers.GAPS.items():
        inks = eight_digit_inks(images, labels, count=count, gaps=gaps)
        results[f"eight_digits_{name}"] = latency_summary(time_each(marks, inks * 3, clock=cpu, warmup=5))
        results[f"eight_digits_{name}"]["marks_p50"] = float(np.median([len(marks(ink)) for ink in inks]))
    return results
