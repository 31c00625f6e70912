"""`manage.py evaluate_model` and the canvas drawings it (and the browser tests) are made of."""

import re

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from recognizer.preprocessing import normalise_image
from tests.conftest import MNIST_DIR
from training.canvas import BACKGROUNDS
from training.evaluation import accuracy_by_background
from training.strokes import draw_digit_on_canvas, trace_strokes


def test_evaluation_reports_mnist_and_canvas_accuracy(capsys):
    call_command("evaluate_model", "--data-dir", str(MNIST_DIR), "--limit", "90")
    out = capsys.readouterr().out
    mnist = float(re.search(r"MNIST test set through the serving path: ([\d.]+)% of 90 images", out)[1])
    canvas = float(re.search(r"Canvas drawings through the serving path: ([\d.]+)% of 90 images", out)[1])
    assert mnist >= 95 and canvas >= 90
    for background in BACKGROUNDS:
        assert re.search(rf"on {background}: [\d.]+% of 30", out)
    assert out.count("confusion matrix") == 2


def test_accuracy_by_background_follows_the_order_the_canvases_were_drawn_in():
    labels = np.array([1, 2, 3, 4, 5, 6, 7])  # drawn on white, black, transparent, white, ...
    predicted = np.array([1, 0, 3, 4, 0, 0, 0])
    assert accuracy_by_background(labels, predicted, backgrounds=("white", "black", "transparent")) == [
        ("white", 2 / 3, 3),
        ("black", 0.0, 2),
        ("transparent", 0.5, 2),
    ]


def test_evaluation_without_data_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="file not found"):
        call_command("evaluate_model", "--data-dir", str(tmp_path))


@pytest.mark.parametrize("background", list(BACKGROUNDS))
def test_canvas_drawing_is_the_digit_redrawn_with_a_pen(mnist_test_set, background):
    images, _ = mnist_test_set
    digit = images[0]  # a 7
    canvas = draw_digit_on_canvas(digit, np.random.default_rng(1), background=background)
    assert canvas.size == (280, 280)
    redrawn = normalise_image(canvas).astype(float)
    # Redrawn strokes follow the original's centre lines: the two images overlap closely.
    assert np.corrcoef(redrawn.ravel(), digit.astype(float).ravel())[0, 1] > 0.7


def test_strokes_follow_the_digit(mnist_test_set):
    images, _ = mnist_test_set
    strokes = trace_strokes(images[3])  # a 0: one closed loop
    points = np.concatenate([np.asarray(stroke) for stroke in strokes])
    assert len(strokes) <= 3
    inked = images[3][np.clip(points[:, 1].astype(int), 0, 27), np.clip(points[:, 0].astype(int), 0, 27)]
    assert np.mean(inked > 0) > 0.95  # the pen stays on the ink
