"""Every page, the admin, the API docs and the API answer with a Content-Security-Policy that allows no
inline script or style, and a Permissions-Policy; and none of them needs an inline one. (That the pages
work under it, in a browser: tests/browser/test_content_security_policy.py.)"""

import re

import pytest
from csp.constants import NONE, SELF
from csp.utils import build_policy
from django.urls import reverse

from recognizer import services
from tests.hardening.payloads import bar_image

pytestmark = pytest.mark.django_db

PAGES = ["/", "/history/", "/stats/", "/api/docs/", "/admin/login/"]
STAFF_PAGES = [
    "/admin/",
    "/admin/recognizer/prediction/",
    "/admin/recognizer/modelversion/",
    "/admin/axes/accessattempt/",
]


@pytest.fixture
def prediction():
    return services.record_prediction(image=bar_image())


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("staff", password="pw"))
    return client


def policy(response):
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def assert_no_inline_script_or_style(html):
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline <script>"
    assert "<style" not in html, "an inline <style>"
    assert not re.search(r"\sstyle=", html), "a style attribute"
    assert not re.search(r"\son[a-z]+=", html), "an event handler attribute"


def assert_headers(response):
    directives = policy(response)
    assert directives["default-src"] == directives["script-src"] == directives["style-src"] == "'self'"
    assert directives["object-src"] == directives["base-uri"] == directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


@pytest.mark.parametrize("path", PAGES)
def test_the_pages_and_the_docs_need_nothing_inline(client, prediction, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_headers(response)
    assert_no_inline_script_or_style(response.content.decode())


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_the_admin_pages_need_nothing_inline(staff_client, prediction, path):
    response = staff_client.get(path)
    assert response.status_code == 200
    assert_headers(response)
    assert_no_inline_script_or_style(response.content.decode())


def test_a_prediction_in_the_admin_needs_nothing_inline(staff_client, prediction):
    response = staff_client.get(reverse("admin:recognizer_prediction_change", args=[prediction.pk]))
    assert_headers(response)
    assert_no_inline_script_or_style(response.content.decode())


def test_the_api_docs_start_swagger_ui_from_a_script_file(client):
    page = client.get("/api/docs/").content.decode()
    assert '<script src="/api/docs/?script="></script>' in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


@pytest.mark.parametrize("path", ["/api/health", "/api/predictions", "/api/nope", "/favicon.ico"])
def test_every_other_answer_carries_the_headers_too(client, path):
    assert_headers(client.get(path))


def test_the_policy_is_django_csps_and_follows_the_settings(client, settings):
    """The header is built once (digitsite.content_security_policy), as django-csp builds it, and again
    when the policy in the settings changes."""
    assert client.get("/api/health")["Content-Security-Policy"] == build_policy()
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [SELF], "img-src": [SELF, "blob:"]}}
    assert policy(client.get("/api/health")) == {"default-src": "'self'", "img-src": "'self' blob:"}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": [NONE]}}
    assert client.get("/api/health")["Content-Security-Policy-Report-Only"] == "default-src 'none'"
