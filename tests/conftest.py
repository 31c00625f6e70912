from pathlib import Path

import pytest

from training.data import load_split

DATA_DIR = Path(__file__).parent / "data"
MNIST_DIR = DATA_DIR / "mnist"


@pytest.fixture(scope="session")
def mnist_test_set():
    """The 10,000 MNIST test digits (uint8 28×28, white on black) and their labels, from tests/data."""
    images, labels, _ = load_split(MNIST_DIR, "test")
    return images, labels
