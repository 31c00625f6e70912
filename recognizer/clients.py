"""Who is asking: one rule for a request's client address, shared by the throttle, the admin login
lockout (django-axes, whose locked-out answer is here too) and the metrics allow-list.

It is DRF's throttle rule with REST_FRAMEWORK["NUM_PROXIES"] (DJANGO_NUM_PROXIES): with 0 proxies,
REMOTE_ADDR, and X-Forwarded-For is not believed; with N, the address the N-th proxy from the right
appended to X-Forwarded-For (the last N entries are our proxies' own; what is left of them is only
what the client claims).
"""

import ipaddress

from django.conf import settings
from django.http import HttpResponse
from rest_framework.settings import api_settings

from recognizer import metrics


def client_address(request):
    proxies = api_settings.NUM_PROXIES or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR", "")


def address_in(request, allowed):
    """Whether the request's client address is in one of the ip_networks `allowed`."""
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in allowed)


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out admin login gets (AXES_LOCKOUT_CALLABLE): 429, with when to try again."""
    metrics.request_throttled(scope="admin_login")
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    response = HttpResponse(
        "Too many failed logins for this user or from this address: "
        f"try again in {seconds // 60} minutes, or ask an administrator to lift the lockout.\n",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(seconds)
    return response
