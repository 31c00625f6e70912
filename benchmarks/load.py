"""The load generator: N threads POSTing drawings over keep-alive connections, in its own process.

    python -m benchmarks.load --port 8000 --concurrency 4 --seconds 10 --bodies bodies.jsonl

Each thread sends the bodies in turn, reconnecting whenever the server closes the connection, and
times each request from sending it to reading the whole answer. Prints one JSON line: latencies,
requests per second, errors by kind, and how many answers named the digit that was drawn.
"""

import argparse
import http.client
import itertools
import json
import threading
import time
from collections import Counter

from benchmarks.measure import latency_summary

HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def read_bodies(path):
    """(body bytes, label) pairs from a JSON-lines file of {"body": ..., "label": ...}."""
    with open(path) as lines:
        return [(row["body"].encode(), row["label"]) for row in map(json.loads, lines)]


class Client(threading.Thread):
    def __init__(self, *, host, port, path, bodies, start, deadline, expected_status):
        super().__init__(daemon=True)
        self.host, self.port, self.path = host, port, path
        self.bodies, self.start_event, self.deadline = bodies, start, deadline
        self.expected_status = expected_status
        self.seconds, self.errors, self.correct = [], Counter(), 0

    def run(self):
        connection = None
        clock = time.perf_counter
        self.start_event.wait()
        for body, label in self.bodies:
            if clock() >= self.deadline[0]:
                break
            started = clock()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
                connection.request("POST", self.path, body, HEADERS)
                response = connection.getresponse()
                content = response.read()
                elapsed = clock() - started
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as error:
                self.errors[type(error).__name__] += 1
                if connection is not None:
                    connection.close()
                connection = None
                continue
            if response.status != self.expected_status:
                self.errors[f"HTTP {response.status}"] += 1
                continue
            self.seconds.append(elapsed)
            self.correct += json.loads(content).get("prediction") == label
        if connection is not None:
            connection.close()


def run_load(*, host, port, path, bodies, concurrency, seconds, expected_status=201):
    start, deadline = threading.Event(), [float("inf")]
    clients = [
        # Each thread starts at a different body, so concurrent requests carry different drawings.
        Client(
            host=host,
            port=port,
            path=path,
            start=start,
            deadline=deadline,
            expected_status=expected_status,
            bodies=itertools.islice(itertools.cycle(bodies), index * len(bodies) // concurrency, None),
        )
        for index in range(concurrency)
    ]
    for client in clients:
        client.start()
    began, cpu_began = time.perf_counter(), time.process_time()
    deadline[0] = began + seconds
    start.set()
    for client in clients:
        client.join()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    latencies = [value for client in clients for value in client.seconds]
    errors = sum((client.errors for client in clients), Counter())
    answered = len(latencies)
    return {
        "concurrency": concurrency,
        "seconds": elapsed,
        **latency_summary(latencies),
        "requests_per_second": answered / elapsed,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "correct": sum(client.correct for client in clients) / answered if answered else None,
        "client_cpu_ms_per_request": 1000 * cpu / max(answered, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/api/predict")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--expect", type=int, default=201, help="the status code of a successful answer")
    parser.add_argument("--bodies", required=True, help='JSON lines of {"body": ..., "label": ...}')
    args = parser.parse_args()
    result = run_load(
        host=args.host,
        port=args.port,
        path=args.path,
        bodies=read_bodies(args.bodies),
        concurrency=args.concurrency,
        seconds=args.seconds,
        expected_status=args.expect,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
