"""Reading a drawing: the reading's answer (recognizer.reading), POST /api/read (the same reading, nothing
stored, its own throttle) and the new fields of POST /api/predict, on real drawings."""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from recognizer import inference, limits, preprocessing, reading, segmentation, services
from recognizer.contract import split_outputs
from recognizer.models import MarkReading, Prediction
from recognizer.serializers import PredictResponseSerializer, ReadingSerializer, predict_data, reading_data
from tests.drawn_numbers import number_canvas, number_reading, png_of
from training.canvas import render_strokes
from training.strokes import draw_digit_on_canvas

pytestmark = pytest.mark.django_db  # the served model is the registry's active one

READING_FIELDS = {
    "verdict",
    "number",
    "digits",
    "not_digits",
    "prediction",
    "probability",
    "probabilities",
    "model_version",
}
DIGIT_FIELDS = ["digit", "probability", "probabilities", "not_a_digit_probability", "box", "model_input"]


@pytest.fixture(scope="module")
def canvas_digits(mnist_test_set):
    """Ten real test digits (one of each) redrawn as pen strokes on 280 px canvases: (image, label)."""
    images, labels = mnist_test_set
    rng = np.random.default_rng(11)
    chosen = [int(np.flatnonzero(labels == digit)[0]) for digit in range(10)]
    return [(draw_digit_on_canvas(images[i], rng, background="transparent"), int(labels[i])) for i in chosen]


@pytest.fixture(scope="module")
def mnist_digit(mnist_test_set):
    images, labels = mnist_test_set

    def first(digit, nth=0):
        return images[int(np.flatnonzero(labels == digit)[nth])]

    return first


def data_url(image):
    return "data:image/png;base64," + base64.b64encode(png_of(image)).decode()


def post(client, url, image, **extra):
    return client.post(url, json.dumps({"image": data_url(image)}), content_type="application/json", **extra)


def decoded_png(url):
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.removeprefix("data:image/png;base64,")))))


def ink_box(image):
    alpha = np.asarray(image.getchannel("A")) > 0.2 * 255
    rows, columns = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    return [columns[0], rows[0], columns[-1] + 1 - columns[0], rows[-1] + 1 - rows[0]]


# The reading itself --------------------------------------------------------------------------------


def test_a_one_digit_drawing_is_read_as_that_digit(canvas_digits):
    for image, label in canvas_digits:
        read = reading.read_image(image)
        assert read.verdict == "digit" and read.number == str(label) and read.prediction == label
        (mark,) = read.digits
        assert read.not_digits == () and mark.digit == label
        assert read.probability == mark.probability and read.probabilities == mark.probabilities
        assert sum(mark.probabilities) == pytest.approx(1, abs=1e-5) and len(mark.probabilities) == 10
        assert mark.probability == pytest.approx(
            mark.probabilities[label] * (1 - mark.not_a_digit_probability)
        )
        assert mark.model_input.shape == (28, 28) and mark.model_input.dtype == np.uint8
        assert list(mark.box) == pytest.approx(ink_box(image), abs=1)


def test_a_number_reads_left_to_right_with_the_whole_numbers_probability(mnist_digit):
    classifier = inference.get_classifier()
    _, read = number_reading([mnist_digit(2), mnist_digit(0), mnist_digit(2, 1), mnist_digit(6)], classifier)

    assert read.verdict == "number" and read.number == "2026" and read.prediction == 2026
    assert [mark.digit for mark in read.digits] == [2, 0, 2, 6]
    assert [mark.box[0] for mark in read.digits] == sorted(mark.box[0] for mark in read.digits)
    assert read.probability == pytest.approx(np.prod([mark.probability for mark in read.digits]))
    least_certain = min(read.digits, key=lambda mark: mark.probability)
    assert read.probabilities == least_certain.probabilities and read.representative is least_certain


def test_leading_zeros_stay_in_the_number_not_in_the_integer(mnist_digit):
    _, read = number_reading([mnist_digit(0), mnist_digit(7)], inference.get_classifier())
    assert read.number == "07" and read.prediction == 7 and read.verdict == "number"


