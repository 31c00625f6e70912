"""The one LiteRT runner: a .tflite read once, answering single digits and batches alike.

Serving (recognizer.inference), training's evaluation and the feedback measurement all run models
through `LiteRTModel`, so a digit is read the same way everywhere. Django-free; never TensorFlow.
"""

import threading
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from recognizer.contract import model_version_of
from recognizer.errors import ModelUnavailable


class LiteRTModel:
    """A LiteRT interpreter over one model's bytes. Thread-safe: one invocation at a time."""

    def __init__(self, content, *, name="the model", num_threads=1):
        self.name = name
        self.version = model_version_of(content)
        try:
            self.interpreter = Interpreter(model_content=content, num_threads=num_threads)
            self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError):
            raise ModelUnavailable(f"The model file {name} is not a valid LiteRT model.") from None
        input_details = self.interpreter.get_input_details()[0]
        output_details = self.interpreter.get_output_details()[0]
        self.input_index = input_details["index"]
        self.output_index = output_details["index"]
        self.input_shape = tuple(int(n) for n in input_details["shape"][1:])  # (28, 28, 1)
        self.output_shape = tuple(int(n) for n in output_details["shape"][1:])
        self.num_classes = self.output_shape[-1]
        self.batch_size = int(input_details["shape"][0])  # what the interpreter is sized for now
        self.lock = threading.Lock()

    @classmethod
    def from_file(cls, path, **options):
        """The model in the .tflite at `path`; ModelUnavailable when it cannot be read."""
        return cls(read_model_file(path), name=Path(path).name, **options)

    def predict(self, images, *, batch_size=256):
        """(n, C) float32 probabilities for (n, 28, 28) float32 images in [0, 1], white on black.

        One image is one invocation; more are run `batch_size` at a time (the last batch filled up)."""
        x = np.asarray(images, dtype=np.float32).reshape(-1, *self.input_shape)
        if len(x) == 0:
            return np.zeros((0, self.num_classes), dtype=np.float32)
        size = min(batch_size, len(x))
        outputs = []
        with self.lock:
            if size != self.batch_size:
                self.interpreter.resize_tensor_input(self.input_index, [size, *self.input_shape])
                self.interpreter.allocate_tensors()
                self.batch_size = size
            for start in range(0, len(x), size):
                batch = x[start : start + size]
                if len(batch) < size:
                    batch = np.concatenate(
                        [batch, np.zeros((size - len(batch), *batch.shape[1:]), batch.dtype)]
                    )
                self.interpreter.set_tensor(self.input_index, batch)
                self.interpreter.invoke()
                outputs.append(self.interpreter.get_tensor(self.output_index)[: len(x) - start].copy())
        return np.concatenate(outputs) if len(outputs) > 1 else outputs[0]


def read_model_file(path):
    """The bytes of the .tflite at `path`; ModelUnavailable saying why when it cannot be read."""
    path = Path(path)
    try:
        return path.read_bytes()
    except OSError as error:
        raise ModelUnavailable(
            f"The model file {path.name} cannot be read ({error.strerror or error}); "
            "train one with `python manage.py train_model`."
        ) from None
