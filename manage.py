#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys
from pathlib import Path

VENV = Path(__file__).resolve().parent / ".venv"  # what `make run` and `make test` install into


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitsite.settings")
    try:
        from django.core.management import execute_from_command_line
    except ModuleNotFoundError:
        # `python manage.py ...` outside the virtualenv: run the same command with its Python.
        if (VENV / "bin" / "python").exists() and Path(sys.prefix).resolve() != VENV.resolve():
            os.execv(VENV / "bin" / "python", [str(VENV / "bin" / "python"), *sys.argv])
        raise
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
