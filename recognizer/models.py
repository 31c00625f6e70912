import hashlib
import hmac

import numpy as np
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from recognizer.contract import IMAGE_SIZE


class Feedback(models.TextChoices):
    """What the person who drew a digit said about the prediction: the one definition of each state."""

    NONE = "none", "No feedback"
    CONFIRMED = "confirmed", "Confirmed (model right)"
    CORRECTED = "corrected", "Corrected (model wrong)"

    @property
    def condition(self):
        """The predictions in this state, as a filter (Q) for querysets and aggregates."""
        if self == Feedback.NONE:
            return models.Q(true_label__isnull=True)
        if self == Feedback.CONFIRMED:
            return models.Q(true_label=models.F("predicted_digit"))
        return models.Q(true_label__isnull=False) & ~models.Q(true_label=models.F("predicted_digit"))


class Verdict(models.TextChoices):
    """What a drawing was read as: the one definition of each kind of answer (metrics label them so)."""

    DIGIT = "digit", "A digit"


class PredictionQuerySet(models.QuerySet):
    def with_feedback(self, state=None):
        """The predictions someone gave feedback on; with `state`, those in that Feedback state
        (Feedback.NONE: those without feedback)."""
        if state is None:
            return self.filter(true_label__isnull=False)
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
    model_input = models.BinaryField(
        max_length=IMAGE_SIZE * IMAGE_SIZE,
        help_text="The 28×28 image the model read: 784 bytes, row by row, white ink on black.",
    )
    predicted_digit = models.PositiveSmallIntegerField(db_index=True, validators=[MaxValueValidator(9)])
    probability = models.FloatField(help_text="The predicted digit's probability.")
    probabilities = models.JSONField(help_text="The ten probabilities, for digits 0 to 9.")
    model_version = models.CharField(max_length=32, db_index=True)
    # Feedback: the digit the person meant, once they say so. Only the client that asked for the
    # prediction may give it: it holds the token whose SHA-256 is kept here (the token itself never is).
    true_label = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        db_index=True,
        validators=[MaxValueValidator(9)],
        help_text="The digit the person says they drew (feedback), or empty.",
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
        ]

    def __str__(self):
        return f"#{self.pk}: {self.predicted_digit} ({self.probability:.2%})"

    @property
    def verdict(self):
        """What the drawing was read as (Verdict)."""
        return Verdict.DIGIT

    @property
    def feedback_state(self):
        """Feedback.NONE, CONFIRMED (the model was right) or CORRECTED (the person gave another digit)."""
        if self.true_label is None:
            return Feedback.NONE
        return Feedback.CONFIRMED if self.true_label == self.predicted_digit else Feedback.CORRECTED

    def feedback_token_matches(self, token):
        """Whether `token` is the one this prediction's client was given (in constant time)."""
        if not self.feedback_token_hash or not isinstance(token, str):
            return False
        return hmac.compare_digest(self.feedback_token_hash, hash_feedback_token(token))

    @property
    def model_input_array(self):
        """The model input as a (28, 28) uint8 array."""
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
