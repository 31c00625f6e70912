"""The admin: staff browse predictions with thumbnails, filters and probability bars; nobody edits them."""

import io

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image

from recognizer.images import model_input_png, png_data_url
from recognizer.models import Prediction
from recognizer.services import record_prediction

pytestmark = pytest.mark.django_db


@pytest.fixture
def predictions(mnist_test_set):
    """Three stored predictions made by the real service from real digits."""
    images, _ = mnist_test_set
    stored = []
    for digit in images[:3]:
        buffer = io.BytesIO()
        Image.fromarray(digit).save(buffer, format="PNG")
        stored.append(record_prediction(image=buffer.getvalue(), source="api"))
    return stored


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_anonymous_users_are_sent_to_the_login_page(client, predictions):
    for url in (
        reverse("admin:recognizer_prediction_changelist"),
        reverse("admin:recognizer_prediction_change", args=[predictions[0].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_list_shows_thumbnails_digit_probability_version_and_time(staff_client, predictions):
    response = staff_client.get(reverse("admin:recognizer_prediction_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    for prediction in predictions:
        # The list links each drawing's thumbnail (a few KB), never the drawing itself.
        assert reverse("recognizer:thumbnail-png", args=[prediction.pk]) in page
        assert reverse("recognizer:drawing-png", args=[prediction.pk]) not in page
        # Each mark's 28×28 input inline (a one-digit drawing: one mark, the drawing's input).
        assert png_data_url(model_input_png(prediction.model_input_array)) in page
        assert f"{prediction.probability:.2%}" in page
    assert predictions[0].model_version in page
    for filter_title in ("By predicted digit", "By model version", "By created at"):
        assert filter_title in page
    assert "created_at__year=" in page  # the date hierarchy's links


def test_list_filters_by_digit(staff_client, predictions):
    digit = predictions[0].predicted_digit
    response = staff_client.get(reverse("admin:recognizer_prediction_changelist"), {"predicted_digit": digit})
    shown = {row.pk for row in response.context["cl"].result_list}
    assert shown == {p.pk for p in predictions if p.predicted_digit == digit}


def test_detail_shows_both_images_large_and_ten_probability_bars(staff_client, predictions):
    prediction = predictions[1]
    response = staff_client.get(reverse("admin:recognizer_prediction_change", args=[prediction.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'src="{reverse("recognizer:drawing-png", args=[prediction.pk])}" width="280"' in page
    assert f'src="{reverse("recognizer:input-png", args=[prediction.pk])}" width="280"' in page
    assert page.count("Probabilities of each digit") == 1
    for value in prediction.probabilities:
        assert f"{value:.2%}" in page
        # Each bar is an SVG rectangle as wide as its probability (no inline style: the CSP has none).
        assert f'<rect class="probability-row__fill" width="{value * 240:.1f}" height="12">' in page
    assert "style=" not in page.split('id="content"')[1]
    assert 'name="_save"' not in page  # read-only


def test_records_cannot_be_added_or_changed_but_can_be_deleted(staff_client, predictions):
    assert staff_client.get(reverse("admin:recognizer_prediction_add")).status_code == 403
    prediction = predictions[2]
    other_digit = (prediction.predicted_digit + 1) % 10
    change_url = reverse("admin:recognizer_prediction_change", args=[prediction.pk])
    assert staff_client.post(change_url, {"predicted_digit": other_digit}).status_code == 403
    prediction.refresh_from_db()
    assert prediction.predicted_digit == predictions[2].predicted_digit
    response = staff_client.post(
        reverse("admin:recognizer_prediction_delete", args=[prediction.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Prediction.objects.filter(pk=prediction.pk).exists()


def test_model_input_image_is_the_stored_28x28(client, predictions):
    response = client.get(reverse("recognizer:input-png", args=[predictions[0].pk]))
    image = np.asarray(Image.open(io.BytesIO(response.content)))
    np.testing.assert_array_equal(image, predictions[0].model_input_array)
    assert "immutable" in response["Cache-Control"]
