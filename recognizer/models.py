import hashlib
import hmac
from functools import cached_property

import numpy as np
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from recognizer import limits, reading
from recognizer.contract import IMAGE_SIZE


class Verdict(models.TextChoices):
    """What a drawing was read as: the one definition of each kind of answer (recognizer.reading gives
    the values; metrics label them so)."""

    DIGIT = reading.Verdict.DIGIT, "A digit"
    NUMBER = reading.Verdict.NUMBER, "A number"
    NOT_A_DIGIT = reading.Verdict.NOT_A_DIGIT, "Not a digit"


class Feedback(models.TextChoices):
    """What the person who drew said about the reading: the one definition of each state.

    They give the number they drew (`true_number`; a single digit also fills the seed's `true_label`) or
    say it is not a digit at all (`true_not_a_digit`). Confirmed: that is what was read."""

    NONE = "none", "No feedback"
    CONFIRMED = "confirmed", "Confirmed (model right)"
    CORRECTED = "corrected", "Corrected (model wrong)"

    @property
    def condition(self):
        """The predictions in this state, as a filter (Q) for querysets and aggregates."""
        if self == Feedback.NONE:
            return models.Q(true_number__isnull=True, true_not_a_digit=False)
        if self == Feedback.CONFIRMED:
            return models.Q(true_not_a_digit=True, verdict=Verdict.NOT_A_DIGIT) | models.Q(
                true_number__isnull=False, number__isnull=False, true_number=models.F("number")
            )
        return (
            (models.Q(true_not_a_digit=True) & ~models.Q(verdict=Verdict.NOT_A_DIGIT))
            | models.Q(true_number__isnull=False, number__isnull=True)
            | (
                models.Q(true_number__isnull=False, number__isnull=False)
                & ~models.Q(true_number=models.F("number"))
            )
        )


class PredictionQuerySet(models.QuerySet):
    def with_feedback(self, state=None):
        """The predictions someone gave feedback on; with `state`, those in that Feedback state
        (Feedback.NONE: those without feedback)."""
        if state is None:
            return self.exclude(Feedback.NONE.condition)
        return self.filter(Feedback(state).condition)

    def of_version(self, version):
        """The predictions made by model `version` (None: every version)."""
        return self if version is None else self.filter(model_version=version)