def test_a_mark_is_not_a_digit_from_the_threshold_up(canvas_digits):
    """An eleven-output model's answer for real drawings: the digits' part kept, "not a digit" around
    the threshold. A ten-output model's answer never refuses."""
    classifier = inference.get_classifier()
    image, label = canvas_digits[4]
    (mark,) = segmentation.find_marks(preprocessing.ink_of(image), predict=classifier.predict, scale=1.0)
    digits_part = split_outputs(mark.outputs[None])[0][0]  # the served model's ten digit shares
    ten = segmentation.Mark(box=mark.box, model_input=mark.model_input, outputs=digits_part)
    assert reading.mark_readings([ten])[0].not_a_digit_probability == 0  # ten outputs never refuse

    def with_refusal(refusal):
        outputs = np.append(digits_part * (1 - refusal), refusal).astype(np.float32)
        return segmentation.Mark(box=mark.box, model_input=mark.model_input, outputs=outputs)

    below, at = (
        with_refusal(limits.NOT_A_DIGIT_THRESHOLD - 0.01),
        with_refusal(limits.NOT_A_DIGIT_THRESHOLD),
    )
    read = reading.Reading(marks=reading.mark_readings([below, at]), model_version="test")
    assert [mark.is_digit for mark in read.marks] == [True, False]
    assert read.verdict == "digit" and read.number == str(label) and len(read.not_digits) == 1
    assert read.marks[1].probabilities == pytest.approx(tuple(digits_part))  # still ten summing to 1
    assert read.marks[1].probability == pytest.approx(float(digits_part[label]) * 0.5)

    nothing = reading.Reading(marks=reading.mark_readings([at]), model_version="test")
    assert nothing.verdict == "not_a_digit" and nothing.number is None and nothing.digits == ()
    assert nothing.prediction == label and nothing.probability <= 0.5  # the best guess, low


# POST /api/read and /api/predict ----------------------------------------------------------------


def test_read_answers_the_reading_and_stores_nothing(client, canvas_digits):
    image, label = canvas_digits[3]
    response = post(client, "/api/read", image)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == READING_FIELDS  # no id, no token, no dates: nothing was kept
    assert body["verdict"] == "digit" and body["number"] == str(label) and body["prediction"] == label
    assert body["model_version"] == inference.get_classifier().version
    assert Prediction.objects.count() == 0 and MarkReading.objects.count() == 0


def test_predict_answers_the_same_reading_as_read_and_as_today(client, canvas_digits):
    image, label = canvas_digits[8]
    live = post(client, "/api/read", image).json()
    stored = post(client, "/api/predict", image)

    assert stored.status_code == 201
    body = stored.json()
    assert {field: body[field] for field in READING_FIELDS} == live
    assert {"id", "feedback_token", "feedback_url", "created_at", "input_image"} <= set(body)
    assert body["feedback_url"].endswith(f"/api/predictions/{body['id']}/feedback")

    (digit,) = body["digits"]
    assert list(digit) == DIGIT_FIELDS
    assert digit["digit"] == body["prediction"] == label and body["number"] == str(label)
    assert body["probability"] == digit["probability"] and body["probabilities"] == digit["probabilities"]
    refusal = digit["not_a_digit_probability"]  # 0 from a ten-output model: then exactly as today
    assert body["probability"] == pytest.approx(max(body["probabilities"]) * (1 - refusal))
    assert 0 <= refusal < limits.NOT_A_DIGIT_THRESHOLD and body["not_digits"] == []
    assert digit["box"] == pytest.approx(ink_box(image), abs=1)
    assert decoded_png(digit["model_input"]).shape == (28, 28)
    np.testing.assert_array_equal(decoded_png(digit["model_input"]), decoded_png(body["input_image"]))


