"""`train_model --include-feedback`: labelled drawings split, mixed into MNIST, and measured before/after.

The command tests train the seed network for one epoch on 500 MNIST digits plus a synthetic feedback
set (real MNIST test digits sent through the recognition service, some "corrected" by hand), so each
runs in seconds.
"""

import io
import json
import re

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from recognizer import selectors, services
from recognizer.inference import DigitClassifier
from tests.conftest import MNIST_DIR
from training import feedback as feedback_training

FAST = ["--recipe", "seed", "--epochs", "1", "--limit", "500", "--data-dir", str(MNIST_DIR), "--seed", "1"]
FEEDBACK_COUNT = 40


# The pure parts: split, weight, mix, measure -------------------------------------------------------


def test_held_out_split_is_seeded_stable_and_never_empty():
    ids = np.arange(1, 1001)
    images = np.zeros((1000, 28, 28), dtype=np.uint8)
    labels = (ids % 10).astype(np.uint8)
    split = feedback_training.split_feedback(ids, images, labels, seed=1)
    assert 150 <= len(split.held_out_ids) <= 250  # about 20%
    assert sorted([*split.train_ids, *split.held_out_ids]) == ids.tolist()
    assert np.array_equal(split.held_out_labels, split.held_out_ids % 10)
    again = feedback_training.split_feedback(ids, images, labels, seed=1)
    assert np.array_equal(again.held_out_ids, split.held_out_ids)
    other_seed = feedback_training.split_feedback(ids, images, labels, seed=2)
    assert not np.array_equal(other_seed.held_out_ids, split.held_out_ids)

    # More feedback later: drawings held out before stay held out, and none trained on moves over.
    first_half = feedback_training.split_feedback(ids[:500], images[:500], labels[:500], seed=1)
    assert set(first_half.held_out_ids) == set(split.held_out_ids) & set(ids[:500])

    for count in (1, 2, 3):
        small = feedback_training.split_feedback(ids[:count], images[:count], labels[:count], seed=1)
        assert len(small.held_out_ids) >= 1 and len(small.held_out_ids) + len(small.train_ids) == count


def test_feedback_is_oversampled_to_about_a_tenth_of_training_within_limits():
    assert feedback_training.oversampling_repeats(60_000, 300) == 22  # 6,600 of 66,600 images
    assert feedback_training.oversampling_repeats(60_000, 10) == 50  # capped: not learned by heart
    assert feedback_training.oversampling_repeats(500, 32) == 2
    assert feedback_training.oversampling_repeats(500, 5_000) == 1
    assert feedback_training.oversampling_repeats(500, 0) == 0

    x, y = feedback_training.mix_in_feedback(
        np.zeros((4, 28, 28), np.uint8),
        np.zeros(4, np.uint8),
        np.full((2, 28, 28), 255, np.uint8),
        np.array([3, 5], np.uint8),
        repeats=3,
    )
    assert x.shape == (10, 28, 28) and y.tolist() == [0, 0, 0, 0, 3, 3, 3, 5, 5, 5]


# The command ------------------------------------------------------------------------------------------


def record_digit(image):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return services.record_prediction(image=buffer.getvalue(), source="web")


@pytest.fixture
def synthetic_feedback(db, mnist_test_set):
    """40 drawings of real MNIST test digits (not the first 500 training digits) stored by the service,
    labelled through the service: most confirmed, every fifth 'corrected' to another digit."""
    images, labels = mnist_test_set
    rows = []
    for index in range(FEEDBACK_COUNT):
        prediction = record_digit(images[1000 + index])
        label = int(labels[1000 + index]) if index % 5 else (int(labels[1000 + index]) + 1) % 10
        services.record_feedback(prediction_id=prediction.pk, label=label, token=prediction.feedback_token)
        rows.append((prediction.pk, label))
    return rows


