"""Datasets out: labelled drawings as MNIST's own files, so any MNIST reader takes them.

IDX, as MNIST stores it: a big-endian int32 magic number (2051 for images, 2049 for labels), the
dimensions as big-endian int32, then one unsigned byte per pixel (row by row) or per label.
"""

import gzip
import io
import struct
import zipfile

import numpy as np

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
IMAGES_NAME = "train-images-idx3-ubyte.gz"
LABELS_NAME = "train-labels-idx1-ubyte.gz"


def idx_images(images):
    """(n, rows, columns) uint8 images as the bytes of an IDX3 file."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"expected (n, rows, columns) uint8 images, got {images.dtype} {images.shape}")
    return struct.pack(">4i", IMAGES_MAGIC, *images.shape) + images.tobytes()


def idx_labels(labels):
    """(n,) labels 0-255 as the bytes of an IDX1 file."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or (labels.size and (labels.min() < 0 or labels.max() > 255)):
        raise ValueError(f"expected (n,) labels 0-255, got shape {labels.shape}")
    return struct.pack(">2i", LABELS_MAGIC, len(labels)) + labels.astype(np.uint8).tobytes()


def gzipped(data):
    return gzip.compress(data, mtime=0)  # no time stamp: the same drawings give the same bytes


def mnist_zip(images, labels, *, readme=""):
    """A zip of `train-images-idx3-ubyte.gz` and `train-labels-idx1-ubyte.gz` (and README.txt when
    `readme` is given): unzipped, the folder reads as MNIST's training split."""
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:  # already gzipped
        archive.writestr(IMAGES_NAME, gzipped(idx_images(images)))
        archive.writestr(LABELS_NAME, gzipped(idx_labels(labels)))
        if readme:
            archive.writestr("README.txt", readme)
    return buffer.getvalue()
