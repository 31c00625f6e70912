"""Feedback on a prediction: only the client holding the prediction's token may say which digit it was."""

import base64
import hashlib
import io
import json

import pytest
from django.utils import timezone
from PIL import Image

from recognizer.models import Prediction

pytestmark = pytest.mark.django_db


def png_data_url(digit):
    buffer = io.BytesIO()
    Image.fromarray(digit).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def post_json(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def predict(client, mnist_test_set):
    """POST /api/predict with the MNIST test digit at `index`; returns the 201 body."""
    images, _ = mnist_test_set

    def make(index=0, **extra):
        response = post_json(client, "/api/predict", {"image": png_data_url(images[index])}, **extra)
        assert response.status_code == 201, response.content
        return response.json()

    return make


def feedback(client, prediction_id, body, **extra):
    return post_json(client, f"/api/predictions/{prediction_id}/feedback", body, **extra)


def stored(prediction_id):
    return Prediction.objects.get(pk=prediction_id)


def test_predict_answers_a_feedback_token_once_and_stores_only_its_hash(client, predict):
    first, second = predict(0), predict(1)
    token = first["feedback_token"]
    assert isinstance(token, str) and len(token) >= 43  # 32 random bytes, URL-safe base64
    assert second["feedback_token"] != token

    row = stored(first["id"])
    assert row.feedback_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(
        [str(value) for value in Prediction.objects.filter(pk=row.pk).values().get().values()]
    )

    # Never again: not in the detail, not in the list.
    for url in (f"/api/predictions/{first['id']}", "/api/predictions"):
        response = client.get(url)
        assert response.status_code == 200
        assert "feedback_token" not in response.content.decode() and token not in response.content.decode()


def test_the_right_token_records_the_true_label_and_when(client, predict):
    prediction = predict(0)  # MNIST's first test digit, a 7
    before = timezone.now()

    response = feedback(
        client, prediction["id"], {"label": 7, "feedback_token": prediction["feedback_token"]}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == prediction["id"] and body["prediction"] == prediction["prediction"] == 7
    assert body["true_label"] == 7 and body["correct"] is True
    row = stored(prediction["id"])
    assert row.true_label == 7 and before <= row.feedback_at <= timezone.now()
    assert row.feedback_state == "confirmed"
    detail = client.get(f"/api/predictions/{prediction['id']}").json()
    assert detail["true_label"] == 7 and detail["feedback_at"] == body["feedback_at"]


def test_a_new_answer_replaces_the_old_one(client, predict):
    prediction = predict(0)
    token = prediction["feedback_token"]
    assert feedback(client, prediction["id"], {"label": 7, "feedback_token": token}).status_code == 200
    first_at = stored(prediction["id"]).feedback_at

    response = feedback(client, prediction["id"], {"label": 1, "feedback_token": token})

    assert response.status_code == 200 and response.json()["correct"] is False
    row = stored(prediction["id"])
    assert row.true_label == 1 and row.feedback_at >= first_at and row.feedback_state == "corrected"
    assert Prediction.objects.count() == 1


@pytest.mark.parametrize("token", [None, "", "not-the-token", "OTHER", "SAME-LENGTH", "WITH-SPACE"])
def test_without_the_predictions_own_token_feedback_is_403_and_changes_nothing(client, predict, token):
    prediction, other = predict(0), predict(1)
    real = prediction["feedback_token"]
    token = {
        "OTHER": other["feedback_token"],  # another prediction's token
        "SAME-LENGTH": real[:-1] + ("A" if real[-1] != "A" else "B"),
        "WITH-SPACE": f" {real}",
    }.get(token, token)
    body = {"label": 3} if token is None else {"label": 3, "feedback_token": token}

    response = feedback(client, prediction["id"], body)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the client that asked for this prediction may give feedback on it: send its "
        "feedback_token.",
        "code": "feedback_not_allowed",
    }
    assert stored(prediction["id"]).true_label is None and stored(prediction["id"]).feedback_at is None


def test_a_drawing_stored_without_a_token_takes_no_feedback(client, predict):
    prediction = predict(0)
    Prediction.objects.filter(pk=prediction["id"]).update(
        feedback_token_hash=""
    )  # as rows made before feedback
    for token in ("", prediction["feedback_token"]):
        assert feedback(client, prediction["id"], {"label": 7, "feedback_token": token}).status_code == 403
    assert stored(prediction["id"]).true_label is None


def test_unknown_prediction_is_404(client, predict):
    prediction = predict(0)
    response = feedback(
        client, prediction["id"] + 1000, {"label": 7, "feedback_token": prediction["feedback_token"]}
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "No prediction has this id.", "code": "not_found"}


@pytest.mark.parametrize("label", [10, -1, 3.5, "seven", None, True, [7]])
def test_a_label_that_is_not_a_digit_is_400_and_changes_nothing(client, predict, label):
    prediction = predict(0)
    body = {"feedback_token": prediction["feedback_token"], "label": label}

    response = feedback(client, prediction["id"], body)

    assert response.status_code == 400
    assert response.json()["detail"] == "label must be a whole number 0-9: the digit that was drawn."
    assert set(response.json()) == {"detail", "code", "errors"}
    assert stored(prediction["id"]).true_label is None


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("[7]", "application/json"),
        ("label=7", "application/x-www-form-urlencoded"),
        ("{", "application/json"),
    ],
)
def test_a_malformed_body_is_a_4xx_json_sentence(client, predict, body, content_type):
    prediction = predict(0)
    response = client.post(f"/api/predictions/{prediction['id']}/feedback", body, content_type=content_type)
    assert response.status_code in (400, 415)
    assert set(response.json()) >= {"detail", "code"}
    assert stored(prediction["id"]).true_label is None


