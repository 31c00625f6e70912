"""Step 1 of the default recipe — data: what the network learns from and what it is measured on.

Training: MNIST's training digits (less a validation share), real pen digits of the training writers
drawn many times over (training.pendigits, each time slanted, resampled and placed differently), some
MNIST training digits traced into pen strokes and drawn the same way (so that a pen-drawn slanted 1 is
a digit, not a line), and generated non-digits (training.nondigits) as about NONDIGIT_SHARE of the
whole, labelled contract.NOT_A_DIGIT.

Validation (the temperature is fitted on it, never trained on): the MNIST share held out, the validation
writers' digits and a set of validation non-digits. Test: the test writers' digits and another set of
validation non-digits (other fonts, other writers' fragments, other seeds than training).

NumPy and Pillow only.
"""

from dataclasses import dataclass

import numpy as np

from recognizer.contract import IMAGE_SIZE, NOT_A_DIGIT
from training.nondigits import nondigit_set
from training.pen import safe_render, varied_strokes
from training.pendigits import WRITER_SPLIT, evaluation_set, load_pendigits, rendered_set, split_by_writer

MNIST_VALIDATION = 5000  # the last this many MNIST training digits (at most a twelfth of them)
PEN_COPIES = 4  # each training writer's digit is drawn this many times, each differently
TRACED_MNIST = 25_000  # MNIST training digits traced into strokes and drawn as pen digits
NONDIGIT_SHARE = 0.1  # of the training images
NONDIGIT_VALIDATION = 3000  # non-digits measured (refusals), by family
NONDIGIT_CALIBRATION = 1500  # non-digits in the temperature's validation set
VALIDATION_SEED = 0  # evaluation and validation drawings are the same whatever --seed trains with


@dataclass
class RecipeData:
    x_train: np.ndarray  # (n, 28, 28) uint8
    y_train: np.ndarray  # (n,) int, 0-9 digits, NOT_A_DIGIT
    augment_mask: np.ndarray  # (n,) bool: MNIST is augmented as images; pen drawings were varied as strokes
    counts: dict  # training images by source
    x_validation: np.ndarray  # for the temperature
    y_validation: np.ndarray
    pen_test: tuple  # (images, labels): the test writers' digits, drawn once, backgrounds in turn
    nondigit_test: tuple  # (images, families)
    writer_split: dict


def mnist_validation_count(train_count):
    return min(MNIST_VALIDATION, train_count // 12)


def recipe_data(mnist, *, limit=None, seed, pendigits_dir=None, pen_copies=PEN_COPIES, write=print):
    """The default recipe's data. With `limit`, as many MNIST digits and pen digits at most (quick runs)."""
    x_mnist, y_mnist = mnist.x_train[:limit], mnist.y_train[:limit]
    held_out = mnist_validation_count(len(x_mnist))
    x_mnist_train, y_mnist_train = x_mnist[: len(x_mnist) - held_out], y_mnist[: len(y_mnist) - held_out]
    x_mnist_validation, y_mnist_validation = (
        x_mnist[len(x_mnist) - held_out :],
        y_mnist[len(y_mnist) - held_out :],
    )

    writers = split_by_writer(load_pendigits(pendigits_dir))
    if limit:
        writers = {part: digits[:limit] for part, digits in writers.items()}

    def progress(count, total):
        write(f"  drawn {count:,}/{total:,}")

    write(
        f"Pen digits: {len(writers['train']):,} of the training writers, each drawn {pen_copies} times; "
        f"{len(writers['validation']):,} validation, {len(writers['test']):,} test writers' digits."
    )
    x_pen, y_pen = rendered_set(
        writers["train"], copies=pen_copies, seed=seed, augmented=True, progress=progress
    )
    traced = np.random.default_rng([seed, 2]).permutation(len(x_mnist_train))[
        : TRACED_MNIST if not limit else limit // 4
    ]
    write(f"Tracing {len(traced):,} MNIST training digits into pen strokes.")
    x_traced, y_traced = traced_set(x_mnist_train[traced], y_mnist_train[traced], seed=seed)
    x_pen, y_pen = np.concatenate([x_pen, x_traced]), np.concatenate([y_pen, y_traced])
    digit_count = len(x_mnist_train) + len(x_pen)
    nondigit_count = round(digit_count * NONDIGIT_SHARE / (1 - NONDIGIT_SHARE))
    write(f"Non-digits: drawing {nondigit_count:,} for training.")
    x_nondigit, _ = nondigit_set(nondigit_count, part="train", seed=seed, pen_digits=writers["train"])

    x_pen_validation, y_pen_validation = evaluation_set(writers["validation"], seed=VALIDATION_SEED)
    calibration_count = NONDIGIT_CALIBRATION if not limit else min(NONDIGIT_CALIBRATION, limit)
    x_nondigit_calibration, _ = nondigit_set(
        calibration_count, part="validation", seed=VALIDATION_SEED + 1, pen_digits=writers["validation"]
    )
    test_count = NONDIGIT_VALIDATION if not limit else min(NONDIGIT_VALIDATION, limit)
    nondigit_test = nondigit_set(
        test_count, part="validation", seed=VALIDATION_SEED, pen_digits=writers["validation"]
    )
    pen_test = evaluation_set(writers["test"], seed=VALIDATION_SEED)

    return RecipeData(
        x_train=np.concatenate([x_mnist_train, x_pen, x_nondigit]),
        y_train=np.concatenate(
            [y_mnist_train.astype(np.int64), y_pen, np.full(len(x_nondigit), NOT_A_DIGIT, np.int64)]
        ),
        augment_mask=np.concatenate(
            [np.ones(len(x_mnist_train), bool), np.zeros(len(x_pen) + len(x_nondigit), bool)]
        ),
        counts={
            "mnist": len(x_mnist_train),
            "pen": len(x_pen) - len(x_traced),
            "traced_mnist": len(x_traced),
            "not_a_digit": len(x_nondigit),
        },
        x_validation=np.concatenate([x_mnist_validation, x_pen_validation, x_nondigit_calibration]),
        y_validation=np.concatenate(
            [
                y_mnist_validation.astype(np.int64),
                y_pen_validation,
                np.full(len(x_nondigit_calibration), NOT_A_DIGIT, np.int64),
            ]
        ),
        pen_test=pen_test,
        nondigit_test=nondigit_test,
        writer_split={part: list(writers) for part, writers in WRITER_SPLIT.items()},
    )


def traced_job(job):
    """(MNIST digit, seed, index) → the digit traced into strokes (at one random ink level: quick),
    varied and drawn on a canvas as a pen digit; None if the tracing found no line."""
    from training.strokes import SKELETON_THRESHOLDS, upscale, walk_skeleton, zhang_suen_thin

    digit, seed, index = job
    rng = np.random.default_rng([seed, index, 3])
    threshold = SKELETON_THRESHOLDS[rng.integers(1, 4)]
    strokes = walk_skeleton(zhang_suen_thin(upscale(digit) > threshold))
    if not strokes:
        return None
    return safe_render(varied_strokes(strokes, rng), rng)


def traced_set(images, labels, *, seed):
    """(images, labels) of MNIST digits traced and drawn with a pen (`traced_job`)."""
    from training.pendigits import map_jobs

    drawn = map_jobs(traced_job, [(digit, seed, index) for index, digit in enumerate(images)])
    kept = [i for i, image in enumerate(drawn) if image is not None]
    return (
        np.asarray([drawn[i] for i in kept], dtype=np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE),
        np.asarray(labels, dtype=np.int64)[kept],
    )
