"""Who is asking: one rule for a request's client address, shared by the throttle and the metrics
allow-list (and by the admin login lockout, which counts failures per address).

It is DRF's throttle rule with REST_FRAMEWORK["NUM_PROXIES"] (DJANGO_NUM_PROXIES): with 0 proxies,
REMOTE_ADDR, and X-Forwarded-For is not believed; with N, the address the N-th proxy from the right
appended to X-Forwarded-For (the last N entries are our proxies' own; what is left of them is only
what the client claims).
"""

import ipaddress

from rest_framework.settings import api_settings


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
