"""Pages and images."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from recognizer import selectors
from recognizer.images import model_input_png
from recognizer.models import Prediction

IMMUTABLE = "public, max-age=31536000, immutable"  # a stored drawing never changes
HISTORY_PAGE_SIZE = 24


@require_safe
@ensure_csrf_cookie
def index(request):
    """The drawing page: the canvas, and the answer once the page has asked the API."""
    return render(request, "recognizer/index.html", {"digits": range(10)})


@require_safe
def history(request):
    """Recent drawings with what the model read, newest first."""
    paginator = Paginator(selectors.list_prediction_summaries(), HISTORY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    for prediction in page:
        prediction.percent = prediction.probability * 100
    return render(request, "recognizer/history.html", {"page": page})


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
