"""The site's own time for one request, without sockets: POST /api/read (reads, stores nothing) and
POST /api/predict (reads and stores) through the WSGI application with production settings and a fresh
SQLite database, one canvas drawing of one digit per request.

    .venv/bin/python -m benchmarks.server_time [--requests 300]   # prints JSON

`make bench` runs it in a child process (Django is set up here with production settings).
"""

import argparse
import json
import os
import tempfile
from pathlib import Path

from benchmarks import live
from benchmarks.canvases import canvas_pngs, mnist_test_digits, request_body
from benchmarks.measure import latency_summary, time_each
from benchmarks.profile_request import wsgi_post

ENDPOINTS = {"read": ("/api/read", 200), "predict": ("/api/predict", 201)}


def measure_endpoints(bodies):
    """{name: latency summary} for each endpoint, every body posted once (after a warm-up)."""
    from digitsite.wsgi import application

    results = {}
    for name, (path, expected) in ENDPOINTS.items():

        def post(body, path=path, expected=expected):
            status, content = wsgi_post(application, path, body)
            assert status == expected, content

        results[name] = latency_summary(time_each(post, bodies))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="drawings posted to each endpoint")
    args = parser.parse_args(argv)
    bodies = [request_body(png) for png in canvas_pngs(mnist_test_digits(args.requests)[0])]
    with tempfile.TemporaryDirectory(prefix="digits-server-time-") as folder:
        os.environ.update(live.production_environment(f"sqlite:///{Path(folder) / 'db.sqlite3'}"))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        print(json.dumps(measure_endpoints(bodies)))


if __name__ == "__main__":
    main()
