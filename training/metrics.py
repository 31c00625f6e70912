"""Step 4 — evaluation: accuracy, per-digit accuracy and the confusion matrix, printed for people.

NumPy only, so the `evaluate_model` command shares it without importing TensorFlow.
"""

from dataclasses import dataclass

import numpy as np

from recognizer.contract import NUM_DIGITS, split_outputs
from recognizer.limits import NOT_A_DIGIT_THRESHOLD

# A mark is "not a digit" when the model gives that class at least this (the site's threshold).
REFUSAL_THRESHOLD = NOT_A_DIGIT_THRESHOLD  # what the site refuses, measured the same way
RELIABILITY_BINS = 10


@dataclass
class Evaluation:
    accuracy: float
    per_digit_accuracy: list  # accuracy on the images of each true digit 0-9
    confusion_matrix: list  # rows: true digit, columns: predicted digit
    count: int

    def as_dict(self):
        return {
            "accuracy": self.accuracy,
            "per_digit_accuracy": self.per_digit_accuracy,
            "confusion_matrix": self.confusion_matrix,
            "count": self.count,
        }


def evaluate_predictions(true_labels, predicted_labels):
    true_labels = np.asarray(true_labels, dtype=np.int64)
    predicted_labels = np.asarray(predicted_labels, dtype=np.int64)
    confusion = np.zeros((NUM_DIGITS, NUM_DIGITS), dtype=np.int64)
    np.add.at(confusion, (true_labels, predicted_labels), 1)
    per_digit_totals = confusion.sum(axis=1)
    per_digit = np.divide(
        np.diag(confusion), per_digit_totals, out=np.zeros(NUM_DIGITS), where=per_digit_totals > 0
    )
    return Evaluation(
        accuracy=float(np.mean(true_labels == predicted_labels)) if len(true_labels) else 0.0,
        per_digit_accuracy=[round(float(value), 6) for value in per_digit],
        confusion_matrix=confusion.tolist(),
        count=int(len(true_labels)),
    )


def format_evaluation(evaluation, *, title):
    """A report: overall accuracy, accuracy per digit, and the confusion matrix."""
    lines = [f"{title}: {evaluation.accuracy:.2%} of {evaluation.count:,} images"]
    lines.append(
        "per digit:  "
        + "  ".join(f"{digit}: {value:.2%}" for digit, value in enumerate(evaluation.per_digit_accuracy))
    )
    lines.append("confusion matrix (rows: true digit, columns: predicted):")
    lines.append("      " + "".join(f"{digit:>6}" for digit in range(NUM_DIGITS)))
    for digit, row in enumerate(evaluation.confusion_matrix):
        lines.append(f"{digit:>6}" + "".join(f"{count:>6}" for count in row))
    return "\n".join(lines)


def digit_predictions(outputs):
    """The best digit (0-9) for each row of a model's (n, 10 or 11) outputs."""
    return split_outputs(outputs)[0].argmax(axis=1)


def refused(outputs):
    """Whether the site answers "not a digit" for each row of a model's outputs."""
    return split_outputs(outputs)[1] >= REFUSAL_THRESHOLD


@dataclass
class Calibration:
    """How well the model's stated probability matches how often it is right (on real digits: its
    top class, "not a digit" included, counts as right only when it is the true digit)."""

    ece: float  # expected calibration error: the bins' |confidence − accuracy|, weighted by count
    table: list  # per bin: [low, high, count, mean confidence, accuracy]
    count: int

    def as_dict(self):
        return {"ece": self.ece, "reliability": self.table, "count": self.count}


def calibration_of(outputs, labels, *, bins=RELIABILITY_BINS):
    outputs = np.asarray(outputs, dtype=np.float64)
    confidence = outputs.max(axis=1)
    right = outputs.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    table, ece = [], 0.0
    for index in range(bins):
        inside = which == index
        count = int(inside.sum())
        if count:
            mean_confidence, accuracy = float(confidence[inside].mean()), float(right[inside].mean())
            ece += count / len(right) * abs(mean_confidence - accuracy)
            table.append(
                [
                    round(edges[index], 2),
                    round(edges[index + 1], 2),
                    count,
                    round(mean_confidence, 4),
                    round(accuracy, 4),
                ]
            )
    return Calibration(ece=round(float(ece), 5), table=table, count=int(len(right)))


def format_calibration(calibration, *, title):
    """The expected calibration error and a reliability table with bars (accuracy per confidence bin)."""
    lines = [f"{title}: expected calibration error {calibration.ece:.2%} over {calibration.count:,} images"]
    lines.append("  confidence      count   mean conf.  accuracy")
    for low, high, count, confidence, accuracy in calibration.table:
        bar = "█" * round(accuracy * 20)
        lines.append(f"  {low:.1f}–{high:.1f}   {count:>9,}   {confidence:>9.2%}  {accuracy:>8.2%}  {bar}")
    return "\n".join(lines)


def refusal_by_family(outputs, families):
    """(family, share refused, count) for generated non-digits, and "all" last."""
    refusals = refused(outputs)
    families = np.asarray(families)
    rows = [
        (str(f), float(refusals[families == f].mean()), int((families == f).sum()))
        for f in sorted(set(families.tolist()))
    ]
    return rows + [("all", float(refusals.mean()) if len(refusals) else 0.0, int(len(refusals)))]
