"""Settings for the test run: the development settings (DJANGO_DEBUG=1), as a developer's machine has.

pytest-django then turns DEBUG itself off while each test runs, as production has it. Tests of the
production settings start manage.py or gunicorn in processes of their own, with their own environment.
"""

import os
from pathlib import Path

os.environ.setdefault("DJANGO_DEBUG", "1")
# Training and evaluation read a small committed copy of pendigits (tests/data/README.md), so the tests
# need nothing outside the project.
os.environ["PENDIGITS_DIR"] = str(Path(__file__).resolve().parent / "data" / "pendigits")

from digitsite.settings import *  # noqa: E402, F403
