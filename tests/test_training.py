"""Training: the seed network, a real (short) training run, the export and its safety."""

import io
import json
import re

import keras
import numpy as np
import pytest
from django.core.management import CommandError, call_command

from recognizer.contract import NUM_CLASSES, model_version_of
from recognizer.litert import LiteRTModel
from tests.conftest import MNIST_DIR
from training import export as export_module
from training.calibration import fit_temperature
from training.model import build_default_model, build_seed_model, calibrated, logits_model
from training.pendigits import TEST_WRITERS
from training.train import to_model_input


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory):
    """A model trained by `manage.py train_model` for one epoch on the 2,000 committed training digits."""
    output_dir = tmp_path_factory.mktemp("model")
    call_command(
        "train_model",
        "--no-register",  # the files only: these tests use no database
        "--recipe",
        "seed",
        "--data-dir",
        str(MNIST_DIR),
        "--epochs",
        "1",
        "--output-dir",
        str(output_dir),
        "--seed",
        "3",
        stdout=io.StringIO(),
    )
    return output_dir


def test_seed_network_is_the_seed_documents():
    model = build_seed_model()
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D",
        "MaxPooling2D",
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dense",
        "Dense",
    ]
    conv1, _, conv2, _, _, dense, output = model.layers
    assert (conv1.filters, conv1.kernel_size, conv1.activation.__name__) == (32, (3, 3), "relu")
    assert (conv2.filters, conv2.kernel_size, conv2.activation.__name__) == (64, (3, 3), "relu")
    assert (dense.units, dense.activation.__name__) == (128, "relu")
    assert (output.units, output.activation.__name__) == (10, "softmax")
    assert model.count_params() == 225_034


def test_default_network_is_small_and_answers_digits_and_not_a_digit():
    model = build_default_model()
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, NUM_CLASSES)
    assert model.count_params() < 300_000


def test_the_temperature_divides_the_logits_before_the_softmax():
    model = build_default_model()
    images = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    logits = logits_model(model).predict(images, verbose=0)
    expected = np.exp(logits / 2.5) / np.exp(logits / 2.5).sum(axis=1, keepdims=True)
    assert np.allclose(calibrated(model, 2.5).predict(images, verbose=0), expected, atol=1e-6)


def test_the_fitted_temperature_undoes_overconfidence():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 2, (4000, 11))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(11, p=row) for row in probabilities])  # calibrated at T = 1
    assert fit_temperature(3 * logits, labels) == pytest.approx(3, rel=0.1)


def test_training_run_clearly_beats_chance(trained_model_dir):
    metadata = json.loads((trained_model_dir / "digit_cnn.json").read_text())
    # One epoch on 2,000 digits: chance is 10%; a working pipeline reads most of the 10,000 test digits.
    assert metadata["test_accuracy"] > 0.85
    assert metadata["recipe"] == "seed" and metadata["epochs"] == 1 and metadata["training_images"] == 2000
    assert len(metadata["per_digit_accuracy"]) == 10
    assert np.asarray(metadata["confusion_matrix"]).sum() == 10_000
    assert np.trace(metadata["confusion_matrix"]) == round(metadata["test_accuracy"] * 10_000)
    assert metadata["dataset"]["sha256"]["t10k-images-idx3-ubyte.gz"].startswith("1a1a05eab793c14b")
    assert {"tensorflow", "keras", "numpy"} <= set(metadata["library_versions"])
    tflite = (trained_model_dir / "digit_cnn.tflite").read_bytes()
    assert metadata["model_version"] == model_version_of(tflite)


