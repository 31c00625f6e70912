"""Serializers: validate what clients send, shape what the API answers."""

import copy
from functools import lru_cache

import numpy as np
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from recognizer import limits
from recognizer.contract import IMAGE_SIZE, NUM_DIGITS
from recognizer.images import model_input_png, png_data_url
from recognizer.models import Feedback, Prediction, Verdict


@extend_schema_field(OpenApiTypes.STR)
class DrawingField(serializers.Field):
    """A drawing as the request carries it: text (a data URL or bare base64) or an uploaded file.

    Only the shape is checked here; the service (services.record_prediction) decodes and reads it."""

    default_error_messages = {
        "required": "Send the drawing in the field 'image': a data URL, base64 text, or an uploaded file.",
        "null": "The field 'image' is null: send the drawing as a data URL or base64 text.",
        "invalid_type": "The field 'image' must be a data URL or base64 text (or an uploaded file), "
        "not {type}.",
        "blank": "The field 'image' is empty: send the drawing.",
    }

    def to_internal_value(self, data):
        if isinstance(data, UploadedFile):
            return data
        if not isinstance(data, str):
            self.fail("invalid_type", type=type(data).__name__ if data is not None else "null")
        if not data.strip():
            self.fail("blank")
        return data

    def to_representation(self, value):
        return None


# For a serializer of plain fields (no nested serializers): each instance binds shallow copies of the
# declared fields, not the deep copies DRF makes (which copy the choices' labels one by one: a twentieth
# of POST /api/read). Binding sets only the copy's own attributes; nothing else of a field changes once
# declared. (A comment, not a docstring: the API schema would describe the request with it.)
class FieldsCopiedShallow:
    def get_fields(self):
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}


class PredictRequestSerializer(FieldsCopiedShallow, serializers.Serializer):
    default_error_messages = {
        "invalid": 'Send a JSON object such as {{"image": "data:image/png;base64,..."}}, not a {datatype}.',
    }

    image = DrawingField(
        help_text="The whole canvas as a PNG/JPEG/WebP data URL or base64 text, "
        "or an uploaded image file (multipart)."
    )
    source = serializers.ChoiceField(
        choices=Prediction.Source.choices,
        default=Prediction.Source.API,
        help_text="Who is asking: the drawing page or an API client.",
    )


class FieldsFromModelOnce:
    """For a ModelSerializer: work its fields out from the model once per class, not for every object.

    ModelSerializer rebuilds them from the model each time it serializes (a tenth of POST /api/predict);
    they never change, so each instance gets fresh copies of the ones built first, as DRF itself copies
    declared fields.
    """

    def get_fields(self):
        serializer_class = type(self)
        if "_fields_from_model" not in serializer_class.__dict__:
            serializer_class._fields_from_model = super().get_fields()
        return copy.deepcopy(serializer_class._fields_from_model)


def input_data_url(model_input):
    """A (28, 28) model input as a PNG data URL; a one-digit answer gives the same one twice (its digit's
    and `input_image`), encoded once."""
    return encoded_input(np.ascontiguousarray(model_input, dtype=np.uint8).tobytes())


@lru_cache(maxsize=64)
def encoded_input(pixels):
    image = np.frombuffer(pixels, dtype=np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE)
    return png_data_url(model_input_png(image))


class MarkSerializer(serializers.Serializer):
    """A mark that is not a digit: where it is, how surely, and what the model read."""

    box = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=4,
        max_length=4,
        help_text="[x, y, width, height] of the mark, in the sent image's pixels.",
    )
    not_a_digit_probability = serializers.FloatField(
        help_text="The probability that the mark is not a digit (a mark is not a digit from "
        f"{limits.NOT_A_DIGIT_THRESHOLD:g} up; a model without that class always answers 0)."
    )
    model_input = serializers.SerializerMethodField(
        help_text="The 28×28 image the model read, as a PNG data URL."
    )

    def get_model_input(self, mark) -> str:
        return input_data_url(mark.model_input_array)


class DigitSerializer(MarkSerializer):
    """One digit of the drawing, left to right."""

    digit = serializers.IntegerField(help_text="The digit read, 0-9.")
    probability = serializers.FloatField(
        help_text="The probability that this mark is this digit (calibrated, among the ten digits and "
        "'not a digit')."
    )
    probabilities = serializers.ListField(
        child=serializers.FloatField(),
        min_length=NUM_DIGITS,
        max_length=NUM_DIGITS,
        help_text="Given that the mark is a digit, each digit's probability, 0-9 (summing to 1).",
    )

    class Meta:
        fields = ["digit", "probability", "probabilities", "not_a_digit_probability", "box", "model_input"]

    def get_fields(self):
        fields = super().get_fields()
        return {name: fields[name] for name in self.Meta.fields}


