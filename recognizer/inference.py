"""The process's digit classifier: the served `.tflite` (settings.MODEL_PATH), loaded once per process
and run by recognizer.litert.

The web process never imports TensorFlow or Keras: LiteRT reads the flatbuffer `train_model` exports
and answers in microseconds from a ~45 MB process.
"""

import json
import threading
from functools import cached_property
from pathlib import Path

import numpy as np
from django.conf import settings

from recognizer.contract import IMAGE_SIZE, NUM_CLASSES
from recognizer.errors import ModelUnavailable
from recognizer.litert import LiteRTModel


class DigitClassifier:
    """The model in a .tflite, checked against the contract (28×28 in, one probability per class out)."""

    def __init__(self, path):
        self.path = Path(path)
        self.model = LiteRTModel.from_file(self.path)
        self.version = self.model.version
        if self.model.input_shape[:2] != (IMAGE_SIZE, IMAGE_SIZE) or self.model.num_classes != NUM_CLASSES:
            raise ModelUnavailable(
                f"The model file {self.path.name} takes {list(self.model.input_shape)} and gives "
                f"{list(self.model.output_shape)}: expected {IMAGE_SIZE}×{IMAGE_SIZE} images and "
                f"{NUM_CLASSES} classes."
            )

    def probabilities(self, image):
        """The class probabilities for one (28, 28) float32 image in [0, 1], white on black."""
        return self.model.predict(np.asarray(image, dtype=np.float32)[None])[0]

    def predict(self, images):
        """(n, C) probabilities for (n, 28, 28) float32 images in [0, 1]."""
        return self.model.predict(images)

    @cached_property
    def metadata(self):
        """What `train_model` recorded about this model (digit_cnn.json), if it describes this file."""
        metadata_path = self.path.with_suffix(".json")
        try:
            metadata = json.loads(metadata_path.read_text())
        except (OSError, ValueError):
            return {}
        return metadata if metadata.get("model_version") == self.version else {}


_classifier = None
_classifier_lock = threading.Lock()


def get_classifier():
    """The process's classifier, loaded on first use. Raises ModelUnavailable."""
    global _classifier
    if _classifier is None:
        with _classifier_lock:
            if _classifier is None:
                _classifier = DigitClassifier(settings.MODEL_PATH)
    return _classifier


def reset_classifier():
    """Forget the loaded model (after `train_model` writes a new one, or in tests)."""
    global _classifier
    with _classifier_lock:
        _classifier = None
