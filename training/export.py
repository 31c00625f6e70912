"""Step 5 — export: `digit_cnn.keras`, `digit_cnn.tflite` (what the site serves) and `digit_cnn.json`.

All three are written into a staging folder beside the destination and moved into place only once all
of them exist, so an interrupted or failed run leaves the previous model untouched.
"""

import contextlib
import json
import os
import platform
import shutil
import tempfile
from datetime import UTC, datetime
from importlib import metadata as package_metadata
from pathlib import Path

from recognizer.contract import MODEL_NAME, model_version_of

VERSIONED_PACKAGES = ("tensorflow", "keras", "numpy", "ai-edge-litert")


def library_versions():
    versions = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        with contextlib.suppress(package_metadata.PackageNotFoundError):
            versions[package] = package_metadata.version(package)
    return versions


def write_model_files(model, folder):
    """The .keras and float32 .tflite of `model` in `folder`; returns the .tflite path."""
    model.save(folder / f"{MODEL_NAME}.keras")
    tflite_path = folder / f"{MODEL_NAME}.tflite"
    model.export(str(tflite_path), format="litert", verbose=False)
    return tflite_path


def export_model(model, *, output_dir, metadata, check=None):
    """Write the three model files into `output_dir`; returns the metadata as written.

    `check(tflite_path)`, if given, looks at the exported model before anything is replaced: it returns
    more metadata to record, or raises to leave `output_dir` exactly as it was.
    """
    output_dir = Path(output_dir)
    created = not output_dir.exists()
    output_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{MODEL_NAME}-", dir=output_dir))
    try:
        tflite_path = write_model_files(model, staging)
        metadata = {
            "model_version": model_version_of(tflite_path.read_bytes()),
            **metadata,
            **(check(tflite_path) if check else {}),
            "library_versions": library_versions(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (staging / f"{MODEL_NAME}.json").write_text(json.dumps(metadata, indent=2) + "\n")
        # The .json goes last: the site checks that it names the .tflite beside it.
        for suffix in (".keras", ".tflite", ".json"):
            os.replace(staging / f"{MODEL_NAME}{suffix}", output_dir / f"{MODEL_NAME}{suffix}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not any(output_dir.iterdir()):
            output_dir.rmdir()
    return metadata
