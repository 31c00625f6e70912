"""/api/health answers 503 with the reason when the database cannot take writes — a read-only file, a
read-only folder, a full disk, the file deleted or replaced — and a drawing that cannot be stored is a
503 JSON with `code` and Retry-After, never a 500, never a 201 for a drawing written into a deleted
file. Real faults, made by tests/hardening/database_faults.py in a mount namespace of its own."""

import json
import os
import subprocess
import sys

import pytest

from benchmarks.live import ROOT

# As root, a mount namespace of its own; as another user, a user namespace too, where the user is root.
NAMESPACE = ["unshare", "--mount", "--propagation", "private"]
if os.geteuid() != 0:
    NAMESPACE[1:1] = ["--user", "--map-root-user"]


@pytest.fixture(scope="module")
def faults(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    done = subprocess.run(
        [*NAMESPACE, sys.executable, "-m", "tests.hardening.database_faults", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_unavailable(answer, detail=None):
    assert answer["status"] == 503 and answer["content_type"] == "application/json", answer
    assert answer["code"] == "database_unavailable" and answer["retry_after"] == "30", answer
    if detail is not None:
        assert detail in answer["detail"], answer


FAULTS = {
    "read-only file": "The database file db.sqlite3 is read-only.",
    "read-only folder": "The folder of the database file db.sqlite3 is read-only",
    "full disk": "The disk of the database file db.sqlite3 is full: 0.0 MB free",
    "deleted file": "The database file db.sqlite3 was deleted while the site was running.",
    "replaced file": "The database file db.sqlite3 was replaced while the site was running.",
}


@pytest.mark.parametrize("fault", FAULTS)
def test_health_answers_503_with_the_reason(faults, fault):
    before, during = faults[fault]["before"], faults[fault]["during"]
    assert before["predict"]["status"] == 201 and before["health"]["status"] == 200  # the fault did it
    assert_unavailable(during["health"], FAULTS[fault])


@pytest.mark.parametrize("fault", ["read-only file", "read-only folder", "full disk", "deleted file"])
def test_a_drawing_that_cannot_be_stored_is_a_503_to_retry(faults, fault):
    """A worker that opens the database now cannot write it: 503 JSON with code and Retry-After."""
    during = faults[fault]["during"]
    assert_unavailable(during["predict_new_connection"], "Please try again later.")
    assert during["health_new_connection"]["status"] == 503


def test_a_full_disk_refuses_the_drawing_of_a_running_worker_too(faults):
    assert_unavailable(faults["full disk"]["during"]["predict"], "Please try again later.")


@pytest.mark.parametrize("fault", ["deleted file", "replaced file"])
def test_a_drawing_written_into_a_file_no_longer_there_is_not_answered_as_stored(faults, fault):
    """SQLite lets a connection opened before keep writing into the file it holds, even once that file
    is deleted or replaced: the drawing would be lost with it. The site checks after the INSERT,
    answers 503, and rolls back."""
    assert_unavailable(faults[fault]["during"]["predict"], "Please try again later.")


def test_the_site_follows_a_replaced_file(faults):
    """Once the file at the path is another good database, the next connection uses it."""
    during = faults["replaced file"]["during"]
    assert during["health_new_connection"]["status"] == 200
    assert during["predict_new_connection"]["status"] == 201
