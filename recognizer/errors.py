"""Domain errors: what can go wrong reading a drawing or answering about it, in words for a person.

They carry no HTTP status: recognizer.exceptions maps each to one (400, 403, 413, 415, 503). Django-free.
"""

from recognizer import limits


class RecognizerError(Exception):
    """Base of the domain errors: `message` says what is wrong, `code` names it for programs."""

    code = "error"
    default_message = "The request cannot be answered."

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(self.message)


# The drawing -----------------------------------------------------------------------------------------


class InvalidImage(RecognizerError):
    """The input cannot be read as a drawing."""

    code = "invalid_image"
    argument = "image"  # what was wrong: the drawing sent as `image`


class ImageTooLarge(InvalidImage):
    code = "image_too_large"


class UnsupportedImageFormat(InvalidImage):
    code = "unsupported_image_format"


class EmptyDrawing(InvalidImage):
    code = "empty_drawing"
    default_message = "The drawing is empty: draw a digit first."


class ImageTooSmall(EmptyDrawing):
    code = "image_too_small"

    def __init__(self, width, height):
        side = limits.MIN_IMAGE_SIDE
        super().__init__(
            f"The drawing is empty: the image is only {width}×{height} pixels "
            f"(a drawing needs at least {side}×{side})."
        )


class TooManyMarks(RecognizerError):
    """The drawing holds more digit-sized marks than one reading takes (limits.MAX_DIGITS)."""

    code = "too_many_marks"

    def __init__(self, count):
        super().__init__(
            f"The drawing holds {count} marks; a drawing is read with at most {limits.MAX_DIGITS} digits."
        )


# The model -------------------------------------------------------------------------------------------


class ModelUnavailable(RecognizerError):
    """The model file is missing or unreadable; the message says which and what to do (for the log:
    clients are told only that the model is not available)."""

    code = "model_unavailable"


class ModelNotRegistered(RecognizerError):
    """No model of this version is in the registry."""

    code = "model_not_registered"


class NoEarlierModel(RecognizerError):
    """A roll back was asked for, but the active model has no earlier one to go back to."""

    code = "no_earlier_model"
    default_message = "There is no earlier model to roll back to."


# The database ----------------------------------------------------------------------------------------


class DatabaseUnavailable(RecognizerError):
    """The database cannot store drawings right now (read-only, full, gone); the message says why
    (for the log and the health check: clients of other requests are told only to try again)."""

    code = "database_unavailable"
    default_message = "The database cannot store drawings right now."


# Feedback --------------------------------------------------------------------------------------------


class FeedbackNotAllowed(RecognizerError):
    """The feedback token is missing or is not this prediction's."""

    code = "feedback_not_allowed"
    default_message = (
        "Only the client that asked for this prediction may give feedback on it: send its feedback_token."
    )
