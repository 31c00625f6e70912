"""The one LiteRT runner (recognizer.litert): single digits and batches read alike, the version is the
contract's hash, and a file that is no model is a clear ModelUnavailable."""

import numpy as np
import pytest
from django.conf import settings

from recognizer.contract import model_version_of, scaled
from recognizer.errors import ModelUnavailable
from recognizer.inference import DigitClassifier
from recognizer.litert import LiteRTModel


def test_batches_read_as_single_digits_do(mnist_test_set):
    images = scaled(mnist_test_set[0][:37])  # not a multiple of the batch
    model = LiteRTModel.from_file(settings.MODEL_PATH)
    batched = model.predict(images, batch_size=16)
    one_by_one = np.array([model.predict(image[None])[0] for image in images])
    assert batched.shape == (37, model.num_classes)
    assert np.abs(batched - one_by_one).max() < 1e-5
    served = DigitClassifier(settings.MODEL_PATH)  # the site's classifier runs the same runner
    assert np.abs(served.probabilities(images[5]) - one_by_one[5]).max() < 1e-6
    assert model.predict(images[:0]).shape == (0, model.num_classes)


def test_the_version_is_the_contracts_hash_of_the_file():
    content = settings.MODEL_PATH.read_bytes()
    assert (
        LiteRTModel(content).version
        == model_version_of(content)
        == DigitClassifier(settings.MODEL_PATH).version
    )


def test_what_is_no_model_is_model_unavailable(tmp_path):
    with pytest.raises(ModelUnavailable, match="not a valid LiteRT model"):
        LiteRTModel(b"\0" * 1000, name="digit_cnn.tflite")
    with pytest.raises(ModelUnavailable, match="cannot be read .*train_model"):
        LiteRTModel.from_file(tmp_path / "missing.tflite")
