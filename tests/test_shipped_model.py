"""The model in ml_models/: what the site serves, measured the way the site runs it (LiteRT)."""

import json

import numpy as np
from django.conf import settings

from recognizer.inference import DigitClassifier


def test_shipped_model_reads_mnist_test_set_at_least_99_6_percent(mnist_test_set):
    images, labels = mnist_test_set
    classifier = DigitClassifier(settings.MODEL_PATH)
    predicted = np.array([classifier.probabilities(image / np.float32(255)).argmax() for image in images])
    accuracy = np.mean(predicted == labels)
    assert accuracy >= 0.996, f"shipped model reads {accuracy:.2%} of the MNIST test set"


def test_shipped_metadata_describes_the_shipped_tflite():
    classifier = DigitClassifier(settings.MODEL_PATH)
    metadata = json.loads(settings.MODEL_PATH.with_suffix(".json").read_text())
    assert metadata["model_version"] == classifier.version
    assert classifier.metadata == metadata
    assert metadata["recipe"] == "default" and metadata["training_images"] == 60_000
    assert metadata["test_accuracy"] >= 0.996
    assert (settings.MODEL_PATH.parent / "digit_cnn.keras").is_file()
