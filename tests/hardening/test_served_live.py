"""The served configuration under abuse (issue 17): `gunicorn digitsite.asgi` with gunicorn.conf.py, 2
workers, production settings, on a fresh SQLite database — one server shared by the tests here, with
short deadlines for slow clients set by the environment.

None of this depends on the database engine, so it runs once (not again on PostgreSQL): 50 slow
clients while health checks keep being answered; chunked bodies; what drawings within the limits cost
to keep, in the database and in a worker's memory; /metrics across both workers;
the headers; JSON 404s under /api/. (It collects no static files: the pages are tested elsewhere.)
"""

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.live import fresh_database, gunicorn, migrate, production_environment
from benchmarks.slow_clients import HealthProbe, SlowClients
from tests.hardening.payloads import AMPLIFYING, MB, amplifying_image, bar_image, json_image, upload

HEADER_SECONDS = 3
BODY_SECONDS = 4
WORKER_MEMORY_LIMIT_MB = 250
STORED_LIMIT = 1 * MB


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(server, database, metrics folder)."""
    folder = tmp_path_factory.mktemp("served")
    metrics_folder = folder / "metrics"
    metrics_folder.mkdir()
    with fresh_database(folder) as database:
        env = production_environment(
            database.url,
            DJANGO_REQUEST_HEADER_SECONDS=str(HEADER_SECONDS),
            DJANGO_REQUEST_BODY_SECONDS=str(BODY_SECONDS),
            DJANGO_METRICS_ALLOWED_NETWORKS="127.0.0.1",
            PROMETHEUS_MULTIPROC_DIR=str(metrics_folder),
        )
        migrate(env)
        with gunicorn(env, folder / "gunicorn.log") as server:
            yield server, database, metrics_folder


def test_fifty_slow_clients_neither_stop_the_site_nor_hold_on_and_each_gets_a_json_408(served):
    """25 clients trickle their headers, 13 their bodies, 12 send half a body and go silent: with 2
    workers. Health checks meanwhile are all answered; each slow client is dropped with a JSON 408 once
    past its deadline (headers 3 s, body 4 s here: DJANGO_REQUEST_HEADER_SECONDS and _BODY_SECONDS)."""
    server, _, _ = served
    with (
        SlowClients(server.port, headers=25, bodies=13, stalled=12, interval=0.5) as slow,
        HealthProbe(server.port, period=0.25) as probe,
    ):
        slow.wait(seconds=60)
    outcomes, answers = slow.outcomes(), probe.answers()

    assert len(answers) >= 10 and {status for status, _ in answers} == {200}, answers
    for outcome in outcomes:
        assert outcome.ended and outcome.error is None, outcome
        assert outcome.status == 408 and outcome.content_type == "application/json", outcome
        assert json.loads(outcome.body)["code"] == "request_timeout", outcome
    details = {outcome.kind: json.loads(outcome.body)["detail"] for outcome in outcomes}
    assert details == {
        "headers": f"The request headers did not arrive within {HEADER_SECONDS} seconds.",
        "body": f"The request body did not arrive in full within {BODY_SECONDS} seconds.",
        "stalled": f"The request body did not arrive in full within {BODY_SECONDS} seconds.",
    }
    assert "Traceback" not in server.log()


def test_a_chunked_body_is_read_and_one_over_the_limit_refused(served):
    server, database, _ = served
    before = database.count_predictions()
    _, body = json_image(bar_image())

    read = server.post_chunked(body, chunk_size=1000)
    too_large = server.post_chunked(b'{"image": "' + b"A" * (3 * MB) + b'"}', chunk_size=64 * 1024)

    assert read.status == 201, read.body[:300]
    assert too_large.status == 413 and json.loads(too_large.body) == {
        "detail": "The request body is larger than 2 MB.",
        "code": "request_too_large",
    }
    assert database.count_predictions() == before + 1


def row_sizes(database):
    """{id: bytes} every stored drawing takes, all its columns together."""
    columns = [row[1] for row in database.query("PRAGMA table_info(recognizer_prediction)")]
    total = " + ".join(f"COALESCE(length(CAST({column} AS BLOB)), 0)" for column in columns)
    return dict(database.query(f"SELECT id, {total} FROM recognizer_prediction"))


def test_drawings_within_the_limits_cost_at_most_1_mb_to_keep_and_250_mb_of_a_worker(served):
    """The issue's amplifiers, each uploaded twice (both workers read some): each is accepted, each row
    takes at most 1 MB, and no worker ever held more than 250 MB (its high-water mark)."""
    server, database, _ = served
    before = set(row_sizes(database))
    answers = []
    for name in AMPLIFYING * 2:
        data, media_type = amplifying_image(name)
        response = server.post(*upload(data, "drawing", media_type))
        answers.append((name, response.status))
    sizes = {pk: size for pk, size in row_sizes(database).items() if pk not in before}
    peaks = server.workers_peak_resident_mb()

    print(
        f"stored bytes per drawing: {sorted(sizes.values())}; worker peaks, MB: {[round(mb) for mb in peaks]}"
    )
    assert {status for _, status in answers} == {201}, answers
    assert len(sizes) == len(answers) and max(sizes.values()) <= STORED_LIMIT, sizes
    assert max(peaks) <= WORKER_MEMORY_LIMIT_MB, peaks


def metric_samples(text):
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_add_up_over_both_workers(served):
    """20 drawings from 4 clients at once: both workers answer some, each counts its own in the shared
    folder, and /metrics adds them up to what was answered and stored."""
    server, database, metrics_folder = served

    def scrape():
        response = server.request("GET", "/metrics")
        assert response.status == 200 and response.headers["content-type"].startswith("text/plain")
        return metric_samples(response.body.decode())

    def predictions(samples):
        return sum(value for (name, _), value in samples.items() if name == "digitsite_predictions_total")

    before, stored_before = scrape(), database.count_predictions()
    _, body = json_image(bar_image())
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: server.post("application/json", body).status, range(20)))
    after = scrape()

    assert statuses == [201] * 20
    assert predictions(after) - predictions(before) == 20 == database.count_predictions() - stored_before
    answered = (
        "digitsite_http_requests_total",
        frozenset({"view": "recognizer:api-predict", "method": "POST", "status": "201"}.items()),
    )
    assert after[answered] - before.get(answered, 0) == 20
    workers = set(server.worker_pids())
    counted_by = {int(path.stem.rsplit("_", 1)[1]) for path in Path(metrics_folder).glob("counter_*.db")}
    assert workers <= counted_by  # each worker wrote counts of its own, which the scrape added up
    version = database.query("SELECT version FROM recognizer_modelversion WHERE is_active")[0][0]
    assert after[("digitsite_model_served_workers", frozenset({"version": version}.items()))] == 2
    assert after[("digitsite_model_active", frozenset({"version": version}.items()))] == 1


def test_metrics_are_for_the_allowed_addresses_only(served):
    server, _, _ = served
    # The server believes no proxy (DJANGO_NUM_PROXIES=0): a forwarded address changes nothing, and a
    # client outside the allowed networks would be told there is no such page (tests/test_metrics.py).
    assert server.request("GET", "/metrics", headers={"X-Forwarded-For": "192.0.2.1"}).status == 200


@pytest.mark.parametrize("path", ["/api/health", "/api/predictions", "/api/nope", "/metrics"])
def test_answers_carry_a_content_security_policy_and_a_permissions_policy(served, path):
    """(The pages, the admin and the docs, rendered, in tests/test_security_headers.py and in a browser:
    tests/browser/test_content_security_policy.py.)"""
    server, _, _ = served
    headers = server.request("GET", path).headers
    policy = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert "camera=()" in headers["permissions-policy"] and "microphone=()" in headers["permissions-policy"]


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_an_unknown_api_path_is_a_json_404(served, method):
    server, _, _ = served
    response = server.request(method, "/api/no/such/thing", body=b"{}" if method == "POST" else None)
    assert response.status == 404 and response.headers["content-type"] == "application/json"
    assert json.loads(response.body) == {
        "detail": "There is no API endpoint at /api/no/such/thing: see /api/docs/.",
        "code": "not_found",
    }
    page = server.request("GET", "/no/such/page")
    assert page.status == 404 and page.headers["content-type"].startswith("text/html")
