"""Under a WSGI server (digitsite.wsgi), a chunked request body — which WSGI gives an application without
a length, and Django then reads as no body at all — is read when the server de-chunked it, and refused
with a 411 that says why when it did not. (The served configuration, gunicorn's asyncio worker with
digitsite.asgi, reads chunked bodies itself: tests/hardening/test_served_live.py.)"""

import io
import json
import sys

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from digitsite.wsgi import application
from recognizer.models import Prediction
from tests.hardening.payloads import bar_image, json_image

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def test_connection_kept():
    """As Django's test client does: a request must not close the test's database connection (and its
    transaction) when it starts or ends."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def call(body, **environ):
    """Call the WSGI application with a chunked POST /api/predict whose de-chunked body is `body`."""
    content_type, _ = json_image(b"")
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=dict(headers))

    result = application(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/predict",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": content_type,
            "HTTP_HOST": "testserver",
            "HTTP_TRANSFER_ENCODING": "chunked",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            **environ,
        },
        start_response,
    )
    content = b"".join(result)
    return int(started["status"].split()[0]), started["headers"], json.loads(content)


def test_a_chunked_body_the_server_de_chunked_is_read():
    _, body = json_image(bar_image())
    status, _, answer = call(body, **{"wsgi.input_terminated": True})
    assert status == 201 and Prediction.objects.filter(pk=answer["id"]).exists()


def test_a_chunked_body_the_server_could_not_de_chunk_is_refused_precisely():
    _, body = json_image(bar_image())
    status, headers, answer = call(body)
    assert status == 411 and headers["content-type"] == "application/json"
    assert answer["code"] == "length_required"
    assert answer["detail"] == (
        "This server cannot read a chunked request body: send the body with a Content-Length header."
    )
    assert not Prediction.objects.exists()


def test_a_chunked_body_over_the_limit_is_refused():
    status, _, answer = call(b"{" + b" " * (3 * 2**20) + b"}", **{"wsgi.input_terminated": True})
    assert status == 413 and answer["code"] == "request_too_large"
