from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from benchmarks import live
from training.data import load_split

DATA_DIR = Path(__file__).parent / "data"
MNIST_DIR = DATA_DIR / "mnist"
BROWSER_TESTS = Path(__file__).parent / "browser"  # the page, in Chromium: run once, on SQLite


@pytest.fixture(scope="session")
def mnist_test_set():
    """The 10,000 MNIST test digits (uint8 28×28, white on black) and their labels, from tests/data."""
    images, labels, _ = load_split(MNIST_DIR, "test")
    return images, labels


def fresh_live_database(folder):
    """A new database for a live server (benchmarks.live), on the kind of server this test run uses:
    SQLite, or PostgreSQL in `make test`'s second pass (DATABASE_URL=postgres://...)."""
    default = settings.DATABASES["default"]
    postgres = default if default["ENGINE"] == "django.db.backends.postgresql" else None
    return live.fresh_database(folder, postgres=postgres)


DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def pytest_collection_modifyitems(items):
    """Mark the tests that touch a database `database`: `make test` runs them again on PostgreSQL; and
    those that drive the browser `browser`."""
    for item in items:
        if item.get_closest_marker("django_db") or DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.database)
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def unthrottled():
    """Each test is a client the throttle has not seen yet (its counts live in the cache)."""
    cache.clear()


@pytest.fixture(autouse=True)
def served_model_asked_again():
    """Each test has a database of its own, which says which model is active: the process asks it again
    on its next reading (keeping the models it has loaded)."""
    from recognizer import registry

    registry.check_now()
