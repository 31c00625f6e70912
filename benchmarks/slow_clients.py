"""Slow HTTP clients, and a prober that keeps asking the server for its health meanwhile: plain sockets
and threads, for the live tests and for measuring by hand.

    with SlowClients(port, headers=25, bodies=13, stalled=12) as slow, HealthProbe(port) as probe:
        slow.wait(seconds=30)          # until the server has answered or dropped every one
    slow.outcomes(), probe.answers()

The kinds, each on its own connection and thread:
- "headers": a request line, then one byte of a never-ending header every `interval` seconds;
- "body": whole headers declaring a body of `body_size` bytes, then one byte of it every `interval`;
- "stalled": whole headers, half the body at once, then silence, waiting for an answer.
Each records what the server did: answered (status, Content-Type, body) or closed, and when.
"""

import select
import socket
import threading
import time
from dataclasses import dataclass

KINDS = ("headers", "body", "stalled")


@dataclass
class Outcome:
    kind: str
    ended: bool = False  # the server answered or closed the connection
    seconds: float | None = None  # from connecting to that
    status: int | None = None
    content_type: str | None = None
    body: bytes = b""
    error: str | None = None  # the connection failed instead


def parse(raw):
    """(status, content type, body) of a raw HTTP response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2) if lines and lines[0].startswith(b"HTTP/") else []
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    content_type = next(
        (
            line.partition(b":")[2].strip().decode("latin-1")
            for line in lines[1:]
            if line.partition(b":")[0].strip().lower() == b"content-type"
        ),
        None,
    )
    return status, content_type, body


class SlowClient(threading.Thread):
    def __init__(self, kind, port, *, interval, body_size, stop, path):
        super().__init__(daemon=True)
        self.kind, self.port, self.interval, self.body_size, self.stop = kind, port, interval, body_size, stop
        self.path = path
        self.outcome = Outcome(kind)

    def run(self):
        try:
            connection = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        except OSError as error:
            self.outcome.error = repr(error)
            return
        started = time.monotonic()
        try:
            with connection:
                self.trickle(connection)
                if self.outcome.ended:
                    self.outcome.seconds = time.monotonic() - started
        except OSError as error:  # reset: the server dropped us without a word
            self.outcome.ended, self.outcome.error = True, repr(error)
            self.outcome.seconds = time.monotonic() - started

    def trickle(self, connection):
        if self.kind == "headers":
            connection.sendall(f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
            rest = b"X-Slow: " + b"a" * 100_000
        else:
            connection.sendall(
                f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {self.body_size}\r\n\r\n".encode()
            )
            rest = b" " * self.body_size
            if self.kind == "stalled":
                connection.sendall(rest[: self.body_size // 2])
                rest = b""
        sent = 0
        while not self.stop.is_set():
            readable, _, _ = select.select([connection], [], [], self.interval)
            if readable:  # the server answered, or closed
                self.outcome.ended = True
                self.read_answer(connection)
                return
            if sent < len(rest):
                connection.sendall(rest[sent : sent + 1])
                sent += 1

    def read_answer(self, connection):
        connection.settimeout(5)
        raw = b""
        try:
            while len(raw) < 65536:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                raw += chunk
        except OSError:
            pass
        self.outcome.status, self.outcome.content_type, self.outcome.body = parse(raw)


class SlowClients:
    """`headers` + `bodies` + `stalled` slow clients on `port`, stopped when the block ends."""

    def __init__(self, port, *, headers=25, bodies=13, stalled=12, interval=0.5, body_size=100_000):
        self.stop = threading.Event()
        common = {"interval": interval, "body_size": body_size, "stop": self.stop}
        self.clients = (
            [SlowClient("headers", port, path="/api/health", **common) for _ in range(headers)]
            + [SlowClient("body", port, path="/api/predict", **common) for _ in range(bodies)]
            + [SlowClient("stalled", port, path="/api/predict", **common) for _ in range(stalled)]
        )

    def __enter__(self):
        for client in self.clients:
            client.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        for client in self.clients:
            client.join(timeout=10)

    def wait(self, *, seconds):
        """Until the server has answered or dropped every client, or `seconds` have passed."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and any(client.is_alive() for client in self.clients):
            time.sleep(0.1)

    def outcomes(self):
        return [client.outcome for client in self.clients]


class HealthProbe(threading.Thread):
    """GET `path` every `period` seconds, each on a new connection and a thread of its own (so a probe
    that hangs hides no other), until the block ends. answers(): (status or error, seconds) each."""

    def __init__(self, port, *, path="/api/health", period=0.25, timeout=10):
        super().__init__(daemon=True)
        self.port, self.path, self.period, self.timeout = port, path, period, timeout
        self.stop = threading.Event()
        self.results = []
        self.lock = threading.Lock()
        self.probes = []

    def probe(self):
        started = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout) as connection:
                connection.sendall(
                    f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
                )
                raw = b""
                while chunk := connection.recv(65536):
                    raw += chunk
            answer = parse(raw)[0]
        except OSError as error:
            answer = type(error).__name__
        with self.lock:
            self.results.append((answer, time.monotonic() - started))

    def run(self):
        while not self.stop.wait(self.period):
            thread = threading.Thread(target=self.probe, daemon=True)
            thread.start()
            self.probes.append(thread)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        self.join()
        for thread in self.probes:
            thread.join(timeout=self.timeout + 1)

    def answers(self):
        with self.lock:
            return list(self.results)
