"""The REST API: thin views over serializers, services and selectors."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from recognizer import health, limits, reading, selectors, services
from recognizer.errors import DatabaseUnavailable, ModelUnavailable
from recognizer.exceptions import RETRY_AFTER
from recognizer.inference import get_classifier
from recognizer.models import Prediction, Verdict
from recognizer.parsers import JSONParser, MultiPartParser
from recognizer.serializers import (
    FeedbackRequestSerializer,
    FeedbackSerializer,
    ModelInfoSerializer,
    PredictionSerializer,
    PredictRequestSerializer,
    PredictResponseSerializer,
    ReadingSerializer,
    predict_data,
    reading_data,
)
from recognizer.throttles import FeedbackRateThrottle, PredictRateThrottle, ReadRateThrottle

ERROR_RESPONSE = {"type": "object", "properties": {"detail": {"type": "string"}, "code": {"type": "string"}}}


READING_DESCRIPTION = (
    f"The drawing may hold one digit or a number (up to {limits.MAX_DIGITS} digits written left to right, "
    "each read on its own), or something that is not a digit. `verdict` says which; `number` gives the "
    "digits as text and `digits` each one with its probability, ten probabilities, box and 28×28 input. "
    "A one-digit drawing answers `prediction`, `probability` and `probabilities` as the single-digit API "
    "always did; for a number, `prediction` is the number as an integer, `probability` the product of its "
    "digits' probabilities (the chance the whole number is right) and `probabilities` those of its least "
    "certain digit; for what is not a digit, the best digit guess and its (low) probability."
)


class PredictView(APIView):
    """Read the digit or number in a drawing and keep the drawing with the answer."""

    parser_classes = [JSONParser, MultiPartParser]
    throttle_classes = [PredictRateThrottle]  # checked before the body is read: a refusal costs nothing
    throttle_scope = "predict"

    @extend_schema(
        request=PredictRequestSerializer,
        responses={
            201: PredictResponseSerializer,
            400: OpenApiResponse(ERROR_RESPONSE, description="no drawing, an empty one, or not an image"),
            413: OpenApiResponse(ERROR_RESPONSE, description="the image is too large"),
            415: OpenApiResponse(ERROR_RESPONSE, description="not a PNG, JPEG or WebP image"),
            429: OpenApiResponse(ERROR_RESPONSE, description="too many requests from this client"),
        },
        description=READING_DESCRIPTION
        + " The drawing is stored with its reading (201): send feedback on it "
        "with its `feedback_token`.",
    )
    def post(self, request):
        payload = PredictRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        prediction = services.record_prediction(
            image=payload.validated_data["image"], source=payload.validated_data["source"]
        )
        body = predict_data(prediction, request=request)  # as PredictResponseSerializer's, built directly
        return Response(body, status=status.HTTP_201_CREATED)


class ReadView(APIView):
    """Read the digit or number in a drawing, as POST /api/predict does, and store nothing: for reading a
    drawing live, as it is drawn. No id, no feedback token."""

    parser_classes = [JSONParser, MultiPartParser]
    throttle_classes = [ReadRateThrottle]
    throttle_scope = "read"

    @extend_schema(
        request=PredictRequestSerializer,
        responses={
            200: ReadingSerializer,
            400: OpenApiResponse(ERROR_RESPONSE, description="no drawing, an empty one, or not an image"),
            413: OpenApiResponse(ERROR_RESPONSE, description="the image is too large"),
            415: OpenApiResponse(ERROR_RESPONSE, description="not a PNG, JPEG or WebP image"),
            429: OpenApiResponse(ERROR_RESPONSE, description="too many requests from this client"),
        },
        description=READING_DESCRIPTION + " Nothing is stored; the rate limit is its own "
        "(DJANGO_READ_THROTTLE_RATE), higher than predict's.",
    )
    def post(self, request):
        payload = PredictRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        read = reading.read_drawing(image=payload.validated_data["image"])
        return Response(reading_data(read))  # as ReadingSerializer(read).data, built directly


class FeedbackView(APIView):
    """Say what was drawn: confirm the reading or correct it. A new answer replaces the old.

    Exactly one of `label` (a digit 0-9), `number` (the digits as text, e.g. "2026") or
    `"not_a_digit": true`. Only the client that asked for the prediction may answer: it sends back the
    `feedback_token` of the predict response, in the JSON body.
    """

    throttle_classes = [FeedbackRateThrottle]
    throttle_scope = "feedback"

    @extend_schema(
        request=FeedbackRequestSerializer,
        responses={
            200: FeedbackSerializer,
            400: OpenApiResponse(
                ERROR_RESPONSE,
                description="not exactly one of label, number and not_a_digit, or one that is malformed",
            ),
            403: OpenApiResponse(ERROR_RESPONSE, description="no feedback_token, or not this prediction's"),
            404: OpenApiResponse(ERROR_RESPONSE, description="no prediction has this id"),
            429: OpenApiResponse(ERROR_RESPONSE, description="too many requests from this client"),
        },
        examples=[
            OpenApiExample(
                "Corrected: it was a 4",
                request_only=True,
                value={"label": 4, "feedback_token": "the token from /api/predict"},
            ),
            OpenApiExample(
                "Corrected: the number was 2026",
                request_only=True,
                value={"number": "2026", "feedback_token": "the token from /api/predict"},
            ),
            OpenApiExample(
                "It is not a digit",
                request_only=True,
                value={"not_a_digit": True, "feedback_token": "the token from /api/predict"},
            ),
        ],
    )
    def post(self, request, prediction_id):
        payload = FeedbackRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        answer = payload.validated_data
        try:
            prediction = services.record_feedback(
                prediction_id=prediction_id,
                label=answer.get("label"),
                number=answer.get("number"),
                not_a_digit=answer.get("not_a_digit", False),
                token=answer["feedback_token"],
            )
        except Prediction.DoesNotExist:
            raise Http404("No prediction has this id.") from None
        return Response(FeedbackSerializer(prediction).data)


DIGIT_FILTER_ERROR = "digit must be a whole number 0-9."


class DigitFilterSerializer(serializers.Serializer):
    digit = serializers.IntegerField(
        min_value=0,
        max_value=9,
        required=False,
        error_messages={
            "invalid": DIGIT_FILTER_ERROR,
            "min_value": DIGIT_FILTER_ERROR,
            "max_value": DIGIT_FILTER_ERROR,
        },
    )
    verdict = serializers.ChoiceField(
        choices=Verdict.choices,
        required=False,
        error_messages={"invalid_choice": f"verdict must be one of {', '.join(Verdict.values)}."},
    )


class PredictionPagination(PageNumberPagination):
    page_size = limits.API_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = limits.API_MAX_PAGE_SIZE


class PredictionListView(generics.ListAPIView):
    """Recorded predictions, newest first; `?digit=N` keeps those whose digit (for a number, its least
    certain digit) was read as N, `?verdict=` those read as a digit, a number or not a digit."""

    serializer_class = PredictionSerializer
    pagination_class = PredictionPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("digit", int, description="Only predictions of this digit"),
            OpenApiParameter("verdict", str, enum=Verdict.values, description="Only predictions read so"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = DigitFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.list_predictions(
            digit=query.validated_data.get("digit"), verdict=query.validated_data.get("verdict")
        )


class PredictionDetailView(APIView):
    @extend_schema(responses=PredictionSerializer)
    def get(self, request, prediction_id):
        try:
            prediction = selectors.get_prediction(prediction_id=prediction_id)
        except Prediction.DoesNotExist:
            raise Http404("No prediction has this id.") from None
        return Response(PredictionSerializer(prediction, context={"request": request}).data)


class ModelInfoView(APIView):
    """The served model: its version and what training measured."""

    @extend_schema(responses=ModelInfoSerializer)
    def get(self, request):
        classifier = get_classifier()
        metadata = classifier.metadata
        info = {
            "version": classifier.version,
            **{
                field: metadata.get(field)
                for field in (
                    "recipe",
                    "test_accuracy",
                    "per_digit_accuracy",
                    "epochs",
                    "parameters",
                    "created_at",
                )
            },
        }
        return Response(ModelInfoSerializer(info).data)


class HealthView(APIView):
    """200 when the database takes writes (a write rolled back, and for SQLite its file checked) and the
    model is loaded; 503 with the reason otherwise."""

    @extend_schema(responses={200: dict, 503: dict})
    def get(self, request):
        problem = health.database_problem()
        if problem is not None:
            return unavailable(DatabaseUnavailable(problem), retry_after=RETRY_AFTER[DatabaseUnavailable])
        try:
            classifier = get_classifier()
        except ModelUnavailable as error:
            return unavailable(error)
        return Response({"status": "ok", "model_version": classifier.version})


def unavailable(error, *, retry_after=None):
    """A 503 that says what is wrong: the health check speaks to operators and load balancers."""
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    body = {"status": "unavailable", "detail": error.message, "code": error.code}
    return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers=headers)
