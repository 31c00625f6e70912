"""The model contract, shared by serving and training: one definition of each fact.

The model reads (n, 28, 28, 1) float32 images in [0, 1], white ink on black, normalised the way MNIST
was made (the longer side fitted in 20 px, the centre of mass at the middle), and answers one
probability per class. A model is named by the start of its .tflite's SHA-256. Django-free.
"""

import hashlib

import numpy as np

IMAGE_SIZE = 28  # the model reads IMAGE_SIZE × IMAGE_SIZE images
FIT_BOX = 20  # MNIST fits each digit's longer side in this many pixels...
CENTRE_OF_MASS = 14.0  # ...and puts its centre of mass at pixel (14, 14) (measured on MNIST)

DIGITS = tuple(range(10))
NUM_DIGITS = len(DIGITS)
NUM_CLASSES = NUM_DIGITS  # the model's outputs: one probability per digit

MODEL_NAME = "digit_cnn"  # the files digit_cnn.keras, digit_cnn.tflite (what the site serves), digit_cnn.json
MODEL_FILE = f"{MODEL_NAME}.tflite"


def model_version_of(tflite_bytes):
    """A short, stable name for a model: the start of its .tflite's SHA-256."""
    return hashlib.sha256(tflite_bytes).hexdigest()[:12]


def scaled(images):
    """uint8 images (0–255) as the model reads them: float32 in [0, 1], same shape."""
    return np.asarray(images, dtype=np.float32) / 255.0
