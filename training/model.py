"""Step 2 — the network: the seed's CNN, and the default CNN the site ships."""

import keras
from keras import layers

from recognizer.contract import IMAGE_SIZE, NUM_CLASSES, NUM_DIGITS

INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)


def build_seed_model():
    """The seed document's network, layer for layer (225,034 parameters)."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(NUM_DIGITS, activation="softmax"),
        ],
        name="seed_cnn",
    )


def conv_block(filters):
    """3x3 convolution, batch normalisation, ReLU (the normalisation folds into the convolution on export)."""
    return [layers.Conv2D(filters, 3, use_bias=False), layers.BatchNormalization(), layers.ReLU()]


def build_default_model():
    """The shipped network: the seed's two conv-pool stages, the second one doubled, with batch norm
    and dropout — small enough that LiteRT reads a digit in under 0.1 ms.

    28×28 → conv 26 → pool 13 → conv 11 → conv 9 → pool 4 → 128 → 11: about 3 M multiply-adds. The
    eleven outputs are the digits and "not a digit" (contract.NOT_A_DIGIT); the logits are a layer of
    their own so that a temperature can be put between them and the softmax (`calibrated`).
    """
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            *conv_block(24),
            layers.MaxPooling2D(2),
            *conv_block(48),
            *conv_block(48),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(128, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Dropout(0.3),
            layers.Dense(NUM_CLASSES, name="logits"),
            layers.Softmax(name="probabilities"),
        ],
        name="digit_cnn",
    )


def logits_model(model):
    """`model` up to its logits (the default network's layer "logits")."""
    return keras.Sequential(model.layers[:-1], name=f"{model.name}_logits")


def calibrated(model, temperature):
    """The same trained network answering softmax(logits / temperature): temperature scaling, baked in
    so the .tflite's probabilities are the calibrated ones."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            *model.layers[:-1],
            layers.Rescaling(1.0 / temperature, name="temperature"),
            layers.Softmax(name="probabilities"),
        ],
        name=model.name,
    )
