"""The REST API: the predict contract, what is stored, reading history back, and every malformed request."""

import base64
import io
import json

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from recognizer import inference
from recognizer.models import Prediction
from training.strokes import draw_digit_on_canvas

pytestmark = pytest.mark.django_db


def png_of(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(png):
    return "data:image/png;base64," + base64.b64encode(png).decode()


@pytest.fixture(scope="module")
def canvas_digits(mnist_test_set):
    """Ten real test digits (one of each) redrawn as pen strokes on 280 px canvases, as PNG bytes."""
    images, labels = mnist_test_set
    rng = np.random.default_rng(7)
    chosen = [int(np.flatnonzero(labels == digit)[0]) for digit in range(10)]
    return [
        (png_of(draw_digit_on_canvas(images[i], rng, background="transparent")), int(labels[i]))
        for i in chosen
    ]


def post_json(client, body, **extra):
    return client.post("/api/predict", json.dumps(body), content_type="application/json", **extra)


def test_predict_answers_the_digit_and_stores_the_drawing(client, canvas_digits):
    png, label = canvas_digits[7]
    response = post_json(client, {"image": data_url(png)})

    assert response.status_code == 201
    body = response.json()
    assert set(body) >= {
        "id",
        "prediction",
        "probability",
        "probabilities",
        "model_version",
        "created_at",
        "input_image",
    }
    assert body["prediction"] == label
    assert len(body["probabilities"]) == 10 and abs(sum(body["probabilities"]) - 1) < 1e-4
    # The digit's probability among all the model's classes: with a ten-output model, max(probabilities).
    refusal = body["digits"][0]["not_a_digit_probability"]
    assert max(body["probabilities"]) == body["probabilities"][label]
    assert body["probability"] == pytest.approx(body["probabilities"][label] * (1 - refusal))
    assert body["model_version"] == inference.get_classifier().version

    stored = Prediction.objects.get(pk=body["id"])
    assert stored.predicted_digit == label and stored.source == "api"
    assert stored.probabilities == pytest.approx(body["probabilities"])
    assert (
        np.asarray(Image.open(io.BytesIO(bytes(stored.drawing_png)))).tolist()
        == np.asarray(Image.open(io.BytesIO(png))).tolist()
    )
    input_png = base64.b64decode(body["input_image"].removeprefix("data:image/png;base64,"))
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(input_png))), stored.model_input_array)


def test_all_ten_digits_are_read(client, canvas_digits):
    answers = [post_json(client, {"image": data_url(png)}).json()["prediction"] for png, _ in canvas_digits]
    assert answers == [label for _, label in canvas_digits]
    assert Prediction.objects.count() == 10


def test_seed_clients_sending_bare_base64_keep_working(client, canvas_digits):
    png, label = canvas_digits[3]
    response = post_json(client, {"image": base64.b64encode(png).decode()})
    assert response.status_code == 201
    assert response.json()["prediction"] == label and 0 < response.json()["probability"] <= 1


def test_multipart_upload(client, canvas_digits):
    png, label = canvas_digits[4]
    upload = SimpleUploadedFile("digit.png", png, content_type="image/png")
    response = client.post("/api/predict", {"image": upload, "source": "web"})
    assert response.status_code == 201
    assert response.json()["prediction"] == label and response.json()["source"] == "web"


def test_jpeg_and_webp_are_accepted(client, canvas_digits):
    png, label = canvas_digits[2]
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    white = Image.new("RGB", image.size, "white")
    white.paste(image, mask=image.getchannel("A"))
    for format in ("JPEG", "WEBP"):
        buffer = io.BytesIO()
        white.save(buffer, format=format)
        response = post_json(client, {"image": base64.b64encode(buffer.getvalue()).decode()})
        assert response.status_code == 201 and response.json()["prediction"] == label, format


@pytest.fixture
def blank_png():
    return png_of(Image.new("RGBA", (280, 280), (0, 0, 0, 0)))


