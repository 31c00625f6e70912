"""The model registry: every model the site can serve is kept in the database with what training measured;
one is active, and every worker follows an activation or a roll back within a second, with no restart.
A model that is missing or corrupt cannot be registered or activated, and says why."""

import io
import json
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from recognizer import inference, registry, services
from recognizer.contract import model_version_of
from recognizer.errors import ModelNotRegistered, ModelUnavailable, NoEarlierModel
from recognizer.models import ModelVersion, Prediction
from tests.hardening.payloads import bar_image, json_image
from tests.model_files import corrupt_model, model_that_always_answers

pytestmark = pytest.mark.django_db

SHIPPED = settings.MODEL_PATH
SHIPPED_ACCURACY = f"{json.loads(SHIPPED.with_suffix('.json').read_text())['test_accuracy']:.2%}"  # "99.55%"


@pytest.fixture(scope="module")
def shipped_bytes():
    return SHIPPED.read_bytes()


@pytest.fixture
def threes_model(tmp_path, shipped_bytes):
    """A second valid model, in a folder of its own: it reads every drawing as a 3."""
    path = tmp_path / "threes" / "digit_cnn.tflite"
    path.parent.mkdir()
    path.write_bytes(model_that_always_answers(3, shipped_bytes))
    return path


def predict(client):
    response = client.generic("POST", "/api/predict", *reversed(json_image(bar_image())))
    assert response.status_code == 201, response.content
    return response.json()


def test_an_empty_registry_registers_and_serves_the_shipped_model(client, shipped_bytes):
    assert not ModelVersion.objects.exists()

    answer = predict(client)

    model = ModelVersion.objects.get()
    shipped_json = json.loads(SHIPPED.with_suffix(".json").read_text())
    assert model.is_active and model.activated_at is not None
    assert model.version == model_version_of(shipped_bytes) == answer["model_version"]
    assert bytes(model.content) == shipped_bytes and model.size_bytes == len(shipped_bytes)
    assert model.source_path == str(SHIPPED)
    assert model.recipe == shipped_json["recipe"] and model.metrics == shipped_json
    assert model.test_accuracy == shipped_json["test_accuracy"]
    assert client.get("/api/model").json()["test_accuracy"] == shipped_json["test_accuracy"]


def test_activating_and_rolling_back_switch_the_model_that_reads_drawings(client, threes_model):
    shipped = predict(client)
    threes = services.register_model_file(path=threes_model)
    assert not threes.is_active and threes.metrics == {}  # no digit_cnn.json beside it

    services.activate_model(version=threes.version)
    switched = predict(client)
    rolled_back = services.roll_back_model()
    back = predict(client)

    assert switched["model_version"] == threes.version and switched["prediction"] == 3
    assert rolled_back.version == shipped["model_version"] and rolled_back.previous.version == threes.version
    assert back["model_version"] == shipped["model_version"] and back["prediction"] == shipped["prediction"]
    stored = dict(Prediction.objects.values_list("id", "model_version"))
    assert stored == {answer["id"]: answer["model_version"] for answer in (shipped, switched, back)}
    assert ModelVersion.objects.filter(is_active=True).count() == 1


def test_a_worker_follows_an_activation_made_elsewhere_within_a_second(client, threes_model, monkeypatch):
    """Another app server activates a model (a write to the shared database): this process keeps its
    model, asking nothing, until CHECK_SECONDS have passed, then serves the new one."""
    clock = [1000.0]
    monkeypatch.setattr(registry.time, "monotonic", lambda: clock[0])
    shipped = inference.get_classifier().version
    threes = services.register_model_file(path=threes_model)
    ModelVersion.objects.update(is_active=False)  # what another server's activate_model writes
    ModelVersion.objects.filter(pk=threes.pk).update(is_active=True)

    clock[0] += registry.CHECK_SECONDS * 0.9
    assert inference.get_classifier().version == shipped
    clock[0] += registry.CHECK_SECONDS * 0.2
    assert inference.get_classifier().version == threes.version


