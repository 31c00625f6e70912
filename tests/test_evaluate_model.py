"""`manage.py evaluate_model` and the canvas drawings it (and the browser tests) are made of."""

import re

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from recognizer.preprocessing import normalise_image
from tests.conftest import MNIST_DIR
from training.canvas import BACKGROUNDS
from training.evaluation import accuracy_by_background, misreads_grid, worst_misreads
from training.strokes import draw_digit_on_canvas, trace_strokes


def test_evaluation_reports_every_set_calibration_and_the_worst_misreads(capsys, tmp_path):
    grid = tmp_path / "worst.png"
    call_command("evaluate_model", "--data-dir", str(MNIST_DIR), "--limit", "90", "--worst-grid", str(grid))
    out = capsys.readouterr().out
    mnist = float(re.search(r"MNIST test set through the serving path: ([\d.]+)% of 90 images", out)[1])
    canvas = float(re.search(r"Canvas drawings through the serving path: ([\d.]+)% of 90 images", out)[1])
    pen = float(re.search(r"Pen test writers through the serving path: ([\d.]+)% of 90 images", out)[1])
    assert mnist >= 95 and canvas >= 90 and pen >= 90
    for background in BACKGROUNDS:
        assert len(re.findall(rf"on {background}: [\d.]+% of 30", out)) == 2  # canvas and pen
    assert out.count("confusion matrix") == 3
    assert re.search(r"Non-digits refused \(p\(not a digit\) ≥ 0.5\): [\d.]+% of 90", out)
    assert re.search(r"letter +[\d.]+% of \d+", out) and "Real digits wrongly refused: mnist" in out
    for name in ("canvas", "mnist", "pen"):
        assert re.search(rf"Calibration, {name}: expected calibration error [\d.]+% over 90 images", out)
    assert "mean conf." in out
    with Image.open(grid) as image:  # a grid of enlarged 28×28 misreads, one row of five or more
        assert image.width == 5 * (28 * 4 + 4)


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


def test_the_worst_misreads_are_the_surest_wrong_answers():
    outputs = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.7, 0.3]])
    inputs = np.arange(4 * 28 * 28, dtype=np.uint8).reshape(4, 28, 28)
    worst = worst_misreads(outputs, inputs, np.array([0, 0, 0, 1]), count=2)
    assert [(true, read, probability) for _, true, read, probability in worst] == [(0, 1, 0.8), (1, 0, 0.7)]
    assert np.array_equal(worst[0][0], inputs[1])
    assert misreads_grid(worst).size == (5 * (112 + 4), 112 + 14 + 4)  # tiles 4× 28, captions 14 px