class ReadingSerializer(serializers.Serializer):
    """What a drawing was read as (recognizer.reading.Reading, or a stored Prediction)."""

    verdict = serializers.ChoiceField(
        choices=Verdict.choices,
        help_text="'digit': one digit was read; 'number': two or more; 'not_a_digit': none.",
    )
    number = serializers.CharField(
        allow_null=True,
        help_text="The digits read, left to right, as text (leading zeros kept); null when none was.",
    )
    digits = DigitSerializer(many=True, help_text="One per digit read, left to right; [] when none was.")
    not_digits = MarkSerializer(many=True, help_text="The marks that are not digits, left to right.")
    prediction = serializers.IntegerField(
        help_text="One digit: that digit (0-9), as always. A number: the number as an integer "
        "(int('2026') = 2026; `number` keeps leading zeros). Not a digit: the best digit guess."
    )
    probability = serializers.FloatField(
        help_text="One digit: its probability. A number: the product of its digits' probabilities, the "
        "chance the whole number is read right. Not a digit: the best guess's probability, low."
    )
    probabilities = serializers.ListField(
        child=serializers.FloatField(),
        min_length=NUM_DIGITS,
        max_length=NUM_DIGITS,
        help_text="Ten probabilities, digits 0-9, summing to 1: those of the digit read (for a number, "
        "of its least certain digit; for what is not a digit, of the best guess).",
    )
    model_version = serializers.CharField(help_text="The short hash of the model that read it.")


def reading_data(read):
    """What ReadingSerializer(read).data answers, built directly: POST /api/read answers after each
    stroke, and DRF's field machinery was a fifth of its time. A test keeps the two the same."""
    return {
        "verdict": read.verdict,
        "number": read.number,
        "digits": [
            {
                "digit": int(mark.digit),
                "probability": float(mark.probability),
                "probabilities": [float(value) for value in mark.probabilities],
                "not_a_digit_probability": float(mark.not_a_digit_probability),
                "box": [int(value) for value in mark.box],
                "model_input": input_data_url(mark.model_input_array),
            }
            for mark in read.digits
        ],
        "not_digits": [
            {
                "box": [int(value) for value in mark.box],
                "not_a_digit_probability": float(mark.not_a_digit_probability),
                "model_input": input_data_url(mark.model_input_array),
            }
            for mark in read.not_digits
        ],
        "prediction": int(read.prediction),
        "probability": float(read.probability),
        "probabilities": [float(value) for value in read.probabilities],
        "model_version": str(read.model_version),
    }


class PredictionSerializer(FieldsFromModelOnce, ReadingSerializer, serializers.ModelSerializer):
    input_image = serializers.SerializerMethodField(
        help_text="The 28×28 image the model read for `prediction`'s digit, as a PNG data URL."
    )
    drawing_url = serializers.SerializerMethodField(help_text="The drawing as received, as PNG.")
    feedback_url = serializers.SerializerMethodField(
        help_text="Where the client that drew it sends feedback (POST, with the predict response's "
        "feedback_token)."
    )
    feedback = serializers.ChoiceField(
        source="feedback_state",
        choices=Feedback.choices,
        read_only=True,
        help_text="Whether the person who drew it confirmed the reading or corrected it.",
    )

    class Meta:
        model = Prediction
        fields = [
            "id",
            "prediction",
            "probability",
            "probabilities",
            "verdict",
            "number",
            "digits",
            "not_digits",
            "model_version",
            "created_at",
            "source",
            "input_image",
            "drawing_url",
            "feedback_url",
            "feedback",
            "true_label",
            "true_number",
            "true_not_a_digit",
            "feedback_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "true_label": {
                "help_text": "The digit the person says they drew, once they gave feedback on one digit; "
                "else null."
            },
            "true_number": {
                "help_text": "The digits the person says they drew (a single digit too), once they gave "
                "feedback; else null."
            },
            "true_not_a_digit": {"help_text": "The person said the drawing is not a digit."},
            "feedback_at": {"help_text": "When that feedback was last given; else null."},
        }

    def get_input_image(self, prediction) -> str:
        return input_data_url(prediction.model_input_array)

    def get_drawing_url(self, prediction) -> str:
        return self.absolute(reverse("recognizer:drawing-png", args=[prediction.pk]))

    def get_feedback_url(self, prediction) -> str:
        return self.absolute(reverse("recognizer:api-feedback", args=[prediction.pk]))

    def absolute(self, url):
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class PredictResponseSerializer(PredictionSerializer):
    feedback_token = serializers.CharField(
        read_only=True,
        help_text="Send this back with feedback on this prediction (POST feedback_url). "
        "It is shown only here, once: the site keeps only its hash.",
    )

    class Meta(PredictionSerializer.Meta):
        fields = [*PredictionSerializer.Meta.fields, "feedback_token"]
        read_only_fields = fields


DATE_TIME = serializers.DateTimeField()


