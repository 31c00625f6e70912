"""API authentication: a signed-in person's session, as DRF's SessionAuthentication reads it."""

from django.conf import settings
from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's, answering "nobody" at once for a request without a session cookie (no session, so no
    user; most API requests, and every reading the drawing page asks for): the session store is not
    asked. With the cookie, DRF's own (a signed-in user's unsafe requests must pass the CSRF check)."""

    def authenticate(self, request):
        if settings.SESSION_COOKIE_NAME not in request._request.COOKIES:
            return None
        return super().authenticate(request)


class SessionAuthenticationScheme(SessionScheme):
    """The OpenAPI schema describes it as DRF's (the session cookie), as before."""

    target_class = SessionAuthentication
