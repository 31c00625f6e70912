"""Abuse limits on POST /api/predict: a generous rate per client from the environment, then 429 with
Retry-After; nothing else is throttled."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from recognizer.models import Prediction
from tests.hardening.payloads import JSON, bar_image, json_image


def post(client, content_type=JSON, body=b"{}", **headers):
    return client.generic("POST", "/api/predict", body, content_type=content_type, **headers)


@pytest.fixture
def rate(settings):
    def set_rate(value, **more):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"predict": value},
            **more,
        }

    return set_rate


@pytest.mark.django_db
def test_over_the_rate_is_429_with_retry_after_and_nothing_stored(client, rate):
    rate("3/min")
    assert [post(client).status_code for _ in range(3)] == [400, 400, 400]  # every request counts

    response = post(client, *json_image(bar_image()))

    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    assert response.json() == {
        "detail": f"Request was throttled. Expected available in {retry_after} seconds.",
        "code": "throttled",
    }
    assert Prediction.objects.count() == 0


@pytest.mark.django_db
def test_the_limit_is_per_client_and_only_on_predict(client, rate):
    rate("2/min")
    first = {"REMOTE_ADDR": "192.0.2.1"}
    assert [post(client, **first).status_code for _ in range(3)] == [400, 400, 429]
    assert post(client, REMOTE_ADDR="192.0.2.2").status_code == 400  # someone else
    for _ in range(5):
        assert client.get("/api/health", REMOTE_ADDR="192.0.2.1").status_code == 200
        assert client.get("/api/predictions", REMOTE_ADDR="192.0.2.1").status_code == 200


@pytest.mark.django_db
def test_a_made_up_forwarded_for_does_not_reset_the_count(client, rate):
    rate("2/min")
    assert [post(client).status_code for _ in range(2)] == [400, 400]
    for forged in ("203.0.113.7", "203.0.113.8, 10.0.0.1", "x"):
        assert post(client, HTTP_X_FORWARDED_FOR=forged).status_code == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_clients_are_told_apart_by_forwarded_for(client, rate):
    rate("2/min", NUM_PROXIES=1)
    alice = {"HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    assert [post(client, **alice).status_code for _ in range(3)] == [400, 400, 429]
    assert post(client, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 400


def test_the_default_rate_is_generous():
    rates = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates == {"predict": "120/min", "read": "600/min"}  # live reading: more than drawings stored
    assert django_settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


THROTTLE_SETTINGS = (
    "settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['predict'], settings.REST_FRAMEWORK['NUM_PROXIES']"
)


def settings_in_a_new_process(shown=THROTTLE_SETTINGS, **environment):
    """The settings (`shown`, an expression) a fresh process reads from this environment:
    (exit status, output)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(DJANGO_SETTINGS_MODULE="digitsite.settings", DJANGO_DEBUG="1", **environment)
    code = f"from django.conf import settings; print({shown})"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(
    "value, expected",
    [("30/second", "30/second 0"), ("5000/hour", "5000/hour 0"), ("off", "None 0"), ("", "120/min 0")],
)
def test_the_rate_comes_from_the_environment(value, expected):
    status, output = settings_in_a_new_process(DJANGO_PREDICT_THROTTLE_RATE=value)
    assert status == 0 and output.strip() == expected, output


def test_a_bad_rate_stops_the_site_at_startup_with_a_clear_message():
    status, output = settings_in_a_new_process(DJANGO_PREDICT_THROTTLE_RATE="120 per minute")
    assert status != 0
    assert "DJANGO_PREDICT_THROTTLE_RATE must be a number of requests per s, min, hour or day" in output


CACHE_BACKEND = "settings.CACHES['default']['BACKEND'], settings.CACHES['default'].get('LOCATION', '')"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("", "django.core.cache.backends.locmem.LocMemCache "),
        (
            "redis://cache.internal:6379/2",
            "django.core.cache.backends.redis.RedisCache redis://cache.internal:6379/2",
        ),
    ],
)
def test_the_cache_that_holds_the_counts_comes_from_the_environment(value, expected):
    status, output = settings_in_a_new_process(CACHE_BACKEND, DJANGO_CACHE_URL=value)
    assert status == 0 and output.strip() == expected.strip(), output


def test_a_cache_url_that_is_not_redis_stops_the_site_with_a_clear_message():
    status, output = settings_in_a_new_process(CACHE_BACKEND, DJANGO_CACHE_URL="memcached://127.0.0.1:11211")
    assert status != 0
    assert "DJANGO_CACHE_URL must be a Redis URL such as redis://127.0.0.1:6379/0" in output


@pytest.mark.django_db
def test_when_redis_is_down_drawings_are_let_through_and_it_is_logged(client, rate, settings, caplog):
    rate("1/min")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }

    statuses = [post(client).status_code for _ in range(2)] + [
        post(client, *json_image(bar_image())).status_code
    ]

    assert statuses == [400, 400, 201]  # over the rate, but the counts cannot be read: not a 429, not a 500
    assert Prediction.objects.count() == 1
    assert "Throttle counts unavailable, letting the request through" in caplog.text
