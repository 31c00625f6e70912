"""`evaluate_model --numbers`: numbers of MNIST test digits written on a wide canvas, read through the
serving path (training.numbers)."""

import re

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from recognizer.decoding import decode
from recognizer.preprocessing import INK_THRESHOLD, ink_of
from recognizer.segmentation import label_parts
from tests.conftest import MNIST_DIR
from training import numbers
from training.strokes import trace_strokes


def test_evaluation_reads_numbers_separated_and_touching(capsys):
    call_command("evaluate_model", "--data-dir", str(MNIST_DIR), "--limit", "60", "--numbers", "14")
    out = capsys.readouterr().out
    for name in ("separated", "touching"):
        section = out[out.index(f"Numbers, {name}") :]
        for length in range(2, 9):
            assert re.search(rf"^\s+{length}\s+2\s+[\d.]+%\s+[\d.]+%\s+[\d.]+%$", section, re.MULTILINE)
        exact, whole, per_digit = map(
            float, re.search(r"all\s+14\s+([\d.]+)%\s+([\d.]+)%\s+([\d.]+)%", section).groups()
        )
        # 14 numbers only (the engine's floors are in test_segmentation): measured 86% / 71% and 71% / 71%
        assert whole >= 70 and exact >= 55
        # An exact number has the right length. (Per digit need not reach exact: it weighs numbers by
        # their length and gives no credit to a number read a digit short.)
        assert whole >= exact and per_digit > 0


def test_a_negative_count_of_numbers_is_refused():
    with pytest.raises(CommandError, match="--numbers"):
        call_command("evaluate_model", "--data-dir", str(MNIST_DIR), "--numbers", "-1")


def test_numbers_are_written_on_one_line_with_the_sets_gaps(mnist_test_set):
    images, labels = mnist_test_set
    jobs, truths = numbers.number_jobs(
        images[:200], labels[:200], count=7, seed=3, gaps=numbers.GAPS["separated"]
    )
    assert [len(truth) for truth in truths] == [2, 3, 4, 5, 6, 7, 8]
    for job, truth in zip(jobs, truths, strict=True):
        image = decode(numbers.mnist_number_png(job)).image
        assert image.height == numbers.CANVAS_HEIGHT and image.width >= image.height
        assert len(label_parts(ink_of(image) > INK_THRESHOLD)[0]) >= len(truth)

    rng = np.random.default_rng(4)
    digits = [trace_strokes(images[i]) for i in range(6)]
    for name, (low, high) in numbers.GAPS.items():
        number = numbers.write_number(digits, rng, gaps=(low, high))
        inked = (ink_of(numbers.number_image(number)) > INK_THRESHOLD).any(axis=0)
        half_pen = number.pen_width / 2
        for (_, right), (left, _) in zip(number.digit_boxes, number.digit_boxes[1:]):
            gap = (left - half_pen) - (right + half_pen)  # between the neighbours' ink
            assert low * number.height - 1e-6 <= gap <= high * number.height + 1e-6
            if name == "separated":  # nothing inked between them
                assert not inked[int(np.ceil(right + half_pen)) + 1 : int(left - half_pen) - 1].any()
