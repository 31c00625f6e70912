"""The site's Prometheus metrics (prometheus-client), served at /metrics.

Under gunicorn every worker is a process of its own: gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR
to a fresh folder before the site is imported, each worker writes its counts there, and a scrape adds
them up (multiprocess mode). Without that variable (runserver, tests) the one process's counts are
served.

Labels take few values: views by their URL name (a path no URL matches is "<unmatched>"), digits,
verdicts (Prediction.verdict), feedback states, throttle scopes, model versions.
"""

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

REQUESTS = Counter(
    "digitsite_http_requests",
    "HTTP requests answered, by view, method and status.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "digitsite_http_request_duration_seconds",
    "Time from a request reaching Django to its response, by view.",
    ["view"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
PREDICTIONS = Counter(
    "digitsite_predictions", "Drawings read and stored, by answer and verdict.", ["digit", "verdict"]
)
FEEDBACK = Counter(
    "digitsite_feedback", "Feedback given on predictions: confirmed or corrected.", ["verdict"]
)
THROTTLED = Counter("digitsite_throttled_requests", "Requests refused by a throttle or a lockout.", ["scope"])
SERVED = Gauge(
    "digitsite_model_served_workers",
    "Worker processes serving each model version (1 per process in each one's own count).",
    ["version"],
    multiprocess_mode="livesum",
)


class MetricsMiddleware:
    """Counts and times every request by view (first in MIDDLEWARE: it times the whole stack)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None and match.view_name else "<unmatched>"
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(view, method, str(response.status_code)).inc()
        LATENCY.labels(view).observe(time.perf_counter() - started)
        return response


def prediction_recorded(*, prediction):
    PREDICTIONS.labels(str(prediction.predicted_digit), prediction.verdict).inc()


def feedback_recorded(*, prediction):
    FEEDBACK.labels(prediction.feedback_state.value).inc()


def request_throttled(*, scope):
    THROTTLED.labels(scope).inc()


def model_served(*, previous, current):
    """This process stopped serving model `previous` (None: nothing) and serves `current`."""
    if previous is not None:
        SERVED.labels(previous).set(0)
    if current is not None:
        SERVED.labels(current).set(1)


class ActiveModelCollector:
    """digitsite_model_active: the model the registry says every worker should serve, read from the
    database when scraped."""

    name = "digitsite_model_active"
    documentation = "The active model version in the registry (1)."

    def describe(self):  # registering must not query the database (it would call collect())
        yield GaugeMetricFamily(self.name, self.documentation, labels=["version"])

    def collect(self):
        from recognizer.selectors import active_model_version

        family = GaugeMetricFamily(self.name, self.documentation, labels=["version"])
        version = active_model_version()
        if version is not None:
            family.add_metric([version], 1)
        yield family


if not MULTIPROCESS:
    REGISTRY.register(ActiveModelCollector())


def exposition():
    """(body, content type) of every metric, added up over the worker processes."""
    if MULTIPROCESS:
        registry = CollectorRegistry()  # a new one per scrape: it reads every process's files
        multiprocess.MultiProcessCollector(registry)
        registry.register(ActiveModelCollector())
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
