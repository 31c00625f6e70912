"""Realistic request bodies: MNIST test digits redrawn as pen strokes on a 280×280 canvas, as PNG.

The same digits serve every section, so the model, preprocessing and HTTP numbers describe one input.
"""

import base64
import json
from pathlib import Path

from training import evaluation
from training.data import load_split

MNIST_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "mnist"


def mnist_test_digits(count):
    """The first `count` MNIST test digits (uint8 28×28, white on black) and their labels."""
    images, labels, _ = load_split(MNIST_DIR, "test")
    return images[:count], labels[:count]


def canvas_pngs(digits, *, seed=0):
    """Each digit drawn once, at a random size, place and pen width, on white, black and transparent
    (the same canvases `manage.py evaluate_model` reads)."""
    return list(evaluation.canvas_pngs(digits, seed=seed))


def data_url(png):
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def request_body(png):
    """The JSON body the drawing page sends to POST /api/predict."""
    return json.dumps({"image": data_url(png)}).encode()
