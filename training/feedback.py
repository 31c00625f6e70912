"""Feedback in training: drawings people labelled on the site, held out in part, mixed into MNIST.

The site keeps each drawing's 28×28 model input (uint8, white ink on black: MNIST's own format) and,
once the person says which digit it was, its true label. `train_model --include-feedback` uses them:

1. split   — a fixed share is held out for evaluation, the rest is trained on;
2. mix     — the training part is repeated (oversampled) so that a few hundred drawings still weigh
             something beside 60,000 MNIST digits, then added to MNIST;
3. measure — models are compared on the MNIST test set and on the held-out drawings.

NumPy (and LiteRT for a served .tflite) only: no TensorFlow here.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HELD_OUT_SHARE = 0.2
FEEDBACK_SHARE = 0.1  # oversample the feedback drawings to about this share of the training images
MAX_REPEATS = 50  # ... but never repeat one drawing more than this (it would be learned by heart)


@dataclass
class FeedbackSplit:
    train_ids: np.ndarray
    train_images: np.ndarray  # (n, 28, 28) uint8
    train_labels: np.ndarray  # (n,) uint8
    held_out_ids: np.ndarray
    held_out_images: np.ndarray
    held_out_labels: np.ndarray


def hash_fraction(seed, drawing_id):
    """A number in [0, 1) fixed by (seed, id): where a drawing falls, whatever the other drawings are."""
    digest = hashlib.sha256(f"{seed}:{drawing_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_feedback(ids, images, labels, *, seed, held_out_share=HELD_OUT_SHARE):
    """Hold out about `held_out_share` of the drawings (at least one when there are any).

    Each drawing's side is decided by a seeded hash of its id, not by its position: as feedback
    accumulates, a drawing held out once stays held out (same seed), so a model trained on an earlier
    run's training part is never measured on drawings it has seen.
    """
    ids = np.asarray(ids, dtype=np.int64)
    fractions = np.array([hash_fraction(seed, int(drawing_id)) for drawing_id in ids])
    held_out = fractions < held_out_share
    if len(ids) and not held_out.any():
        held_out[np.argmin(fractions)] = True
    train = ~held_out
    return FeedbackSplit(
        train_ids=ids[train],
        train_images=images[train],
        train_labels=labels[train],
        held_out_ids=ids[held_out],
        held_out_images=images[held_out],
        held_out_labels=labels[held_out],
    )


def oversampling_repeats(mnist_count, feedback_count, *, share=FEEDBACK_SHARE, max_repeats=MAX_REPEATS):
    """How many times to repeat each feedback drawing so feedback is about `share` of the training
    images: at least once, at most `max_repeats` times."""
    if feedback_count == 0:
        return 0
    wanted = share * mnist_count / ((1 - share) * feedback_count)
    return int(min(max_repeats, max(1, round(wanted))))


def mix_in_feedback(x_mnist, y_mnist, x_feedback, y_feedback, *, repeats):
    """MNIST followed by each feedback drawing `repeats` times (training shuffles them together)."""
    x = np.concatenate([x_mnist, np.repeat(x_feedback, repeats, axis=0)]).astype(np.uint8, copy=False)
    y = np.concatenate([y_mnist, np.repeat(y_feedback, repeats, axis=0)]).astype(np.uint8, copy=False)
    return x, y


def tflite_probabilities(model_path, images, *, batch_size=500):
    """Softmax outputs of a .tflite (as the site serves it, with LiteRT) for uint8 (n, 28, 28) images."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(model_path), num_threads=2)
    input_index = interpreter.get_input_details()[0]["index"]
    output_index = interpreter.get_output_details()[0]["index"]
    x = (np.asarray(images, dtype=np.float32) / 255.0)[..., None]
    batch_size = max(1, min(batch_size, len(x)))
    interpreter.resize_tensor_input(input_index, [batch_size, *x.shape[1:]])
    interpreter.allocate_tensors()
    outputs = []
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size]
        padded = np.zeros((batch_size, *x.shape[1:]), dtype=np.float32)  # the last batch, filled up
        padded[: len(batch)] = batch
        interpreter.set_tensor(input_index, padded)
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(output_index)[: len(batch)].copy())
    return np.concatenate(outputs) if outputs else np.zeros((0, 10), dtype=np.float32)


def measure(model_path, mnist, split):
    """A .tflite's accuracy, run by LiteRT as the site runs it, on MNIST test and held-out feedback."""
    from training.export import model_version_of
    from training.metrics import evaluate_predictions

    def evaluation(images, labels):
        return evaluate_predictions(labels, tflite_probabilities(model_path, images).argmax(axis=1))

    held_out = evaluation(split.held_out_images, split.held_out_labels)
    return {
        "model_version": model_version_of(Path(model_path).read_bytes()),
        "mnist_test_accuracy": evaluation(mnist.x_test, mnist.y_test).accuracy,
        "held_out_accuracy": held_out.accuracy,
        "held_out_confusion_matrix": held_out.confusion_matrix,
    }


def before_after_table(before, after, *, held_out, tested):
    """Accuracy before and after, side by side, for people."""
    rows = [
        (f"MNIST test ({tested:,})", "mnist_test_accuracy"),
        (f"held-out feedback ({held_out:,})", "held_out_accuracy"),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{'accuracy':<{width}}  {'before':>8}  {'after':>8}  {'change':>8}"]
    for label, key in rows:
        change = (after[key] - before[key]) * 100
        lines.append(f"{label:<{width}}  {before[key]:>8.2%}  {after[key]:>8.2%}  {change:>+7.2f}pp")
    return "\n".join(lines)
