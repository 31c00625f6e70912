"""Canvas accuracy through HTTP: every MNIST test digit, redrawn on a canvas, POSTed once to the site.

    .venv/bin/python -m benchmarks.api_accuracy [--digits 10000] [--clients 4]

The same canvases `manage.py evaluate_model` reads (seed 0), sent as the drawing page sends them to
`POST /api/predict` on `gunicorn digitsite.asgi` (production settings, 2 workers, a fresh SQLite
database). Prints the share read right, on each background, and checks every answer was stored.
"""

import argparse
import http.client
import json
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks import live
from benchmarks.canvases import canvas_pngs, mnist_test_digits, request_body
from benchmarks.load import HEADERS
from training.evaluation import accuracy_by_background


def post_each(port, bodies, *, clients):
    """POST every body once from `clients` threads; the predicted digit for each (None on a failure)."""
    predicted, failures = [None] * len(bodies), Counter()
    next_index, lock = iter(range(len(bodies))), threading.Lock()

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                break
            try:
                connection.request("POST", "/api/predict", bodies[index], HEADERS)
                response = connection.getresponse()
                content = response.read()
            except (OSError, http.client.HTTPException) as error:
                connection.close()  # the next request opens a new one
                failure = type(error).__name__
            else:
                if response.status == 201:
                    predicted[index] = json.loads(content)["prediction"]
                    continue
                failure = f"HTTP {response.status}"
            with lock:
                failures[failure] += 1
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return predicted, failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=10_000, help="MNIST test digits to draw and send")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--seed", type=int, default=0, help="seed for the canvas drawings")
    args = parser.parse_args(argv)

    digits, labels = mnist_test_digits(args.digits)
    print(f"Drawing {len(digits):,} MNIST test digits as 280×280 canvas PNGs…", flush=True)
    bodies = [request_body(png) for png in canvas_pngs(digits, seed=args.seed)]

    with (
        tempfile.TemporaryDirectory(prefix="digits-accuracy-") as workdir,
        live.fresh_database(workdir) as database,
    ):
        environment = live.production_environment(database.url)
        live.migrate(environment)
        with live.gunicorn(environment, Path(workdir) / "gunicorn.log") as server:
            server.wait_for_answer(bodies[0])
            started = time.perf_counter()
            print(f"POSTing them to /api/predict from {args.clients} clients…", flush=True)
            predicted, failures = post_each(server.port, bodies, clients=args.clients)
            elapsed = time.perf_counter() - started
        stored = database.count_predictions() - 1  # the first answer, sent before the count

    predicted = np.array([-1 if digit is None else digit for digit in predicted])  # -1: no answer
    answered, right = predicted >= 0, predicted == labels
    print(
        f"{answered.sum():,} of {len(bodies):,} answered 201 in {elapsed:.0f} s; {stored:,} stored; "
        f"failures: {dict(failures) or 'none'}"
    )
    print(f"Read right through POST /api/predict: {right.mean():.2%} ({right.sum():,} of {len(right):,})")
    for background, accuracy, count in accuracy_by_background(labels, predicted):
        print(f"  on {background}: {accuracy:.2%} of {count:,}")
    return 0 if answered.all() and stored == len(bodies) else 1


if __name__ == "__main__":
    raise SystemExit(main())
