"""Start a gunicorn server, time it to its first answer, read its workers' memory, stop it."""

import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from benchmarks.environment import PYTHON, ROOT

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


def cpu_seconds(pid):
    """CPU time a process has used so far, user and system (in clock ticks of 10 ms)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class GunicornServer:
    """`gunicorn APP --workers N` on a free localhost port, run from the repository root."""

    def __init__(self, app, *, workers=2, environment=None, log_path, extra_args=()):
        self.app, self.workers, self.log_path = app, workers, Path(log_path)
        self.environment = {**os.environ, **(environment or {})}
        self.extra_args = list(extra_args)
        self.port = free_port()
        self.process = None

    def start(self):
        gunicorn = str(Path(PYTHON).with_name("gunicorn"))
        command = [
            gunicorn,
            self.app,
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--no-control-socket",  # gunicorn 25+ shares one per user: leave it to real servers
            *self.extra_args,
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started_at = time.perf_counter()

    def wait_for_answer(self, body, *, path="/api/predict", expected_status=201, timeout=120):
        """Seconds from start() to the first `expected_status` answer to POST `body`."""
        deadline = self.started_at + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
                connection.request("POST", path, body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                content = response.read()
                connection.close()
            except OSError:
                time.sleep(0.01)
                continue
            if response.status != expected_status:
                raise RuntimeError(
                    f"first answer was {response.status}: {content[:500]!r}; see {self.log_path}"
                )
            return time.perf_counter() - self.started_at
        raise RuntimeError(f"no answer within {timeout} s; see {self.log_path}")

    def worker_pids(self):
        return children_of(self.process.pid)

    def workers_cpu_seconds(self):
        return sum(cpu_seconds(pid) for pid in self.worker_pids())

    def memory(self):
        workers = self.worker_pids()
        return {
            "master_rss_mb": resident_mb(self.process.pid),
            "worker_rss_mb": [resident_mb(pid) for pid in workers],
        }

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
