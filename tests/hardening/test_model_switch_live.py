"""A model activated, then rolled back, under load, with no restart: gunicorn with 2 workers, 4 clients
posting drawings all along, `manage.py activate_model` run beside it. Every request is answered 201,
both workers follow each switch, and every stored prediction names the model that read it — told apart
by what each answers: the second model reads every drawing as a 3, the shipped one this 7 as a 7.

On SQLite, and on PostgreSQL in `make test`'s second pass (the registry is the shared database)."""

import json
import threading
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.live import ROOT, gunicorn, manage, migrate, production_environment
from recognizer.contract import model_version_of
from tests.conftest import fresh_live_database
from tests.hardening.payloads import json_image
from tests.model_files import model_that_always_answers

pytestmark = pytest.mark.database

SEVEN = (ROOT / "tests" / "data" / "digit-7.png").read_bytes()
SHIPPED = ROOT / "ml_models" / "digit_cnn.tflite"
SWITCH_LIMIT = 60  # seconds to wait for both workers to switch: a guard against hanging, not a measurement


class Load(threading.Thread):
    """One client posting the 7 again and again until stopped: [(status, answer)]."""

    def __init__(self, server, stop):
        super().__init__(daemon=True)
        self.server, self.stop, self.answers = server, stop, []

    def run(self):
        content_type, body = json_image(SEVEN)
        while not self.stop.is_set():
            try:
                response = self.server.post(content_type, body)
                self.answers.append((response.status, json.loads(response.body)))
            except (OSError, ValueError) as error:
                self.answers.append((None, repr(error)))


def served_workers(server):
    """{version: workers serving it}, from /metrics."""
    text = server.request("GET", "/metrics").body.decode()
    return {
        sample.labels["version"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "digitsite_model_served_workers"
    }


def wait_until_both_workers_serve(server, version):
    started = time.monotonic()
    while served_workers(server).get(version) != 2:
        assert time.monotonic() - started < SWITCH_LIMIT, served_workers(server)
        time.sleep(0.05)
    return time.monotonic() - started


def answered(loads):
    return sum(len(load.answers) for load in loads)


def wait_for_answers(loads, more):
    target = answered(loads) + more
    deadline = time.monotonic() + SWITCH_LIMIT
    while answered(loads) < target:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_model_is_activated_and_rolled_back_under_load_with_no_failed_request(tmp_path):
    threes_path = tmp_path / "threes" / "digit_cnn.tflite"
    threes_path.parent.mkdir()
    threes_path.write_bytes(model_that_always_answers(3, SHIPPED.read_bytes()))
    shipped, threes = model_version_of(SHIPPED.read_bytes()), model_version_of(threes_path.read_bytes())

    with fresh_live_database(tmp_path) as database:
        env = production_environment(database.url, DJANGO_METRICS_ALLOWED_NETWORKS="127.0.0.1")
        migrate(env)
        manage(env, "register_model", str(threes_path))  # the shipped one: registered by the empty registry
        with gunicorn(env, tmp_path / "gunicorn.log") as server:
            wait_until_both_workers_serve(server, shipped)
            workers = server.worker_pids()
            stop = threading.Event()
            loads = [Load(server, stop) for _ in range(4)]
            for load in loads:
                load.start()
            try:
                wait_for_answers(loads, 20)
                manage(env, "activate_model", threes)
                switched_in = wait_until_both_workers_serve(server, threes)
                wait_for_answers(loads, 20)
                manage(env, "activate_model", "--roll-back")
                rolled_back_in = wait_until_both_workers_serve(server, shipped)
                wait_for_answers(loads, 20)
            finally:
                stop.set()
                for load in loads:
                    load.join(timeout=60)
            assert server.worker_pids() == workers  # no worker was restarted
            log = server.log()
        stored = dict(database.query("SELECT id, model_version FROM recognizer_prediction"))
        digits = dict(database.query("SELECT id, predicted_digit FROM recognizer_prediction"))

    answers = [answer for load in loads for answer in load.answers]
    failures = [answer for answer in answers if answer[0] != 201]
    by_version = {}
    for _, answer in answers:
        by_version.setdefault(answer["model_version"], []).append(answer)
    print(
        f"{database.vendor}: {len(answers)} answers, {len(failures)} failures; "
        + ", ".join(f"{version}: {len(answers)}" for version, answers in by_version.items())
        + f"; both workers served the new model {switched_in:.2f} s after activate_model returned, "
        f"the old one {rolled_back_in:.2f} s after the roll back"
    )
    assert failures == []
    assert set(by_version) == {shipped, threes}
    assert {answer["prediction"] for answer in by_version[threes]} == {3}
    assert {answer["prediction"] for answer in by_version[shipped]} == {7}
    # Every stored prediction names the model that read it, as its client was told.
    assert {answer["id"]: answer["model_version"] for _, answer in answers} == stored
    assert all(digits[pk] == (3 if version == threes else 7) for pk, version in stored.items())
    assert "Traceback" not in log
