"""Loading MNIST from IDX files: real files, and tiny files made here, good and corrupt."""

import gzip
import struct

import numpy as np
import pytest

from tests.conftest import MNIST_DIR
from training.data import DatasetError, load_mnist, load_split


def write_idx(path, *, magic, array, count=None, dims=None, compress=False):
    dims = array.shape[1:] if dims is None else dims
    header = struct.pack(f">ii{len(dims)}i", magic, len(array) if count is None else count, *dims)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def write_split(folder, prefix, images, labels, *, compress):
    suffix = ".gz" if compress else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", magic=2051, array=images, compress=compress)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", magic=2049, array=labels, compress=compress)


@pytest.fixture
def tiny_images():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8), np.array([0, 3, 9, 1, 7], dtype=np.uint8)


@pytest.mark.parametrize("compress", [False, True])
def test_tiny_files_load_back_exactly(tmp_path, tiny_images, compress):
    images, labels = tiny_images
    write_split(tmp_path, "train", images, labels, compress=compress)
    write_split(tmp_path, "t10k", images[:2], labels[:2], compress=compress)

    mnist = load_mnist(tmp_path)

    np.testing.assert_array_equal(mnist.x_train, images)
    np.testing.assert_array_equal(mnist.y_train, labels)
    np.testing.assert_array_equal(mnist.x_test, images[:2])
    assert set(mnist.checksums) == {path.name for path in tmp_path.iterdir()}


def test_data_dir_falls_back_to_mnist_dir_environment(tmp_path, tiny_images, monkeypatch):
    images, labels = tiny_images
    write_split(tmp_path, "train", images, labels, compress=True)
    write_split(tmp_path, "t10k", images, labels, compress=True)
    monkeypatch.setenv("MNIST_DIR", str(tmp_path))
    assert load_mnist().source == str(tmp_path)


def test_committed_test_set_is_mnist(mnist_test_set):
    images, labels = mnist_test_set
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    # MNIST's published class counts for the test set.
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    _, _, checksums = load_split(MNIST_DIR, "test")
    assert checksums["t10k-images-idx3-ubyte.gz"].startswith("1a1a05eab793c14b")


@pytest.mark.parametrize(
    "corrupt, expected_message",
    [
        (lambda p: p.write_bytes(p.read_bytes()[:-100]), "truncated"),
        (lambda p: p.write_bytes(p.read_bytes()[:10]), "shorter than the IDX header"),
        (
            lambda p: p.write_bytes(struct.pack(">i", 2049) + p.read_bytes()[4:]),
            "magic number 2049, expected 2051",
        ),
        (
            lambda p: p.write_bytes(p.read_bytes()[:8] + struct.pack(">ii", 27, 29) + p.read_bytes()[16:]),
            "items of shape (27, 29), expected (28, 28)",
        ),
        (lambda p: p.write_bytes(p.read_bytes() + b"\0" * 784), "header promises 5 items"),
        (lambda p: p.unlink(), "file not found"),
    ],
    ids=["truncated", "header-cut", "wrong-magic", "wrong-shape", "extra-bytes", "missing"],
)
def test_bad_image_file_is_named_with_what_is_wrong(tmp_path, tiny_images, corrupt, expected_message):
    images, labels = tiny_images
    write_split(tmp_path, "train", images, labels, compress=False)
    images_file = tmp_path / "train-images-idx3-ubyte"
    corrupt(images_file)

    with pytest.raises(DatasetError) as error:
        load_split(tmp_path, "train")

    assert "train-images-idx3-ubyte" in str(error.value)
    assert expected_message in str(error.value)


def test_label_count_must_match_image_count(tmp_path, tiny_images):
    images, labels = tiny_images
    write_split(tmp_path, "train", images, labels[:4], compress=False)
    with pytest.raises(DatasetError, match="holds 5 images but .* holds 4 labels"):
        load_split(tmp_path, "train")


def test_labels_must_be_digits(tmp_path, tiny_images):
    images, _ = tiny_images
    write_split(tmp_path, "train", images, np.array([0, 1, 2, 3, 12]), compress=False)
    with pytest.raises(DatasetError, match="label 12 is not a digit"):
        load_split(tmp_path, "train")


def test_missing_folder_is_reported(tmp_path):
    with pytest.raises(DatasetError, match="not a folder"):
        load_mnist(tmp_path / "nowhere")
