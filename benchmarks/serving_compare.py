"""Two ways of serving the site, measured in turn, round after round, on the same machine: single-digit
POST /api/predict at 1 and 4 clients, each server started fresh on a fresh SQLite database. Interleaving
spreads a busy neighbour over both; the workers' CPU time per answer is the steadiest figure.

    python -m benchmarks.serving_compare --before /path/to/old/checkout --rounds 4 --seconds 8

`--before` is a checkout of the site as it was (e.g. `git worktree add /tmp/before main`, with its own
.venv link): it is served its own way, `gunicorn digitsite.wsgi` with its gunicorn.conf.py (sync
workers). This checkout is served as production serves it now: `gunicorn digitsite.asgi`. Prints one
JSON line per measurement, then the medians.
"""

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from benchmarks import live
from benchmarks.canvases import canvas_pngs, mnist_test_digits, request_body
from benchmarks.environment import ROOT
from benchmarks.http_load import load, write_bodies

CONCURRENCY = (1, 4)


def measure(name, checkout, app, bodies_path, first_body, *, seconds, workdir):
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=workdir))
    with live.fresh_database(folder) as database:
        env = live.production_environment(database.url)
        live.manage(env, "migrate", "--noinput", "--verbosity", "0", cwd=checkout)
        with live.gunicorn(env, folder / "gunicorn.log", app=app, cwd=checkout, wait=False) as server:
            server.wait_for_answer(first_body)
            load(server, bodies_path, concurrency=4, seconds=2, expected_status=201)  # warm up
            results = []
            for concurrency in CONCURRENCY:
                cpu_before = server.workers_cpu_seconds()
                level = load(
                    server, bodies_path, concurrency=concurrency, seconds=seconds, expected_status=201
                )
                level["server_cpu_ms_per_request"] = (
                    1000 * (server.workers_cpu_seconds() - cpu_before) / max(level["count"], 1)
                )
                results.append({"server": name, **level})
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the site as it was")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=8.0, help="load time per concurrency level")
    parser.add_argument("--digits", type=int, default=300)
    args = parser.parse_args(argv)

    digits, labels = mnist_test_digits(args.digits)
    bodies = [request_body(png) for png in canvas_pngs(digits)]
    servers = {
        "before (sync, digitsite.wsgi)": (args.before.resolve(), "digitsite.wsgi"),
        "now (asgi, digitsite.asgi)": (ROOT, "digitsite.asgi"),
    }
    rows = []
    with tempfile.TemporaryDirectory(prefix="serving-compare-") as workdir:
        bodies_path = Path(workdir) / "bodies.jsonl"
        write_bodies(bodies_path, bodies, labels)
        for round_number in range(args.rounds):
            for name, (checkout, app) in servers.items():
                for row in measure(
                    name, checkout, app, bodies_path, bodies[0], seconds=args.seconds, workdir=workdir
                ):
                    row["round"] = round_number
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    print("\nmedians over the rounds:")
    for name in servers:
        for concurrency in CONCURRENCY:
            mine = [row for row in rows if row["server"] == name and row["concurrency"] == concurrency]
            cpu = statistics.median(row["server_cpu_ms_per_request"] for row in mine)
            print(
                f"{name:32} {concurrency} client(s): "
                f"p50 {statistics.median(row['p50_ms'] for row in mine):6.2f} ms, "
                f"{statistics.median(row['requests_per_second'] for row in mine):6.0f} req/s, "
                f"worker CPU {cpu:5.2f} ms/answer, "
                f"errors {sum(row['errors'] for row in mine)}"
            )


if __name__ == "__main__":
    main()
