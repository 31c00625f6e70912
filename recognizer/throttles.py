"""Abuse limits: how many drawings one client may send."""

import logging

from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from recognizer import limits, metrics
from recognizer.clients import client_address

logger = logging.getLogger(__name__)


class PredictRateThrottle(ScopedRateThrottle):
    """Requests per client address for views with `throttle_scope`, at the rate in
    REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (DJANGO_PREDICT_THROTTLE_RATE; None is no limit).
    Refused requests get DRF's 429 with a Retry-After header.

    The client is REMOTE_ADDR, or the address the trusted proxies put in X-Forwarded-For when
    DJANGO_NUM_PROXIES says there are some (recognizer.clients: the admin login lockout counts by the
    same rule). Counts live in the default cache: per process, or shared in Redis (DJANGO_CACHE_URL).
    When Redis cannot be reached the request is let through, not failed. Refusals are counted in the
    metrics by scope.
    """

    def get_rate(self):
        # Read per request rather than once at import (as DRF does), so a changed setting applies.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_ident(self, request):
        return client_address(request)

    def allow_request(self, request, view):
        try:
            allowed = super().allow_request(request, view)
        except RedisError as error:
            logger.error("Throttle counts unavailable, letting the request through: %s", error)
            return True
        if not allowed:
            metrics.request_throttled(scope=self.scope)
        return allowed


class FeedbackRateThrottle(PredictRateThrottle):
    """Feedback answers per client address, counted apart from drawings but at the same rate
    (DJANGO_PREDICT_THROTTLE_RATE) unless REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] has a "feedback" rate."""

    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES
        return rates[self.scope] if self.scope in rates else rates["predict"]


class ReadRateThrottle(PredictRateThrottle):
    """Live readings (POST /api/read) per client address, counted apart from drawings stored and at their
    own, higher rate (DJANGO_READ_THROTTLE_RATE): the page reads the drawing after each stroke."""

    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES
        return rates.get(self.scope, limits.READ_RATE)  # None: no limit
