"""Writes: recording a prediction."""

import numpy as np

from recognizer.images import png_bytes
from recognizer.inference import get_classifier
from recognizer.models import Prediction


def record_prediction(*, drawing, source=Prediction.Source.API):
    """Read the digit in a NormalisedDrawing and store drawing and answer together.

    The row is a single INSERT, hence one transaction: the caller answers only once it is committed.
    Raises inference.ModelUnavailable when there is no model to serve.
    """
    classifier = get_classifier()
    probabilities = classifier.probabilities(drawing.as_float())
    digit = int(np.argmax(probabilities))
    return Prediction.objects.create(
        source=source,
        drawing_png=png_bytes(drawing.drawing),
        drawing_width=drawing.drawing.width,
        drawing_height=drawing.drawing.height,
        model_input=drawing.model_input.tobytes(),
        predicted_digit=digit,
        probability=float(probabilities[digit]),
        probabilities=[float(value) for value in probabilities],
        model_version=classifier.version,
    )
