"""Where things are: the repository, this interpreter, and the model the site serves."""

import os
import sys
from pathlib import Path

from recognizer.contract import MODEL_FILE

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def served_model_path():
    """The .tflite the site serves (settings.MODEL_PATH reads the same variable)."""
    return Path(os.environ.get("DIGIT_MODEL_PATH", ROOT / "ml_models" / MODEL_FILE))