def test_predict_stores_the_verdict_number_and_each_mark(client, canvas_digits):
    image, label = canvas_digits[5]
    body = post(client, "/api/predict", image).json()

    row = Prediction.objects.get(pk=body["id"])
    assert (row.verdict, row.number, row.digit_count, row.predicted_digit) == ("digit", str(label), 1, label)
    (mark,) = row.marks.all()
    assert (mark.position, mark.is_digit, mark.digit) == (0, True, label)
    assert mark.box == body["digits"][0]["box"]
    assert mark.probability == pytest.approx(body["digits"][0]["probability"])
    assert mark.probabilities == pytest.approx(body["digits"][0]["probabilities"])
    assert mark.not_a_digit_probability == pytest.approx(body["digits"][0]["not_a_digit_probability"])
    np.testing.assert_array_equal(mark.model_input_array, decoded_png(body["digits"][0]["model_input"]))
    np.testing.assert_array_equal(mark.model_input_array, row.model_input_array)

    again = client.get(f"/api/predictions/{row.pk}").json()
    assert {field: again[field] for field in READING_FIELDS} == {
        field: body[field] for field in READING_FIELDS
    }


@pytest.mark.parametrize(
    "body, status, words",
    [
        (b"{}", 400, "Send the drawing in the field 'image'"),
        (b'{"image": 7}', 400, "must be a data URL"),
        (b'{"image": "data:image/png;base64,AAAA"}', 415, ""),  # three zero bytes: no image format
        (b'{"image": ', 400, "not valid JSON"),
    ],
)
def test_read_refuses_what_is_not_a_drawing_with_json_and_stores_nothing(client, body, status, words):
    response = client.generic("POST", "/api/read", body, content_type="application/json")
    assert response.status_code == status and response["Content-Type"] == "application/json"
    assert words in response.json()["detail"] and response.json()["code"]
    assert Prediction.objects.count() == 0


def test_read_of_an_empty_canvas_says_it_is_empty(client):
    response = post(client, "/api/read", Image.new("RGBA", (280, 280), (0, 0, 0, 0)))
    assert response.status_code == 400 and response.json()["code"] == "empty_drawing"