class Prediction(models.Model):
    """One accepted drawing, what the model read in it, and with which model."""

    class Source(models.TextChoices):
        WEB = "web", "Drawing page"
        API = "api", "API"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    drawing_png = models.BinaryField(
        help_text="The drawing as received, as PNG: a plain PNG byte for byte, any other image re-encoded; "
        "downscaled when larger than the storage limits (recognizer/limits.py).",
    )
    thumbnail_png = models.BinaryField(
        default=b"",
        editable=False,
        help_text="A small copy of the drawing, as PNG, for the lists that show many (a few KB).",
    )
    drawing_width = models.PositiveIntegerField()
    drawing_height = models.PositiveIntegerField()
    # What was read. Each mark (a digit, or what is not one) is a MarkReading; the seed's fields below
    # hold the mark that stands for the whole drawing (recognizer.reading.Reading.representative): the
    # digit read, a number's least certain digit, or the most digit-like of what is not a digit.
    verdict = models.CharField(
        max_length=16,
        choices=Verdict.choices,
        default=Verdict.DIGIT,
        db_index=True,
        help_text="What the drawing was read as: a digit, a number, or not a digit.",
    )
    # NULL, not "": no number was read (the API's null); "" is no number at all.
    number = models.CharField(  # noqa: DJ001
        max_length=limits.MAX_DIGITS,
        null=True,
        blank=True,
        db_index=True,
        help_text="The digits read, left to right (leading zeros kept); empty when none was.",
    )
    digit_count = models.PositiveSmallIntegerField(
        default=1, db_index=True, help_text="How many digits were read (0: not a digit)."
    )
    model_input = models.BinaryField(
        max_length=IMAGE_SIZE * IMAGE_SIZE,
        help_text="The 28×28 image the model read for the digit below: 784 bytes, row by row, white ink "
        "on black.",
    )
    predicted_digit = models.PositiveSmallIntegerField(
        db_index=True,
        validators=[MaxValueValidator(9)],
        help_text="The digit read; for a number, its least certain digit; for what is not a digit, the "
        "best digit guess.",
    )
    probability = models.FloatField(
        help_text="The answer's probability: the digit's; for a number, the product of its digits' "
        "(the chance it is read right as a whole)."
    )
    probabilities = models.JSONField(help_text="The ten probabilities, for digits 0 to 9, of that digit.")
    model_version = models.CharField(max_length=32, db_index=True)
    # Feedback: what the person meant, once they say so (Feedback). Only the client that asked for the
    # prediction may give it: it holds the token whose SHA-256 is kept here (the token itself never is).
    true_number = models.CharField(  # noqa: DJ001 (NULL: no number given, as for `number`)
        max_length=limits.MAX_DIGITS,
        null=True,
        blank=True,
        db_index=True,
        help_text="The digits the person says they drew (feedback), or empty.",
    )
    true_label = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        db_index=True,
        validators=[MaxValueValidator(9)],
        help_text="The digit the person says they drew, when they drew one digit (feedback), or empty.",
    )
    true_not_a_digit = models.BooleanField(
        default=False, help_text="The person says the drawing is not a digit (feedback)."
    )
    feedback_at = models.DateTimeField(null=True, blank=True, help_text="When the feedback was last given.")
    feedback_token_hash = models.CharField(
        max_length=64,
        blank=True,
        default="",
        editable=False,
        help_text="SHA-256 (hex) of the feedback token given to the client; empty: no feedback possible.",
    )

    objects = PredictionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(predicted_digit__lte=9), name="prediction_digit_is_0_to_9"
            ),
            models.CheckConstraint(
                condition=models.Q(true_label__isnull=True) | models.Q(true_label__lte=9),
                name="prediction_true_label_is_0_to_9",
            ),
            models.CheckConstraint(
                condition=models.Q(verdict__in=Verdict.values), name="prediction_verdict_is_known"
            ),
            models.CheckConstraint(
                condition=models.Q(verdict=Verdict.NOT_A_DIGIT, number__isnull=True, digit_count=0)
                | (
                    ~models.Q(verdict=Verdict.NOT_A_DIGIT)
                    & models.Q(number__isnull=False, digit_count__gte=1)
                ),
                name="prediction_number_read_unless_not_a_digit",
            ),
            models.CheckConstraint(
                condition=models.Q(true_not_a_digit=False) | models.Q(true_number__isnull=True),
                name="prediction_feedback_is_a_number_or_not_a_digit",
            ),
        ]

    def __str__(self):
        return f"#{self.pk}: {self.answer} ({self.probability:.2%})"

    @property
    def answer(self):
        """What was read, in words: the number, or "not a digit"."""
        return self.number if self.number is not None else "not a digit"

    @property
    def prediction(self):
        """The API's `prediction`: a number as an integer, else the digit read or guessed."""
        return int(self.number) if self.verdict == Verdict.NUMBER else self.predicted_digit

    @cached_property
    def marks_in_order(self):
        """Its MarkReadings, left to right (prefetch "marks" to read many predictions' at once)."""
        return list(self.marks.all())

    @property
    def digits(self):
        """The marks read as digits, left to right."""
        return [mark for mark in self.marks_in_order if mark.is_digit]

    @property
    def not_digits(self):
        """The marks read as not digits, left to right."""
        return [mark for mark in self.marks_in_order if not mark.is_digit]

    @property
    def feedback_state(self):
        """Feedback.NONE, CONFIRMED (what was read is what was drawn) or CORRECTED."""
        if self.true_number is None and not self.true_not_a_digit:
            return Feedback.NONE
        if self.true_not_a_digit:
            right = self.verdict == Verdict.NOT_A_DIGIT
        else:
            right = self.true_number == self.number
        return Feedback.CONFIRMED if right else Feedback.CORRECTED

    @property
    def true_answer(self):
        """What the person says they drew, in words: the number, "not a digit", or None."""
        return "not a digit" if self.true_not_a_digit else self.true_number

    def feedback_token_matches(self, token):
        """Whether `token` is the one this prediction's client was given (in constant time)."""
        if not self.feedback_token_hash or not isinstance(token, str):
            return False
        return hmac.compare_digest(self.feedback_token_hash, hash_feedback_token(token))

    @property
    def model_input_array(self):
        """The model input as a (28, 28) uint8 array."""
        return np.frombuffer(bytes(self.model_input), dtype=np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE)


