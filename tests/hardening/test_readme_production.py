"""The README's Production steps, run as written: in a fresh copy of the repository, with only the
block's own `export` lines (nothing else from this environment), `check --deploy` is clean, and gunicorn
answers 200 on every page and on every file each page links. The block is read from README.md, so the
README and this test cannot drift apart; the one change is the port (a free one, not 8000).

Run twice: with the repository's .venv, and with .venv-web — a virtualenv of requirements/web.txt alone,
which `make test` builds — where TensorFlow and Keras cannot even be imported.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from benchmarks.live import ROOT, LiveServer, free_port
from tests.page_links import Links
from training.data import load_split

DIGIT_PNG = ROOT / "tests" / "data" / "digit-7.png"  # MNIST's first test digit, a 7, drawn on a canvas
PAGES = ["/", "/history/", "/stats/", "/stats/?version=all", "/api/docs/", "/admin/login/"]
WEB_PYTHON = Path(os.environ.get("WEB_PYTHON", ROOT / ".venv-web" / "bin" / "python"))


def web_python():
    """The interpreter of the web-only virtualenv (WEB_PYTHON, which `make test` sets, else .venv-web)."""
    if not WEB_PYTHON.is_file():
        pytest.fail(f"{WEB_PYTHON} is missing: `make test` builds it from requirements/web.txt alone")
    return WEB_PYTHON


def production_block():
    """The first ```sh block of the README's Production section."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("\n## Production\n") :]
    return re.search(r"```sh\n(.*?)```", section, re.S)[1]


def copy_of_the_repository(folder, venv):
    """The files a clone has (tracked, and new ones not ignored), in `folder`, with `venv` as its .venv."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    (folder / ".venv").symlink_to(venv)
    return folder


def linked(page_url, html):
    parser = Links()
    parser.feed(html)
    return {urljoin(page_url, url) for url in parser.urls if not url.startswith(("data:", "blob:"))}


@pytest.fixture(scope="module", params=[".venv", ".venv-web"])
def production(request, tmp_path_factory):
    """(server, folder, venv): the README's Production block running in a copy of the repository."""
    venv = web_python().parent.parent if request.param == ".venv-web" else Path(sys.prefix)
    folder = copy_of_the_repository(tmp_path_factory.mktemp("clone"), venv)
    port = free_port()
    block = production_block()
    assert "127.0.0.1:8000" in block
    script = folder / "production.sh"
    script.write_text("set -euo pipefail\n" + block.replace("127.0.0.1:8000", f"127.0.0.1:{port}"))
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(folder)), "LANG": "C.UTF-8"}
    log_path = folder / "production.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            ["bash", str(script)],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LiveServer(port, process, log_path)
    try:
        server.wait_until_answering("/api/health")
        yield server, folder, venv
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # bash and the gunicorn it started, a session of their own
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_the_deploy_check_is_clean(production):
    server, _, _ = production
    log = server.log()
    assert "System check identified no issues (4 silenced)." in log, log
    assert "WARNING" not in log.split("collectstatic")[0] and "security.W" not in log


def test_every_page_and_everything_it_links_answers_200(production):
    server, _, _ = production
    _, labels, _ = load_split(ROOT / "tests" / "data" / "mnist", "test")
    body = json.dumps(
        {"image": "data:image/png;base64," + __import__("base64").b64encode(DIGIT_PNG.read_bytes()).decode()}
    )
    answer = server.post("application/json", body.encode())
    assert answer.status == 201, answer.body[:500]
    assert json.loads(answer.body)["prediction"] == int(labels[0]) == 7  # a real reading, and stored

    assets = set()
    for path in PAGES:
        response = server.request("GET", path)
        assert response.status == 200, (path, response.status, response.body[:300])
        assert response.headers["content-type"].startswith("text/html")
        assets |= linked(f"{server.url}{path}", response.body.decode())
    local = {url for url in assets if urlsplit(url).netloc == f"127.0.0.1:{server.port}"}
    assert local == assets, f"pages link other hosts: {assets - local}"
    failures = {}
    for url in sorted(local):
        parts = urlsplit(url)
        response = server.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        if response.status != 200:
            failures[url] = response.status
    assert not failures, failures
    paths = {urlsplit(url).path for url in local}
    # What the check above covered: the stylesheet and icon (hashed by collectstatic), the API docs'
    # scripts (Swagger UI's and the page's own, ?script=), and the drawing's thumbnail the history shows.
    assert any(re.fullmatch(r"/static/recognizer/site\.[0-9a-f]{12}\.css", path) for path in paths), paths
    assert any(re.fullmatch(r"/static/recognizer/favicon\.[0-9a-f]{12}\.svg", path) for path in paths), paths
    assert any("swagger-ui" in path and path.endswith(".js") for path in paths), paths
    assert "/api/docs/" in paths  # the docs' start-up script, a file of its own (no inline script)
    assert any(path.endswith("/thumbnail.png") for path in paths), paths
    assert server.request("GET", "/api/schema/").status == 200


def test_the_web_install_has_no_training_stack_and_its_commands_still_help():
    """In .venv-web (requirements/web.txt alone) TensorFlow and Keras cannot be imported, yet every
    command answers --help, and train_model says what to install."""
    python = str(web_python())
    for module in ("tensorflow", "keras"):
        imported = subprocess.run(
            [python, "-c", f"import {module}"], capture_output=True, text=True, timeout=120
        )
        assert imported.returncode != 0 and f"No module named '{module}'" in imported.stderr
    env = {"PATH": os.environ["PATH"], "DJANGO_DEBUG": "1"}
    for command in ("train_model", "evaluate_model", "prune_predictions"):
        helped = subprocess.run(
            [python, "manage.py", command, "--help"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert helped.returncode == 0 and f"usage: manage.py {command}" in helped.stdout, helped.stderr
    training = subprocess.run(
        [
            python,
            "manage.py",
            "train_model",
            "--data-dir",
            "tests/data/mnist",
            "--output-dir",
            "/nonexistent",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert training.returncode != 0 and "make install-training" in training.stderr, training.stderr
