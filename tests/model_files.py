"""Model files for the registry's tests: a second valid model told apart from the shipped one by what it
answers, and broken ones."""

import numpy as np

from recognizer.litert import LiteRTModel


def model_that_always_answers(digit, content):
    """The .tflite `content` with its last layer's bias changed so that it reads every drawing as
    `digit`: a valid model of another version, whose answers show which model read a drawing."""
    model = LiteRTModel(content)
    outputs = model.num_classes
    for tensor in model.interpreter.get_tensor_details():
        if tuple(tensor["shape"]) != (outputs,) or tensor["dtype"] != np.float32:
            continue
        try:
            bias = model.interpreter.get_tensor(tensor["index"]).astype(np.float32).tobytes()
        except ValueError:  # not a constant
            continue
        if content.count(bias) == 1:
            loud = np.zeros(outputs, dtype=np.float32)
            loud[digit] = 100.0
            changed = content.replace(bias, loud.tobytes())
            assert LiteRTModel(changed).version != model.version
            return changed
    raise AssertionError("no output bias found in the model")


def corrupt_model(content):
    """Bytes that look like the start of a model but are not one."""
    return content[: len(content) // 3]
