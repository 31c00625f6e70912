"""Step 2 — the network: the seed's CNN, and the default CNN the site ships."""

import keras
from keras import layers

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


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
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="seed_cnn",
    )


def conv_block(filters):
    """3x3 convolution, batch normalisation, ReLU (the normalisation folds into the convolution on export)."""
    return [layers.Conv2D(filters, 3, use_bias=False), layers.BatchNormalization(), layers.ReLU()]


def build_default_model():
    """The shipped network: the seed's two conv-pool stages, each doubled, with batch norm and dropout.

    28×28 → 26 → 24 → pool 12 → 10 → 8 → pool 4 → 128 → 10: about 10 M multiply-adds per digit.
    """
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            *conv_block(32),
            *conv_block(32),
            layers.MaxPooling2D(2),
            *conv_block(64),
            *conv_block(64),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(128, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Dropout(0.3),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="digit_cnn",
    )