MALFORMED = [
    # (name, content type, body, status, words the message must contain)
    ("bad JSON", "application/json", b'{"image": ', 400, "not valid JSON"),
    ("invalid UTF-8", "application/json", b'{"image": "\xff\xfe"}', 400, "UTF-8"),
    ("no image", "application/json", b"{}", 400, "Send the drawing in the field 'image'"),
    ("null image", "application/json", b'{"image": null}', 400, "null"),
    ("empty image", "application/json", b'{"image": ""}', 400, "empty"),
    ("number image", "application/json", b'{"image": 5}', 400, "not int"),
    ("list image", "application/json", b'{"image": ["a"]}', 400, "not list"),
    ("JSON list body", "application/json", b'["image"]', 400, "image"),
    ("bad base64", "application/json", b'{"image": "data:image/png;base64,@@@"}', 400, "not valid base64"),
    (
        "text, not an image",
        "application/json",
        json.dumps({"image": base64.b64encode(b"hello").decode()}).encode(),
        415,
        "not a PNG, JPEG or WebP",
    ),
    (
        "SVG data URL",
        "application/json",
        b'{"image": "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="}',
        415,
        "not a PNG, JPEG or WebP",
    ),
    ("HTML data URL", "application/json", b'{"image": "data:text/html;base64,PGI+"}', 415, "not an image"),
    ("plain text body", "text/plain", b"hello", 415, "Unsupported media type"),
    ("form post", "application/x-www-form-urlencoded", b"image=abc", 415, "Unsupported media type"),
    ("empty body", "application/json", b"", 400, "image"),
]


@pytest.mark.parametrize(
    "name, content_type, body, status, words", MALFORMED, ids=[case[0] for case in MALFORMED]
)
def test_malformed_requests_get_a_clear_4xx_and_store_nothing(
    client, name, content_type, body, status, words
):
    response = client.generic("POST", "/api/predict", body, content_type=content_type)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert words in response.json()["detail"]
    assert Prediction.objects.count() == 0