class MarkReading(models.Model):
    """One mark of a stored drawing, left to right (`position`): a digit, or what is not one, with the
    28×28 image the model read and what it answered."""

    prediction = models.ForeignKey(Prediction, on_delete=models.CASCADE, related_name="marks")
    position = models.PositiveSmallIntegerField(help_text="0 for the leftmost mark.")
    box_x = models.PositiveIntegerField(help_text="The mark's box in the drawing's pixels, as sent.")
    box_y = models.PositiveIntegerField()
    box_width = models.PositiveIntegerField()
    box_height = models.PositiveIntegerField()
    is_digit = models.BooleanField(help_text="Read as a digit (else: not a digit).")
    digit = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(9)], help_text="The most likely digit (for a digit, the one read)."
    )
    probability = models.FloatField(help_text="P(this mark is that digit), among the model's classes.")
    probabilities = models.JSONField(help_text="Each digit's share 0-9 (summing to 1), given it is a digit.")
    not_a_digit_probability = models.FloatField(help_text="P(this mark is not a digit).")
    model_input = models.BinaryField(
        max_length=IMAGE_SIZE * IMAGE_SIZE,
        help_text="The 28×28 image the model read: 784 bytes, row by row, white ink on black.",
    )

    class Meta:
        ordering = ["prediction", "position"]
        constraints = [
            models.UniqueConstraint(fields=["prediction", "position"], name="one_mark_per_position"),
            models.CheckConstraint(condition=models.Q(digit__lte=9), name="mark_digit_is_0_to_9"),
        ]

    def __str__(self):
        return (
            f"mark {self.position} of #{self.prediction_id}: {self.digit if self.is_digit else 'not a digit'}"
        )

    @property
    def box(self):
        return [self.box_x, self.box_y, self.box_width, self.box_height]

    @property
    def model_input_array(self):
        return np.frombuffer(bytes(self.model_input), dtype=np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE)


def hash_feedback_token(token):
    """The SHA-256 hex digest kept for a feedback token. A token has 256 random bits, so a plain
    hash suffices: there is nothing to guess that a slow password hash would protect."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class WriteProbe(models.Model):
    """Always empty: the health check inserts a row here and rolls it back, proving the database takes
    writes without leaving anything behind (recognizer.health)."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    written_at = models.DateTimeField()

    def __str__(self):
        return f"write probe at {self.written_at}"


class ModelVersion(models.Model):
    """A model the site can serve. Its .tflite is kept here, so every app server that shares the
    database can load it; at most one is active, and every worker serves that one
    (recognizer.registry)."""

    version = models.CharField(max_length=32, unique=True, help_text="The start of the .tflite's SHA-256.")
    recipe = models.CharField(max_length=32, blank=True, help_text="How it was trained (digit_cnn.json).")
    metrics = models.JSONField(
        default=dict,
        blank=True,
        help_text="digit_cnn.json as train_model wrote it, when it describes this model.",
    )
    created_at = models.DateTimeField(default=timezone.now, help_text="When it was registered.")
    source_path = models.CharField(max_length=500, help_text="The file it was registered from.")
    content = models.BinaryField(help_text="The .tflite model itself.")
    size_bytes = models.PositiveIntegerField()
    is_active = models.BooleanField(default=False, help_text="The model every worker serves.")
    activated_at = models.DateTimeField(null=True, blank=True, help_text="When it was last activated.")
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The model that was active before this one was last activated: what a roll back restores.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_model"
            )
        ]

    def __str__(self):
        return f"{self.version}{' (active)' if self.is_active else ''}"

    @property
    def test_accuracy(self):
        """MNIST test accuracy as training measured it, if recorded."""
        return self.metrics.get("test_accuracy")