def test_between_checks_serving_asks_the_database_nothing(django_assert_num_queries, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(registry.time, "monotonic", lambda: clock[0])
    inference.get_classifier()  # checked now
    clock[0] += registry.CHECK_SECONDS / 2
    with django_assert_num_queries(0):
        inference.get_classifier()
    clock[0] += registry.CHECK_SECONDS
    with django_assert_num_queries(1):  # which version is active: the same, nothing to load
        inference.get_classifier()


def test_at_most_one_model_is_active(threes_model):
    shipped = services.register_model_file(path=SHIPPED, activate=True)
    threes = services.register_model_file(path=threes_model)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=threes.pk).update(is_active=True)
    assert list(ModelVersion.objects.filter(is_active=True)) == [shipped]


def test_registering_is_once_per_version(threes_model):
    first = services.register_model_file(path=threes_model)
    again = services.register_model_file(path=threes_model)
    assert again.pk == first.pk and ModelVersion.objects.count() == 1


def test_a_new_releases_model_takes_over_once_and_a_roll_back_stays(threes_model):
    """`register_model --activate-if-new` (make run, a deploy): a version never seen is activated; one
    already registered is left as staff set it."""
    services.register_model_file(path=SHIPPED, activate=True)
    call_command("register_model", str(threes_model), "--activate-if-new", stdout=io.StringIO())
    threes = ModelVersion.objects.get(is_active=True)
    assert threes.source_path == str(threes_model)

    services.roll_back_model()
    call_command("register_model", str(threes_model), "--activate-if-new", stdout=io.StringIO())
    assert ModelVersion.objects.get(is_active=True).source_path == str(SHIPPED)


def test_a_missing_or_corrupt_model_cannot_be_registered(tmp_path, shipped_bytes):
    with pytest.raises(ModelUnavailable, match="cannot be read"):
        services.register_model_file(path=tmp_path / "missing.tflite")
    corrupt = tmp_path / "digit_cnn.tflite"
    corrupt.write_bytes(corrupt_model(shipped_bytes))
    with pytest.raises(ModelUnavailable, match="not a valid LiteRT model"):
        services.register_model_file(path=corrupt, activate=True)
    assert not ModelVersion.objects.exists()


def test_a_model_whose_stored_bytes_were_damaged_cannot_be_activated(client, threes_model, shipped_bytes):
    shipped = predict(client)["model_version"]
    threes = services.register_model_file(path=threes_model)
    ModelVersion.objects.filter(pk=threes.pk).update(content=corrupt_model(bytes(threes.content)))

    with pytest.raises(ModelUnavailable, match=f"The stored model {threes.version} is corrupt"):
        services.activate_model(version=threes.version)

    assert ModelVersion.objects.get(is_active=True).version == shipped
    assert predict(client)["model_version"] == shipped


def test_unknown_versions_and_a_first_model_cannot_be_activated_or_rolled_back():
    with pytest.raises(ModelNotRegistered, match="No registered model has version 0123456789ab"):
        services.activate_model(version="0123456789ab")
    services.register_model_file(path=SHIPPED, activate=True)
    with pytest.raises(NoEarlierModel):
        services.roll_back_model()


# Commands -------------------------------------------------------------------------------------------


def run(*arguments):
    out = io.StringIO()
    call_command(*arguments, stdout=out)
    return out.getvalue()


def test_the_commands_register_activate_list_and_roll_back(threes_model, shipped_bytes):
    shipped_version = model_version_of(shipped_bytes)
    threes_version = model_version_of(threes_model.read_bytes())

    assert f"Registered model {shipped_version} (default, MNIST test accuracy {SHIPPED_ACCURACY})" in run(
        "register_model", str(SHIPPED), "--activate"
    )
    assert "it is active" in run("register_model", str(SHIPPED), "--activate")
    assert f"Registered model {threes_version} (recipe not recorded) from {threes_model}." in run(
        "register_model", str(threes_model)
    )
    listed = run("activate_model")
    assert f"{shipped_version}  default" in listed and "ACTIVE" in listed and threes_version in listed

    assert f"Model {threes_version} is active" in run("activate_model", threes_version)
    assert ModelVersion.objects.get(is_active=True).version == threes_version
    assert f"Model {shipped_version} is active" in run("activate_model", "--roll-back")
    assert ModelVersion.objects.get(is_active=True).version == shipped_version


