"""HTTP: POST /api/predict through gunicorn with 2 workers, the site beside the seed-style baseline.

For each server: spawn gunicorn (benchmarks.live, as the tests do), time it to its first answer, warm
it up, read each worker's resident memory, then load it at each concurrency from a separate client
process (benchmarks.load) so the client's Python does not share the servers' interpreters.
"""

import json
import os
import subprocess
import tempfile
from pathlib import Path

from benchmarks import live
from benchmarks.environment import PYTHON, ROOT

CONCURRENCY = (1, 4, 16)
WARMUP_SECONDS = 3


def write_bodies(path, bodies, labels):
    with open(path, "w") as lines:
        for body, label in zip(bodies, labels):
            lines.write(json.dumps({"body": body.decode(), "label": int(label)}) + "\n")


def load(server, bodies_path, *, concurrency, seconds, expected_status):
    command = [
        PYTHON,
        "-m",
        "benchmarks.load",
        "--port",
        str(server.port),
        "--concurrency",
        str(concurrency),
        "--seconds",
        str(seconds),
        "--bodies",
        str(bodies_path),
        "--expect",
        str(expected_status),
    ]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def exercise(server, bodies_path, first_body, *, seconds, expected_status):
    """Start-up, warm-up, memory and the load at each concurrency, for a started server."""
    result = {"first_answer_seconds": server.wait_for_answer(first_body, expected_status=expected_status)}
    warmup = load(server, bodies_path, concurrency=4, seconds=WARMUP_SECONDS, expected_status=expected_status)
    result["memory_after_warmup"] = server.memory()
    result["levels"] = []
    for concurrency in CONCURRENCY:
        cpu_before = server.workers_cpu_seconds()
        level = load(
            server, bodies_path, concurrency=concurrency, seconds=seconds, expected_status=expected_status
        )
        # The workers' own CPU time per answer: what a request costs, however busy the machine is.
        level["server_cpu_ms_per_request"] = (
            1000 * (server.workers_cpu_seconds() - cpu_before) / max(level["count"], 1)
        )
        result["levels"].append(level)
    result["memory_after_load"] = server.memory()
    result["answered"] = 1 + warmup["count"] + sum(level["count"] for level in result["levels"])
    result["errors"] = warmup["errors"] + sum(level["errors"] for level in result["levels"])
    return result


def measure_site(bodies, labels, *, seconds, workdir, log_dir):
    """The site: gunicorn digitsite.asgi (gunicorn.conf.py), production settings, a fresh database."""
    with live.fresh_database(workdir) as database:
        environment = live.production_environment(database.url)
        live.migrate(environment)
        bodies_path = Path(workdir) / "bodies.jsonl"
        write_bodies(bodies_path, bodies, labels)
        with live.gunicorn(environment, Path(log_dir) / "site.log", wait=False) as server:
            result = exercise(server, bodies_path, bodies[0], seconds=seconds, expected_status=201)
        result["stored"] = database.count_predictions()
    return result


def measure_seed(bodies, labels, *, seconds, workdir, log_dir):
    """The baseline: Flask + TensorFlow `model.predict`, gunicorn with 2 workers and its defaults."""
    bodies_path = Path(workdir) / "bodies.jsonl"
    write_bodies(bodies_path, bodies, labels)
    empty_config = Path(workdir) / "seed.gunicorn.conf.py"  # not the site's gunicorn.conf.py
    empty_config.write_text("")
    with live.gunicorn(
        {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        Path(log_dir) / "seed.log",
        app="benchmarks.seed_server:app",
        extra_args=["--config", str(empty_config)],
        wait=False,
    ) as server:
        return exercise(server, bodies_path, bodies[0], seconds=seconds, expected_status=200)


def measure_http(bodies, labels, *, seconds, log_dir, seed=True):
    """The site's numbers, and the seed-style baseline's unless `seed` is false; logs go to `log_dir`."""
    with tempfile.TemporaryDirectory(prefix="digits-bench-") as workdir:
        results = {"site": measure_site(bodies, labels, seconds=seconds, workdir=workdir, log_dir=log_dir)}
        if seed:
            results["seed"] = measure_seed(bodies, labels, seconds=seconds, workdir=workdir, log_dir=log_dir)
    return results
