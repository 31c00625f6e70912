"""The model in ml_models/: what the site serves, measured the way the site runs it (LiteRT)."""

import json

import numpy as np
from django.conf import settings

from recognizer.contract import NUM_CLASSES, scaled, split_outputs
from recognizer.inference import DigitClassifier
from training.metrics import REFUSAL_THRESHOLD
from training.nondigits import nondigit_set
from training.pendigits import TEST_WRITERS, VALIDATION_WRITERS, load_pendigits, split_by_writer

# Floors a little under what the shipped model measured when it was shipped (digit_cnn.json holds the
# exact figures): a regression falls below them.
MNIST_FLOOR = 0.994
NON_DIGITS_REFUSED_FLOOR = 0.95  # of the 3,000 validation non-digits train_model measures
SAMPLE_REFUSED_FLOOR = 0.93  # of the 400 here (95% ± 1.1% by chance alone)
DIGITS_REFUSED_CEILING = 0.015


def test_shipped_model_reads_the_mnist_test_set(mnist_test_set):
    images, labels = mnist_test_set
    classifier = DigitClassifier(settings.MODEL_PATH)
    digits, not_a_digit = split_outputs(classifier.predict(scaled(images)))
    accuracy = np.mean(digits.argmax(axis=1) == labels)
    assert accuracy >= MNIST_FLOOR, f"shipped model reads {accuracy:.2%} of the MNIST test set"
    refused = np.mean(not_a_digit >= REFUSAL_THRESHOLD)
    assert refused <= DIGITS_REFUSED_CEILING, f"{refused:.2%} of MNIST's test digits called 'not a digit'"


def test_shipped_model_refuses_validation_non_digits():
    """Non-digits it never trained on (other fonts, the validation writers' fragments, other seeds)."""
    validation = split_by_writer(load_pendigits())["validation"]
    images, families = nondigit_set(400, part="validation", seed=7, pen_digits=validation, processes=1)
    _, not_a_digit = split_outputs(DigitClassifier(settings.MODEL_PATH).predict(scaled(images)))
    refused = np.mean(not_a_digit >= REFUSAL_THRESHOLD)
    assert refused >= SAMPLE_REFUSED_FLOOR, f"only {refused:.2%} of {len(images)} non-digits refused"


def test_shipped_metadata_describes_the_shipped_tflite():
    classifier = DigitClassifier(settings.MODEL_PATH)
    metadata = json.loads(settings.MODEL_PATH.with_suffix(".json").read_text())
    assert metadata["model_version"] == classifier.version
    assert classifier.metadata == metadata
    assert classifier.model.num_classes == NUM_CLASSES
    assert metadata["recipe"] == "default" and metadata["training_sources"]["mnist"] == 55_000
    assert metadata["test_accuracy"] >= MNIST_FLOOR
    assert metadata["writer_split"]["test"] == list(TEST_WRITERS)
    assert metadata["writer_split"]["validation"] == list(VALIDATION_WRITERS)
    assert metadata["pen_test"]["count"] > 1700 and metadata["pen_test"]["accuracy"] >= 0.99
    assert metadata["not_a_digit"]["validation_refused"] >= NON_DIGITS_REFUSED_FLOOR
    assert 0.5 < metadata["temperature"] < 3
    assert metadata["calibration"]["pen_test"]["ece"] < 0.015
    assert (settings.MODEL_PATH.parent / "digit_cnn.keras").is_file()
