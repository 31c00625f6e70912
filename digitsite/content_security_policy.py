"""django-csp's middleware, with the policy built once rather than for every response.

django-csp builds the Content-Security-Policy header anew for each response (copying the policy's parts
with dataclasses.asdict, twice): a tenth of the framework's time on an API answer. This site uses no
nonce and no per-view policy, so every response gets the same header; it is built when the policy in
the settings changes (tests override it), and anything per response still goes through django-csp.
"""

from csp import middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings

PER_RESPONSE = tuple(
    f"_csp_{part}{suffix}" for part in ("config", "update", "replace", "exempt") for suffix in ("", "_ro")
)


class CSPMiddleware(middleware.CSPMiddleware):
    def __init__(self, get_response):
        super().__init__(get_response)
        self.built_from, self.policies, self.excludes_paths = None, None, False

    def fixed_policies(self):
        """(the header, the report-only header) from the settings, built again only when they change."""
        current = (
            getattr(settings, "CONTENT_SECURITY_POLICY", None),
            getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None),
        )
        if self.built_from is None or any(a is not b for a, b in zip(current, self.built_from, strict=True)):
            self.policies = build_policy(), build_policy(report_only=True)
            self.excludes_paths = any((policy or {}).get("EXCLUDE_URL_PREFIXES") for policy in current)
            self.built_from = current
        return self.policies

    def process_response(self, request, response):
        policy, report_only = self.fixed_policies()
        if (
            self.excludes_paths
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in PER_RESPONSE)
            or (response.status_code in (404, 500) and settings.DEBUG)
        ):
            return super().process_response(request, response)
        if policy and HEADER not in response:
            response[HEADER] = policy
        if report_only and HEADER_REPORT_ONLY not in response:
            response[HEADER_REPORT_ONLY] = report_only
        request.csp_nonce = middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
