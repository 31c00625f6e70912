"""The digit classifier: the shipped `.tflite` run by LiteRT, loaded once per process.

The web process never imports TensorFlow or Keras: LiteRT reads the flatbuffer `train_model` exports
and answers in microseconds from a ~45 MB process.
"""

import hashlib
import json
import threading
from functools import cached_property
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from django.conf import settings

INPUT_SHAPE = (28, 28)
NUM_CLASSES = 10


class ModelUnavailable(RuntimeError):
    """The model file is missing or unreadable; the message says which and what to do."""


class DigitClassifier:
    def __init__(self, path):
        self.path = Path(path)
        try:
            content = self.path.read_bytes()
        except OSError as error:
            raise ModelUnavailable(
                f"The model file {self.path.name} cannot be read ({error.strerror or error}); "
                "train one with `python manage.py train_model`."
            ) from None
        self.version = hashlib.sha256(content).hexdigest()[:12]
        try:
            self.interpreter = Interpreter(model_content=content, num_threads=1)
            self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError):
            raise ModelUnavailable(f"The model file {self.path.name} is not a valid LiteRT model.") from None
        input_details = self.interpreter.get_input_details()[0]
        output_details = self.interpreter.get_output_details()[0]
        if tuple(input_details["shape"][1:3]) != INPUT_SHAPE or output_details["shape"][-1] != NUM_CLASSES:
            raise ModelUnavailable(
                f"The model file {self.path.name} takes {input_details['shape'].tolist()} and gives "
                f"{output_details['shape'].tolist()}: expected 28×28 images and 10 classes."
            )
        self.input_index = input_details["index"]
        self.output_index = output_details["index"]
        self.lock = threading.Lock()  # one interpreter, so one invocation at a time

    def probabilities(self, image):
        """The ten class probabilities for one (28, 28) float32 image in [0, 1], white on black."""
        batch = np.asarray(image, dtype=np.float32).reshape(1, *INPUT_SHAPE, 1)
        with self.lock:
            self.interpreter.set_tensor(self.input_index, batch)
            self.interpreter.invoke()
            return self.interpreter.get_tensor(self.output_index)[0].copy()

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
