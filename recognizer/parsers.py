"""Request parsers with errors a person understands.

Size limits are Django's: reading a body over DATA_UPLOAD_MAX_MEMORY_SIZE raises RequestDataTooBig
(answered 413 by recognizer.exceptions), and multipart bodies are refused on their declared length.
"""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        try:
            document = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise ParseError("The request body is not valid UTF-8 text.") from None
        except RecursionError:
            raise ParseError("The JSON in the request body is nested too deeply.") from None
        except ValueError:
            raise ParseError("The request body is not valid JSON.") from None
        if document is None:  # DRF would answer a bare "No data provided"
            raise ParseError('Send a JSON object such as {"image": "data:image/png;base64,..."}, not null.')
        return document


class MultiPartParser(parsers.MultiPartParser):
    """Multipart form data, refused up front when its declared length is over the limit (file parts
    are not covered by DATA_UPLOAD_MAX_MEMORY_SIZE)."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise ParseError("The Content-Length header is not a number.") from None
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise RequestDataTooBig()
        # Django refuses floods of parts with SuspiciousOperation, which would be a bare HTML 400.
        try:
            return super().parse(stream, media_type, parser_context)
        except TooManyFilesSent:
            raise ParseError(
                f"The form has too many files: send one drawing in the field 'image' "
                f"(at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files)."
            ) from None
        except TooManyFieldsSent:
            raise ParseError(
                f"The form has too many fields: send the drawing in the field 'image' "
                f"(at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields)."
            ) from None
