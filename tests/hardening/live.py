"""The site served the way production serves it: gunicorn in a subprocess, debug off, a database of its own.

The database is on the server the test run uses: a fresh SQLite file, or, when the run is on PostgreSQL
(DATABASE_URL=postgres://..., as `make test`'s second pass), a PostgreSQL database created for the test
and dropped after it.
"""

import http.client
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.conf import settings

from benchmarks.servers import children_of, resident_mb

BASE_DIR = Path(settings.BASE_DIR)
STARTUP_LIMIT = 120  # seconds for gunicorn to answer at all (a guard against hanging, not a measurement)


# Databases -------------------------------------------------------------------------------------------


@dataclass
class Database:
    url: str
    vendor: str

    def query(self, sql):
        """Rows of one query, run over a connection of our own (not Django's)."""
        if self.vendor == "sqlite":
            with closing(sqlite3.connect(self.url.removeprefix("sqlite:///"))) as connection:
                return connection.execute(sql).fetchall()
        with psycopg.connect(self.url) as connection:
            return connection.execute(sql).fetchall()

    def execute(self, sql, parameters):
        """One statement with parameters written as %s, committed."""
        if self.vendor == "sqlite":
            with closing(sqlite3.connect(self.url.removeprefix("sqlite:///"))) as connection, connection:
                connection.execute(sql.replace("%s", "?"), parameters)
            return
        with psycopg.connect(self.url) as connection:
            connection.execute(sql, parameters)

    def count_predictions(self):
        return self.query("SELECT COUNT(*) FROM recognizer_prediction")[0][0]


def postgres_url(database, name):
    user = quote(database["USER"] or "postgres", safe="")
    password = f":{quote(database['PASSWORD'], safe='')}" if database.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{name}"


@contextmanager
def fresh_database(tmp_path):
    """A new, empty database (not yet migrated) on the kind of server this test run uses."""
    default = settings.DATABASES["default"]
    if default["ENGINE"] != "django.db.backends.postgresql":
        yield Database(f"sqlite:///{tmp_path / 'live.sqlite3'}", "sqlite")
        return
    name = f"digitsite_live_{secrets.token_hex(4)}"
    admin_url = postgres_url(default, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Database(postgres_url(default, name), "postgresql")
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The server ------------------------------------------------------------------------------------------


def production_environment(database, **overrides):
    """gunicorn's environment: production settings over plain HTTP, this database; overrides win
    (None removes a variable)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }
    env.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_SECURE": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database.url,
            "DJANGO_PREDICT_THROTTLE_RATE": "1000000/min",
        }
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def migrate(env):
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: dict  # lower-case names
    body: bytes


@dataclass
class LiveServer:
    port: int
    process: subprocess.Popen
    log_path: Path

    def request(self, method, path, body=None, headers=None, timeout=60):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Response(
                response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            )
        finally:
            connection.close()

    def post(self, content_type, body, headers=None):
        headers = dict(headers or {})
        if content_type is not None:
            headers["Content-Type"] = content_type
        return self.request("POST", "/api/predict", body=body, headers=headers)

    def post_declared(self, content_type, body, *, send=64 * 1024):
        """POST declaring the whole body's length but sending only its first bytes, then closing our side.

        A server that enforces its size limit from the header answers 413 at once; one that reads the
        body first gets a short one and answers something else (or nothing).
        """
        head = (
            f"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as connection:
            connection.sendall(head + body[:send])
            connection.shutdown(socket.SHUT_WR)
            response = http.client.HTTPResponse(connection)
            response.begin()
            return Response(
                response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            )

    def log(self):
        return self.log_path.read_text(errors="replace")

    def workers_resident_mb(self):
        return [resident_mb(pid) for pid in children_of(self.process.pid)]

    def wait_until_answering(self):
        deadline = time.monotonic() + STARTUP_LIMIT
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                return self.request("GET", "/api/health", timeout=10)
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"gunicorn did not answer in {STARTUP_LIMIT} s:\n{self.log()}"
                    ) from None
                time.sleep(0.2)


@contextmanager
def gunicorn(env, log_path, *, workers=2):
    """`gunicorn digitsite.wsgi` on a free port of 127.0.0.1, answering; stopped (by its pid) afterwards."""
    port = free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "digitsite.wsgi",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--graceful-timeout",
                "10",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = LiveServer(port, process, Path(log_path))
        try:
            server.wait_until_answering()
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# Redis -----------------------------------------------------------------------------------------------

REDIS_SERVER = os.environ.get("REDIS_SERVER", "redis-server")


@contextmanager
def private_redis(folder):
    """A Redis of the test's own (Debian's redis-server, which `make test` installs) on a free port,
    keeping nothing on disk: its URL. Stopped afterwards."""
    port = free_port()
    try:
        process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
    except FileNotFoundError:
        raise AssertionError(
            f"{REDIS_SERVER} not found: install Debian's redis-server (make test does) "
            "or set REDIS_SERVER=/path/to/redis-server"
        ) from None
    try:
        deadline = time.monotonic() + STARTUP_LIMIT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"redis-server did not start on port {port}") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=30)
