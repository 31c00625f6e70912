"""Pen drawings for training and measuring: real pen digits and generated non-digits, drawn as the page
draws them and read by the site's own normalisation."""

import json

import numpy as np
import pytest

from recognizer.contract import IMAGE_SIZE
from tests.conftest import DATA_DIR
from training import nondigits
from training.pen import extent, placed_on_canvas, render_to_model_input, varied_strokes
from training.pendigits import pen_digit


@pytest.fixture(scope="module")
def pen_digits():
    records = json.loads((DATA_DIR / "pendigits-test-writers.json").read_text())
    return [pen_digit(record) for record in records]


def test_pen_data_is_turned_the_right_way_up(pen_digits):
    """A 7's bar is at its top: with y growing downward, the top fifth of its points spreads wider
    than the bottom fifth (data whose y grew upward would draw it upside down)."""

    def wider_at_the_top(digit):
        path = np.concatenate(digit.strokes)
        top, bottom = np.quantile(path[:, 1], [0.2, 0.8])
        return np.ptp(path[path[:, 1] <= top, 0]) > np.ptp(path[path[:, 1] >= bottom, 0])

    sevens = [digit for digit in pen_digits if digit.label == 7]
    assert np.mean([wider_at_the_top(digit) for digit in sevens]) > 0.75  # 90% today; upside down: 10%


def test_a_varied_digit_is_still_the_same_digit(pen_digits):
    digit = pen_digits[0]
    plain = render_to_model_input(digit.strokes, np.random.default_rng(0), background="white")
    rng = np.random.default_rng(1)
    varied = [render_to_model_input(varied_strokes(digit.strokes, rng), rng) for _ in range(5)]
    correlations = [np.corrcoef(plain.ravel(), image.ravel())[0, 1] for image in varied]
    assert plain.shape == (IMAGE_SIZE, IMAGE_SIZE) and plain.max() == 255
    assert min(correlations) > 0.4 and np.mean(correlations) < 0.98  # varied, yet alike


def test_drawings_stay_on_the_canvas(pen_digits):
    rng = np.random.default_rng(2)
    for digit in pen_digits[:50]:
        strokes = placed_on_canvas(list(digit.strokes), rng, pen_width=20)
        low, high = extent(strokes)
        assert low.min() >= 10 - 1e-6 and high.max() <= 270 + 1e-6


@pytest.mark.parametrize("family", list(nondigits.FAMILY_WEIGHTS))
def test_each_non_digit_family_draws_ink(family, pen_digits):
    fragments = [digit for digit in pen_digits if digit.label in nondigits.PARTIAL_DIGITS]
    for index in range(10):
        job = (family, "train", 3, index, fragments[index] if family == "partial digit" else None)
        image = nondigits.render_nondigit(job)
        assert image is not None and image.max() == 255


def test_lone_lines_are_never_near_vertical():
    rng = np.random.default_rng(4)
    for _ in range(300):
        (line,) = nondigits.lone_line(rng, "train")
        dx, dy = line[-1] - line[0]
        assert np.degrees(np.arctan2(abs(dx), abs(dy))) >= nondigits.NEAR_VERTICAL_DEGREES - 1


def test_validation_non_digits_share_nothing_with_training(pen_digits):
    assert not set(nondigits.LETTER_FONTS["train"]) & set(nondigits.LETTER_FONTS["validation"])
    train = nondigits.nondigit_jobs(200, part="train", seed=0, pen_digits=pen_digits)
    validation = nondigits.nondigit_jobs(200, part="validation", seed=0, pen_digits=pen_digits)
    assert not {job[3] for job in train} & {job[3] for job in validation}  # seeds never shared
    assert not set("OoIlSsZzBgq") & set(nondigits.LETTERS)
