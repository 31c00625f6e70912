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
NOT_A_DIGIT = NUM_DIGITS  # the model's last output: the drawing is not a digit
NUM_CLASSES = NUM_DIGITS + 1  # the model's outputs: one probability per digit, then "not a digit"
SERVABLE_CLASS_COUNTS = (NUM_DIGITS, NUM_CLASSES)  # models trained before NOT_A_DIGIT answer ten

MODEL_NAME = "digit_cnn"  # the files digit_cnn.keras, digit_cnn.tflite (what the site serves), digit_cnn.json
MODEL_FILE = f"{MODEL_NAME}.tflite"


def model_version_of(tflite_bytes):
    """A short, stable name for a model: the start of its .tflite's SHA-256."""
    return hashlib.sha256(tflite_bytes).hexdigest()[:12]


def split_outputs(outputs):
    """A model's (n, C) outputs → ((n, 10) digit probabilities summing to 1, (n,) "not a digit"
    probabilities). A ten-output model never says "not a digit"."""
    outputs = np.asarray(outputs, dtype=np.float32).reshape(-1, np.shape(outputs)[-1])
    digits = outputs[:, :NUM_DIGITS]
    if outputs.shape[1] > NOT_A_DIGIT:
        not_a_digit = outputs[:, NOT_A_DIGIT]
    else:
        not_a_digit = np.zeros(len(outputs), np.float32)
    totals = digits.sum(axis=1, keepdims=True)
    return digits / np.where(totals > 0, totals, 1.0), not_a_digit


def scaled(images):
    """uint8 images (0–255) as the model reads them: float32 in [0, 1], same shape."""
    return np.asarray(images, dtype=np.float32) / 255.0
