"""Server time of `POST /api/read` and `POST /api/predict` for one-digit canvases, through the site's WSGI
application in this process (production settings, a fresh SQLite database; no sockets, so only the
site's own work counts), in CPU time of this process, the two interleaved so both see the same machine.

    .venv/bin/python -m benchmarks.read_latency [--requests 300]
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from benchmarks import live
from benchmarks.canvases import canvas_pngs, mnist_test_digits, request_body
from benchmarks.measure import latency_summary
from benchmarks.profile_request import wsgi_post


def measure_read_and_predict(bodies, *, requests=300, warmup=20):
    """{"read": summary, "predict": summary} of CPU ms per request, the two endpoints interleaved."""
    with tempfile.TemporaryDirectory(prefix="digits-read-") as folder:
        os.environ.update(live.production_environment(f"sqlite:///{Path(folder) / 'db.sqlite3'}"))
        os.environ["DJANGO_READ_THROTTLE_RATE"] = os.environ["DJANGO_PREDICT_THROTTLE_RATE"] = "off"
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        from digitsite.wsgi import application

        seconds = {"read": [], "predict": []}
        expected = {"read": 200, "predict": 201}
        for index in range(warmup + requests):
            body = bodies[index % len(bodies)]
            for name in seconds:
                started = time.process_time()
                status, content = wsgi_post(application, f"/api/{name}", body)
                spent = time.process_time() - started
                assert status == expected[name], content
                if index >= warmup:
                    seconds[name].append(spent)
        return {name: latency_summary(values) for name, values in seconds.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args(argv)
    bodies = [request_body(png) for png in canvas_pngs(mnist_test_digits(100)[0])]
    results = measure_read_and_predict(bodies, requests=args.requests)
    for name, summary in results.items():
        print(f"POST /api/{name}: p50 {summary['p50_ms']:.2f} ms, p99 {summary['p99_ms']:.2f} ms (CPU)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