@pytest.fixture
def weak_served_model(tmp_path, settings):
    """An untrained seed network (about chance on MNIST) as the served model, so a short run beats it."""
    import keras

    from training.export import export_model
    from training.model import build_seed_model

    keras.utils.set_random_seed(0)
    export_model(build_seed_model(), output_dir=tmp_path / "served", metadata={"recipe": "untrained"})
    settings.MODEL_PATH = tmp_path / "served" / "digit_cnn.tflite"
    return settings.MODEL_PATH


def accuracy_on(model_path, images, labels):
    classifier = DigitClassifier(model_path)
    return float(
        np.mean(
            [
                classifier.probabilities(image / np.float32(255)).argmax() == label
                for image, label in zip(images, labels)
            ]
        )
    )


def test_trains_on_feedback_reports_before_and_after_and_records_them(
    synthetic_feedback, weak_served_model, tmp_path, monkeypatch, capsys, mnist_test_set
):
    import training.train

    trained_on = {}
    real_train = training.train.train

    def spy(x_train, y_train, **kwargs):
        trained_on.update(x=x_train.copy(), y=y_train.copy())
        return real_train(x_train, y_train, **kwargs)

    monkeypatch.setattr(training.train, "train", spy)
    output_dir = tmp_path / "out"

    call_command("train_model", *FAST, "--include-feedback", "--output-dir", str(output_dir))

    out = capsys.readouterr().out
    metadata = json.loads((output_dir / "digit_cnn.json").read_text())
    section = metadata["feedback"]
    held_out, trained = section["held_out"], section["trained_on"]
    # Every drawing whose feedback labels its marks (one digit read, one digit said: nearly all of them).
    labelled = selectors.labelled_drawings()
    drawings = len(set(labelled.ids.tolist()))
    assert section["drawings"] == drawings >= FEEDBACK_COUNT - 2 and held_out >= 1
    assert section["marks"] == len(labelled) == held_out + trained
    assert section["corrected"] == int((labelled.labels != labelled.predicted).sum()) > 0
    assert re.search(
        rf"Feedback: {drawings} labelled drawings( \(.*?\))? \({section['corrected']} corrected", out
    )

    # The held-out drawings were not trained on; the others were, `repeats` times each, after MNIST's 500.
    split = feedback_training.split_feedback(labelled.ids, labelled.images, labelled.labels, seed=1)
    repeats = section["repeats"]
    assert repeats == feedback_training.oversampling_repeats(500, trained) >= 1
    assert len(trained_on["x"]) == 500 + repeats * trained and metadata["training_images"] == 500
    assert np.array_equal(trained_on["x"][500:], np.repeat(split.train_images, repeats, axis=0))
    assert np.array_equal(trained_on["y"][500:], np.repeat(split.train_labels, repeats, axis=0))
    held_out_inputs = {image.tobytes() for image in split.held_out_images}
    assert not any(image.tobytes() in held_out_inputs for image in trained_on["x"][500:])

    # Before: the served model; after: the model written, both measured through LiteRT.
    before, after = section["before"], section["after"]
    assert before["model_version"] != metadata["model_version"]
    written = output_dir / "digit_cnn.tflite"
    assert before["held_out_accuracy"] == accuracy_on(
        weak_served_model, split.held_out_images, split.held_out_labels
    )
    assert after["held_out_accuracy"] == accuracy_on(written, split.held_out_images, split.held_out_labels)
    assert after["mnist_test_accuracy"] == pytest.approx(
        metadata["test_accuracy"], abs=0.002
    )  # Keras' reading
    assert before["mnist_test_accuracy"] < 0.3 < after["mnist_test_accuracy"]

    row = re.search(r"^MNIST test \(10,000\)\s+([\d.]+)%\s+([\d.]+)%\s+([+-][\d.]+)pp$", out, re.M)
    assert row, out
    assert float(row[1]) == pytest.approx(before["mnist_test_accuracy"] * 100, abs=0.005)
    assert float(row[2]) == pytest.approx(after["mnist_test_accuracy"] * 100, abs=0.005)
    assert re.search(rf"^held-out feedback \({held_out}\)\s+[\d.]+%\s+[\d.]+%", out, re.M), out
    assert sorted(path.name for path in output_dir.iterdir()) == [
        "digit_cnn.json",
        "digit_cnn.keras",
        "digit_cnn.tflite",
    ]


