"""Reads: predictions, newest first; the drawings people labelled; the site's statistics; the models."""

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db.models import Count, Max, Min, Prefetch, Q
from django.db.models.functions import TruncDate

from recognizer.contract import DIGITS, IMAGE_SIZE, NOT_A_DIGIT
from recognizer.errors import ModelNotRegistered
from recognizer.models import Feedback, MarkReading, ModelVersion, Prediction, Verdict


def list_predictions(*, digit=None, verdict=None):
    """All predictions, newest first, with their marks, optionally only those read as `digit` (the
    seed's field: for a number, its least certain digit) or as `verdict`."""
    predictions = Prediction.objects.defer("drawing_png", "thumbnail_png").prefetch_related("marks")
    if digit is not None:
        predictions = predictions.filter(predicted_digit=digit)
    if verdict is not None:
        predictions = predictions.filter(verdict=verdict)
    return predictions


def get_prediction(*, prediction_id):
    """One prediction, with its marks, or Prediction.DoesNotExist."""
    return Prediction.objects.prefetch_related("marks").get(pk=prediction_id)


def list_prediction_summaries(*, verdict=None, digit=None, feedback=None):
    """All predictions, newest first, with only what a gallery shows (the drawing is fetched by URL);
    with `verdict`, those read so; with `digit`, those in whose reading it appears (a number's digits,
    or the digit read); with `feedback`, those in that Feedback state."""
    predictions = Prediction.objects.all()
    if verdict is not None:
        predictions = predictions.filter(verdict=verdict)
    if digit is not None:
        predictions = predictions.filter(number__contains=str(digit))
    if feedback is not None:
        predictions = predictions.with_feedback(feedback)
    return predictions.only(
        "id",
        "created_at",
        "source",
        "verdict",
        "number",
        "predicted_digit",
        "probability",
        "drawing_width",
        "drawing_height",
        "true_number",
        "true_label",
        "true_not_a_digit",
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
    """How many digits were read as each digit 0-9: a one-digit drawing's, and every digit of a number."""
    marks = MarkReading.objects.filter(is_digit=True)
    if model_version is not None:
        marks = marks.filter(prediction__model_version=model_version)
    counts = dict(marks.values("digit").annotate(count=Count("id")).order_by().values_list("digit", "count"))
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


def compared_digits(*, model_version=None):
    """(true digit, digit read) for each digit of the drawings whose feedback gives as many digits as
    were read, position by position (a one-digit drawing's one digit too)."""
    rows = (
        Prediction.objects.of_version(model_version)
        .filter(true_number__isnull=False, number__isnull=False)
        .values_list("number", "true_number")
    )
    for read, drawn in rows.iterator(chunk_size=2000):
        if len(read) == len(drawn):
            yield from ((int(true), int(digit)) for true, digit in zip(drawn, read, strict=True))


def confusion_matrix(*, model_version=None):
    """10×10 counts of the digits compared with feedback (compared_digits): rows the true digit, columns
    the one read."""
    matrix = [[0] * len(DIGITS) for _ in DIGITS]
    for true, read in compared_digits(model_version=model_version):
        matrix[true][read] += 1
    return matrix


@dataclass
class NumberAccuracy:
    """How well numbers are read, from the feedback that gave a number."""

    numbers_right: int  # drawings of a number (2+ digits, says the feedback) read whole and exact
    numbers: int  # drawings of a number with feedback
    digits_right: int  # digits read right, where as many digits were read as were drawn
    digits: int  # digits compared so

    @property
    def number_accuracy(self):
        return self.numbers_right / self.numbers if self.numbers else None

    @property
    def digit_accuracy(self):
        return self.digits_right / self.digits if self.digits else None


def number_accuracy(*, model_version=None, matrix=None):
    """NumberAccuracy; `matrix`, the confusion_matrix of the same drawings, if already counted."""
    numbers = Prediction.objects.of_version(model_version).filter(true_number__regex=r"^[0-9]{2,}$")
    counts = numbers.aggregate(numbers=Count("id"), right=Count("id", filter=Feedback.CONFIRMED.condition))
    matrix = confusion_matrix(model_version=model_version) if matrix is None else matrix
    digits_right = sum(matrix[digit][digit] for digit in DIGITS)
    return NumberAccuracy(counts["right"], counts["numbers"], digits_right, sum(map(sum, matrix)))


@dataclass
class NotDigitCounts:
    """Drawings read as "not a digit", and what the people who drew them said."""

    read: int  # read as not a digit
    confirmed: int  # read so, and the person agreed
    wrongly_refused: int  # read so, but the person gave the digits they drew
    missed: int  # read as digits, but the person said it is not a digit

    @property
    def said_not_a_digit(self):
        return self.confirmed + self.missed


def not_digit_counts(*, model_version=None):
    counts = Prediction.objects.of_version(model_version).aggregate(
        read=Count("id", filter=Q(verdict=Verdict.NOT_A_DIGIT)),
        confirmed=Count("id", filter=Q(verdict=Verdict.NOT_A_DIGIT, true_not_a_digit=True)),
        wrongly_refused=Count("id", filter=Q(verdict=Verdict.NOT_A_DIGIT, true_number__isnull=False)),
        missed=Count("id", filter=Q(true_not_a_digit=True) & ~Q(verdict=Verdict.NOT_A_DIGIT)),
    )
    return NotDigitCounts(**counts)


def predictions_per_verdict(*, model_version=None):
    """How many drawings were read as each Verdict, in Verdict's order."""
    counts = dict(
        Prediction.objects.of_version(model_version)
        .values("verdict")
        .annotate(count=Count("id"))
        .order_by()
        .values_list("verdict", "count")
    )
    return [(verdict, counts.get(verdict.value, 0)) for verdict in Verdict]


@dataclass
class PredictionStats:
    model_version: str | None  # None: all versions together
    total: int
    per_day: list  # [(date, count)]
    per_digit: list  # digits read as each digit 0-9 (each digit of a number counts)
    feedback: FeedbackAccuracy
    confusion_matrix: list  # digits compared with feedback: rows the true digit, columns the one read
    per_verdict: list  # [(Verdict, count)]
    numbers: NumberAccuracy
    not_digits: NotDigitCounts


def prediction_stats(*, model_version=None):
    """Everything the statistics page shows, for one model version or (None) all of them."""
    per_digit = predictions_per_digit(model_version=model_version)
    matrix = confusion_matrix(model_version=model_version)
    return PredictionStats(
        model_version=model_version,
        total=Prediction.objects.of_version(model_version).count(),
        per_day=predictions_per_day(model_version=model_version),
        per_digit=per_digit,
        feedback=feedback_accuracy(model_version=model_version),
        confusion_matrix=matrix,
        per_verdict=predictions_per_verdict(model_version=model_version),
        numbers=number_accuracy(model_version=model_version, matrix=matrix),
        not_digits=not_digit_counts(model_version=model_version),
    )


# Labelled drawings, as MNIST arrays ----------------------------------------------------------------


@dataclass
class LabelledDrawings:
    """Marks people labelled, as MNIST arrays: what the model read and what was drawn.

    A mark's label is its true digit, or contract.NOT_A_DIGIT. Feedback labels the marks of a drawing
    when it says how many digits there were: a number (or one digit) of as many digits as were read
    labels the digits left to right (or, when as many marks were found as digits drawn, every mark: a
    digit wrongly refused is learned too); "not a digit" labels every mark not a digit."""

    ids: np.ndarray  # (n,) int64, the Prediction ids (a drawing's marks share one)
    images: np.ndarray  # (n, 28, 28) uint8, white ink on black: the stored model inputs
    labels: np.ndarray  # (n,) uint8, the true digits (or NOT_A_DIGIT)
    predicted: np.ndarray  # (n,) uint8, what the model that served them read (or NOT_A_DIGIT)

    def __len__(self):
        return len(self.ids)


def labelled_marks(prediction):
    """[(mark, true label)] for a Prediction with feedback and its marks (see LabelledDrawings)."""
    marks = prediction.marks_in_order
    if prediction.true_not_a_digit:
        return [(mark, NOT_A_DIGIT) for mark in marks]
    if prediction.true_number is None:
        return []
    truth = [int(digit) for digit in prediction.true_number]
    digits = prediction.digits
    if len(digits) == len(truth):
        return list(zip(digits, truth, strict=True))
    if len(marks) == len(truth):
        return list(zip(marks, truth, strict=True))
    return []


def labelled_drawings(*, predictions=None):
    """The labelled marks of the drawings with feedback among `predictions` (a queryset; default all),
    in id order, then left to right."""
    predictions = Prediction.objects.all() if predictions is None else predictions
    rows = (
        predictions.with_feedback()
        .order_by("id")
        .only("id", "true_number", "true_not_a_digit")
        .prefetch_related(None)  # whatever the queryset prefetched (the admin's list), this instead
        .prefetch_related(Prefetch("marks", queryset=MarkReading.objects.order_by("position")))
    )
    ids, inputs, labels, predicted = [], [], [], []
    for prediction in rows.iterator(chunk_size=2000):
        for mark, label in labelled_marks(prediction):
            ids.append(prediction.pk)
            inputs.append(bytes(mark.model_input))
            labels.append(label)
            predicted.append(mark.digit if mark.is_digit else NOT_A_DIGIT)
    images = np.frombuffer(b"".join(inputs), dtype=np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    return LabelledDrawings(
        ids=np.asarray(ids, dtype=np.int64),
        images=images,
        labels=np.asarray(labels, dtype=np.uint8),
        predicted=np.asarray(predicted, dtype=np.uint8),
    )


def labelled_digits(*, predictions=None):
    """labelled_drawings without the marks labelled "not a digit": digits only, as MNIST has them."""
    labelled = labelled_drawings(predictions=predictions)
    digits = labelled.labels < len(DIGITS)
    return LabelledDrawings(
        ids=labelled.ids[digits],
        images=labelled.images[digits],
        labels=labelled.labels[digits],
        predicted=labelled.predicted[digits],
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
