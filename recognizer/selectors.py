"""Reads: predictions, newest first; the drawings people labelled; the site's statistics; the models."""

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db.models import Count, Max, Min
from django.db.models.functions import TruncDate

from recognizer.contract import DIGITS, IMAGE_SIZE
from recognizer.errors import ModelNotRegistered
from recognizer.models import Feedback, ModelVersion, Prediction, Verdict


def list_predictions(*, digit=None):
    """All predictions, newest first, optionally only those read as `digit`."""
    predictions = Prediction.objects.defer("drawing_png", "thumbnail_png")
    if digit is not None:
        predictions = predictions.filter(predicted_digit=digit)
    return predictions


def get_prediction(*, prediction_id):
    """One prediction, or Prediction.DoesNotExist."""
    return Prediction.objects.get(pk=prediction_id)


def list_prediction_summaries():
    """All predictions, newest first, with only what a gallery shows (the drawing is fetched by URL)."""
    return Prediction.objects.only(
        "id",
        "created_at",
        "source",
        "predicted_digit",
        "probability",
        "drawing_width",
        "drawing_height",
        "true_label",
    )


# Statistics ----------------------------------------------------------------------------------------


@dataclass
class ModelVersionSummary:
    version: str
    predictions: int
    first: object  # datetime of its first and last prediction
    last: object


def model_versions():
    """Each model version that made predictions, with how many and when, most recently used first."""
    rows = (
        Prediction.objects.values("model_version")
        .annotate(predictions=Count("id"), first=Min("created_at"), last=Max("created_at"))
        .order_by("-last", "model_version")
    )
    return [
        ModelVersionSummary(row["model_version"], row["predictions"], row["first"], row["last"])
        for row in rows
    ]


def predictions_per_day(*, model_version=None):
    """[(date, count)] from the first day with predictions to the last, days without any included
    as 0. Days are those of the site's time zone (TIME_ZONE)."""
    counts = dict(
        Prediction.objects.of_version(model_version)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(count=Count("id"))
        .order_by("day")
        .values_list("day", "count")
    )
    if not counts:
        return []
    first, last = min(counts), max(counts)
    return [
        (first + timedelta(days=n), counts.get(first + timedelta(days=n), 0))
        for n in range((last - first).days + 1)
    ]


def predictions_per_digit(*, model_version=None):
    """How many drawings were read as each digit 0-9."""
    counts = dict(
        Prediction.objects.of_version(model_version)
        .values("predicted_digit")
        .annotate(count=Count("id"))
        .order_by()
        .values_list("predicted_digit", "count")
    )
    return [counts.get(digit, 0) for digit in DIGITS]


@dataclass
class FeedbackAccuracy:
    confirmed: int  # the person said the model was right
    corrected: int  # the person gave another digit
    accuracy: float | None  # confirmed / (confirmed + corrected); None without feedback

    @property
    def with_feedback(self):
        return self.confirmed + self.corrected


def feedback_accuracy(*, model_version=None):
    counts = Prediction.objects.of_version(model_version).aggregate(
        confirmed=Count("id", filter=Feedback.CONFIRMED.condition),
        corrected=Count("id", filter=Feedback.CORRECTED.condition),
    )
    total = counts["confirmed"] + counts["corrected"]
    return FeedbackAccuracy(
        counts["confirmed"], counts["corrected"], counts["confirmed"] / total if total else None
    )


def confusion_matrix(*, model_version=None):
    """10×10 counts of the one-digit drawings with feedback of one digit: rows the true digit, columns
    the one read."""
    matrix = [[0] * len(DIGITS) for _ in DIGITS]
    rows = (
        Prediction.objects.of_version(model_version)
        .filter(verdict=Verdict.DIGIT, true_label__isnull=False)
        .values("true_label", "predicted_digit")
        .annotate(count=Count("id"))
        .order_by()
    )
    for row in rows:
        matrix[row["true_label"]][row["predicted_digit"]] = row["count"]
    return matrix


@dataclass
class PredictionStats:
    model_version: str | None  # None: all versions together
    total: int
    per_day: list  # [(date, count)]
    per_digit: list  # count read as each digit 0-9
    feedback: FeedbackAccuracy
    confusion_matrix: list  # rows: true digit, columns: predicted


def prediction_stats(*, model_version=None):
    """Everything the statistics page shows, for one model version or (None) all of them."""
    per_digit = predictions_per_digit(model_version=model_version)
    return PredictionStats(
        model_version=model_version,
        total=sum(per_digit),
        per_day=predictions_per_day(model_version=model_version),
        per_digit=per_digit,
        feedback=feedback_accuracy(model_version=model_version),
        confusion_matrix=confusion_matrix(model_version=model_version),
    )


# Labelled drawings, as MNIST arrays ----------------------------------------------------------------


@dataclass
class LabelledDrawings:
    """Drawings people labelled, as MNIST arrays: what the model read and the digit they drew."""

    ids: np.ndarray  # (n,) int64, the Prediction ids
    images: np.ndarray  # (n, 28, 28) uint8, white ink on black: the stored model inputs
    labels: np.ndarray  # (n,) uint8, the true digits
    predicted: np.ndarray  # (n,) uint8, what the model that served them read

    def __len__(self):
        return len(self.ids)


def labelled_drawings(*, predictions=None):
    """The drawings with feedback among `predictions` (a queryset; default all), in id order."""
    predictions = Prediction.objects.all() if predictions is None else predictions
    rows = (
        predictions.with_feedback()
        .order_by("id")
        .values_list("id", "model_input", "true_label", "predicted_digit")
    )
    ids, inputs, labels, predicted = [], [], [], []
    for prediction_id, model_input, label, digit in rows.iterator(chunk_size=2000):
        ids.append(prediction_id)
        inputs.append(bytes(model_input))
        labels.append(label)
        predicted.append(digit)
    images = np.frombuffer(b"".join(inputs), dtype=np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    return LabelledDrawings(
        ids=np.asarray(ids, dtype=np.int64),
        images=images,
        labels=np.asarray(labels, dtype=np.uint8),
        predicted=np.asarray(predicted, dtype=np.uint8),
    )


# Models -----------------------------------------------------------------------------------------------


def active_model_version():
    """The version of the model every worker should serve, or None (an empty registry)."""
    return ModelVersion.objects.filter(is_active=True).values_list("version", flat=True).first()


def get_model_version(*, version):
    """A registered model, with its .tflite. Raises ModelNotRegistered."""
    try:
        return ModelVersion.objects.get(version=version)
    except ModelVersion.DoesNotExist:
        raise ModelNotRegistered(f"No registered model has version {version}.") from None


def list_model_versions():
    """The registered models, newest first, without their .tflite bytes."""
    return ModelVersion.objects.defer("content")
