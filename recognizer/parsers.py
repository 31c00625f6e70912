"""Request parsers that keep hostile bodies cheap: bounded reads and plain-language errors."""

import json

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from recognizer.exceptions import RequestTooLarge


def too_large():
    limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20
    return RequestTooLarge(f"The request body is larger than {limit_mb:g} MB.")


class BoundedJSONParser(parsers.JSONParser):
    """JSON, read up to DATA_UPLOAD_MAX_MEMORY_SIZE bytes, with errors a person understands."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise too_large()
        try:
            return json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise ParseError("The request body is not valid UTF-8 text.") from None
        except RecursionError:
            raise ParseError("The JSON in the request body is nested too deeply.") from None
        except ValueError:
            raise ParseError("The request body is not valid JSON.") from None


class BoundedMultiPartParser(parsers.MultiPartParser):
    """Multipart form data, refused up front when its declared length is over the limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise ParseError("The Content-Length header is not a number.") from None
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise too_large()
        return super().parse(stream, media_type, parser_context)
