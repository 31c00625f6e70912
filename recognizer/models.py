import numpy as np
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

MODEL_INPUT_SIZE = 28


class Prediction(models.Model):
    """One accepted drawing, what the model read in it, and with which model."""

    class Source(models.TextChoices):
        WEB = "web", "Drawing page"
        API = "api", "API"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    drawing_png = models.BinaryField(help_text="The drawing as received, re-encoded as PNG.")
    drawing_width = models.PositiveIntegerField()
    drawing_height = models.PositiveIntegerField()
    model_input = models.BinaryField(
        max_length=MODEL_INPUT_SIZE * MODEL_INPUT_SIZE,
        help_text="The 28×28 image the model read: 784 bytes, row by row, white ink on black.",
    )
    predicted_digit = models.PositiveSmallIntegerField(db_index=True, validators=[MaxValueValidator(9)])
    probability = models.FloatField(help_text="The predicted digit's probability.")
    probabilities = models.JSONField(help_text="The ten probabilities, for digits 0 to 9.")
    model_version = models.CharField(max_length=32, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(predicted_digit__lte=9), name="prediction_digit_is_0_to_9"
            ),
        ]

    def __str__(self):
        return f"#{self.pk}: {self.predicted_digit} ({self.probability:.2%})"

    @property
    def model_input_array(self):
        """The model input as a (28, 28) uint8 array."""
        return np.frombuffer(bytes(self.model_input), dtype=np.uint8).reshape(
            MODEL_INPUT_SIZE, MODEL_INPUT_SIZE
        )
