"""/api/health proves the database takes writes with a write it rolls back, and says why not when it
does not; a drawing the database refuses is a 503 to retry, not a 500. On SQLite and PostgreSQL alike
(the SQLite file's own faults: tests/hardening/test_database_faults.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recognizer.models import Prediction, WriteProbe
from tests.hardening.payloads import bar_image, json_image


def post_drawing(client):
    content_type, body = json_image(bar_image())
    return client.generic("POST", "/api/predict", body, content_type=content_type)


@pytest.mark.django_db
def test_health_writes_to_the_database_and_leaves_nothing_behind(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/health")

    assert response.status_code == 200 and response.json()["status"] == "ok"
    inserts = [query["sql"] for query in queries if query["sql"].startswith("INSERT")]
    assert any("recognizer_writeprobe" in sql for sql in inserts), inserts
    assert not WriteProbe.objects.exists()


def refuse_writes(on):
    """Make the database refuse writes on this connection, as a read-only database does: SQLite's
    query_only, PostgreSQL's read-only transactions (a standby, default_transaction_read_only)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")
        else:
            cursor.execute(f"SET default_transaction_read_only = {'on' if on else 'off'}")


@pytest.mark.django_db(transaction=True)
def test_a_database_that_refuses_writes_is_a_503_with_the_reason(client):
    assert post_drawing(client).status_code == 201
    refuse_writes(True)
    try:
        health = client.get("/api/health")
        drawing = post_drawing(client)
    finally:
        refuse_writes(False)

    assert health.status_code == 503 and health["Retry-After"] == "30"
    assert health.json()["code"] == "database_unavailable"
    assert health.json()["detail"].startswith("The database does not accept writes (")
    assert drawing.status_code == 503 and drawing["Retry-After"] == "30"
    assert drawing.json() == {
        "detail": "The database cannot store drawings right now. Please try again later.",
        "code": "database_unavailable",
    }
    assert Prediction.objects.count() == 1
    assert client.get("/api/health").status_code == 200  # and well again once it takes writes