def predict_data(prediction, *, request):
    """What PredictResponseSerializer(prediction).data answers for a prediction just recorded (with its
    `reading` and `feedback_token`), built directly as reading_data is; a test keeps the two the same."""
    read = reading_data(prediction.reading)
    return {
        "id": prediction.pk,
        "prediction": read["prediction"],
        "probability": read["probability"],
        "probabilities": read["probabilities"],
        "verdict": read["verdict"],
        "number": read["number"],
        "digits": read["digits"],
        "not_digits": read["not_digits"],
        "model_version": read["model_version"],
        "created_at": DATE_TIME.to_representation(prediction.created_at),
        "source": prediction.source,
        "input_image": input_data_url(prediction.model_input_array),
        "drawing_url": request.build_absolute_uri(reverse("recognizer:drawing-png", args=[prediction.pk])),
        "feedback_url": request.build_absolute_uri(reverse("recognizer:api-feedback", args=[prediction.pk])),
        "feedback": prediction.feedback_state.value,
        "true_label": prediction.true_label,
        "true_number": prediction.true_number,
        "true_not_a_digit": prediction.true_not_a_digit,
        "feedback_at": None
        if prediction.feedback_at is None
        else DATE_TIME.to_representation(prediction.feedback_at),
        "feedback_token": prediction.feedback_token,
    }


FEEDBACK_CHOICE_ERROR = (
    'Say what was drawn with exactly one of "label" (a digit 0-9), "number" (its digits as text, such '
    f'as "2026", 1 to {limits.MAX_DIGITS} of them) or "not_a_digit": true.'
)
LABEL_ERROR = "label must be a whole number 0-9: the digit that was drawn."
NUMBER_ERROR = (
    f'number must be the digits that were drawn, as text: 1 to {limits.MAX_DIGITS} of 0-9, such as "2026".'
)
NOT_A_DIGIT_ERROR = 'not_a_digit must be true (the drawing is not a digit); to give a number, send "number".'


class FeedbackRequestSerializer(serializers.Serializer):
    default_error_messages = {
        "invalid": 'Send a JSON object such as {{"label": 7, "feedback_token": "..."}}, not a {datatype}.',
    }

    label = serializers.IntegerField(
        min_value=0,
        max_value=9,
        required=False,
        help_text="The digit that was drawn, 0-9.",
        error_messages={
            "null": LABEL_ERROR,
            "invalid": LABEL_ERROR,
            "min_value": LABEL_ERROR,
            "max_value": LABEL_ERROR,
            "max_string_length": LABEL_ERROR,
        },
    )
    number = serializers.RegexField(
        rf"^[0-9]{{1,{limits.MAX_DIGITS}}}\Z",
        required=False,
        trim_whitespace=False,
        help_text=f'The number that was drawn, its digits as text (1 to {limits.MAX_DIGITS}), e.g. "2026".',
        error_messages={"null": NUMBER_ERROR, "invalid": NUMBER_ERROR, "blank": NUMBER_ERROR},
    )
    not_a_digit = serializers.BooleanField(
        required=False,
        help_text="true: the drawing is not a digit at all.",
        error_messages={"invalid": NOT_A_DIGIT_ERROR, "null": NOT_A_DIGIT_ERROR},
    )
    # Not required here: a missing or wrong token is a 403 (not yours), not a malformed request.
    feedback_token = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=False,
        default="",
        help_text="The feedback_token of the predict response that created this prediction.",
    )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            given = [name for name in ("label", "number", "not_a_digit") if name in data]
            if len(given) != 1:
                raise serializers.ValidationError(
                    {api_settings.NON_FIELD_ERRORS_KEY: [FEEDBACK_CHOICE_ERROR]}, code="one_answer"
                )
            if "number" in data and not isinstance(data["number"], str):
                raise serializers.ValidationError({"number": [NUMBER_ERROR]}, code="invalid")
            if "not_a_digit" in data and data["not_a_digit"] is not True:
                raise serializers.ValidationError({"not_a_digit": [NOT_A_DIGIT_ERROR]}, code="invalid")
        return super().to_internal_value(data)


class FeedbackSerializer(serializers.ModelSerializer):
    prediction = serializers.IntegerField(help_text="What the model read (as predict answered it).")
    correct = serializers.SerializerMethodField(help_text="Whether the model read what was drawn.")

    class Meta:
        model = Prediction
        fields = [
            "id",
            "prediction",
            "verdict",
            "number",
            "true_label",
            "true_number",
            "true_not_a_digit",
            "correct",
            "feedback_at",
        ]
        read_only_fields = fields

    def get_correct(self, prediction) -> bool:
        return prediction.feedback_state == Feedback.CONFIRMED


class ModelInfoSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="The short hash of the served .tflite.")
    recipe = serializers.CharField(allow_null=True)
    test_accuracy = serializers.FloatField(allow_null=True, help_text="On the 10,000 MNIST test images.")
    per_digit_accuracy = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    epochs = serializers.IntegerField(allow_null=True)
    parameters = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField(allow_null=True)
