"""The process's digit classifier: the registry's active model (recognizer.registry: switched without
a restart; on an empty registry, the `.tflite` at settings.MODEL_PATH is registered and activated), run
by recognizer.litert.

The web process never imports TensorFlow or Keras: LiteRT reads the flatbuffer `train_model` exports
and answers in microseconds from a ~45 MB process.
"""

import json
from functools import cached_property
from pathlib import Path

import numpy as np

from recognizer import registry
from recognizer.contract import IMAGE_SIZE, SERVABLE_CLASS_COUNTS
from recognizer.errors import ModelUnavailable
from recognizer.litert import LiteRTModel


class DigitClassifier:
    """The model in a .tflite, checked against the contract (28×28 in, one probability per class out).

    Read from `path`, or from `content` (the file's bytes, as the registry keeps them; `path` then only
    names it) with its `metadata` (digit_cnn.json)."""

    def __init__(self, path, *, content=None, metadata=None):
        self.path = Path(path)
        if content is None:
            self.model = LiteRTModel.from_file(self.path)
        else:
            self.model = LiteRTModel(bytes(content), name=self.path.name)
        if metadata is not None:
            self.__dict__["metadata"] = metadata  # the cached property, known already
        self.version = self.model.version
        fits = self.model.input_shape[:2] == (IMAGE_SIZE, IMAGE_SIZE)
        if not fits or self.model.num_classes not in SERVABLE_CLASS_COUNTS:
            raise ModelUnavailable(
                f"The model file {self.path.name} takes {list(self.model.input_shape)} and gives "
                f"{list(self.model.output_shape)}: expected {IMAGE_SIZE}×{IMAGE_SIZE} images and "
                f"{' or '.join(map(str, SERVABLE_CLASS_COUNTS))} classes."
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


def get_classifier():
    """The model this process serves now: the registry's active one. Raises ModelUnavailable."""
    return registry.active_classifier()


def reset_classifier():
    """Forget the loaded models and ask the registry again on next use (tests)."""
    registry.forget()
