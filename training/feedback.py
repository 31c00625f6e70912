"""Feedback in training: drawings people labelled on the site, held out in part, mixed into MNIST.

The site keeps the 28×28 model input of each mark of a drawing (uint8, white ink on black: MNIST's own
format) and, once the person says what they drew, each mark's true label: the digits of a number where
as many were read, or contract.NOT_A_DIGIT for what they say is not a digit
(recognizer.selectors.labelled_drawings). `train_model --include-feedback` uses them:

1. split   — a fixed share is held out for evaluation, the rest is trained on;
2. mix     — the training part is repeated (oversampled) so that a few hundred drawings still weigh
             something beside 60,000 MNIST digits, then added to MNIST;
3. measure — models are compared on the MNIST test set and on the held-out drawings, and a new model
             that reads MNIST worse than the served one is refused.

`plan_feedback` and `check_against_served` are the steps training.pipeline runs. The drawings come from
the site's database (recognizer.selectors.labelled_drawings, read by the command); this module never
touches Django. NumPy and LiteRT only: no TensorFlow here.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognizer.contract import NOT_A_DIGIT, NUM_DIGITS, scaled
from recognizer.litert import LiteRTModel
from training.metrics import digit_predictions, evaluate_predictions

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


class FeedbackError(Exception):
    """Training on feedback cannot go on (nothing to add, no served model, or a worse new model);
    the message says why and what to do."""


def measure(model_path, mnist, split):
    """A .tflite's accuracy, run by LiteRT as the site runs it, on MNIST test and held-out feedback."""
    model = LiteRTModel.from_file(model_path, num_threads=2)

    def evaluation(images, labels):
        return evaluate_predictions(labels, digit_predictions(model.predict(scaled(images))))

    held_out = evaluation(split.held_out_images, split.held_out_labels)
    return {
        "model_version": model.version,
        "mnist_test_accuracy": evaluation(mnist.x_test, mnist.y_test).accuracy,
        "held_out_accuracy": held_out.accuracy,
        "held_out_confusion_matrix": held_out.confusion_matrix,
    }


def digits_only(split):
    """The split with only the marks labelled as digits held out: what accuracy is measured on (a model
    without the "not a digit" class is compared on the digits alone)."""
    digits = split.held_out_labels < NUM_DIGITS
    return FeedbackSplit(
        train_ids=split.train_ids,
        train_images=split.train_images,
        train_labels=split.train_labels,
        held_out_ids=split.held_out_ids[digits],
        held_out_images=split.held_out_images[digits],
        held_out_labels=split.held_out_labels[digits],
    )


def learnable(labelled, *, num_classes):
    """The labelled marks a model of `num_classes` outputs can learn: without the "not a digit" class,
    the marks labelled so are left out."""
    if num_classes > NOT_A_DIGIT:
        return labelled
    keep = labelled.labels < NUM_DIGITS
    return type(labelled)(
        ids=labelled.ids[keep],
        images=labelled.images[keep],
        labels=labelled.labels[keep],
        predicted=labelled.predicted[keep],
    )


@dataclass
class FeedbackPlan:
    """The labelled drawings split and weighed, and the served model measured on them."""

    split: FeedbackSplit
    repeats: int  # each training mark is repeated this many times
    drawings: int
    corrected: int  # marks
    before: dict  # the served model, measured
    marks: int = 0
    not_digits: int = 0  # marks labelled "not a digit"

    @property
    def repeated(self):
        return self.repeats * len(self.split.train_ids)


def require_feedback(labelled, *, served_model_path):
    """Check there are labelled drawings and a served model to beat, before anything is trained."""
    if not Path(served_model_path).is_file():
        raise FeedbackError(
            f"--include-feedback compares the new model with the served one, but there "
            f"is no model at {served_model_path}: train one without --include-feedback "
            "first."
        )
    if not len(labelled):
        raise FeedbackError(
            "--include-feedback: no drawing has feedback yet (nobody has said which digit "
            "they drew), so there is nothing to add. Train without --include-feedback."
        )


def plan_feedback(
    labelled, mnist, *, mnist_count, seed, served_model_path, num_classes=NUM_DIGITS, write=print
):
    """Split the labelled marks (recognizer.selectors.LabelledDrawings) by drawing, decide their weight
    beside `mnist_count` MNIST images, and measure the served model on them. A new model of
    `num_classes` outputs learns the marks labelled "not a digit" only if it has that class."""
    all_marks = len(labelled)
    labelled = learnable(labelled, num_classes=num_classes)
    split = split_feedback(labelled.ids, labelled.images, labelled.labels, seed=seed)
    repeats = oversampling_repeats(mnist_count, len(split.train_ids))
    corrected = int((labelled.labels != labelled.predicted).sum())
    plan = FeedbackPlan(
        split=split,
        repeats=repeats,
        drawings=len(set(labelled.ids.tolist())),
        corrected=corrected,
        before={},
        marks=len(labelled),
        not_digits=int((labelled.labels == NOT_A_DIGIT).sum()),
    )
    marks = (
        f" ({len(labelled):,} marks, {plan.not_digits:,} not digits)"
        if len(labelled) != plan.drawings
        else ""
    )
    write(
        f"Feedback: {plan.drawings:,} labelled drawings{marks} ({corrected:,} corrected, "
        f"{len(labelled) - corrected:,} confirmed). Holding out {len(split.held_out_ids):,} to measure; "
        f"training on {len(split.train_ids):,}, each repeated {repeats}× "
        f"({plan.repeated:,} images, {plan.repeated / (mnist_count + plan.repeated):.1%} of training) so "
        f"they weigh beside MNIST's {mnist_count:,}."
    )
    if all_marks != len(labelled):
        write(
            f"Left out {all_marks - len(labelled):,} marks labelled 'not a digit': "
            "this model has no such class."
        )
    plan.before = measure(served_model_path, mnist, digits_only(split))
    write(
        f"Served model {plan.before['model_version']} (before): MNIST test "
        f"{plan.before['mnist_test_accuracy']:.2%}, held-out feedback "
        f"{plan.before['held_out_accuracy']:.2%}."
    )
    return plan


def check_against_served(plan, mnist, tflite_path, *, write=print):
    """Measure a new .tflite as the served one was measured; refuse it (FeedbackError) if it reads
    MNIST's test set worse. Returns the "feedback" section of the new model's metadata."""
    split, before = digits_only(plan.split), plan.before
    after = measure(tflite_path, mnist, split)
    write(before_after_table(before, after, held_out=len(split.held_out_ids), tested=len(mnist.y_test)))
    if after["mnist_test_accuracy"] < before["mnist_test_accuracy"]:
        raise FeedbackError(
            f"Not written: the new model reads {after['mnist_test_accuracy']:.2%} of the MNIST test "
            f"set, below the served model's {before['mnist_test_accuracy']:.2%}. The output folder is "
            "unchanged; train longer (--epochs) or on all of MNIST (no --limit)."
        )
    return {
        "feedback": {
            "drawings": plan.drawings,
            "marks": plan.marks,
            "not_digits": plan.not_digits,
            "corrected": plan.corrected,
            "trained_on": len(split.train_ids),
            "repeats": plan.repeats,
            "held_out": len(split.held_out_ids),
            "held_out_share": HELD_OUT_SHARE,  # by a hash of (seed, id)
            "before": before,
            "after": {key: value for key, value in after.items() if key != "model_version"},
        }
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
