"""Production settings: `manage.py check --deploy` is clean with debug off and a real key, and the site
will not start on a missing or public key. Each runs manage.py in a fresh process with its environment."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

DEPLOY_CHECK = ["check", "--deploy", "--fail-level", "WARNING"]


def manage(*arguments, **environment):
    """Run manage.py with only these DJANGO_* variables (None drops one): (exit status, output)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.pop("DATABASE_URL", None)
    env.update({key: value for key, value in environment.items() if value is not None})
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, done.stdout + done.stderr


def shown_settings(expression, **environment):
    """`expression` over django.conf.settings, evaluated by manage.py shell with this environment."""
    code = f"from django.conf import settings; print({expression})"
    status, output = manage("shell", "--no-imports", "-c", code, **environment)
    assert status == 0, output
    return output.strip()


def production(**overrides):
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "digits.example.org",
        **overrides,
    }


def test_deploy_check_is_clean_in_production():
    status, output = manage(*DEPLOY_CHECK, **production())
    assert status == 0, output
    assert "System check identified no issues (0 silenced)." in output


def test_plain_http_said_explicitly_silences_only_the_https_checks():
    """DJANGO_SECURE=0 (gunicorn on localhost, or a TLS proxy Django does not see) turns off exactly the
    HTTPS settings, and silences exactly the four checks about them: the check is clean."""
    status, output = manage(*DEPLOY_CHECK, **production(DJANGO_SECURE="0"))
    assert status == 0, output
    assert "System check identified no issues (4 silenced)." in output
    shown = "settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS, settings.SESSION_COOKIE_SECURE"
    assert shown_settings(shown, **production(DJANGO_SECURE="0")) == "False 0 False"


def test_with_https_on_nothing_is_silenced():
    """HTTPS hardening on (the default with debug off): the four checks run, and would catch it off."""
    assert shown_settings("settings.SILENCED_SYSTEM_CHECKS", **production()) == "[]"
    for secure in ("1", None):
        status, output = manage(*DEPLOY_CHECK, **production(DJANGO_SECURE=secure))
        assert status == 0 and "System check identified no issues (0 silenced)." in output, output
    status, output = manage(*DEPLOY_CHECK, **production(DJANGO_SECURE="1", DJANGO_HSTS_SECONDS="0"))
    assert status != 0 and "security.W004" in output  # not silenced: HSTS off is reported


def test_debug_on_under_https_still_fails_the_deploy_check():
    status, output = manage(*DEPLOY_CHECK, **production(DJANGO_DEBUG="1", DJANGO_SECURE="0"))
    assert status != 0 and "security.W018" in output


def test_debug_is_what_the_deploy_check_would_catch():
    status, output = manage(*DEPLOY_CHECK, **production(DJANGO_DEBUG="1"))
    assert status != 0 and "security.W018" in output


@pytest.mark.parametrize("key", [None, ""])
def test_production_needs_a_secret_key_and_the_repository_has_none(key):
    status, output = manage("check", **production(DJANGO_SECRET_KEY=key))
    assert status != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in output


def test_the_public_development_key_is_refused_in_production():
    from digitsite.settings import DEVELOPMENT_SECRET_KEY

    status, output = manage("check", **production(DJANGO_SECRET_KEY=DEVELOPMENT_SECRET_KEY))
    assert status != 0 and "the development key, which is public" in output


def test_a_weak_key_fails_the_deploy_check():
    status, output = manage(*DEPLOY_CHECK, **production(DJANGO_SECRET_KEY="short"))
    assert status != 0 and "security.W009" in output


@pytest.mark.parametrize(
    "command",
    [["manage.py", "check"], ["-c", "import digitsite.asgi"], ["-c", "import digitsite.wsgi"]],
    ids=["manage.py", "digitsite.asgi", "digitsite.wsgi"],
)
def test_debug_is_off_unless_asked_for_whatever_the_entry_point(command):
    """With DJANGO_DEBUG unset, manage.py, gunicorn's digitsite.asgi and digitsite.wsgi alike run
    production settings: debug off, so a real key is required."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    done = subprocess.run(
        [sys.executable, *command],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0 and "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in done.stderr
    assert shown_settings("settings.DEBUG", DJANGO_DEBUG="1") == "True"


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("DJANGO_HSTS_SECONDS", "a year", "DJANGO_HSTS_SECONDS must be a whole number"),
        ("DJANGO_NUM_PROXIES", "one", "DJANGO_NUM_PROXIES must be a whole number"),
        ("DJANGO_READ_THROTTLE_RATE", "lots", "DJANGO_READ_THROTTLE_RATE must be a number of requests"),
    ],
)
def test_bad_numbers_stop_the_site_with_a_clear_message(name, value, message):
    status, output = manage("check", **production(**{name: value}))
    assert status != 0 and message in output


def test_the_reliability_settings_come_from_the_environment():
    """Lockout, slow-client deadlines, the database's free-space floor and the metrics allow-list: each
    variable sets its setting, and each default is recognizer/limits.py's."""
    shown = (
        "settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.total_seconds(), "
        "settings.REQUEST_HEADER_SECONDS, settings.REQUEST_BODY_SECONDS, settings.DATABASE_MIN_FREE_BYTES, "
        "[str(network) for network in settings.METRICS_ALLOWED_NETWORKS]"
    )
    assert shown_settings(shown, **production()) == "5 900.0 10.0 20.0 67108864 []"
    configured = production(
        DJANGO_LOGIN_FAILURE_LIMIT="3",
        DJANGO_LOGIN_COOLOFF_MINUTES="2",
        DJANGO_REQUEST_HEADER_SECONDS="2.5",
        DJANGO_REQUEST_BODY_SECONDS="4",
        DJANGO_DB_MIN_FREE_MB="1",
        DJANGO_METRICS_ALLOWED_NETWORKS="127.0.0.1, 10.0.0.0/8",
    )
    assert shown_settings(shown, **configured) == "3 120.0 2.5 4.0 1048576 ['127.0.0.1/32', '10.0.0.0/8']"


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("DJANGO_METRICS_ALLOWED_NETWORKS", "10.0.0.0/8,intranet", "not 'intranet'"),
        ("DJANGO_REQUEST_BODY_SECONDS", "0", "a number of seconds above 0, not '0'"),
        ("DJANGO_LOGIN_FAILURE_LIMIT", "five", "DJANGO_LOGIN_FAILURE_LIMIT must be a whole number"),
    ],
)
def test_bad_reliability_settings_stop_the_site_with_a_clear_message(name, value, message):
    status, output = manage("check", **production(**{name: value}))
    assert status != 0 and message in output, output
