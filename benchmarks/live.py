"""The live-server harness, shared by the tests and the benchmarks: the site served the way production
serves it — `gunicorn digitsite.asgi` in a subprocess, debug off, a free port of 127.0.0.1 — on a fresh
database of its own, with what is needed to talk to it and watch its workers.

The database is on the kind of server asked for: a fresh SQLite file, or a PostgreSQL database created
for the occasion (`fresh_database(folder, postgres=...)`) and dropped after it.
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
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
STARTUP_LIMIT = 120  # seconds for a server to answer at all (a guard against hanging, not a measurement)
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
        import psycopg

        with psycopg.connect(self.url) as connection:
            return connection.execute(sql).fetchall()

    def execute(self, sql, parameters):
        """One statement with parameters written as %s, committed."""
        if self.vendor == "sqlite":
            with closing(sqlite3.connect(self.url.removeprefix("sqlite:///"))) as connection, connection:
                connection.execute(sql.replace("%s", "?"), parameters)
            return
        import psycopg

        with psycopg.connect(self.url) as connection:
            connection.execute(sql, parameters)

    def count_predictions(self):
        return self.query("SELECT COUNT(*) FROM recognizer_prediction")[0][0]


def postgres_url(database, name):
    """The URL of database `name` on the server of `database` (a Django DATABASES entry)."""
    user = quote(database["USER"] or "postgres", safe="")
    password = f":{quote(database['PASSWORD'], safe='')}" if database.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{name}"


@contextmanager
def fresh_database(folder, *, postgres=None):
    """A new, empty database (not yet migrated): a SQLite file in `folder`, or, when `postgres` is a
    Django DATABASES entry for PostgreSQL, a database created on that server and dropped afterwards."""
    if postgres is None:
        yield Database(f"sqlite:///{Path(folder) / 'live.sqlite3'}", "sqlite")
        return
    import psycopg

    name = f"digitsite_live_{secrets.token_hex(4)}"
    admin_url = postgres_url(postgres, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Database(postgres_url(postgres, name), "postgresql")
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The server ------------------------------------------------------------------------------------------


def production_environment(database_url, **overrides):
    """gunicorn's environment: this process's, less any DJANGO_* and DATABASE_URL, plus production
    settings over plain HTTP on localhost, a fresh secret key and this database; the throttle stays on
    at a rate no test or benchmark reaches. `overrides` win (None removes a variable)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "digitsite.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_SECURE": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url,
            "DJANGO_PREDICT_THROTTLE_RATE": "1000000/min",
            "DJANGO_READ_THROTTLE_RATE": "1000000/min",
        }
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def manage(env, *arguments, python=sys.executable, cwd=ROOT, timeout=600):
    """`python manage.py ARGUMENTS` in `cwd` with `env`; asserts it succeeded and returns its output."""
    done = subprocess.run(
        [python, "manage.py", *arguments],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"manage.py {' '.join(arguments)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def migrate(env, **options):
    manage(env, "migrate", "--noinput", "--verbosity", "0", **options)


_collected = set()  # the folders whose static files this process has collected


def collect_static(env, *, python=sys.executable, cwd=ROOT):
    """`manage.py collectstatic` in `cwd`, once per process and folder."""
    if (python, cwd) not in _collected:
        manage(env, "collectstatic", "--noinput", "--verbosity", "0", python=python, cwd=cwd)
        _collected.add((python, cwd))


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
    started_at: float = field(default_factory=time.perf_counter)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

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

    def post(self, content_type, body, headers=None, path="/api/predict"):
        headers = dict(headers or {})
        if content_type is not None:
            headers["Content-Type"] = content_type
        return self.request("POST", path, body=body, headers=headers)

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

    def post_chunked(self, body, *, chunk_size=16 * 1024, content_type="application/json"):
        """POST /api/predict with the body sent in chunks (Transfer-Encoding: chunked, no length)."""
        chunks = (body[start : start + chunk_size] for start in range(0, len(body), chunk_size))
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(
                "POST",
                "/api/predict",
                body=chunks,
                headers={"Content-Type": content_type},
                encode_chunked=True,
            )
            response = connection.getresponse()
            return Response(
                response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            )
        finally:
            connection.close()

    def log(self):
        return self.log_path.read_text(errors="replace")

    def wait_until_answering(self, path="/api/health"):
        """The first answer to GET `path`, once the server gives one."""
        deadline = time.monotonic() + STARTUP_LIMIT
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                return self.request("GET", path, timeout=10)
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"gunicorn did not answer in {STARTUP_LIMIT} s:\n{self.log()}"
                    ) from None
                time.sleep(0.05)

    def wait_for_answer(self, body, *, path="/api/predict", expected_status=201):
        """Seconds from the start to the first `expected_status` answer to POST `body` (a benchmark's
        time to first answer)."""
        deadline = time.monotonic() + STARTUP_LIMIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                response = self.post(
                    "application/json", body, path=path, headers={"Accept": "application/json"}
                )
            except OSError:
                time.sleep(0.01)
                continue
            if response.status != expected_status:
                raise RuntimeError(
                    f"first answer was {response.status}: {response.body[:500]!r}; see {self.log_path}"
                )
            return time.perf_counter() - self.started_at
        raise RuntimeError(f"no answer within {STARTUP_LIMIT} s; see {self.log_path}")

    # The workers, from /proc -------------------------------------------------------------------------

    def worker_pids(self):
        return children_of(self.process.pid)

    def workers_resident_mb(self):
        return [resident_mb(pid) for pid in self.worker_pids()]

    def workers_peak_resident_mb(self):
        """The most memory each worker has held at any moment since it started (VmHWM)."""
        return [peak_resident_mb(pid) for pid in self.worker_pids()]

    def workers_cpu_seconds(self):
        return sum(cpu_seconds(pid) for pid in self.worker_pids())

    def memory(self):
        return {"master_rss_mb": resident_mb(self.process.pid), "worker_rss_mb": self.workers_resident_mb()}


