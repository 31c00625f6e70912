"""IDX, MNIST's own file format, read and written: the training data and the admin's dataset export.

An IDX file is a big-endian int32 magic number (2051 for images, 2049 for labels), the dimensions as
big-endian int32 (the count, then each item's shape), then one unsigned byte per pixel (row by row) or
per label. Files may be gzipped (`.gz`). Django-free.
"""

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


class IdxError(ValueError):
    """An IDX file cannot be read; the message names the file and says what is wrong."""


def read_idx(path, *, magic, item_shape):
    """An IDX file (gzipped when its name ends in .gz) as a uint8 array of shape (count, *item_shape),
    after checking its header against `magic` and `item_shape`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = gzip.decompress(raw) if path.suffix == ".gz" else raw
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        raise IdxError(f"{path}: cannot be read ({error})") from None

    header_size = 4 * (2 + len(item_shape))
    if len(data) < header_size:
        raise IdxError(f"{path}: truncated, {len(data)} bytes is shorter than the IDX header")
    header = np.frombuffer(data[:header_size], dtype=">i4")
    if header[0] != magic:
        raise IdxError(f"{path}: magic number {int(header[0])}, expected {magic}")
    count, shape = int(header[1]), tuple(int(n) for n in header[2:])
    if shape != item_shape:
        raise IdxError(f"{path}: items of shape {shape}, expected {item_shape}")
    expected_bytes = header_size + count * int(np.prod(item_shape, dtype=np.int64))
    if len(data) != expected_bytes:
        raise IdxError(
            f"{path}: {len(data)} bytes, but its header promises {count} items ({expected_bytes} bytes)"
            + (" — the file is truncated" if len(data) < expected_bytes else "")
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape((count, *item_shape))


def images_bytes(images):
    """(n, rows, columns) uint8 images as the bytes of an IDX3 file."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"expected (n, rows, columns) uint8 images, got {images.dtype} {images.shape}")
    return struct.pack(">4i", IMAGES_MAGIC, *images.shape) + images.tobytes()


def labels_bytes(labels):
    """(n,) labels 0-255 as the bytes of an IDX1 file."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or (labels.size and (labels.min() < 0 or labels.max() > 255)):
        raise ValueError(f"expected (n,) labels 0-255, got shape {labels.shape}")
    return struct.pack(">2i", LABELS_MAGIC, len(labels)) + labels.astype(np.uint8).tobytes()
