"""Content negotiation: the API answers JSON even to a client that asks for something else.

A request whose Accept header names nothing the API renders (`Accept: text/html` in production, where
the browsable API is off) would otherwise get 406 in place of its real answer: a 405 for the wrong
method, a 400 saying what is wrong with the drawing.
"""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class JSONWhenNothingElseFits(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
