"""Real pen handwriting of writers no model is trained on (tests/data/pendigits-test-writers.json, the
pendigits TEST writers), drawn on the page's canvas and read through the site's own path: decoding,
normalisation, the served model."""

import io
import json

import numpy as np
import pytest
from django.conf import settings

from recognizer.contract import scaled, split_outputs
from recognizer.decoding import decode
from recognizer.inference import DigitClassifier
from recognizer.preprocessing import normalise_image
from tests.conftest import DATA_DIR
from training.canvas import BACKGROUNDS
from training.pen import drawn_canvas
from training.pendigits import TEST_WRITERS, WRITER_SPLIT, pen_digit

# The shipped model reads at least this (163f8cb353a2 reads 99.77% of all 1,746 test writers' digits
# through the serving path; the MNIST-only 43cc4187268f read 97.4% of these 500): a regression falls
# below the floor.
SHIPPED_MODEL_FLOOR = 0.99


@pytest.fixture(scope="module")
def test_writers_digits():
    records = json.loads((DATA_DIR / "pendigits-test-writers.json").read_text())
    return [pen_digit(record) for record in records]


def png_of(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_writer_split_holds_every_writer_once():
    writers = [writer for part in WRITER_SPLIT.values() for writer in part]
    assert len(writers) == len(set(writers)) == 30
    assert [len(part) for part in WRITER_SPLIT.values()] == [18, 5, 7]


def test_the_committed_digits_are_test_writers_only(test_writers_digits):
    assert {digit.writer for digit in test_writers_digits} <= set(TEST_WRITERS)
    assert np.bincount([digit.label for digit in test_writers_digits]).tolist() == [50] * 10


def test_shipped_model_reads_unseen_writers_pen_digits(test_writers_digits):
    classifier = DigitClassifier(settings.MODEL_PATH)
    backgrounds = list(BACKGROUNDS)
    predicted = []
    for index, digit in enumerate(test_writers_digits):
        rng = np.random.default_rng([5, index])
        canvas = drawn_canvas(digit.strokes, rng, background=backgrounds[index % 3], supersample=3)
        model_input = normalise_image(decode(png_of(canvas)).image)
        digits, _ = split_outputs(classifier.probabilities(scaled(model_input)))
        predicted.append(int(digits[0].argmax()))
    labels = np.array([digit.label for digit in test_writers_digits])
    accuracy = float(np.mean(np.array(predicted) == labels))
    misread = sorted({(int(t), p) for t, p in zip(labels, predicted) if t != p})
    assert accuracy >= SHIPPED_MODEL_FLOOR, f"{accuracy:.2%}; misread (true, read): {misread}"
