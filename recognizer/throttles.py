"""Abuse limits: how many drawings one client may send."""

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class PredictRateThrottle(ScopedRateThrottle):
    """Requests per client address for views with `throttle_scope`, at the rate in
    REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (DJANGO_PREDICT_THROTTLE_RATE; None is no limit).
    Refused requests get DRF's 429 with a Retry-After header.

    The client is REMOTE_ADDR, or the address the trusted proxies put in X-Forwarded-For when
    DJANGO_NUM_PROXIES says there are some. Counts live in the default cache, which is per process.
    """

    def get_rate(self):
        # Read per request rather than once at import (as DRF does), so a changed setting applies.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class FeedbackRateThrottle(PredictRateThrottle):
    """Feedback answers per client address, counted apart from drawings but at the same rate
    (DJANGO_PREDICT_THROTTLE_RATE) unless REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] has a "feedback" rate."""

    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES
        return rates[self.scope] if self.scope in rates else rates["predict"]
