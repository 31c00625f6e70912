"""Augmentation for the default recipe: digits as people draw them on a canvas.

People draw a digit a little rotated, sheared, squashed and off-centre, with a pen thinner or thicker
than MNIST's. Each batch gets one random affine transform per image and a random stroke thickness.
Randomness is stateless and keyed by (seed, batch number), so a run is reproducible with `--seed`.
"""

import math

import keras
import tensorflow as tf

MAX_ROTATION_DEGREES = 15
MAX_SCALE_CHANGE = 0.1  # each axis scaled by 1 ± this
MAX_SHEAR = 0.3
MAX_SHIFT_PIXELS = 2.0
MAX_CONTRAST = 3.0  # a pen draws solid strokes: steepen MNIST's soft stroke profile up to this
MAX_THINNING = 0.7  # drop up to this much of the stroke's faint edge
MAX_THICKENING = 1.0  # blend up to a full 3x3 dilation

CENTRE = 13.5  # the middle of a 28x28 image in pixel coordinates


def uniform(seed, shape, low, high):
    return tf.random.stateless_uniform(shape, seed=seed, minval=low, maxval=high)


def random_affine(images, seed):
    """Rotate, scale, shear and shift each image about its centre."""
    batch = tf.shape(images)[0]
    seeds = tf.random.experimental.stateless_split(seed, num=6)
    angle = uniform(seeds[0], [batch], -1.0, 1.0) * (MAX_ROTATION_DEGREES * math.pi / 180)
    scale_x = 1.0 + uniform(seeds[1], [batch], -MAX_SCALE_CHANGE, MAX_SCALE_CHANGE)
    scale_y = 1.0 + uniform(seeds[2], [batch], -MAX_SCALE_CHANGE, MAX_SCALE_CHANGE)
    shear = uniform(seeds[3], [batch], -MAX_SHEAR, MAX_SHEAR)
    shift_x = uniform(seeds[4], [batch], -MAX_SHIFT_PIXELS, MAX_SHIFT_PIXELS)
    shift_y = uniform(seeds[5], [batch], -MAX_SHIFT_PIXELS, MAX_SHIFT_PIXELS)

    # The transform maps each output pixel back to the input pixel it samples from.
    cos, sin = tf.cos(angle), tf.sin(angle)
    a0, a1 = cos / scale_x, (sin + shear * cos) / scale_x
    b0, b1 = -sin / scale_y, (cos - shear * sin) / scale_y
    a2 = CENTRE - a0 * (CENTRE + shift_x) - a1 * (CENTRE + shift_y)
    b2 = CENTRE - b0 * (CENTRE + shift_x) - b1 * (CENTRE + shift_y)
    zeros = tf.zeros_like(angle)
    transforms = tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
    return keras.ops.image.affine_transform(
        images, transforms, interpolation="bilinear", fill_mode="constant"
    )


def random_stroke(images, seed):
    """Make strokes solid like a pen's, then thin them by dropping their faint edge, or thicken them
    towards a 3x3 dilation."""
    batch = tf.shape(images)[0]
    contrast_seed, thickness_seed = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    contrast = uniform(contrast_seed, [batch, 1, 1, 1], 1.0, MAX_CONTRAST)
    images = tf.clip_by_value((images - 0.5) * contrast + 0.5, 0.0, 1.0) * tf.cast(images > 0, images.dtype)
    amount = uniform(thickness_seed, [batch, 1, 1, 1], -1.0, 1.0)
    cut = tf.nn.relu(-amount) * MAX_THINNING
    thinned = tf.nn.relu(images - cut) / (1.0 - cut)
    dilated = tf.nn.max_pool2d(images, ksize=3, strides=1, padding="SAME")
    return thinned + tf.nn.relu(amount) * MAX_THICKENING * (dilated - thinned)


def augment(images, seed):
    """One augmented copy of a batch of (n, 28, 28, 1) float images in [0, 1]."""
    stroke_seed, affine_seed = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    images = random_stroke(images, stroke_seed)
    images = random_affine(images, affine_seed)
    return tf.clip_by_value(images, 0.0, 1.0)
