"""Content negotiation: the API answers JSON even to a client that asks for something else.

A request whose Accept header names nothing the API renders (`Accept: text/html` in production, where
the browsable API is off) would otherwise get 406 in place of its real answer: a 405 for the wrong
method, a 400 saying what is wrong with the drawing.
"""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation

# Accept headers whose answer is always the first renderer when it renders JSON (what the drawing page
# and most API clients send, or no header at all): DRF's parsing of them and of the query string, which
# builds the request's header and query dictionaries, is skipped.
JSON_FIRST_ACCEPTS = frozenset({"*/*", "application/json"})


class JSONWhenNothingElseFits(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        first = renderers[0]
        if (
            first.media_type == "application/json"
            and format_suffix is None
            and not request.META.get("QUERY_STRING")
            and request.META.get("HTTP_ACCEPT", "*/*") in JSON_FIRST_ACCEPTS
        ):
            return first, first.media_type
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
