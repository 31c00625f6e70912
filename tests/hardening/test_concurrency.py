"""Concurrent writes: 16 clients post 1,200 real drawings to 2 gunicorn workers; every one is answered
201 and stored, with no "database is locked" (SQLite) — and the same on PostgreSQL in `make test`'s
second pass."""

import base64
import io
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import ImageChops

from recognizer.strokes import BACKGROUNDS, draw_digit_on_canvas
from tests.hardening.live import fresh_database, gunicorn, migrate, production_environment

pytestmark = pytest.mark.database

CLIENTS = 16
REQUESTS = 1200
DRAWINGS = 200  # drawn from 200 MNIST test digits, each sent at 6 positions on the canvas
SHIFTS = [(0, 0), (-6, 0), (6, 0), (0, -6), (0, 6), (4, 4)]


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


def post_all(server, bodies):
    """Post every body from CLIENTS threads at once: [(status, answer or error text)] in body order."""
    def post(body):
        try:
            response = server.post("application/json", body)
        except OSError as error:  # refused, reset, timed out: a failure to count, not to hide
            return None, repr(error)
        try:
            return response.status, json.loads(response.body)
        except ValueError:
            return response.status, response.body[:300].decode(errors="replace")

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(post, bodies))


def test_1200_predictions_from_16_clients_on_2_workers_are_all_stored(tmp_path, mnist_test_set):
    bodies = canvas_bodies(mnist_test_set)
    with fresh_database(tmp_path) as database:
        env = production_environment(database)
        migrate(env)
        with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server:
            results = post_all(server, [body for body, _ in bodies])
            log = server.log()
        stored = dict(database.query("SELECT id, predicted_digit FROM recognizer_prediction"))

    statuses = Counter(status for status, _ in results)
    failures = [answer for status, answer in results if status != 201]
    print(f"{database.vendor}: {len(results)} requests from {CLIENTS} clients: {dict(statuses)}; "
          f"{len(stored)} rows stored")
    assert failures == [], failures[:5]
    assert statuses == {201: REQUESTS}
    assert "database is locked" not in log and "Traceback" not in log, log[-3000:]

    answered = {answer["id"]: answer["prediction"] for _, answer in results}
    assert len(answered) == REQUESTS  # one row per answer...
    assert stored == answered  # ...holding what the client was told
    correct = sum(answer["prediction"] == label for (_, answer), (_, label) in zip(results, bodies))
    assert correct / REQUESTS > 0.9  # and these were real drawings, read as such
