"""The admin login locks out (django-axes) after DJANGO_LOGIN_FAILURE_LIMIT failures, per user name and
per client address (the throttle's rule for who the client is), for DJANGO_LOGIN_COOLOFF_MINUTES; a
locked-out attempt never reaches the password hasher; an administrator lifts a lockout with axes_reset."""

import io

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
PASSWORD = "right-password-123"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """MD5 instead of PBKDF2's million rounds: these tests log in dozens of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def boss(django_user_model):
    return django_user_model.objects.create_user("boss", password=PASSWORD, is_staff=True)


def log_in(client, username, password, address="198.51.100.1", **extra):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address, **extra
    )


def logged_in(response):
    return response.status_code == 302 and response["Location"] == "/admin/"


def locked_out(response, settings):
    return (
        response.status_code == 429
        and response["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
        and b"Too many failed logins" in response.content
    )


def test_a_user_is_locked_out_after_the_limit_whatever_the_address(client, boss, settings):
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "boss", "wrong", address=f"198.51.100.{n + 10}").status_code == 200
    assert log_in(client, "boss", "wrong", address="198.51.100.99").status_code == 429  # the limit

    response = log_in(client, "boss", PASSWORD, address="203.0.113.7")  # right, from a new address

    assert locked_out(response, settings)
    assert "_auth_user_id" not in client.session


def test_an_address_is_locked_out_after_the_limit_whatever_the_user(client, boss, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"guess{n}", "wrong", address="198.51.100.7")
    assert locked_out(log_in(client, "boss", PASSWORD, address="198.51.100.7"), settings)
    assert logged_in(log_in(client, "boss", PASSWORD, address="198.51.100.8"))  # another address


def test_a_success_before_the_limit_clears_the_count(client, boss, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "boss", "wrong")
    assert logged_in(log_in(client, "boss", PASSWORD))
    assert not AccessAttempt.objects.filter(username="boss").exists()


def test_the_lockout_lifts_after_the_cooloff(client, boss, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "boss", "wrong")
    assert locked_out(log_in(client, "boss", PASSWORD), settings)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME
    )
    assert logged_in(log_in(client, "boss", PASSWORD))


@pytest.mark.parametrize(
    "command", [["axes_reset"], ["axes_reset_username", "boss"]], ids=["everyone", "one user"]
)
def test_an_administrator_lifts_a_lockout(client, boss, settings, command):
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "boss", "wrong", address=f"198.51.100.{n + 10}")
    assert locked_out(log_in(client, "boss", PASSWORD), settings)
    call_command(*command, stdout=io.StringIO())
    assert logged_in(log_in(client, "boss", PASSWORD))


def test_behind_a_proxy_the_address_is_the_one_the_throttle_uses(client, boss, settings):
    """DJANGO_NUM_PROXIES=1: the address the proxy appended counts, whatever the client put before it;
    with no proxy, X-Forwarded-For is not believed at all."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = {"address": "10.0.0.1"}
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"guess{n}", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.5", **proxy)
    assert locked_out(log_in(client, "boss", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy), settings)
    assert logged_in(log_in(client, "boss", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy))

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    call_command("axes_reset", stdout=io.StringIO())
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"guess{n}", "wrong", address="198.51.100.3", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert locked_out(log_in(client, "boss", PASSWORD, address="198.51.100.3"), settings)


def test_a_locked_out_flood_never_reaches_the_password_hasher(client, boss, settings, monkeypatch):
    """Hashing a password is the expensive part of a login (PBKDF2): once locked out, none is hashed."""
    hashed = []
    for method in ("encode", "verify"):
        real = getattr(MD5PasswordHasher, method)
        monkeypatch.setattr(
            MD5PasswordHasher,
            method,
            lambda self, *args, real=real, method=method: hashed.append(method) or real(self, *args),
        )
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "boss", "wrong")
    assert hashed  # the failures before the lockout were checked

    hashed.clear()
    flood = [log_in(client, name, "wrong") for name in ["boss", "boss", "admin", "root"] * 10]
    assert {response.status_code for response in flood} == {429}
    assert hashed == []
