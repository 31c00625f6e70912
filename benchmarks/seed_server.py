"""The comparison baseline: a server written the way the seed was.

Flask, the .keras model loaded with TensorFlow in every worker, `model.predict` on each request, and
the posted canvas simply resized to 28×28 (no cropping or centring). `make bench` serves it with
`gunicorn benchmarks.seed_server:app --workers 2`; it stores nothing.
"""

import base64
import io

import keras
import numpy as np
from flask import Flask, jsonify, request
from PIL import Image

from benchmarks.environment import served_model_path
from recognizer.contract import IMAGE_SIZE

app = Flask(__name__)
model = keras.models.load_model(served_model_path().with_suffix(".keras"))


@app.post("/api/predict")
def predict():
    image_text = request.get_json()["image"]
    png = base64.b64decode(image_text.split(",", 1)[-1])
    canvas = Image.open(io.BytesIO(png)).convert("L").resize((IMAGE_SIZE, IMAGE_SIZE))
    pixels = np.asarray(canvas, dtype=np.float32) / 255.0
    if pixels.mean() > 0.5:  # dark ink on light paper: MNIST is light on dark
        pixels = 1.0 - pixels
    probabilities = model.predict(pixels.reshape(1, IMAGE_SIZE, IMAGE_SIZE, 1), verbose=0)[0]
    digit = int(np.argmax(probabilities))
    return jsonify(
        prediction=digit,
        probability=float(probabilities[digit]),
        probabilities=[float(p) for p in probabilities],
    )
