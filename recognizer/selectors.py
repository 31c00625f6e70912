"""Reads: predictions, newest first."""

from recognizer.models import Prediction


def list_predictions(*, digit=None):
    """All predictions, newest first, optionally only those read as `digit`."""
    predictions = Prediction.objects.defer("drawing_png")
    if digit is not None:
        predictions = predictions.filter(predicted_digit=digit)
    return predictions


def get_prediction(*, prediction_id):
    """One prediction, or Prediction.DoesNotExist."""
    return Prediction.objects.get(pk=prediction_id)


def list_prediction_summaries():
    """All predictions, newest first, with only what a gallery shows (the drawing is fetched by URL)."""
    return Prediction.objects.only(
        "id", "created_at", "source", "predicted_digit", "probability", "drawing_width", "drawing_height",
        "true_label",
    )
