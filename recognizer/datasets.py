"""Datasets out: labelled drawings as MNIST's own files (IDX, recognizer.idx), so any MNIST reader
takes them."""

import gzip
import io
import zipfile

from recognizer.idx import images_bytes, labels_bytes

IMAGES_NAME = "train-images-idx3-ubyte.gz"
LABELS_NAME = "train-labels-idx1-ubyte.gz"


def gzipped(data):
    return gzip.compress(data, mtime=0)  # no time stamp: the same drawings give the same bytes


def mnist_zip(images, labels, *, readme=""):
    """A zip of `train-images-idx3-ubyte.gz` and `train-labels-idx1-ubyte.gz` (and README.txt when
    `readme` is given): unzipped, the folder reads as MNIST's training split."""
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:  # already gzipped
        archive.writestr(IMAGES_NAME, gzipped(images_bytes(images)))
        archive.writestr(LABELS_NAME, gzipped(labels_bytes(labels)))
        if readme:
            archive.writestr("README.txt", readme)
    return buffer.getvalue()
