"""Every management command of the project answers `--help`, in production and development settings,
without loading TensorFlow: the commands are found by asking Django, so a new one is covered the day it
is added."""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import get_commands

PROJECT_APPS = {"recognizer"}
COMMANDS = sorted(name for name, app in get_commands().items() if app in PROJECT_APPS)
PRODUCTION = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_ALLOWED_HOSTS": "localhost"}


def run(arguments, **environment):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(environment)
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_project_has_its_commands():
    assert {"train_model", "evaluate_model", "prune_predictions"} <= set(COMMANDS)


@pytest.mark.parametrize("environment", [PRODUCTION, {}], ids=["production", "nothing set"])
@pytest.mark.parametrize("command", COMMANDS)
def test_help_works_in_production(command, environment):
    """`manage.py COMMAND --help`, as written, with debug off (the default), and with no DJANGO_*
    variable at all: reading a command's help needs no secret key."""
    done = run(["manage.py", command, "--help"], **environment)
    assert done.returncode == 0, done.stderr
    assert f"usage: manage.py {command}" in done.stdout and "Traceback" not in done.stderr


EVERY_HELP_THEN_THE_MODULES = """
import contextlib, io, json, sys
from django.core.management import execute_from_command_line
shown = {}
for command in sys.argv[1:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            execute_from_command_line(["manage.py", command, "--help"])
        except SystemExit as exit:
            assert not exit.code, (command, exit.code)
    shown[command] = out.getvalue()
loaded = sorted({name.split(".")[0] for name in sys.modules} & {"tensorflow", "keras"})
print(json.dumps({"shown": shown, "loaded": loaded}))
"""


def test_every_help_works_in_development_and_loads_no_training_stack():
    """The web install has no TensorFlow: a command may import it when it runs, never for --help."""
    done = run(
        ["-c", EVERY_HELP_THEN_THE_MODULES, *COMMANDS],
        DJANGO_SETTINGS_MODULE="digitsite.settings",
        DJANGO_DEBUG="1",
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    for command in COMMANDS:
        assert f"usage: manage.py {command}" in outcome["shown"][command]
    assert outcome["loaded"] == []
