"""Settings for the test run: the development settings (DJANGO_DEBUG=1), as a developer's machine has.

pytest-django then turns DEBUG itself off while each test runs, as production has it. Tests of the
production settings start manage.py or gunicorn in processes of their own, with their own environment.
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from digitsite.settings import *  # noqa: E402, F403