def test_truncated_png_is_400(client, canvas_digits):
    png = canvas_digits[0][0]
    response = post_json(client, {"image": data_url(png[: len(png) // 2])})
    assert response.status_code == 400 and "truncated or corrupt" in response.json()["detail"]
    assert Prediction.objects.count() == 0


def test_empty_drawing_is_400(client, blank_png):
    response = post_json(client, {"image": data_url(blank_png)})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The drawing is empty: draw a digit first.",
        "code": "empty_drawing",
        "errors": {"image": ["The drawing is empty: draw a digit first."]},
    }
    assert Prediction.objects.count() == 0


def test_image_over_4096_pixels_wide_is_413(client):
    response = post_json(client, {"image": data_url(png_of(Image.new("1", (5000, 10))))})
    assert response.status_code == 413 and "4096" in response.json()["detail"]
    assert Prediction.objects.count() == 0


def test_body_over_the_limit_is_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_json(client, {"image": "A" * 2000})
    assert response.status_code == 413 and "larger than" in response.json()["detail"]
    assert Prediction.objects.count() == 0


def test_multipart_without_the_file_is_400(client):
    response = client.post("/api/predict", {"other": "x"})
    assert response.status_code == 400 and "image" in response.json()["detail"]


def test_wrong_method_is_405(client):
    for method in ("get", "put", "delete"):
        response = getattr(client, method)("/api/predict")
        assert response.status_code == 405 and "not allowed" in response.json()["detail"]


def test_the_api_answers_json_whatever_the_client_accepts(client):
    """Asked for a type the API does not render, it answers its real answer in JSON, not 406."""
    response = client.get("/api/predict", HTTP_ACCEPT="image/png")
    assert response.status_code == 405 and response["Content-Type"] == "application/json"
    response = post_json(client, {"image": "not base64!"}, HTTP_ACCEPT="application/xml")
    assert response.status_code == 400 and "base64" in response.json()["detail"]
    assert Prediction.objects.count() == 0


@pytest.mark.parametrize(
    ("accept", "indented"),
    [(None, False), ("*/*", False), ("application/json", False), ("application/json; indent=2", True)],
)
def test_the_api_honours_what_the_accept_header_asks_of_its_json(client, accept, indented):
    """The common Accept headers are answered without DRF's negotiation; one with parameters is not."""
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = post_json(client, {"image": "not base64!"}, **headers)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.content.startswith(b'{\n  "detail"' if indented else b'{"detail"')


def test_missing_model_is_503_not_a_traceback(client, settings, tmp_path, canvas_digits):
    settings.MODEL_PATH = tmp_path / "missing.tflite"
    inference.reset_classifier()
    try:
        response = post_json(client, {"image": data_url(canvas_digits[1][0])})
        health = client.get("/api/health")
    finally:
        inference.reset_classifier()
    assert response.status_code == 503 and "not available" in response.json()["detail"]
    assert health.status_code == 503 and "train_model" in health.json()["detail"]
    assert Prediction.objects.count() == 0


def test_corrupt_model_is_reported_by_the_health_check(client, settings, tmp_path):
    corrupt = tmp_path / "digit_cnn.tflite"
    corrupt.write_bytes(b"\0" * 1000)
    settings.MODEL_PATH = corrupt
    inference.reset_classifier()
    try:
        health = client.get("/api/health")
    finally:
        inference.reset_classifier()
    assert health.status_code == 503 and "not a valid LiteRT model" in health.json()["detail"]


def test_health_is_ok_with_the_shipped_model(client):
    assert client.get("/api/health").json() == {
        "status": "ok",
        "model_version": inference.get_classifier().version,
    }


@pytest.fixture
def history(client, canvas_digits):
    """Ten stored predictions, one of each digit, oldest first."""
    return [post_json(client, {"image": data_url(png)}).json() for png, _ in canvas_digits]


def test_list_is_paginated_newest_first(client, history):
    first = client.get("/api/predictions?page_size=4").json()
    assert first["count"] == 10
    assert [item["id"] for item in first["results"]] == [item["id"] for item in reversed(history)][:4]
    second = client.get(first["next"]).json()
    assert [item["id"] for item in second["results"]] == [item["id"] for item in reversed(history)][4:8]


def test_list_filters_by_digit(client, history):
    body = client.get("/api/predictions?digit=7").json()
    assert body["count"] == 1 and body["results"][0]["prediction"] == 7


@pytest.mark.parametrize("digit", ["x", "10", "-1", "1.5"])
def test_bad_digit_filter_is_400(client, history, digit):
    response = client.get(f"/api/predictions?digit={digit}")
    assert response.status_code == 400 and "digit" in response.json()["detail"]


def test_detail_and_missing_detail(client, history):
    item = history[5]
    detail = {
        field: value for field, value in item.items() if field != "feedback_token"
    }  # given once, at 201
    assert client.get(f"/api/predictions/{item['id']}").json() == detail
    missing = client.get("/api/predictions/999999")
    assert missing.status_code == 404 and missing.json()["detail"]


def test_stored_drawing_is_served_as_png(client, history):
    response = client.get(f"/predictions/{history[0]['id']}/drawing.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (280, 280)
    assert "immutable" in response["Cache-Control"]  # a stored drawing never changes


def test_model_info(client):
    body = client.get("/api/model").json()
    classifier = inference.get_classifier()
    assert body["version"] == classifier.version
    assert body["recipe"] == classifier.metadata["recipe"]
    assert body["test_accuracy"] == classifier.metadata["test_accuracy"]
    assert len(body["per_digit_accuracy"]) == 10


def test_openapi_schema_and_docs(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert {"/api/predict", "/api/predictions", "/api/predictions/{prediction_id}", "/api/model"} <= set(
        schema["paths"]
    )
    assert "201" in schema["paths"]["/api/predict"]["post"]["responses"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    assert b"//cdn" not in docs.content and b"/static/drf_spectacular_sidecar/" in docs.content


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_an_unknown_api_path_is_a_json_404(client, method):
    response = getattr(client, method)("/api/no/such/thing")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "There is no API endpoint at /api/no/such/thing: see /api/docs/.",
        "code": "not_found",
    }
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_signed_in_session_must_pass_the_csrf_check_and_no_session_needs_none(django_user_model):
    """API requests carrying a session cookie are authenticated by it (so a forged cross-site request
    from a signed-in browser is refused); those without one are anonymous and need no CSRF token."""
    body = json.dumps({"image": "not base64!"})
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/api/read", body, content_type="application/json").status_code == 400
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(django_user_model.objects.create_user("someone", password="pw"))
    refused = signed_in.post("/api/read", body, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
