"""Concurrent writes: 16 clients post 1,200 real drawings to 2 gunicorn workers while
`prune_predictions` deletes old ones; every drawing is answered 201 and stored, with no "database is
locked" (SQLite) — and the same on PostgreSQL in `make test`'s second pass."""

import base64
import io
import json
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from PIL import ImageChops

from benchmarks.live import ROOT, gunicorn, migrate, production_environment
from tests.conftest import fresh_live_database
from training.canvas import BACKGROUNDS
from training.strokes import draw_digit_on_canvas

pytestmark = pytest.mark.database

CLIENTS = 16
REQUESTS = 1200
DRAWINGS = 200  # drawn from 200 MNIST test digits, each sent at 6 positions on the canvas
SHIFTS = [(0, 0), (-6, 0), (6, 0), (0, -6), (0, 6), (4, 4)]
OLD = 160  # drawings stored first, then made 400 days old, and pruned during the burst


def canvas_bodies(mnist_test_set):
    """1,200 distinct request bodies: real test digits drawn as pen strokes on 280 px canvases (white,
    black, transparent), each moved a few pixels (only background wraps round the edge)."""
    images, labels = mnist_test_set
    rng = np.random.default_rng(2024)
    backgrounds = list(BACKGROUNDS)
    bodies = []
    for index in range(DRAWINGS):
        canvas = draw_digit_on_canvas(images[index], rng, background=backgrounds[index % len(backgrounds)])
        for dx, dy in SHIFTS:
            buffer = io.BytesIO()
            ImageChops.offset(canvas, dx, dy).save(buffer, format="PNG")
            image = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
            bodies.append((json.dumps({"image": image}).encode(), int(labels[index])))
    assert len(bodies) == REQUESTS and len({body for body, _ in bodies}) == REQUESTS
    return bodies


def post(server, body):
    """(status, answer) for one drawing; (None, error) when the connection itself failed."""
    try:
        response = server.post("application/json", body)
    except OSError as error:  # refused, reset, timed out: a failure to count, not to hide
        return None, repr(error)
    try:
        return response.status, json.loads(response.body)
    except ValueError:
        return response.status, response.body[:300].decode(errors="replace")


def post_all(server, bodies, *, meanwhile=None):
    """Post every body from CLIENTS threads at once: [(status, answer)] in body order. `meanwhile()` runs
    once the burst is under way; returns (results, what meanwhile returned, requests answered by then)."""
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [pool.submit(post, server, body) for body in bodies]
        outcome = answered_by_then = None
        if meanwhile is not None:
            futures[4 * CLIENTS].result()
            outcome = meanwhile()
            answered_by_then = sum(future.done() for future in futures)
        return [future.result() for future in futures], outcome, answered_by_then


def backdate_all(database, *, days):
    moment = datetime.now(UTC) - timedelta(days=days)
    stored_as = moment.strftime("%Y-%m-%d %H:%M:%S.%f") if database.vendor == "sqlite" else moment.isoformat()
    database.execute("UPDATE recognizer_prediction SET created_at = %s", (stored_as,))


def prune(env):
    """`manage.py prune_predictions` in its own process, in small batches: many short write transactions
    that each read before they write, racing the workers' inserts."""
    return subprocess.run(
        [sys.executable, "manage.py", "prune_predictions", "--older-than", "30", "--batch-size", "4"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_1200_predictions_from_16_clients_on_2_workers_are_all_stored_while_old_ones_are_pruned(
    tmp_path, mnist_test_set
):
    bodies = canvas_bodies(mnist_test_set)
    with fresh_live_database(tmp_path) as database:
        env = production_environment(database.url)
        migrate(env)
        with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server:
            history, _, _ = post_all(server, [body for body, _ in bodies[:OLD]])
            assert {status for status, _ in history} == {201}
            backdate_all(database, days=400)
            results, pruning, answered_by_then = post_all(
                server, [body for body, _ in bodies], meanwhile=lambda: prune(env)
            )
            log = server.log()
        stored = dict(database.query("SELECT id, predicted_digit FROM recognizer_prediction"))

    statuses = Counter(status for status, _ in results)
    failures = [answer for status, answer in results if status != 201]
    print(
        f"{database.vendor}: {len(results)} requests from {CLIENTS} clients: {dict(statuses)}; "
        f"{len(stored)} rows stored; {OLD} old drawings pruned meanwhile in batches of 4 "
        f"(done when {answered_by_then} of {REQUESTS} requests were answered)"
    )
    assert failures == [], failures[:5]
    assert statuses == {201: REQUESTS}
    assert "database is locked" not in log and "Traceback" not in log, log[-3000:]
    assert pruning.returncode == 0, pruning.stdout + pruning.stderr
    assert (
        f"Deleted {OLD} drawings older than 30 days" in pruning.stdout
        and f"in {OLD // 4} batches" in pruning.stdout
    )

    answered = {answer["id"]: answer["prediction"] for _, answer in results}
    assert len(answered) == REQUESTS  # one row per answer...
    assert stored == answered  # ...holding what the client was told, and the old ones are gone
    correct = sum(answer["prediction"] == label for (_, answer), (_, label) in zip(results, bodies))
    assert correct / REQUESTS > 0.9  # and these were real drawings, read as such
