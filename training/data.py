"""Step 1 — data: MNIST from a folder of IDX files (gzipped or not), checked as it is read.

IDX is MNIST's own format (recognizer.idx reads it). A missing, truncated or wrong file raises
`DatasetError` with a message naming the file and what is wrong.

This module needs only NumPy, so the evaluation command can read MNIST without TensorFlow.
"""

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recognizer.contract import IMAGE_SIZE, NUM_DIGITS
from recognizer.idx import IMAGES_MAGIC, LABELS_MAGIC, IdxError, read_idx

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class DatasetError(Exception):
    """MNIST could not be read; the message says which file and why."""


@dataclass
class Mnist:
    x_train: np.ndarray  # (n, 28, 28) uint8, white ink on black
    y_train: np.ndarray  # (n,) uint8, 0-9
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # the folder, or "keras" for Keras' download
    checksums: dict = field(default_factory=dict)  # file name -> sha256 of the file as stored


def find_idx_file(data_dir, stem):
    """The file `stem` or `stem.gz` in `data_dir`."""
    for name in (stem, stem + ".gz"):
        path = Path(data_dir) / name
        if path.is_file():
            return path
    raise DatasetError(f"{Path(data_dir) / stem}[.gz]: file not found")


def read_idx_file(path, *, magic, item_shape):
    try:
        return read_idx(path, magic=magic, item_shape=item_shape)
    except IdxError as error:
        raise DatasetError(str(error)) from None


def sha256_of(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_split(data_dir, split):
    """(images, labels, checksums) of the "train" or "test" split in `data_dir`."""
    images_stem, labels_stem = SPLIT_FILES[split]
    images_path = find_idx_file(data_dir, images_stem)
    labels_path = find_idx_file(data_dir, labels_stem)
    images = read_idx_file(images_path, magic=IMAGES_MAGIC, item_shape=(IMAGE_SIZE, IMAGE_SIZE))
    labels = read_idx_file(labels_path, magic=LABELS_MAGIC, item_shape=())
    if len(images) != len(labels):
        raise DatasetError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    if labels.size and labels.max() >= NUM_DIGITS:
        raise DatasetError(f"{labels_path}: label {int(labels.max())} is not a digit 0-9")
    checksums = {path.name: sha256_of(path) for path in (images_path, labels_path)}
    return images, labels, checksums


def resolve_data_dir(data_dir=None):
    """`--data-dir`, else $MNIST_DIR, else None (meaning: Keras' download)."""
    return data_dir or os.environ.get("MNIST_DIR") or None


def load_mnist(data_dir=None):
    """MNIST from `data_dir` or $MNIST_DIR; with neither, Keras' standard download (needs internet)."""
    data_dir = resolve_data_dir(data_dir)
    if data_dir is None:
        return load_mnist_from_keras()
    if not Path(data_dir).is_dir():
        raise DatasetError(f"{data_dir}: not a folder (expected MNIST's IDX files in it)")
    x_train, y_train, train_sums = load_split(data_dir, "train")
    x_test, y_test, test_sums = load_split(data_dir, "test")
    return Mnist(x_train, y_train, x_test, y_test, source=str(data_dir), checksums=train_sums | test_sums)


def load_mnist_from_keras():
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # network errors come in many types
        raise DatasetError(
            f"no MNIST folder given (--data-dir or MNIST_DIR) and Keras' download failed: {error}"
        ) from None
    cached = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "mnist.npz"
    checksums = {cached.name: sha256_of(cached)} if cached.is_file() else {}
    return Mnist(x_train, y_train, x_test, y_test, source="keras", checksums=checksums)
