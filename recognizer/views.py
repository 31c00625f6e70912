"""Pages and images."""

from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from recognizer import limits, metrics, presentation, selectors
from recognizer.clients import address_in
from recognizer.contract import DIGITS
from recognizer.images import model_input_png
from recognizer.models import Feedback, Prediction, Verdict

IMMUTABLE = "public, max-age=31536000, immutable"  # a stored drawing never changes
ALL_VERSIONS = "all"


@require_safe
@ensure_csrf_cookie
def index(request):
    """The drawing page: the canvas, and the answer once the page has asked the API (live from
    /api/read as strokes end, and from /api/predict, which keeps the drawing, on Predict)."""
    return render(request, "recognizer/index.html", {"digits": DIGITS, "max_digits": limits.MAX_DIGITS})


@require_safe
def favicon(request):
    """Pages link their icon; this answers the clients that ask for /favicon.ico all the same."""
    return redirect(static("recognizer/favicon.svg"), permanent=True)


HISTORY_FILTERS = ("verdict", "digit", "feedback")


def history_filters(query):
    """The history's filters from the query string, each None unless valid: `verdict` (a Verdict),
    `digit` (0-9: drawings in whose reading it appears), `feedback` (a Feedback state)."""
    verdict, digit, feedback = (query.get(name) for name in HISTORY_FILTERS)
    return {
        "verdict": verdict if verdict in Verdict.values else None,
        "digit": int(digit) if digit in {str(d) for d in DIGITS} else None,
        "feedback": feedback if feedback in Feedback.values else None,
    }


def query_with(filters, **changes):
    """The query string for `filters` with `changes` (None removes one)."""
    return urlencode({name: value for name, value in {**filters, **changes}.items() if value is not None})


@require_safe
def history(request):
    """Recent drawings with what the model read, newest first; filtered by verdict, digit and feedback."""
    filters = history_filters(request.GET)
    paginator = Paginator(selectors.list_prediction_summaries(**filters), limits.HISTORY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    for prediction in page:
        prediction.percent = prediction.probability * 100
    context = {
        "page": page,
        "feedback": Feedback,
        "verdicts": Verdict,
        "verdict": filters["verdict"],
        "filtered": any(value is not None for value in filters.values()),
        "page_query": f"{query_with(filters)}&" if query_with(filters) else "",
        "filter_groups": [
            (
                "Read as",
                [("All", query_with(filters, verdict=None), filters["verdict"] is None)]
                + [
                    (label, query_with(filters, verdict=value), filters["verdict"] == value)
                    for value, label in Verdict.choices
                ],
            ),
            (
                "With the digit",
                [("Any", query_with(filters, digit=None), filters["digit"] is None)]
                + [
                    (str(digit), query_with(filters, digit=digit), filters["digit"] == digit)
                    for digit in DIGITS
                ],
            ),
            (
                "Feedback",
                [("Any", query_with(filters, feedback=None), filters["feedback"] is None)]
                + [
                    (label, query_with(filters, feedback=value), filters["feedback"] == value)
                    for value, label in Feedback.choices
                ],
            ),
        ],
    }
    return render(request, "recognizer/history.html", context)


@require_safe
def prediction_detail(request, prediction_id):
    """One drawing: the drawing with each mark's box, each mark's 28×28 input and probabilities, what was
    read, and the feedback."""
    try:
        prediction = selectors.get_prediction(prediction_id=prediction_id)
    except Prediction.DoesNotExist:
        raise Http404("No drawing has this id.") from None
    return render(request, "recognizer/prediction.html", presentation.prediction_context(prediction))


@require_safe
def stats(request):
    """How the site does in the wild, per model version: predictions per day and per digit, accuracy
    on the drawings people gave feedback on, and the confusion matrix of predicted against true."""
    versions = selectors.model_versions()
    requested = request.GET.get("version")
    if requested is None:  # the model used most recently
        version = versions[0].version if versions else None
    elif requested == ALL_VERSIONS:
        version = None
    elif requested in {summary.version for summary in versions}:
        version = requested
    else:
        raise Http404("No predictions were made by this model version.")
    stats = selectors.prediction_stats(model_version=version)
    context = {"versions": versions, "version": version, "all_versions": ALL_VERSIONS}
    return render(request, "recognizer/stats.html", context | presentation.stats_context(stats))


def immutable_png(png):
    """A stored prediction's image: it never changes, so browsers may keep it."""
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = IMMUTABLE
    return response


@require_safe
def drawing_png(request, prediction_id):
    prediction = get_object_or_404(Prediction.objects.only("drawing_png"), pk=prediction_id)
    return immutable_png(bytes(prediction.drawing_png))


@require_safe
def thumbnail_png(request, prediction_id):
    """The small copy of a drawing that lists show (a few KB, however large the drawing)."""
    prediction = get_object_or_404(Prediction.objects.only("thumbnail_png"), pk=prediction_id)
    return immutable_png(bytes(prediction.thumbnail_png))


@require_safe
def input_png(request, prediction_id):
    prediction = get_object_or_404(Prediction.objects.only("model_input"), pk=prediction_id)
    return immutable_png(model_input_png(prediction.model_input_array))


@require_safe
def metrics_page(request):
    """Prometheus metrics, for staff and for the addresses in DJANGO_METRICS_ALLOWED_NETWORKS; anyone
    else is told there is no such page."""
    user = request.user
    if not (user.is_active and user.is_staff) and not address_in(request, settings.METRICS_ALLOWED_NETWORKS):
        raise Http404("No such page.")
    body, content_type = metrics.exposition()
    return HttpResponse(body, content_type=content_type)


def not_found(request, exception):
    """404s (handler404): JSON under /api/, as every API answer is; the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": f"There is no API endpoint at {request.path}: see /api/docs/.", "code": "not_found"},
            status=404,
        )
    return defaults.page_not_found(request, exception)
