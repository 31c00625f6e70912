"""Step 4 — evaluation: accuracy, per-digit accuracy and the confusion matrix, printed for people.

NumPy only, so the `evaluate_model` command shares it without importing TensorFlow.
"""

from dataclasses import dataclass

import numpy as np

from recognizer.contract import NUM_DIGITS


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