@contextmanager
def gunicorn(
    env,
    log_path,
    *,
    app="digitsite.asgi",
    workers=2,
    python=sys.executable,
    cwd=ROOT,
    extra_args=(),
    wait=True,
):
    """`gunicorn APP` (the site by default, with its gunicorn.conf.py) on a free port of 127.0.0.1, run
    by `python` from `cwd`; answering /api/health first unless `wait` is false. Stopped by its pid.
    The site's static files are collected first, as a deploy does (its pages need their manifest)."""
    if app.startswith("digitsite."):
        collect_static(env, python=python, cwd=cwd)
    port = free_port()
    command = [
        python,
        "-m",
        "gunicorn",
        app,
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--graceful-timeout",
        "10",
        "--no-control-socket",  # gunicorn 25+ shares one per user: leave it to real servers
        *extra_args,
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(port, process, Path(log_path))
    try:
        if wait:
            server.wait_until_answering()
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# Processes, from /proc -------------------------------------------------------------------------------


def children_of(pid):
    """The process ids whose parent is `pid` (gunicorn's workers, for its master)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Fields after the command name, which is in parentheses and may hold spaces.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return sorted(children)


def resident_mb(pid):
    """Resident memory of a process, in MB (VmRSS: its pages in RAM, shared ones included)."""
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * PAGE_SIZE / 2**20


def peak_resident_mb(pid):
    """The high-water mark of a process's resident memory, in MB (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmHWM for process {pid}")


def cpu_seconds(pid):
    """CPU time a process has used so far, user and system (in clock ticks of 10 ms)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


# Redis -----------------------------------------------------------------------------------------------

REDIS_SERVER = os.environ.get("REDIS_SERVER", "redis-server")


@contextmanager
def private_redis(folder):
    """A Redis of its own (Debian's redis-server, which `make test` installs) on a free port, keeping
    nothing on disk: its URL. Stopped afterwards."""
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
