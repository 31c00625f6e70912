"""The web process serves with LiteRT alone: whatever page it serves, TensorFlow and Keras are never
imported."""

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import MNIST_DIR

ROOT = Path(__file__).resolve().parent.parent

SERVE_ONE_PREDICTION = """
import base64, io, json, sys
import django
from django.core.management import call_command
from django.test import Client

django.setup()
call_command("migrate", verbosity=0)
from digitsite.wsgi import application  # the whole site, as gunicorn loads it
from django.urls import get_resolver
get_resolver().url_patterns  # import every URL module, hence every view

from training.data import load_split
images, labels, _ = load_split(sys.argv[1], "test")
from PIL import Image
buffer = io.BytesIO()
Image.fromarray(images[0]).save(buffer, format="PNG")
client = Client()
response = client.post("/api/predict", {"image": base64.b64encode(buffer.getvalue()).decode()},
                       content_type="application/json")
from django.contrib.auth import get_user_model
client.force_login(get_user_model().objects.create_superuser("staff", "staff@example.org", "pw"))
prediction_id = response.json()["id"]
pages = ["/", "/history/", "/stats/", f"/predictions/{prediction_id}/drawing.png",
         f"/predictions/{prediction_id}/input.png", "/api/predictions",
         f"/api/predictions/{prediction_id}", "/api/model", "/api/health", "/api/schema/", "/api/docs/",
         "/admin/recognizer/prediction/", f"/admin/recognizer/prediction/{prediction_id}/change/"]
print(json.dumps({
    "status": response.status_code,
    "pages": {page: client.get(page).status_code for page in pages},
    "prediction": response.json()["prediction"],
    "label": int(labels[0]),
    "loaded": sorted(name for name in sys.modules if name.split(".")[0] in ("tensorflow", "keras")),
}))
"""


def test_serving_a_prediction_and_every_page_never_imports_tensorflow_or_keras(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SERVE_ONE_PREDICTION, str(MNIST_DIR)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "digitsite.settings",
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "DJANGO_ALLOWED_HOSTS": "testserver",
        },
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 201 and outcome["prediction"] == outcome["label"]
    assert set(outcome["pages"].values()) == {200}, outcome["pages"]
    assert outcome["loaded"] == []
