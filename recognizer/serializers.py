"""Serializers: validate what clients send, shape what the API answers."""

import copy

from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recognizer.contract import NUM_DIGITS
from recognizer.images import model_input_png, png_data_url
from recognizer.models import Prediction


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


class PredictRequestSerializer(serializers.Serializer):
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


class PredictionSerializer(FieldsFromModelOnce, serializers.ModelSerializer):
    prediction = serializers.IntegerField(source="predicted_digit", help_text="The digit read, 0-9.")
    probabilities = serializers.ListField(
        child=serializers.FloatField(),
        min_length=NUM_DIGITS,
        max_length=NUM_DIGITS,
        help_text="The probability of each digit 0-9.",
    )
    input_image = serializers.SerializerMethodField(
        help_text="The 28×28 image the model read, as a PNG data URL."
    )
    drawing_url = serializers.SerializerMethodField(help_text="The drawing as received, as PNG.")

    class Meta:
        model = Prediction
        fields = [
            "id",
            "prediction",
            "probability",
            "probabilities",
            "model_version",
            "created_at",
            "source",
            "input_image",
            "drawing_url",
            "true_label",
            "feedback_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "true_label": {
                "help_text": "The digit the person says they drew, once they gave feedback; else null."
            },
            "feedback_at": {"help_text": "When that feedback was last given; else null."},
        }

    def get_input_image(self, prediction) -> str:
        return png_data_url(model_input_png(prediction.model_input_array))

    def get_drawing_url(self, prediction) -> str:
        url = reverse("recognizer:drawing-png", args=[prediction.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class PredictResponseSerializer(PredictionSerializer):
    feedback_token = serializers.CharField(
        read_only=True,
        help_text="Send this back with feedback on this prediction (POST /api/predictions/{id}/feedback). "
        "It is shown only here, once: the site keeps only its hash.",
    )

    class Meta(PredictionSerializer.Meta):
        fields = [*PredictionSerializer.Meta.fields, "feedback_token"]
        read_only_fields = fields


LABEL_ERROR = "label must be a whole number 0-9: the digit that was drawn."


class FeedbackRequestSerializer(serializers.Serializer):
    default_error_messages = {
        "invalid": 'Send a JSON object such as {{"label": 7, "feedback_token": "..."}}, not a {datatype}.',
    }

    label = serializers.IntegerField(
        min_value=0,
        max_value=9,
        help_text="The digit that was drawn, 0-9.",
        error_messages={
            "required": LABEL_ERROR,
            "null": LABEL_ERROR,
            "invalid": LABEL_ERROR,
            "min_value": LABEL_ERROR,
            "max_value": LABEL_ERROR,
            "max_string_length": LABEL_ERROR,
        },
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


class FeedbackSerializer(serializers.ModelSerializer):
    prediction = serializers.IntegerField(source="predicted_digit", help_text="The digit the model read.")
    correct = serializers.SerializerMethodField(help_text="Whether the model read the digit that was drawn.")

    class Meta:
        model = Prediction
        fields = ["id", "prediction", "true_label", "correct", "feedback_at"]
        read_only_fields = fields

    def get_correct(self, prediction) -> bool:
        return prediction.true_label == prediction.predicted_digit


class ModelInfoSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="The short hash of the served .tflite.")
    recipe = serializers.CharField(allow_null=True)
    test_accuracy = serializers.FloatField(allow_null=True, help_text="On the 10,000 MNIST test images.")
    per_digit_accuracy = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    epochs = serializers.IntegerField(allow_null=True)
    parameters = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField(allow_null=True)
