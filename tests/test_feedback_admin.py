"""The admin and feedback: filter by it, see the true label, export labelled drawings as MNIST files."""

import io
import zipfile

import numpy as np
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from PIL import Image

from recognizer import services
from recognizer.models import Prediction
from training.data import load_split

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:recognizer_prediction_changelist"


def record(digit_image):
    buffer = io.BytesIO()
    Image.fromarray(digit_image).save(buffer, format="PNG")
    return services.record_prediction(image=buffer.getvalue(), source="web")


@pytest.fixture
def drawings(mnist_test_set):
    """Four real digits through the service: no feedback, confirmed, corrected, confirmed."""
    images, labels = mnist_test_set
    rows = [record(image) for image in images[:4]]  # a 7, a 2, a 1, a 0
    assert [row.predicted_digit for row in rows] == [int(label) for label in labels[:4]]
    for row, label in ((rows[1], 2), (rows[2], 4), (rows[3], 0)):
        services.record_feedback(prediction_id=row.pk, label=label, token=row.feedback_token)
    return {"none": rows[0], "confirmed": rows[1], "corrected": rows[2], "confirmed_too": rows[3]}


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def shown_ids(response):
    return {row.pk for row in response.context["cl"].result_list}


def test_feedback_filter_and_true_label_column(staff_client, drawings):
    url = reverse(CHANGELIST)
    page = staff_client.get(url).content.decode()
    assert "By feedback" in page
    for choice in ("No feedback", "Confirmed (model right)", "Corrected (model wrong)"):
        assert choice in page
    assert "True label" in page
    assert '<span title="Corrected" class="feedback-mark feedback-mark--corrected">✗ 4</span>' in page
    assert '<span title="Confirmed" class="feedback-mark feedback-mark--confirmed">✓ 2</span>' in page

    assert shown_ids(staff_client.get(url, {"feedback": "none"})) == {drawings["none"].pk}
    assert shown_ids(staff_client.get(url, {"feedback": "confirmed"})) == {
        drawings["confirmed"].pk,
        drawings["confirmed_too"].pk,
    }
    assert shown_ids(staff_client.get(url, {"feedback": "corrected"})) == {drawings["corrected"].pk}
    assert len(shown_ids(staff_client.get(url))) == 4


def export(staff_client, rows):
    return staff_client.post(
        reverse(CHANGELIST), {"action": "export_mnist_dataset", "_selected_action": [row.pk for row in rows]}
    )


def test_export_is_a_zip_of_mnist_files_any_mnist_reader_takes(staff_client, drawings, tmp_path):
    response = export(staff_client, drawings.values())

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="digit-drawings-mnist-')
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert set(archive.namelist()) == {
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "README.txt",
        }
        archive.extractall(tmp_path)
    images, labels, _ = load_split(tmp_path, "train")  # the project's own MNIST reader

    labelled = sorted(
        (drawings["confirmed"], drawings["corrected"], drawings["confirmed_too"]), key=lambda r: r.pk
    )
    assert labels.tolist() == [2, 4, 0]  # the true labels (the 1 read as a 1 was corrected to 4), by id
    assert images.shape == (3, 28, 28) and images.dtype == np.uint8
    for image, row in zip(images, labelled):
        assert np.array_equal(image, Prediction.objects.get(pk=row.pk).model_input_array)
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert messages == [
        "Exported 3 drawings with their true labels as an MNIST dataset. Skipped 1 without feedback."
    ]


def test_export_of_drawings_without_feedback_says_so_and_sends_nothing(staff_client, drawings):
    response = export(staff_client, [drawings["none"]])
    assert response.status_code == 302  # back to the list
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert messages == ["None of the 1 selected drawings has feedback (a true label): nothing to export."]