def test_refuses_to_write_a_model_that_reads_mnist_worse_than_the_served_one(
    synthetic_feedback, settings, tmp_path, capsys
):
    served = {path.name: path.read_bytes() for path in settings.MODEL_PATH.parent.iterdir()}
    output_dir = tmp_path / "out"

    with pytest.raises(
        CommandError,
        match=r"Not written: the new model reads [\d.]+% of the MNIST test set, "
        r"below the served model's 99\.[\d]+%",
    ):
        call_command("train_model", *FAST, "--include-feedback", "--output-dir", str(output_dir))

    assert "MNIST test (10,000)" in capsys.readouterr().out  # the comparison is shown first
    assert not output_dir.exists()
    assert {path.name: path.read_bytes() for path in settings.MODEL_PATH.parent.iterdir()} == served


@pytest.mark.django_db
def test_without_labelled_drawings_it_says_so(tmp_path, mnist_test_set):
    record_digit(mnist_test_set[0][0])  # a drawing, but nobody said what it was
    with pytest.raises(CommandError, match="no drawing has feedback yet"):
        call_command("train_model", *FAST, "--include-feedback", "--output-dir", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


@pytest.mark.django_db
def test_without_a_served_model_it_says_so(settings, tmp_path):
    settings.MODEL_PATH = tmp_path / "missing" / "digit_cnn.tflite"
    with pytest.raises(CommandError, match="no model at .*: train one without --include-feedback first"):
        call_command("train_model", *FAST, "--include-feedback", "--output-dir", str(tmp_path / "out"))


def test_learns_each_digit_of_a_corrected_number_and_leaves_not_a_digit_to_models_with_that_class(
    synthetic_feedback, weak_served_model, tmp_path, monkeypatch, capsys, mnist_test_set
):
    import training.train
    from tests.drawn_numbers import number_canvas, png_of

    images, labels = mnist_test_set
    pick = [int(np.flatnonzero(labels == digit)[3]) for digit in (3, 1, 4)]
    number_image, _ = number_canvas(images[pick])
    number = services.record_prediction(image=png_of(number_image), source="web")
    assert number.number == "314"
    services.record_feedback(prediction_id=number.pk, number="317", token=number.feedback_token)
    refused = record_digit(images[2000])
    services.record_feedback(prediction_id=refused.pk, not_a_digit=True, token=refused.feedback_token)

    trained_on = {}
    real_train = training.train.train

    def spy(x_train, y_train, **kwargs):
        trained_on.update(x=x_train.copy(), y=y_train.copy())
        return real_train(x_train, y_train, **kwargs)

    monkeypatch.setattr(training.train, "train", spy)
    call_command("train_model", *FAST, "--include-feedback", "--output-dir", str(tmp_path / "out"))

    out = capsys.readouterr().out
    assert "Left out 1 marks labelled 'not a digit': this model has no such class." in out  # the seed's ten
    marks = list(number.marks.order_by("position"))
    learnable = feedback_training.learnable(selectors.labelled_drawings(), num_classes=10)
    split = feedback_training.split_feedback(learnable.ids, learnable.images, learnable.labels, seed=1)
    trained_side = number.pk in split.train_ids
    ids, side_images, side_labels = (
        (split.train_ids, split.train_images, split.train_labels)
        if trained_side
        else (split.held_out_ids, split.held_out_images, split.held_out_labels)
    )
    assert side_labels[ids == number.pk].tolist() == [3, 1, 7]  # each digit with its true digit, in order
    for mark, image in zip(marks, side_images[ids == number.pk], strict=True):
        np.testing.assert_array_equal(mark.model_input_array, image)
    trained = {image.tobytes() for image in trained_on["x"][500:]}
    assert all(
        (mark.model_input_array.tobytes() in trained) == (number.pk in split.train_ids) for mark in marks
    )
    assert refused.model_input_array.tobytes() not in trained
