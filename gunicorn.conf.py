"""Gunicorn settings for `gunicorn digitsite.asgi`, read from the working directory (the repository root).

Workers, bind address and the rest keep gunicorn's defaults or come from the command line
(`--workers 2 --bind 0.0.0.0:8000`) or GUNICORN_CMD_ARGS.

Each worker is gunicorn's asyncio worker with a deadline for request headers, in front of Django's WSGI
application run in one thread (digitsite.serving): a slow client holds a coroutine, never the worker,
and is answered 408 once past DJANGO_REQUEST_HEADER_SECONDS or DJANGO_REQUEST_BODY_SECONDS.
"""

import logging
import os
import shutil
import sys
import tempfile

# Metrics: every worker writes its counts into one folder that /metrics adds up (prometheus-client's
# multiprocess mode). It must be known before the site imports prometheus_client, and empty at the
# start: a fresh one per server, removed when it stops, unless PROMETHEUS_MULTIPROC_DIR names one.
METRICS_FOLDER_OURS = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if METRICS_FOLDER_OURS:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="digitsite-metrics-")

wsgi_app = "digitsite.asgi:application"
worker_class = "digitsite.serving.BoundedASGIWorker"
timeout = 30  # seconds without a heartbeat before a worker is replaced; the longest wait for a body chunk
keepalive = 5  # seconds an idle kept-alive connection stays open
# gunicorn 25+ opens a control socket at the same path for every server of a user
# (~/.gunicorn/gunicorn.ctl): servers side by side would take it over from each other.
control_socket_disable = True

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
    """Load the model in each worker before its first request, in the thread that serves requests (with
    the database connection they use). No interpreter is shared across a fork."""
    from digitsite import memory
    from digitsite.serving import WsgiBehindAsgi
    from recognizer.errors import ModelUnavailable
    from recognizer.inference import get_classifier

    memory.return_large_allocations_at_once()
    application = getattr(worker, "asgi", None)
    if not isinstance(application, WsgiBehindAsgi):
        sys.exit("gunicorn.conf.py serves digitsite.asgi: run `gunicorn digitsite.asgi`, not another app.")
    try:
        application.call_in_django_thread(get_classifier)
    except ModelUnavailable as error:
        # Serve anyway: /api/health and POST /api/predict answer 503 with the reason until a model exists.
        logging.getLogger("recognizer").error("No model loaded: %s", error)


def child_exit(server, worker):
    """A worker has gone: its gauges (the model it served) stop counting; its counters still add up."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if METRICS_FOLDER_OURS:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
