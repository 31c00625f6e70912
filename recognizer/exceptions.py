"""API errors: every failure answers JSON a person can read, `{"detail": ..., "code": ...}`."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import UnreadablePostError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from recognizer.inference import ModelUnavailable

logger = logging.getLogger(__name__)


class ImageRejected(exceptions.APIException):
    """An image refused for its size (413) or format (415), carrying preprocessing's message."""

    def __init__(self, invalid_image):
        self.status_code = invalid_image.status_code
        super().__init__(detail=invalid_image.message, code=invalid_image.code)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def first_message(detail):
    """The first message in a (possibly nested) DRF error detail."""
    if isinstance(detail, dict):
        return first_message(next(iter(detail.values()), ""))
    if isinstance(detail, list):
        return first_message(detail[0]) if detail else ""
    return str(detail)


def first_code(detail):
    if isinstance(detail, dict):
        return first_code(next(iter(detail.values()), None))
    if isinstance(detail, list):
        return first_code(detail[0]) if detail else None
    return getattr(detail, "code", None)


def api_exception_handler(exc, context):
    if isinstance(exc, ModelUnavailable):
        logger.error("Prediction refused: %s", exc)
        return Response(
            {
                "detail": "The digit model is not available right now. Please try again later.",
                "code": "model_unavailable",
            },
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    if isinstance(exc, RequestDataTooBig):  # Django refused to read the body: a client error, not a 500
        exc = RequestTooLarge(
            f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20:g} MB."
        )
    if isinstance(exc, UnreadablePostError):  # the client hung up mid-body
        exc = exceptions.ParseError("The request body could not be read to the end.")
    response = exception_handler(exc, context)
    if response is None:
        return server_error(exc, context)
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    body = {"detail": first_message(detail), "code": first_code(detail) or "error"}
    if isinstance(exc, exceptions.ValidationError) and isinstance(detail, dict):
        body["errors"] = response.data
    response.data = body
    return response


def server_error(exc, context):
    """A bug. With debug on, Django's debug page shows it to the developer; in production the traceback
    goes to the log and the client gets a JSON sentence that reveals nothing."""
    if settings.DEBUG:
        return None
    request = context.get("request")
    logger.error(
        "Unexpected error answering %s %s",
        getattr(request, "method", "?"),
        getattr(request, "path", "?"),
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    set_rollback()
    return Response(
        {"detail": "Something went wrong on our side. Please try again later.", "code": "server_error"},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