def test_feedback_is_throttled_per_client_apart_from_predictions(client, predict, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"predict": "3/min"}}
    prediction = predict(0)  # one drawing: 1 of the 3 predictions this minute
    token = prediction["feedback_token"]
    statuses = [
        feedback(client, prediction["id"], {"label": digit, "feedback_token": token}).status_code
        for digit in (7, 1, 7, 2)
    ]
    assert statuses == [200, 200, 200, 429]  # feedback has 3 of its own
    assert stored(prediction["id"]).true_label == 7
    predict(1)  # and predictions still have theirs


def test_history_marks_confirmed_and_corrected_drawings(client, predict):
    confirmed, corrected = predict(0), predict(1)  # a 7, a 2
    predict(2)  # a 1, left without feedback
    feedback(client, confirmed["id"], {"label": 7, "feedback_token": confirmed["feedback_token"]})
    feedback(client, corrected["id"], {"label": 3, "feedback_token": corrected["feedback_token"]})

    page = client.get("/history/").content.decode()

    tiles = page.split('<li class="tile">')[1:]  # newest first
    assert len(tiles) == 3
    assert "✓ confirmed" not in tiles[0] and "✗ corrected" not in tiles[0]
    assert "✗ corrected to 3" in tiles[1] and "✓ confirmed" not in tiles[1]
    assert "✓ confirmed" in tiles[2] and "✗ corrected" not in tiles[2]


def test_the_schema_documents_the_feedback_endpoint(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/predictions/{prediction_id}/feedback"]["post"]
    assert {"200", "400", "403", "404", "429"} <= set(operation["responses"])
    request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][request]["properties"]
    assert properties["label"]["minimum"] == 0 and properties["label"]["maximum"] == 9
    assert "feedback_token" in properties
    predict_response = schema["paths"]["/api/predict"]["post"]["responses"]["201"]["content"][
        "application/json"
    ]
    response_schema = predict_response["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "feedback_token" in schema["components"]["schemas"][response_schema]["properties"]
