"""Numbers and non-digits kept: what is stored, feedback of each kind (and what it refuses), the
statistics, the history, the admin, the migration, and the labelled marks training learns from."""

import base64
import gzip
import io
import json
import re
import zipfile

import numpy as np
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from PIL import Image

from recognizer import limits, selectors, services
from recognizer.contract import NOT_A_DIGIT
from recognizer.images import model_input_png, png_data_url
from recognizer.inference import get_classifier
from recognizer.models import Feedback, MarkReading, Prediction
from recognizer.serializers import FEEDBACK_CHOICE_ERROR, NOT_A_DIGIT_ERROR, NUMBER_ERROR
from tests.drawn_numbers import number_reading, png_of
from training import feedback as feedback_training
from training.strokes import draw_digit_on_canvas

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def mnist_digit(mnist_test_set):
    images, labels = mnist_test_set

    def first(digit, nth=0):
        return images[int(np.flatnonzero(labels == digit)[nth])]

    return first


@pytest.fixture
def stored_number(mnist_digit):
    """2026 drawn on one canvas, its marks where the digits were drawn, read by the served model and
    stored by the service."""
    digits = [mnist_digit(2), mnist_digit(0), mnist_digit(2, 1), mnist_digit(6)]
    decoded, read = number_reading(digits, get_classifier())
    assert read.number == "2026"
    prediction = services.store_reading(decoded=decoded, read=read, source="web")
    return prediction, read