def test_default_recipe_learns_pen_digits_and_non_digits_and_reports_them(tmp_path, capsys, settings):
    shipped = {path.name: path.read_bytes() for path in settings.MODEL_PATH.parent.iterdir()}
    call_command(
        "train_model",
        "--no-register",  # the files only: these tests use no database
        "--recipe",
        "default",
        "--data-dir",
        str(MNIST_DIR),
        "--epochs",
        "2",
        "--limit",
        "300",
        "--pen-copies",
        "1",
        "--batch-size",
        "50",
        "--output-dir",
        str(tmp_path),
    )
    out = capsys.readouterr().out
    sources = r"\(275 mnist, 300 pen, 75 traced mnist, \d+ not a digit\)"
    assert re.search(r"training on [\d,]+ images " + sources, out)
    assert "epoch  1/2" in out and "epoch  2/2" in out
    assert "Test accuracy:" in out and "per digit:" in out and "confusion matrix" in out
    assert "Held-out pen writers (test writers):" in out and "Canvas redraws:" in out
    assert re.search(r"Not a digit \(p ≥ 0.5\): [\d.]+% of 300 validation non-digits refused", out)
    assert "Temperature " in out and out.count("expected calibration error") == 3
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "digit_cnn.json",
        "digit_cnn.keras",
        "digit_cnn.tflite",
    ]
    metadata = json.loads((tmp_path / "digit_cnn.json").read_text())
    assert metadata["training_sources"]["pen"] == 300 and metadata["temperature"] > 0
    assert metadata["writer_split"]["test"] == list(TEST_WRITERS)
    assert {"pen_test", "canvas", "not_a_digit", "calibration"} <= set(metadata)
    assert len(metadata["pen_test"]["confusion_matrix"]) == 10
    model = LiteRTModel.from_file(tmp_path / "digit_cnn.tflite")
    assert model.num_classes == NUM_CLASSES
    assert {path.name: path.read_bytes() for path in settings.MODEL_PATH.parent.iterdir()} == shipped


def test_same_seed_gives_the_same_model(trained_model_dir, tmp_path):
    call_command(
        "train_model",
        "--no-register",  # the files only: these tests use no database
        "--recipe",
        "seed",
        "--data-dir",
        str(MNIST_DIR),
        "--epochs",
        "1",
        "--output-dir",
        str(tmp_path),
        "--seed",
        "3",
        stdout=io.StringIO(),
    )
    first = json.loads((trained_model_dir / "digit_cnn.json").read_text())
    second = json.loads((tmp_path / "digit_cnn.json").read_text())
    assert second["confusion_matrix"] == first["confusion_matrix"]


@pytest.mark.parametrize("network", ["seed, trained here", "default, shipped"])
def test_tflite_reads_digits_as_keras_does(network, request, mnist_test_set, settings):
    """For the seed's network and for the shipped one (batch normalisation, dropout) alike."""
    if network.startswith("seed"):
        model_dir = request.getfixturevalue("trained_model_dir")
    else:
        model_dir = settings.MODEL_PATH.parent
    images = to_model_input(mnist_test_set[0][:200])
    keras_outputs = keras.models.load_model(model_dir / "digit_cnn.keras").predict(images, verbose=0)
    model = LiteRTModel.from_file(model_dir / "digit_cnn.tflite")
    litert_outputs = [model.predict(image[None])[0] for image in images]  # one at a time, as served
    assert np.abs(np.asarray(litert_outputs) - keras_outputs).max() < 1e-4


def test_failed_export_leaves_the_previous_model_untouched(trained_model_dir, tmp_path, monkeypatch):
    previous = {path.name: path.read_bytes() for path in trained_model_dir.iterdir()}
    model = keras.models.load_model(trained_model_dir / "digit_cnn.keras")

    def keras_file_then_interrupted(model, folder):
        model.save(folder / "digit_cnn.keras")
        raise KeyboardInterrupt  # Ctrl-C halfway through writing

    monkeypatch.setattr(export_module, "write_model_files", keras_file_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_module.export_model(model, output_dir=trained_model_dir, metadata={"recipe": "seed"})

    assert {path.name: path.read_bytes() for path in trained_model_dir.iterdir()} == previous


def test_missing_data_is_a_clear_command_error(tmp_path):
    with pytest.raises(
        CommandError, match=r"Cannot load MNIST: .*train-images-idx3-ubyte\[\.gz\]: file not found"
    ):
        call_command("train_model", "--data-dir", str(tmp_path), "--output-dir", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
