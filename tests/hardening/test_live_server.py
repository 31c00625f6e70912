"""The site as production runs it — `gunicorn digitsite.asgi`, 2 workers, DJANGO_DEBUG unset (so off) —
under hostile input, with its errors, headers, HTTPS hardening and throttle (benchmarks.live serves it)."""

import json
import pickle
import re
import time

import pytest
import redis

from benchmarks.live import gunicorn, migrate, private_redis, production_environment
from tests.conftest import fresh_live_database
from tests.hardening.payloads import HOSTILE, JSON, bar_image, json_image, stroke_on_transparent_canvas

pytestmark = pytest.mark.database

DECLARED_ONLY = 4 * 1024 * 1024  # bodies bigger than this are declared in full but only begun


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(server, database): production over plain HTTP on localhost, DJANGO_DEBUG unset."""
    folder = tmp_path_factory.mktemp("production")
    with fresh_live_database(folder) as database:
        env = production_environment(database.url, DJANGO_DEBUG=None)
        migrate(env)
        with gunicorn(env, folder / "gunicorn.log") as server:
            yield server, database


def assert_json_refusal(response, status, words):
    assert response.status == status, (response.status, response.body[:300])
    assert response.headers["content-type"] == "application/json"
    detail = json.loads(response.body)["detail"]
    assert words in detail
    return detail


def test_every_hostile_body_is_a_4xx_over_http_and_nothing_is_stored(served):
    server, database = served
    before = database.count_predictions()
    outcomes = []
    for case in HOSTILE:
        content_type, body = case.body()
        if len(body) > DECLARED_ONLY:
            response = server.post_declared(content_type, body)
        else:
            response = server.post(content_type, body)
        outcomes.append((case.name, response.status))
        assert_json_refusal(response, case.status, case.words)

    print(f"{len(outcomes)} hostile requests: " + ", ".join(f"{status}" for _, status in outcomes))
    assert all(400 <= status < 500 for _, status in outcomes)
    assert database.count_predictions() == before
    assert server.post(*json_image(bar_image())).status == 201  # still serving
    assert database.count_predictions() == before + 1
    assert "Traceback" not in server.log()


def test_a_huge_drawing_does_not_leave_its_memory_in_the_workers(served):
    """A 4096×4096 RGBA canvas is 80 KB of PNG but 64 MB of pixels: once answered, the workers give the
    memory back (without that, each worker that read one stayed ~150 MB larger)."""
    server, _ = served
    huge_png, small_png = stroke_on_transparent_canvas(4096), bar_image()
    for _ in range(6):
        assert server.post(*json_image(small_png)).status == 201
    warm = server.workers_resident_mb()

    for _ in range(4):  # both workers get some
        assert server.post(*json_image(huge_png)).status == 201
        assert server.post(*json_image(small_png)).status == 201

    def settled():
        return all(now - before < 40 for before, now in zip(warm, server.workers_resident_mb()))

    # A worker lets go after it has sent its answer: give it a moment (not a measurement of speed).
    deadline = time.monotonic() + 10
    while not settled() and time.monotonic() < deadline:
        time.sleep(0.05)
    after = server.workers_resident_mb()
    print(
        "worker RSS MB, warm:",
        [round(mb) for mb in warm],
        "after huge drawings:",
        [round(mb) for mb in after],
    )
    assert settled(), (warm, after)


@pytest.mark.parametrize("content_type", [JSON, "multipart/form-data; boundary=x"])
def test_a_body_over_the_limit_is_refused_from_its_declared_length(served, content_type):
    """20 MB declared, 64 KB sent, our side closed: a 413 means the server never waited for the rest."""
    server, _ = served
    response = server.post_declared(content_type, b"{" + b" " * (20 * 1024 * 1024))
    assert_json_refusal(response, 413, "larger than 2 MB")


def test_no_debug_page_in_production(served):
    server, _ = served
    missing = server.request("GET", "/no/such/page")
    assert missing.status == 404
    wrong_host = server.request("GET", "/api/health", headers={"Host": "attacker.example"})
    assert wrong_host.status == 400
    for response in (missing, wrong_host):
        for telltale in (b"URLconf", b"Traceback", b"DEBUG", b"ALLOWED_HOSTS", b"settings"):
            assert telltale not in response.body


def test_errors_are_logged_not_shown(served):
    """A stored drawing whose model input is corrupt breaks its pages: the client sees a plain 500, the
    log has the traceback."""
    server, database = served
    created = json.loads(server.post(*json_image(bar_image())).body)
    database.execute(
        "UPDATE recognizer_prediction SET model_input = %s WHERE id = %s", (b"\x01\x02\x03", created["id"])
    )

    page = server.request("GET", f"/predictions/{created['id']}/input.png")
    api = server.request("GET", f"/api/predictions/{created['id']}")

    assert page.status == 500 and b"Server Error (500)" in page.body
    assert api.status == 500 and json.loads(api.body) == {
        "detail": "Something went wrong on our side. Please try again later.",
        "code": "server_error",
    }
    for response in (page, api):
        assert b"Traceback" not in response.body and b"reshape" not in response.body
    log = server.log()
    assert f"Internal Server Error: /predictions/{created['id']}/input.png" in log
    assert f"Unexpected error answering GET /api/predictions/{created['id']}" in log
    assert log.count("ValueError: cannot reshape array of size 3") == 2  # each with its traceback


def test_security_headers_over_plain_http(served):
    server, _ = served
    response = server.request("GET", "/api/health")
    assert response.status == 200  # DJANGO_SECURE=0: no redirect to HTTPS on localhost...
    assert "strict-transport-security" not in response.headers  # ...and no HSTS
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["cross-origin-opener-policy"] == "same-origin"


@pytest.fixture(scope="module")
def served_securely(tmp_path_factory):
    """Production as deployed behind one TLS-terminating proxy: DJANGO_SECURE left on, DJANGO_NUM_PROXIES=1,
    and a tight throttle of 3 predictions a minute per client."""
    folder = tmp_path_factory.mktemp("secure")
    with fresh_live_database(folder) as database:
        env = production_environment(
            database.url,
            DJANGO_DEBUG=None,
            DJANGO_SECURE=None,
            DJANGO_NUM_PROXIES="1",
            DJANGO_PREDICT_THROTTLE_RATE="3/min",
        )
        migrate(env)
        with gunicorn(env, folder / "gunicorn.log") as server:
            yield server


HTTPS = {"X-Forwarded-Proto": "https"}


def test_plain_http_is_redirected_to_https_except_the_health_check(served_securely):
    response = served_securely.request("GET", "/api/predictions?digit=3")
    assert response.status == 301
    assert response.headers["location"] == f"https://127.0.0.1:{served_securely.port}/api/predictions?digit=3"
    assert served_securely.request("GET", "/api/health").status == 200  # what a load balancer probes


def test_https_answers_with_hsts(served_securely):
    response = served_securely.request("GET", "/api/health", headers=HTTPS)
    assert response.status == 200
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.headers["x-frame-options"] == "DENY"


def test_the_throttle_answers_429_with_retry_after(served_securely):
    """3 a minute per client, counted in each of the 2 workers: the 7th request at the latest is refused."""
    client = {**HTTPS, "X-Forwarded-For": "192.0.2.50"}
    responses = [served_securely.post(JSON, b"{}", headers=client) for _ in range(7)]
    statuses = [response.status for response in responses]
    assert 429 in statuses and set(statuses) == {400, 429}, statuses
    for response in responses:
        if response.status == 429:
            assert re.fullmatch(r"[1-9]\d*", response.headers["retry-after"])
            assert_json_refusal(response, 429, "Request was throttled.")
    someone_else = served_securely.post(JSON, b"{}", headers={**HTTPS, "X-Forwarded-For": "192.0.2.51"})
    assert someone_else.status == 400


@pytest.fixture(scope="module")
def served_with_redis(tmp_path_factory):
    """(server, Redis URL): production with the throttle's counts in a Redis of its own
    (DJANGO_CACHE_URL), 3 predictions a minute per client, behind one proxy."""
    folder = tmp_path_factory.mktemp("redis")
    with fresh_live_database(folder) as database, private_redis(folder) as redis_url:
        env = production_environment(
            database.url,
            DJANGO_CACHE_URL=redis_url,
            DJANGO_NUM_PROXIES="1",
            DJANGO_PREDICT_THROTTLE_RATE="3/min",
        )
        migrate(env)
        with gunicorn(env, folder / "gunicorn.log") as server:
            yield server, redis_url


def test_with_redis_both_workers_share_one_count(served_with_redis):
    server, redis_url = served_with_redis
    client = "2001:db8::7"
    statuses = [server.post(JSON, b"{}", headers={"X-Forwarded-For": client}).status for _ in range(8)]

    assert statuses == [400] * 3 + [429] * 5
    # The statuses alone could come from one worker answering all 8; the count kept in Redis, which
    # both workers read, is what shows the limit is shared.
    counted = redis.Redis.from_url(redis_url).get(f"digitsite:1:throttle_predict_{client}")
    assert counted is not None and len(pickle.loads(counted)) == 3  # the 3 requests let through
    assert "Traceback" not in server.log()
