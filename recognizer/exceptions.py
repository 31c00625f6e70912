"""The API's one exception handler: every failure answers JSON a person can read, `{"detail", "code"}`.

Domain errors (recognizer.errors) carry no HTTP status: DOMAIN_STATUS maps each to its own here. DRF's
own exceptions keep theirs; Django's refusals of a request body become 413 and 400; a database that
fails (read-only, full, gone: OperationalError, InterfaceError, InternalError) is a 503 to retry later,
as DatabaseUnavailable; anything else is a bug, logged with its traceback and answered with a sentence
that reveals nothing.
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, InternalError, OperationalError
from django.http import UnreadablePostError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from recognizer import errors

logger = logging.getLogger(__name__)

# The most specific class an error is an instance of decides (subclasses are listed before their bases).
DOMAIN_STATUS = {
    errors.ImageTooLarge: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    errors.UnsupportedImageFormat: status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    errors.InvalidImage: status.HTTP_400_BAD_REQUEST,
    errors.TooManyMarks: status.HTTP_422_UNPROCESSABLE_ENTITY,
    errors.FeedbackNotAllowed: status.HTTP_403_FORBIDDEN,
    errors.ModelNotRegistered: status.HTTP_404_NOT_FOUND,
    errors.NoEarlierModel: status.HTTP_409_CONFLICT,
    errors.ModelUnavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
    errors.DatabaseUnavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
}
# What clients are told instead of the error's own message (which is for the log).
PUBLIC_DETAIL = {
    errors.ModelUnavailable: "The digit model is not available right now. Please try again later.",
    errors.DatabaseUnavailable: "The database cannot store drawings right now. Please try again later.",
}
# Seconds after which a client may try again (Retry-After), for errors that pass by themselves.
RETRY_AFTER = {errors.DatabaseUnavailable: 30}
# Database failures that are the database's state, not a bug in a query (IntegrityError,
# ProgrammingError and DataError stay 500s).
DATABASE_FAILURES = (OperationalError, InterfaceError, InternalError)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def api_exception_handler(exc, context):
    if isinstance(exc, DATABASE_FAILURES):
        logger.error("Database failure: %s", exc)
        exc = errors.DatabaseUnavailable(f"The database failed: {exc}")
    if isinstance(exc, errors.RecognizerError):
        return domain_error(exc)
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


def domain_error(error):
    """A recognizer.errors error as its status and `{"detail", "code"}` (and, for a 400 about one of
    the request's fields, `errors` as DRF's validation errors have it)."""
    kind = next(kind for kind in type(error).__mro__ if kind in DOMAIN_STATUS)
    status_code = DOMAIN_STATUS[kind]
    detail = PUBLIC_DETAIL.get(kind, error.message)
    if kind in PUBLIC_DETAIL:
        logger.error("Refused: %s", error.message)
    body = {"detail": detail, "code": error.code}
    field = getattr(error, "argument", None)
    if status_code == status.HTTP_400_BAD_REQUEST and field:
        body["errors"] = {field: [detail]}
    set_rollback()
    headers = {"Retry-After": str(RETRY_AFTER[kind])} if kind in RETRY_AFTER else None
    return Response(body, status=status_code, headers=headers)


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