@pytest.fixture(scope="module")
def refusing_model_file(tmp_path_factory):
    """A real eleven-output model whose last output ("not a digit") always wins: about 2/3 for any
    drawing, the digits sharing the rest."""
    import keras

    from training.export import write_model_files

    model = keras.Sequential(
        [keras.Input(shape=(28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(11, activation="softmax")]
    )
    kernel, bias = model.layers[-1].get_weights()
    bias[:] = 0
    bias[NOT_A_DIGIT] = 3.0  # e³ / (10 + e³) ≈ 0.67
    model.layers[-1].set_weights([np.zeros_like(kernel), bias])
    folder = tmp_path_factory.mktemp("refusing")
    return write_model_files(model, folder)


@pytest.fixture
def serving_the_refuser(refusing_model_file):
    return services.register_model_file(path=refusing_model_file, activate=True)


@pytest.fixture(scope="module")
def canvas_seven(mnist_digit):
    return draw_digit_on_canvas(mnist_digit(7), np.random.default_rng(3), background="transparent")


def data_url(image):
    return "data:image/png;base64," + base64.b64encode(png_of(image)).decode()


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def give(client, prediction, **answer):
    token = (
        prediction.feedback_token if hasattr(prediction, "feedback_token") else prediction["feedback_token"]
    )
    pk = prediction.pk if hasattr(prediction, "pk") else prediction["id"]
    return post(client, f"/api/predictions/{pk}/feedback", {**answer, "feedback_token": token})


# A number, stored -------------------------------------------------------------------------------------


def test_a_number_is_stored_with_each_digit(client, stored_number):
    prediction, read = stored_number
    row = Prediction.objects.get(pk=prediction.pk)
    assert (row.verdict, row.number, row.digit_count, row.prediction) == ("number", "2026", 4, 2026)
    assert row.probability == pytest.approx(read.probability) and row.probability < 1
    least_certain = read.representative
    assert row.predicted_digit == least_certain.digit and row.probabilities == pytest.approx(
        least_certain.probabilities
    )
    np.testing.assert_array_equal(row.model_input_array, least_certain.model_input)
    marks = list(row.marks.all())
    assert [mark.position for mark in marks] == [0, 1, 2, 3] and [mark.digit for mark in marks] == [
        2,
        0,
        2,
        6,
    ]
    for mark, read_mark in zip(marks, read.marks, strict=True):
        assert mark.box == list(read_mark.box) and mark.is_digit
        assert mark.probability == pytest.approx(read_mark.probability)
        np.testing.assert_array_equal(mark.model_input_array, read_mark.model_input)

    body = client.get(f"/api/predictions/{row.pk}").json()
    assert (body["verdict"], body["number"], body["prediction"]) == ("number", "2026", 2026)
    assert [digit["digit"] for digit in body["digits"]] == [2, 0, 2, 6] and body["not_digits"] == []
    assert body["digits"][3]["box"] == list(read.marks[3].box)
    listed = client.get("/api/predictions").json()["results"][0]
    assert listed["number"] == "2026" and len(listed["digits"]) == 4
    assert [row["id"] for row in client.get("/api/predictions", {"verdict": "number"}).json()["results"]] == [
        row.pk
    ]
    assert client.get("/api/predictions", {"verdict": "digit"}).json()["results"] == []
    refused = client.get("/api/predictions", {"verdict": "many"})
    assert refused.status_code == 400
    assert refused.json()["detail"] == "verdict must be one of digit, number, not_a_digit."


def test_a_number_of_the_most_digits_is_stored_within_the_limits(mnist_test_set):
    images, labels = mnist_test_set
    digits = images[200 : 200 + limits.MAX_DIGITS]
    decoded, read = number_reading(digits, get_classifier(), supersample=1)
    assert len(read.marks) == limits.MAX_DIGITS
    prediction = services.store_reading(decoded=decoded, read=read)

    row = Prediction.objects.get(pk=prediction.pk)
    assert row.number == read.number and len(row.number) == limits.MAX_DIGITS == row.digit_count
    for mark in row.marks.all():
        kept = len(bytes(mark.model_input)) + len(json.dumps(mark.probabilities)) + 8 * 8  # and 8 numbers
        assert kept <= limits.MARK_ROW_BYTES
    drawing = len(bytes(row.drawing_png)) + len(bytes(row.thumbnail_png))
    assert drawing + limits.ROW_BYTES_BESIDE_IMAGES + limits.MAX_STORED_MARKS * limits.MARK_ROW_BYTES <= (
        limits.MAX_STORED_BYTES
    )


def test_history_shows_the_number_and_filters_by_verdict(client, stored_number, mnist_digit):
    services.record_prediction(image=png_of(Image.fromarray(mnist_digit(5))))
    page = client.get("/history/").content.decode()
    tiles = page.split('<li class="tile">')[1:]
    assert len(tiles) == 2
    number = '<span class="tile__digit tile__digit--number"><span class="visually-hidden">Read as </span>2026'
    assert number in tiles[1]
    assert 'alt="Drawing' in tiles[1] and "read as 2026" in tiles[1]
    assert "read as 5" in tiles[0]
    numbers_only = client.get("/history/", {"verdict": "number"}).content.decode()
    assert numbers_only.count('<li class="tile">') == 1 and "read as 2026" in numbers_only
    assert 'href="?verdict=number" aria-current="true">A number</a>' in numbers_only
    assert 'href="?verdict=number&amp;digit=6"' in numbers_only  # the other filters keep this one
    with_six = client.get("/history/", {"digit": "6"}).content.decode()
    assert with_six.count('<li class="tile">') == 1 and "read as 2026" in with_six
    assert (
        client.get("/history/", {"digit": "5", "verdict": "number"}).content.decode().count("tile__link") == 0
    )
    assert client.get("/history/", {"feedback": "confirmed"}).content.decode().count("tile__link") == 0
    prediction, _ = stored_number
    assert f'href="/history/{prediction.pk}/"' in page


def test_each_drawing_has_a_page_with_its_boxes_inputs_probabilities_and_feedback(client, stored_number):
    prediction, read = stored_number
    give(client, prediction, number="2028")
    response = client.get(f"/history/{prediction.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<p class="drawing-detail__answer" id="answer">2026</p>' in page
    assert f'<image href="/predictions/{prediction.pk}/drawing.png"' in page
    for mark in read.marks:
        x, y, width, height = mark.box
        assert (
            f'x="{x}" y="{y}"\n            width="{width}" height="{height}"' in page
        )  # its box on the drawing
        assert png_data_url(model_input_png(mark.model_input)) in page  # its 28×28
    assert page.count('class="mark-bars__row') == 4 * 10 and page.count("mark-bars__row--top") == 4
    assert "✗ corrected to 2028" in page and "Probability of the whole number" in page
    assert "style=" not in page.split("<main")[1] and "<script" not in page.split("<main")[1]
    assert client.get(f"/history/{prediction.pk + 1}/").status_code == 404


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_the_admin_shows_the_number_each_digits_input_and_filters_by_length(staff_client, stored_number):
    prediction, read = stored_number
    url = reverse("admin:recognizer_prediction_changelist")
    page = staff_client.get(url).content.decode()
    assert '<span class="verdict verdict--number">2026</span>' in page
    for mark in read.marks:
        assert png_data_url(model_input_png(mark.model_input)) in page  # each digit's 28×28, inline
    assert "By number of digits" in page and "By verdict" in page
    assert "A number (1)" in page and "Not a digit (0)" in page and ">4 (1)<" in page.replace("\n", "")
    rows = re.search(r'<table id="result_list">.*?</table>', page, re.S).group(0)
    assert "style=" not in rows and "<script" not in rows  # the Content-Security-Policy allows neither

    def shown(**query):
        return {row.pk for row in staff_client.get(url, query).context["cl"].result_list}

    assert shown(digits="4") == {prediction.pk} and shown(digits="1") == set()
    assert shown(verdict="number") == {prediction.pk} and shown(verdict="not_a_digit") == set()

    change = staff_client.get(reverse("admin:recognizer_prediction_change", args=[prediction.pk]))
    assert change.status_code == 200
    detail = change.content.decode()
    assert "Marks, left to right" in detail and detail.count("28×28 input of mark") == 4


# Feedback ----------------------------------------------------------------------------------------------


def test_a_number_confirmed_counts_whole_and_digit_by_digit(client, stored_number):
    prediction, _ = stored_number
    response = give(client, prediction, number="2026")
    assert response.status_code == 200
    assert response.json() | {"feedback_at": None} == {
        "id": prediction.pk,
        "prediction": 2026,
        "verdict": "number",
        "number": "2026",
        "true_label": None,
        "true_number": "2026",
        "true_not_a_digit": False,
        "correct": True,
        "feedback_at": None,
    }
    row = Prediction.objects.get(pk=prediction.pk)
    assert row.feedback_state == Feedback.CONFIRMED
    numbers = selectors.number_accuracy()
    assert (numbers.numbers_right, numbers.numbers, numbers.digits_right, numbers.digits) == (1, 1, 4, 4)


def test_a_number_corrected_counts_the_digits_read_right(client, stored_number, mnist_digit):
    prediction, _ = stored_number
    assert give(client, prediction, number="2027").json()["correct"] is False
    single = services.record_prediction(image=png_of(Image.fromarray(mnist_digit(3))))
    give(client, single, label=3)

    numbers = selectors.number_accuracy()
    assert (numbers.numbers_right, numbers.numbers) == (0, 1)  # the one-digit drawing is no number
    assert (numbers.digits_right, numbers.digits) == (3 + 1, 4 + 1) and numbers.digit_accuracy == 0.8
    assert Prediction.objects.with_feedback(Feedback.CORRECTED).get().pk == prediction.pk

    page = client.get("/stats/", {"version": "all"}).content.decode()
    assert "Numbers read whole and exact</th><td>0 of 1</td><td>0.0%" in page
    assert "Digits read right (as many read as drawn)</th><td>4 of 5</td><td>80.0%" in page
    assert '<th scope="row">A number</th><td>1</td>' in page
    assert selectors.predictions_per_digit() == [1, 0, 2, 1, 0, 0, 1, 0, 0, 0]  # 2026's digits and the 3
    matrix = selectors.confusion_matrix()  # digit by digit: 2→2, 0→0, 2→2, 7 read 6, and the 3
    assert (matrix[2][2], matrix[0][0], matrix[7][6], matrix[3][3], sum(map(sum, matrix))) == (2, 1, 1, 1, 5)

    labelled = selectors.labelled_drawings()
    assert labelled.labels.tolist() == [2, 0, 2, 7, 3] and labelled.predicted.tolist() == [2, 0, 2, 6, 3]
    assert labelled.ids.tolist() == [prediction.pk] * 4 + [single.pk]


def test_the_mnist_export_gives_each_labelled_digit_of_a_number(client, staff_client, stored_number):
    prediction, read = stored_number
    give(client, prediction, number="2027")
    response = staff_client.post(
        reverse("admin:recognizer_prediction_changelist"),
        {"action": "export_mnist_dataset", "_selected_action": [prediction.pk]},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        labels = gzip.decompress(archive.read("train-labels-idx1-ubyte.gz"))[8:]
        images = gzip.decompress(archive.read("train-images-idx3-ubyte.gz"))[16:]
        assert "4 digits from 1 drawing" in archive.read("README.txt").decode()
    assert list(labels) == [2, 0, 2, 7]
    assert images == b"".join(mark.model_input.tobytes() for mark in read.marks)


def test_a_number_of_another_length_is_not_compared_digit_by_digit(client, stored_number):
    prediction, _ = stored_number
    give(client, prediction, number="207")
    numbers = selectors.number_accuracy()
    assert (numbers.numbers_right, numbers.numbers, numbers.digits) == (0, 1, 0)
    assert len(selectors.labelled_drawings()) == 0  # four marks, three digits: which is which is unknown


def test_feedback_replaces_the_earlier_answer_whatever_its_kind(client, stored_number):
    prediction, _ = stored_number
    give(client, prediction, not_a_digit=True)
    row = Prediction.objects.get(pk=prediction.pk)
    assert (row.true_not_a_digit, row.true_number, row.feedback_state) == (True, None, Feedback.CORRECTED)
    assert selectors.not_digit_counts().missed == 1
    assert selectors.labelled_drawings().labels.tolist() == [NOT_A_DIGIT] * 4

    give(client, prediction, label=4)
    row.refresh_from_db()
    assert (row.true_not_a_digit, row.true_number, row.true_label) == (False, "4", 4)


@pytest.mark.parametrize(
    "answer, message",
    [
        ({}, FEEDBACK_CHOICE_ERROR),
        ({"label": 7, "number": "7"}, FEEDBACK_CHOICE_ERROR),
        ({"number": "7", "not_a_digit": True}, FEEDBACK_CHOICE_ERROR),
        ({"number": ""}, NUMBER_ERROR),
        ({"number": "12a"}, NUMBER_ERROR),
        ({"number": 2026}, NUMBER_ERROR),
        ({"number": "1" * 16}, NUMBER_ERROR),
        ({"number": " 12"}, NUMBER_ERROR),
        ({"number": "12\n"}, NUMBER_ERROR),
        ({"number": "١٢"}, NUMBER_ERROR),  # Arabic-Indic digits: isdigit(), but not 0-9
        ({"number": None}, NUMBER_ERROR),
        ({"number": ["2", "0"]}, NUMBER_ERROR),
        ({"not_a_digit": False}, NOT_A_DIGIT_ERROR),
        ({"not_a_digit": "yes"}, NOT_A_DIGIT_ERROR),
        ({"not_a_digit": 1}, NOT_A_DIGIT_ERROR),
        ({"not_a_digit": None}, NOT_A_DIGIT_ERROR),
    ],
)
def test_feedback_refuses_anything_but_exactly_one_answer(client, stored_number, answer, message):
    prediction, _ = stored_number
    response = give(client, prediction, **answer)
    assert response.status_code == 400
    assert response.json()["detail"] == message and response.json()["code"]
    row = Prediction.objects.get(pk=prediction.pk)
    assert (row.true_number, row.true_label, row.true_not_a_digit, row.feedback_at) == (
        None,
        None,
        False,
        None,
    )


def test_the_service_refuses_what_the_api_would(stored_number):
    prediction, _ = stored_number
    for answer in ({}, {"label": 3, "not_a_digit": True}, {"number": "x"}, {"label": 12}):
        with pytest.raises(ValueError):
            services.record_feedback(prediction_id=prediction.pk, token=prediction.feedback_token, **answer)


# Not a digit, read by an eleven-output model -----------------------------------------------------------


def test_a_drawing_that_is_not_a_digit_is_answered_stored_and_can_be_confirmed(
    client, serving_the_refuser, canvas_seven
):
    live = post(client, "/api/read", {"image": data_url(canvas_seven)})
    response = post(client, "/api/predict", {"image": data_url(canvas_seven)})

    assert live.status_code == 200 and response.status_code == 201
    body = response.json()
    assert body["model_version"] == serving_the_refuser.version
    assert (body["verdict"], body["number"], body["digits"]) == ("not_a_digit", None, [])
    assert {key: body[key] for key in live.json()} == live.json()
    (mark,) = body["not_digits"]
    assert set(mark) == {"box", "not_a_digit_probability", "model_input"}
    assert mark["not_a_digit_probability"] == pytest.approx(np.exp(3) / (10 + np.exp(3)), abs=1e-4)
    assert body["prediction"] in range(10) and body["probability"] < 0.5  # the best guess, low
    assert len(body["probabilities"]) == 10 and sum(body["probabilities"]) == pytest.approx(1, abs=1e-5)

    row = Prediction.objects.get(pk=body["id"])
    assert (row.verdict, row.number, row.digit_count) == ("not_a_digit", None, 0)
    assert row.marks.get().is_digit is False and str(row).startswith(f"#{row.pk}: not a digit")

    assert give(client, body, not_a_digit=True).json()["correct"] is True
    counts = selectors.not_digit_counts()
    assert (counts.read, counts.confirmed, counts.wrongly_refused, counts.missed) == (1, 1, 0, 0)
    assert selectors.labelled_drawings().labels.tolist() == [NOT_A_DIGIT]


def test_a_digit_wrongly_refused_is_corrected_and_learned(client, serving_the_refuser, canvas_seven):
    body = post(client, "/api/predict", {"image": data_url(canvas_seven)}).json()
    assert give(client, body, label=7).json()["correct"] is False
    assert selectors.not_digit_counts().wrongly_refused == 1
    labelled = selectors.labelled_drawings()  # the one mark, though read as not a digit, was the 7
    assert labelled.labels.tolist() == [7] and labelled.predicted.tolist() == [NOT_A_DIGIT]
    assert selectors.labelled_digits().labels.tolist() == [7]

    page = client.get("/history/").content.decode()
    assert "not a digit</span>" in page and "corrected to 7" in page


def test_training_learns_not_a_digit_only_with_that_class():
    labelled = selectors.LabelledDrawings(
        ids=np.array([1, 1, 2]),
        images=np.zeros((3, 28, 28), np.uint8),
        labels=np.array([4, NOT_A_DIGIT, 9], np.uint8),
        predicted=np.array([4, 4, 9], np.uint8),
    )
    assert feedback_training.learnable(labelled, num_classes=11) is labelled
    ten = feedback_training.learnable(labelled, num_classes=10)
    assert ten.labels.tolist() == [4, 9] and ten.ids.tolist() == [1, 2]
    split = feedback_training.split_feedback(labelled.ids, labelled.images, labelled.labels, seed=1)
    measured = feedback_training.digits_only(split)
    assert NOT_A_DIGIT not in measured.held_out_labels.tolist()
    assert len(measured.train_ids) == len(split.train_ids)


# The migration ----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_reads_drawings_stored_before_as_one_digit_each():
    executor = MigrationExecutor(connection)
    executor.migrate([("recognizer", "0006_modelversion")])
    old_apps = executor.loader.project_state([("recognizer", "0006_modelversion")]).apps
    OldPrediction = old_apps.get_model("recognizer", "Prediction")
    fields = {"drawing_png": b"", "drawing_width": 280, "drawing_height": 200, "model_version": "old"}
    fields |= {"model_input": bytes(range(256)) * 3 + bytes(16), "probabilities": [0.1] * 10}
    labelled = OldPrediction.objects.create(predicted_digit=3, probability=0.9, true_label=8, **fields)
    plain = OldPrediction.objects.create(predicted_digit=5, probability=0.8, **fields)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    rows = {row.pk: row for row in Prediction.objects.all()}
    assert (rows[labelled.pk].number, rows[labelled.pk].true_number, rows[labelled.pk].verdict) == (
        "3",
        "8",
        "digit",
    )
    assert rows[labelled.pk].feedback_state == Feedback.CORRECTED
    assert (rows[plain.pk].number, rows[plain.pk].true_number, rows[plain.pk].digit_count) == ("5", None, 1)
    mark = MarkReading.objects.get(prediction_id=plain.pk)
    assert (mark.position, mark.digit, mark.is_digit, mark.box) == (0, 5, True, [0, 0, 280, 200])
    assert bytes(mark.model_input) == fields["model_input"] and mark.probability == 0.8