def test_read_is_throttled_apart_from_predict(client, settings, canvas_digits):
    image, _ = canvas_digits[1]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"predict": "1/min", "read": "3/min"},
    }
    assert post(client, "/api/predict", image).status_code == 201
    assert post(client, "/api/predict", image).status_code == 429
    assert [post(client, "/api/read", image).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert Prediction.objects.count() == 1


def test_the_read_rate_comes_from_its_variable_and_is_higher_than_predicts(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates["read"] == limits.READ_RATE == "600/min" and rates["predict"] == "120/min"
    import subprocess
    import sys

    checked = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.settings'; django.setup(); "
            "from django.conf import settings; print(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])",
        ],
        env={**__import__("os").environ, "DJANGO_READ_THROTTLE_RATE": "5/s"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "'read': '5/s'" in checked.stdout


def test_the_schema_documents_read_and_the_reading(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    read = schema["paths"]["/api/read"]["post"]
    assert {"200", "400", "429"} <= set(read["responses"]) and "Nothing is stored" in read["description"]
    predict = schema["paths"]["/api/predict"]["post"]
    assert "product of its digits' probabilities" in predict["description"]
    components = schema["components"]["schemas"]

    def fields(operation, status):
        reference = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        return components[reference.rsplit("/", 1)[-1]]["properties"]

    for properties in (fields(read, "200"), fields(predict, "201")):
        assert set(properties) >= READING_FIELDS
        assert "least certain digit" in properties["probabilities"]["description"]
        assert "the number as an integer" in properties["prediction"]["description"]
    digit = components[fields(read, "200")["digits"]["items"]["$ref"].rsplit("/", 1)[-1]]["properties"]
    assert set(DIGIT_FIELDS) <= set(digit)


# Numbers through the API: the segmentation finds the digits ------------------------------------------


def test_a_number_drawn_on_one_canvas_is_read_and_stored_whole(client, mnist_digit):
    digits = [mnist_digit(1), mnist_digit(9), mnist_digit(8), mnist_digit(4)]
    image, columns = number_canvas(digits)
    live = post(client, "/api/read", image).json()
    response = post(client, "/api/predict", image)

    assert response.status_code == 201
    body = response.json()
    assert {field: body[field] for field in READING_FIELDS} == live
    assert (body["verdict"], body["number"], body["prediction"]) == ("number", "1984", 1984)
    assert [digit["digit"] for digit in body["digits"]] == [1, 9, 8, 4]
    for digit, (left, right) in zip(body["digits"], columns, strict=True):
        x, _, width, _ = digit["box"]
        assert left - 2 <= x and x + width <= right + 2  # where it was drawn, in the sent image's pixels
    assert body["probability"] == pytest.approx(np.prod([digit["probability"] for digit in body["digits"]]))
    row = Prediction.objects.get(pk=body["id"])
    assert row.number == "1984" and row.marks.count() == 4 and row.digit_count == 4


def test_more_digits_than_a_reading_takes_is_refused_and_nothing_is_stored(client, mnist_test_set):
    images, _ = mnist_test_set
    image, _ = number_canvas(images[300 : 300 + limits.MAX_DIGITS + 1], supersample=1)
    for url in ("/api/read", "/api/predict"):
        response = post(client, url, image)
        assert response.status_code == 422 and response.json()["code"] == "too_many_marks"
        assert str(limits.MAX_DIGITS) in response.json()["detail"]
    assert Prediction.objects.count() == 0


def test_the_read_answer_is_what_the_reading_serializer_gives(canvas_digits, mnist_digit):
    """/api/read builds its answer directly (serializers.reading_data), for speed: the same as the
    serializer the schema documents, for a digit, a number and what is not a digit."""
    classifier = inference.get_classifier()
    digit = reading.read_image(canvas_digits[2][0])
    _, number = number_reading([mnist_digit(4), mnist_digit(0), mnist_digit(4, 1)], classifier)
    refused = reading.Reading(
        marks=reading.mark_readings(
            [
                segmentation.Mark(
                    box=(1, 2, 3, 4),
                    model_input=np.zeros((28, 28), np.uint8),
                    outputs=np.r_[np.full(10, 0.02), 0.8],
                )
            ]
        ),
        model_version="test",
    )
    for read in (digit, number, refused):
        assert json.dumps(reading_data(read)) == json.dumps(ReadingSerializer(read).data)


def test_the_predict_answer_is_what_the_predict_serializer_gives(rf, canvas_digits, mnist_digit):
    """/api/predict builds its answer directly too (serializers.predict_data): the same as the serializer
    the schema documents, for a digit and a number."""
    image, columns = number_canvas([mnist_digit(5), mnist_digit(3)])
    request = rf.post("/api/predict")
    for drawing in (canvas_digits[6][0], image):
        prediction = services.record_prediction(image=png_of(drawing), source="web")
        documented = PredictResponseSerializer(prediction, context={"request": request}).data
        assert json.dumps(predict_data(prediction, request=request)) == json.dumps(documented)


# What is not a digit, read by the shipped model ------------------------------------------------------

SHAPES = {  # strokes on a 280 px canvas, in canvas pixels
    "the letter A": [[(80, 230), (140, 50), (200, 230)], [(105, 160), (175, 160)]],
    "the letter H": [[(80, 60), (80, 220)], [(200, 60), (200, 220)], [(80, 140), (200, 140)]],
    "a horizontal line": [[(50, 140), (230, 140)]],
}


@pytest.mark.parametrize("shape", SHAPES)
def test_a_shape_is_answered_not_a_digit_and_still_stored(client, shape):
    image = render_strokes(SHAPES[shape], pen_width=16, background="transparent")
    live = post(client, "/api/read", image).json()
    response = post(client, "/api/predict", image)

    assert response.status_code == 201  # kept, so it can be corrected
    body = response.json()
    assert {field: body[field] for field in READING_FIELDS} == live
    assert (body["verdict"], body["number"], body["digits"]) == ("not_a_digit", None, [])
    assert body["not_digits"] and all(
        mark["not_a_digit_probability"] >= limits.NOT_A_DIGIT_THRESHOLD for mark in body["not_digits"]
    )
    assert body["prediction"] in range(10) and body["probability"] < 0.5  # the best guess, low
    assert len(body["probabilities"]) == 10 and sum(body["probabilities"]) == pytest.approx(1, abs=1e-5)
    row = Prediction.objects.get(pk=body["id"])
    assert (row.verdict, row.number, row.digit_count) == ("not_a_digit", None, 0)
