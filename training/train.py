"""Step 3 — training: a recipe (network, optimiser, schedule, augmentation) fitted to its data.

The seed recipe learns MNIST's ten digits. The default recipe learns eleven classes (the digits and
"not a digit") from MNIST, real pen digits and generated non-digits (training.mixture), and is then
calibrated (`calibrate`: a temperature fitted on validation data and baked into the model)."""

import time
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from training.augment import augment
from training.calibration import fit_temperature
from training.model import build_default_model, build_seed_model, calibrated, logits_model


@dataclass(frozen=True)
class Recipe:
    name: str
    build_model: Callable[[], keras.Model]
    epochs: int
    batch_size: int
    learning_rate: float
    augment: bool
    cosine_schedule: bool  # warm up, then cosine decay to zero; otherwise a constant rate
    mixture: bool  # MNIST, pen digits and non-digits (training.mixture), calibrated; else MNIST alone


RECIPES = {
    # The seed document: its network, Adam's defaults, 5 epochs of batch 32, no augmentation.
    "seed": Recipe(
        "seed",
        build_seed_model,
        epochs=5,
        batch_size=32,
        learning_rate=1e-3,
        augment=False,
        cosine_schedule=False,
        mixture=False,
    ),
    # What the site ships: a deeper network trained on MNIST, pen digits and non-digits, augmented.
    "default": Recipe(
        "default",
        build_default_model,
        epochs=20,
        batch_size=128,
        learning_rate=3e-3,
        augment=True,
        cosine_schedule=True,
        mixture=True,
    ),
}


def to_model_input(images):
    """uint8 (n, 28, 28) → float32 (n, 28, 28, 1) in [0, 1]."""
    return (np.asarray(images, dtype=np.float32) / 255.0)[..., None]


def make_training_dataset(x_train, y_train, *, num_classes, batch_size, augmented, seed, augment_mask=None):
    """Shuffled, batched, optionally augmented (x, one-hot y) batches, repeated forever.

    With `augment_mask`, only the images it marks are augmented (drawings already varied stroke by
    stroke are not bent a second time)."""
    if augment_mask is None:
        augment_mask = np.ones(len(x_train), dtype=bool)
    images = np.asarray(x_train, dtype=np.uint8)[..., None]
    dataset = tf.data.Dataset.from_tensor_slices((images, np.asarray(y_train, np.int64), augment_mask))
    dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).repeat()
    dataset = dataset.batch(batch_size, drop_remainder=True)

    def prepared(step, batch):
        images, labels, mask = batch
        images = tf.cast(images, tf.float32) / 255.0
        if augmented:
            bent = augment(images, tf.stack([tf.cast(seed, tf.int64), step]))
            images = tf.where(mask[:, None, None, None], bent, images)
        return images, tf.one_hot(labels, num_classes)

    dataset = dataset.enumerate().map(prepared, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.prefetch(tf.data.AUTOTUNE)


def make_optimizer(recipe, *, total_steps):
    if not recipe.cosine_schedule:
        return keras.optimizers.Adam(recipe.learning_rate)
    warmup_steps = max(1, total_steps // 20)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=recipe.learning_rate / 10,
        warmup_target=recipe.learning_rate,
        warmup_steps=warmup_steps,
        decay_steps=max(1, total_steps - warmup_steps),
    )
    return keras.optimizers.Adam(schedule)


class EpochProgress(keras.callbacks.Callback):
    """One line per epoch: loss, accuracy and time, through `write` (a command's stdout)."""

    def __init__(self, write, epochs):
        super().__init__()
        self.write, self.epochs = write, epochs

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.started
        self.write(
            f"epoch {epoch + 1:>2}/{self.epochs}  loss {logs['loss']:.4f}  "
            f"accuracy {logs['accuracy']:.2%}  {seconds:.0f} s"
        )


def train(x_train, y_train, *, recipe, epochs, batch_size, seed, augment_mask=None, write=print):
    """Build and fit `recipe`'s network; returns (model, training seconds)."""
    keras.utils.set_random_seed(seed)
    batch_size = min(batch_size, len(x_train))
    steps_per_epoch = len(x_train) // batch_size
    model = recipe.build_model()
    model.compile(
        optimizer=make_optimizer(recipe, total_steps=epochs * steps_per_epoch),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    dataset = make_training_dataset(
        x_train,
        y_train,
        num_classes=model.output_shape[-1],
        batch_size=batch_size,
        augmented=recipe.augment,
        seed=seed,
        augment_mask=augment_mask,
    )
    started = time.perf_counter()
    model.fit(
        dataset,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=[EpochProgress(write, epochs)],
        shuffle=False,  # the dataset shuffles itself, reproducibly
        verbose=0,
    )
    return model, time.perf_counter() - started


def predict_probabilities(model, images, *, batch_size=1000):
    """Softmax outputs for uint8 (n, 28, 28) images."""
    return model.predict(to_model_input(images), batch_size=batch_size, verbose=0)


def calibrate(model, x_validation, y_validation):
    """(the model answering softmax(logits / T), T), T fitted on the validation images."""
    logits = predict_probabilities(logits_model(model), x_validation)
    temperature = fit_temperature(logits, y_validation)
    return calibrated(model, temperature), temperature
