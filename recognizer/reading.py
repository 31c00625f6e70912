"""Reading a drawing: decode → ink → its marks (recognizer.segmentation: each digit found and normalised
on its own, all read in one batched model call) → a Reading. Stores nothing.

What a Reading answers (docs: README "API", /api/docs/):
- each mark's `probability` is P(the mark is this digit) on the model's own, calibrated, eleven-way
  softmax (the ten digits and "not a digit"); its `probabilities` are the ten digits' shares given it is a
  digit (summing to 1); a mark is not a digit when its "not a digit" probability reaches
  limits.NOT_A_DIGIT_THRESHOLD (a ten-output model never says so);
- `verdict`: "digit" (one digit read), "number" (two or more) or "not_a_digit" (none);
- `number`: the digits read, left to right, as text (leading zeros kept), or None;
- `prediction`, `probability`, `probabilities`: one digit: that digit, its probability, its ten
  probabilities, exactly as the single-digit API always answered. A number: the number as an integer,
  the product of its digits' probabilities (the chance it is read right as a whole), and the ten
  probabilities of its least certain digit. Not a digit: the best digit guess of the most digit-like mark,
  with its (low) probability and its ten probabilities.

Django-free.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from recognizer import decoding, limits, preprocessing, segmentation
from recognizer.contract import split_outputs
from recognizer.errors import EmptyDrawing, TooManyMarks


class Verdict:
    """What a drawing was read as (models.Verdict lists them for the database)."""

    DIGIT = "digit"
    NUMBER = "number"
    NOT_A_DIGIT = "not_a_digit"


@dataclass(frozen=True)
class MarkReading:
    """One mark of a drawing (a digit, or what is not one) as the model read it."""

    box: tuple  # (x, y, width, height) in the sent image's pixels
    model_input: np.ndarray  # (28, 28) uint8, white ink on black: what the model read
    digit: int  # the most likely digit
    probability: float  # P(this mark is `digit`), eleven-way
    probabilities: tuple  # ten floats summing to 1: each digit's share, given the mark is a digit
    not_a_digit_probability: float

    @property
    def is_digit(self):
        return self.not_a_digit_probability < limits.NOT_A_DIGIT_THRESHOLD

    @property
    def model_input_array(self):  # as a stored mark (recognizer.models.MarkReading) names it
        return self.model_input


def mark_readings(marks):
    """Marks (recognizer.segmentation.Mark: `box`, `model_input` and `outputs`, the model's raw (C,)
    answer for it) → MarkReadings, in the same order."""
    if not marks:
        return ()
    digit_probabilities, not_a_digit = split_outputs(np.stack([mark.outputs for mark in marks]))
    readings = []
    for mark, shares, refusal in zip(marks, digit_probabilities, not_a_digit, strict=True):
        digit = int(np.argmax(shares))
        refusal = float(np.clip(refusal, 0.0, 1.0))
        readings.append(
            MarkReading(
                box=tuple(int(value) for value in mark.box),
                model_input=np.asarray(mark.model_input, dtype=np.uint8),
                digit=digit,
                probability=float(shares[digit]) * (1.0 - refusal),
                probabilities=tuple(float(value) for value in shares),
                not_a_digit_probability=refusal,
            )
        )
    return tuple(readings)


@dataclass(frozen=True)
class Reading:
    """A drawing as read: its marks left to right, and the answer they make (see the module's doc)."""

    marks: tuple  # MarkReadings, left to right
    model_version: str

    @cached_property
    def digits(self):
        return tuple(mark for mark in self.marks if mark.is_digit)

    @cached_property
    def not_digits(self):
        return tuple(mark for mark in self.marks if not mark.is_digit)

    @property
    def number(self):
        return "".join(str(mark.digit) for mark in self.digits) or None

    @property
    def verdict(self):
        if not self.digits:
            return Verdict.NOT_A_DIGIT
        return Verdict.DIGIT if len(self.digits) == 1 else Verdict.NUMBER

    @cached_property
    def representative(self):
        """The mark whose digit, probabilities and model input stand for the whole drawing where one
        digit must (the seed's fields): the digit read; a number's least certain digit; else the most
        digit-like mark."""
        if self.digits:
            return min(self.digits, key=lambda mark: mark.probability)
        return min(self.marks, key=lambda mark: mark.not_a_digit_probability)

    @property
    def prediction(self):
        return int(self.number) if self.verdict == Verdict.NUMBER else self.representative.digit

    @property
    def probability(self):
        if self.verdict == Verdict.NUMBER:
            return float(np.prod([mark.probability for mark in self.digits]))
        return self.representative.probability

    @property
    def probabilities(self):
        return self.representative.probabilities


def read_image(image, *, classifier=None):
    """A decoded Pillow image → Reading. Raises EmptyDrawing, TooManyMarks, ModelUnavailable."""
    if classifier is None:
        # Imported here: recognizer.models takes the verdicts from this module, and the classifier's
        # registry reads recognizer.models.
        from recognizer.inference import get_classifier

        classifier = get_classifier()
    shrunk = preprocessing.shrunk_for_ink_search(image)
    ink = preprocessing.ink_of(shrunk)
    marks = segmentation.find_marks(ink, predict=classifier.predict, scale=image.width / shrunk.width)
    if not marks:
        raise EmptyDrawing()
    if len(marks) > limits.MAX_STORED_MARKS:  # small marks beside the digits: what is stored is bounded
        raise TooManyMarks(len(marks))
    return Reading(marks=mark_readings(marks), model_version=classifier.version)


def read_drawing(*, image):
    """A drawing as a client sent it (data URL, base64 text, image bytes or an uploaded file) → Reading.

    Raises recognizer.errors.InvalidImage (or a subclass) for what cannot be read as a drawing,
    ModelUnavailable when there is no model to serve."""
    return read_image(decoding.decode(image).image)
