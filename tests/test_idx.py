"""IDX, MNIST's file format (recognizer.idx): what the admin export writes, the training data reader reads."""

import gzip
import io
import struct
import zipfile

import numpy as np
import pytest

from recognizer.datasets import mnist_zip
from recognizer.idx import IMAGES_MAGIC, LABELS_MAGIC, IdxError, images_bytes, labels_bytes, read_idx
from training.data import load_split


def test_idx_writer_round_trips_through_the_idx_reader(tmp_path, mnist_test_set):
    images, labels = mnist_test_set
    (tmp_path / "images").write_bytes(images_bytes(images[:50]))
    (tmp_path / "labels").write_bytes(labels_bytes(labels[:50]))
    assert np.array_equal(read_idx(tmp_path / "images", magic=IMAGES_MAGIC, item_shape=(28, 28)), images[:50])
    assert np.array_equal(read_idx(tmp_path / "labels", magic=LABELS_MAGIC, item_shape=()), labels[:50])
    assert images_bytes(images[:2])[:16] == bytes.fromhex("00000803 00000002 0000001c 0000001c")

    with zipfile.ZipFile(io.BytesIO(mnist_zip(images[:0], labels[:0]))) as archive:
        archive.extractall(tmp_path / "empty")
    empty_images, empty_labels, _ = load_split(tmp_path / "empty", "train")
    assert empty_images.shape == (0, 28, 28) and empty_labels.shape == (0,)

    with pytest.raises(ValueError):
        images_bytes(images[:2].astype(np.float32))
    with pytest.raises(ValueError):
        mnist_zip(images[:2], labels[:3])


def cut_in_half(compressed):
    return compressed[: len(compressed) // 2]


def with_damaged_deflate_stream(compressed):
    damaged = bytearray(compressed)
    damaged[10] ^= 0xFF  # the first byte after gzip's 10-byte header: the deflate block header
    return bytes(damaged)


@pytest.mark.parametrize("damage", [cut_in_half, with_damaged_deflate_stream])
def test_broken_gzip_is_reported(tmp_path, damage):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    compressed = gzip.compress(struct.pack(">ii", 2049, 1000) + bytes(range(10)) * 100)
    path.write_bytes(damage(compressed))
    with pytest.raises(IdxError, match="t10k-labels-idx1-ubyte.gz: cannot be read"):
        read_idx(path, magic=2049, item_shape=())
