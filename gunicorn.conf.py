"""Gunicorn settings for `gunicorn digitsite.wsgi`, read from the working directory (the repository root).

Workers, bind address and the rest keep gunicorn's defaults or come from the command line
(`--workers 2 --bind 0.0.0.0:8000`) or GUNICORN_CMD_ARGS.
"""

import logging

from digitsite import memory

# Import Django and the whole site once, in the master, then fork the workers from it: they are ready
# at once and share those pages of memory. (Importing the site in each new worker instead took
# seconds on a busy 2-core machine.)
preload_app = True


def when_ready(server):
    """In the master, after the preload: import the URLconf, and with it the views, DRF and LiteRT."""
    if server.cfg.preload_app:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 — the lookup imports every view


def post_worker_init(worker):
    """Load the model in each worker before its first request (no interpreter is shared across a fork)."""
    from recognizer.errors import ModelUnavailable
    from recognizer.inference import get_classifier

    try:
        get_classifier()
    except ModelUnavailable as error:
        # Serve anyway: /api/health and POST /api/predict answer 503 with the reason until a model exists.
        logging.getLogger("recognizer").error("No model loaded: %s", error)


def pre_request(worker, request):
    worker.resident_before_request = memory.resident_bytes()


def post_request(worker, request, environ, response):
    """After a request that grew the worker a lot (a huge image), give that memory back."""
    memory.release_if_grown(resident_before=worker.resident_before_request)
