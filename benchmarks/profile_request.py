"""Profile `POST /api/predict` as gunicorn runs it: the WSGI application, production settings, SQLite.

    .venv/bin/python -m benchmarks.profile_request [--requests 500] [--html profile.html]

Calls the WSGI application in-process (no sockets, so only the site's own time shows) with a fresh
database in a temporary folder: first plainly, for the time per request, then under pyinstrument,
whose call tree it prints. (The profiler slows Python code more than C code: read its tree for
proportions, and the first line for time.)
"""

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import live
from benchmarks.canvases import canvas_pngs, mnist_test_digits, request_body


def wsgi_post(application, path, body):
    """One POST through the WSGI application; returns (status code, response bytes)."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    status = []
    chunks = application(environ, lambda line, headers, exc_info=None: status.append(line))
    content = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return int(status[0].split()[0]), content


def post_many(application, bodies, count):
    """POST `count` drawings in turn; the mean milliseconds per request."""
    started = time.perf_counter()
    for index in range(count):
        status, content = wsgi_post(application, "/api/predict", bodies[index % len(bodies)])
        assert status == 201, content
    return 1000 * (time.perf_counter() - started) / count


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--all", action="store_true", help="show library frames too")
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    args = parser.parse_args(argv)

    from pyinstrument import Profiler

    bodies = [request_body(png) for png in canvas_pngs(mnist_test_digits(100)[0])]
    with tempfile.TemporaryDirectory(prefix="digits-profile-") as folder:
        os.environ.update(live.production_environment(f"sqlite:///{Path(folder) / 'db.sqlite3'}"))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        from digitsite.wsgi import application

        post_many(application, bodies, 20)  # warm up: the model loads, caches fill
        print(f"{args.requests} requests: {post_many(application, bodies, args.requests):.2f} ms each")
        profiler = Profiler(interval=0.0002)
        with profiler:
            profiled = post_many(application, bodies, args.requests)
        print(f"{args.requests} requests: {profiled:.2f} ms each under the profiler")
        print(profiler.output_text(unicode=True, color=False, show_all=args.all))
        if args.html:
            Path(args.html).write_text(profiler.output_html())


if __name__ == "__main__":
    main()
