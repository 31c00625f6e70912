"""Every management command of the project answers `--help`, in development and in production
settings: found by asking Django, so a new command is covered the day it is added."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import get_commands

PROJECT_APPS = {"recognizer"}
COMMANDS = sorted(name for name, app in get_commands().items() if app in PROJECT_APPS)
ENVIRONMENTS = {
    "development": {"DJANGO_DEBUG": "1"},
    "production": {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_ALLOWED_HOSTS": "localhost"},
}


def test_the_project_has_its_commands():
    assert {"train_model", "evaluate_model", "prune_predictions"} <= set(COMMANDS)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("command", COMMANDS)
def test_help_works(command, environment):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(ENVIRONMENTS[environment])
    done = subprocess.run(
        [sys.executable, "manage.py", command, "--help"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"usage: manage.py {command}" in done.stdout and "Traceback" not in done.stderr


HELP_THEN_LIST_MODULES = """
import sys
from django.core.management import execute_from_command_line
try:
    execute_from_command_line(["manage.py", sys.argv[1], "--help"])
except SystemExit as exit:
    assert not exit.code, exit.code
print(sorted({name.split(".")[0] for name in sys.modules} & {"tensorflow", "keras"}))
"""


@pytest.mark.parametrize("command", COMMANDS)
def test_help_loads_no_training_stack(command):
    """The web install has no TensorFlow: a command may import it only when it runs, never for --help."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(DJANGO_SETTINGS_MODULE="digitsite.settings", DJANGO_DEBUG="1")
    done = subprocess.run(
        [sys.executable, "-c", HELP_THEN_LIST_MODULES, command],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
