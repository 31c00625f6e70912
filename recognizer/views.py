"""Pages and images."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from recognizer.images import model_input_png
from recognizer.models import Prediction

IMMUTABLE = "public, max-age=31536000, immutable"  # a stored drawing never changes


@require_safe
def drawing_png(request, prediction_id):
    prediction = get_object_or_404(Prediction.objects.only("drawing_png"), pk=prediction_id)
    response = HttpResponse(bytes(prediction.drawing_png), content_type="image/png")
    response["Cache-Control"] = IMMUTABLE
    return response


@require_safe
def input_png(request, prediction_id):
    prediction = get_object_or_404(Prediction.objects.only("model_input"), pk=prediction_id)
    response = HttpResponse(model_input_png(prediction.model_input_array), content_type="image/png")
    response["Cache-Control"] = IMMUTABLE
    return response
