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


def test_plain_http_on_localhost_is_what_the_deploy_check_warns_about():
    """DJANGO_SECURE=0 turns off exactly the HTTPS settings (and the check says so)."""
    status, output = manage(*DEPLOY_CHECK, **production(DJANGO_SECURE="0"))
    assert status != 0
    warned = {warning for warning in ("W004", "W008", "W012", "W016") if f"security.{warning}" in output}
    assert warned == {"W004", "W008", "W012", "W016"}, output  # HSTS, SSL redirect, both cookies
    for always_on in ("W006", "W019", "W022", "W009", "W018", "W020"):  # nosniff, framing, referrer, key...
        assert f"security.{always_on}" not in output, output


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


def test_the_wsgi_entry_point_defaults_to_production():
    """gunicorn imports digitsite.wsgi: with DJANGO_DEBUG unset, debug is off and a key is required."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    done = subprocess.run(
        [sys.executable, "-c", "import digitsite.wsgi"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0 and "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in done.stderr


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("DJANGO_HSTS_SECONDS", "a year", "DJANGO_HSTS_SECONDS must be a whole number"),
        ("DJANGO_NUM_PROXIES", "one", "DJANGO_NUM_PROXIES must be a whole number"),
    ],
)
def test_bad_numbers_stop_the_site_with_a_clear_message(name, value, message):
    status, output = manage("check", **production(**{name: value}))
    assert status != 0 and message in output