def test_the_commands_explain_what_cannot_be_done(tmp_path, shipped_bytes):
    with pytest.raises(CommandError, match="missing.tflite cannot be read"):
        run("register_model", str(tmp_path / "missing.tflite"))
    corrupt = tmp_path / "corrupt.tflite"
    corrupt.write_bytes(b"\0" * 1000)
    with pytest.raises(CommandError, match="not a valid LiteRT model"):
        run("register_model", str(corrupt), "--activate")
    with pytest.raises(CommandError, match="No registered model has version abc"):
        run("activate_model", "abc")
    with pytest.raises(CommandError, match="no earlier model"):
        run("activate_model", "--roll-back")


def test_train_model_registers_and_activates_what_it_writes(tmp_path, monkeypatch, threes_model):
    """train_model's last step, with the training itself replaced by copying a model into place."""
    from training import pipeline

    def train_model(*, output_dir, **options):
        output_dir = Path(output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(threes_model, output_dir / "digit_cnn.tflite")
        metadata = {"model_version": model_version_of(threes_model.read_bytes()), "recipe": "seed"}
        (output_dir / "digit_cnn.json").write_text(json.dumps(metadata | {"test_accuracy": 0.1}))
        return metadata

    monkeypatch.setattr(pipeline, "train_model", lambda **options: train_model(**options))
    services.register_model_file(path=SHIPPED, activate=True)

    quiet = run("train_model", "--output-dir", str(tmp_path / "quiet"), "--no-activate")
    assert ModelVersion.objects.get(is_active=True).source_path == str(SHIPPED)
    out = run("train_model", "--output-dir", str(tmp_path / "out"))

    model = ModelVersion.objects.get(is_active=True)
    assert "(not active)" in quiet and "every worker serves it within a second" in out
    assert model.version == model_version_of(threes_model.read_bytes()) and model.recipe == "seed"
    assert model.metrics["test_accuracy"] == 0.1 and model.source_path == str(
        tmp_path / "quiet" / "digit_cnn.tflite"
    )


# The admin ------------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


CHANGELIST = "admin:recognizer_modelversion_changelist"


def admin_action(client, action, models):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [model.pk for model in models]},
        follow=True,
    )


def test_staff_see_the_models_and_activate_and_roll_back_in_the_admin(staff_client, threes_model):
    shipped = services.register_model_file(path=SHIPPED, activate=True)
    threes = services.register_model_file(path=threes_model)

    page = staff_client.get(reverse(CHANGELIST)).content.decode()
    assert shipped.version in page and threes.version in page and SHIPPED_ACCURACY in page

    activated = admin_action(staff_client, "activate", [threes])
    assert f"Activated model {threes.version}" in activated.content.decode()
    assert ModelVersion.objects.get(is_active=True) == threes

    rolled_back = admin_action(staff_client, "roll_back", [threes])
    assert f"Rolled back to model {shipped.version}" in rolled_back.content.decode()
    assert ModelVersion.objects.get(is_active=True) == shipped

    both = admin_action(staff_client, "activate", [shipped, threes])
    assert "Select exactly one model to activate." in both.content.decode()


def test_the_admin_says_why_a_model_cannot_be_activated(staff_client, threes_model):
    shipped = services.register_model_file(path=SHIPPED, activate=True)
    threes = services.register_model_file(path=threes_model)
    ModelVersion.objects.filter(pk=threes.pk).update(content=b"\0" * 100)

    page = admin_action(staff_client, "activate", [threes]).content.decode()

    assert f"The stored model {threes.version} is corrupt" in page
    assert ModelVersion.objects.get(is_active=True) == shipped
    assert "no earlier model" in admin_action(staff_client, "roll_back", [shipped]).content.decode()
