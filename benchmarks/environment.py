"""Where things are, and the production environment `make bench` serves the site with."""

import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def served_model_path():
    """The .tflite the site serves (settings.MODEL_PATH reads the same variable)."""
    return Path(os.environ.get("DIGIT_MODEL_PATH", ROOT / "ml_models" / "digit_cnn.tflite"))


def production_environment(database_path):
    """Debug off, a fresh random secret key, plain HTTP on localhost, a fresh SQLite database."""
    return {
        "DJANGO_SETTINGS_MODULE": "digitsite.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SECURE": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{database_path}",
        # The abuse limit stays on, as in production, at a rate no benchmark reaches.
        "DJANGO_PREDICT_THROTTLE_RATE": "100000/s",
    }
