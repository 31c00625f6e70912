"""A bug in the API: logged with its traceback, answered with a JSON sentence that reveals nothing."""

import logging

import pytest

from recognizer import services
from recognizer.models import Prediction
from tests.hardening.payloads import bar_image, json_image

pytestmark = pytest.mark.django_db

SECRET = "connection string postgres://admin:hunter2@db"


@pytest.fixture
def broken_service(monkeypatch):
    def record_prediction(**kwargs):
        raise RuntimeError(f"unexpected: {SECRET}")

    monkeypatch.setattr(services, "record_prediction", record_prediction)


def post_drawing(client):
    content_type, body = json_image(bar_image())
    return client.generic("POST", "/api/predict", body, content_type=content_type)


def test_unexpected_error_is_logged_not_shown(client, broken_service, caplog):
    with caplog.at_level(logging.ERROR, logger="recognizer.exceptions"):
        response = post_drawing(client)

    assert response.status_code == 500
    assert response.json() == {
        "detail": "Something went wrong on our side. Please try again later.",
        "code": "server_error",
    }
    assert b"hunter2" not in response.content and b"Traceback" not in response.content
    logged = [record for record in caplog.records if record.name == "recognizer.exceptions"]
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR
    assert "POST /api/predict" in logged[0].getMessage()
    assert SECRET in caplog.text and "Traceback" in caplog.text  # the traceback is in the log
    assert Prediction.objects.count() == 0


def test_with_debug_on_the_developer_gets_the_exception(client, broken_service, settings):
    settings.DEBUG = True
    with pytest.raises(RuntimeError, match="hunter2"):  # what renders Django's debug page
        post_drawing(client)
