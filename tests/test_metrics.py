"""/metrics: Prometheus' text format, for staff and the allowed networks only; requests and latency by
view, predictions by digit and verdict, feedback, throttled requests and the active model. (Counting
across gunicorn's workers: tests/hardening/test_served_live.py.)"""

import ipaddress

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from recognizer import services
from recognizer.models import ModelVersion, Verdict
from tests.hardening.payloads import bar_image, json_image

pytestmark = pytest.mark.django_db


def samples(text):
    """{(name, frozenset of labels): value} of a Prometheus exposition."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text, name, **labels):
    return samples(text).get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def scraper(settings):
    """A client from an allowed network (DJANGO_METRICS_ALLOWED_NETWORKS)."""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    client = Client(REMOTE_ADDR="10.1.2.3")

    def scrape():
        response = client.get("/metrics")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=")
        return response.content.decode()

    return scrape


def post_drawing(client):
    content_type, body = json_image(bar_image())
    return client.generic("POST", "/api/predict", body, content_type=content_type)


def test_strangers_are_told_there_is_no_such_page(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 404
    # A forged X-Forwarded-For is not believed without DJANGO_NUM_PROXIES.
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.0.0.1").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.9.9.9").status_code == 200


def test_behind_a_proxy_the_forwarded_address_is_the_client(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = {"REMOTE_ADDR": "10.0.0.1"}  # the proxy itself is in the network: its clients are not
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="192.0.2.1", **proxy).status_code == 404
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="192.0.2.1, 10.4.4.4", **proxy).status_code == 200


def test_staff_may_read_them(client, django_user_model):
    assert client.get("/metrics").status_code == 404
    client.force_login(django_user_model.objects.create_user("staff", password="pw", is_staff=True))
    assert client.get("/metrics").status_code == 200


def test_requests_predictions_and_feedback_are_counted(client, scraper):
    before = scraper()
    prediction = post_drawing(client).json()
    client.get("/api/health")
    client.get("/no/such/page")
    # Confirm what was read: a bar is "not a digit" to a model with that class, a 1 to the others.
    answer = (
        {"not_a_digit": True} if prediction["verdict"] == "not_a_digit" else {"number": prediction["number"]}
    )
    client.post(
        f"/api/predictions/{prediction['id']}/feedback",
        {**answer, "feedback_token": prediction["feedback_token"]},
        content_type="application/json",
    )
    after = scraper()

    def more(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    digit = str(prediction["prediction"])
    assert more("digitsite_predictions_total", digit=digit, verdict=Verdict(prediction["verdict"])) == 1
    assert more("digitsite_feedback_total", verdict="confirmed") == 1
    assert more("digitsite_feedback_total", verdict="corrected") == 0
    predict = {"view": "recognizer:api-predict", "method": "POST", "status": "201"}
    assert more("digitsite_http_requests_total", **predict) == 1
    assert (
        more("digitsite_http_requests_total", view="recognizer:api-health", method="GET", status="200") == 1
    )
    assert more("digitsite_http_requests_total", view="<unmatched>", method="GET", status="404") == 1
    assert more("digitsite_http_request_duration_seconds_count", view="recognizer:api-predict") == 1
    assert value(after, "digitsite_http_request_duration_seconds_sum", view="recognizer:api-predict") > 0


def test_throttled_requests_are_counted(client, scraper, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"predict": "1/min"}}
    before = value(scraper(), "digitsite_throttled_requests_total", scope="predict")
    statuses = [post_drawing(client).status_code for _ in range(3)]
    assert statuses == [201, 429, 429]
    assert value(scraper(), "digitsite_throttled_requests_total", scope="predict") - before == 2


def test_the_active_model_and_the_one_served(client, scraper):
    served = post_drawing(client).json()["model_version"]
    text = scraper()
    assert value(text, "digitsite_model_active", version=served) == 1
    assert value(text, "digitsite_model_served_workers", version=served) == 1
    ModelVersion.objects.update(is_active=False)
    assert value(scraper(), "digitsite_model_active", version=served) == 0  # read when scraped
    services.activate_model(version=served)
    assert value(scraper(), "digitsite_model_active", version=served) == 1
