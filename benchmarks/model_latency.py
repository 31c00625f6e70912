"""The model alone: LiteRT (what the site runs) beside Keras `model.predict` and `model(x)`, batch 1.

Keras runs in a child process (`python -m benchmarks.model_latency --keras N`), so TensorFlow never
enters the benchmark's own process, as it never enters the site's.
"""

import argparse
import json
import os
import subprocess

import numpy as np

from benchmarks.canvases import mnist_test_digits
from benchmarks.environment import PYTHON, ROOT, served_model_path
from benchmarks.measure import latency_summary, time_each
from recognizer.contract import IMAGE_SIZE, scaled
from recognizer.litert import LiteRTModel


def model_inputs(count):
    """The first `count` MNIST test digits as the model reads them: (28, 28) float32 in [0, 1]."""
    digits, _ = mnist_test_digits(count)
    return list(scaled(digits))


def litert_latency(count):
    model = LiteRTModel.from_file(served_model_path())
    inputs = [image[None] for image in model_inputs(count)]  # one digit at a time, as a request runs it
    seconds = time_each(model.predict, inputs)
    digits = [int(np.argmax(model.predict(image)[0])) for image in inputs]
    return {"litert": latency_summary(seconds)}, digits


def keras_latency(count):
    """Run in the child process: Keras' two ways to run one image, on the same digits."""
    import keras

    model = keras.models.load_model(served_model_path().with_suffix(".keras"))
    batches = [image.reshape(1, IMAGE_SIZE, IMAGE_SIZE, 1) for image in model_inputs(count)]
    predict_seconds = time_each(lambda x: model.predict(x, verbose=0), batches)
    call_seconds = time_each(lambda x: model(x, training=False), batches)
    digits = [int(np.argmax(model(x, training=False))) for x in batches]
    return {
        "keras_predict": latency_summary(predict_seconds),
        "keras_call": latency_summary(call_seconds),
    }, digits


def keras_latency_in_child(count):
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    completed = subprocess.run(
        [PYTHON, "-m", "benchmarks.model_latency", "--keras", str(count)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure_model(*, count=1000, keras_count=300):
    """LiteRT on the first `count` MNIST test digits, Keras (slower by 100×) on the first `keras_count`."""
    results, litert_digits = litert_latency(count)
    keras = keras_latency_in_child(keras_count)
    results.update(keras["latency"])
    agree = np.asarray(litert_digits[:keras_count]) == np.asarray(keras["digits"])
    results["agreement"] = float(np.mean(agree))
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keras", type=int, required=True, metavar="COUNT")
    args = parser.parse_args()
    latency, digits = keras_latency(args.keras)
    print(json.dumps({"latency": latency, "digits": digits}))


if __name__ == "__main__":
    main()
