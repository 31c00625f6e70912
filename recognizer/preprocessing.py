"""From a decoded drawing to the 28×28 image the model reads, normalised the way MNIST was.

1. find the ink: transparent canvases by their alpha, opaque ones by how far each pixel is from the
   background, whichever way round (dark on light or light on dark);
2. normalise: crop to the ink, scale the longer side to 20 px keeping the aspect ratio (anti-aliased),
   and paste into 28×28 so that the centre of mass sits where MNIST's does.

Decoding what clients send (and its limits) is recognizer.decoding's job. Django-free.
"""

import math

import numpy as np
from PIL import Image

from recognizer.contract import CENTRE_OF_MASS, FIT_BOX, IMAGE_SIZE
from recognizer.errors import EmptyDrawing

INK_SEARCH_SIDE = 1024  # a 20-pixel digit needs no more: larger images are shrunk before the ink search
INK_THRESHOLD = 0.2  # how much ink makes a pixel part of the drawing (ignores JPEG noise and paper)
# Faint ink (a grey pen, a light pencil photo) is scaled to its own strongest level, so it reads like
# dark ink. Below this strongest level, or in fewer pixels than this, a faint mark is paper texture or
# JPEG noise, not a drawing.
FAINTEST_INK = 0.15
MIN_FAINT_INK_PIXELS = 24
STRONGEST_PERCENTILE = 90  # the "strongest level": this percentile of the pixels at least half the peak


# Find the ink --------------------------------------------------------------------------------------


def has_transparency(image):
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def grayscale(image):
    """The image's brightness as float32 in [0, 1] (16-bit images keep their full range)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image.convert("F") if image.mode != "F" else image, dtype=np.float32)
        peak = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        return np.clip(values / peak, 0.0, 1.0)
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def background_level(values):
    """The background's level: the median of the image's border, where a drawing rarely reaches."""
    border = np.concatenate([values[0], values[-1], values[1:-1, 0], values[1:-1, -1]])
    lowest = border.min()
    if lowest == border.max():  # a plain border (a canvas's): its level, without sorting for the median
        return float(lowest)
    return float(np.median(border))


def ink_of(image):
    """How much ink each pixel holds, float32 in [0, 1]: 1 is a stroke, 0 the background. Faint ink is
    scaled to its own strongest level (`at_full_strength`)."""
    return at_full_strength(raw_ink_of(image))


def at_full_strength(ink):
    """`ink` scaled so its strongest strokes reach 1: a grey pen reads like a black one. A faint mark too
    weak or too small to be a drawing (paper texture, JPEG noise) is no ink at all."""
    peak = float(ink.max()) if ink.size else 0.0
    if peak >= 1.0 or peak <= 0.0:
        return ink
    strong = ink[ink >= peak / 2]
    level = float(np.percentile(strong, STRONGEST_PERCENTILE))
    if level >= 1.0:
        return ink
    if level < FAINTEST_INK or strong.size < MIN_FAINT_INK_PIXELS:
        return np.zeros_like(ink)
    return np.minimum(ink / np.float32(level), 1.0)


def raw_ink_of(image):
    """The ink measured against the background, before faint ink is scaled up."""
    if has_transparency(image):
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
        if alpha.min() < 1.0:
            # A transparent canvas: the strokes are what is opaque, whatever their colour. (Reading
            # the colour instead would turn a fresh canvas, transparent black, into solid ink.)
            # Measured from the background's own opacity, so a uniformly half-transparent image is
            # empty, not one big blot of ink.
            background = background_level(alpha)
            if background == 0.0:  # a fully transparent background (any canvas): the alpha is the ink
                return alpha
            if background < 0.5:
                return np.clip((alpha - background) / (1.0 - background), 0.0, 1.0)
            return np.clip((background - alpha) / background, 0.0, 1.0)
        image = rgba.convert("RGB")
    brightness = grayscale(image)
    background = background_level(brightness)
    # Pure white or black paper (a canvas): the ink is the brightness's distance from it, already in 0..1.
    if background == 1.0:
        return 1.0 - brightness
    if background == 0.0:
        return brightness
    ink = (background - brightness) if background >= 0.5 else (brightness - background)
    # Measure ink against the background's own level, so grey paper or a dim screen still gives 0..1.
    contrast = background if background >= 0.5 else 1.0 - background
    return np.clip(ink / max(contrast, 1e-6), 0.0, 1.0)


# Normalise -----------------------------------------------------------------------------------------


def crop_to_ink(ink):
    inked = ink > INK_THRESHOLD
    rows = np.flatnonzero(inked.any(axis=1))
    columns = np.flatnonzero(inked.any(axis=0))
    if rows.size == 0:
        raise EmptyDrawing()
    return ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]


def fit_in_box(ink, box=FIT_BOX):
    """Scale so the longer side is `box` pixels, keeping the aspect ratio, with anti-aliasing."""
    height, width = ink.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # reducing_gap: shrink by a whole factor first (averaging), then Lanczos for the rest — half the
    # time of Lanczos all the way, within 1% of it.
    pixels = np.ascontiguousarray(ink, dtype=np.float32)
    resized = Image.frombuffer("F", (width, height), pixels, "raw", "F", 0, 1).resize(
        size, Image.Resampling.LANCZOS, reducing_gap=3.0
    )
    # The pixels straight from their bytes: numpy's array interface to an image costs twice as much.
    resized_pixels = np.frombuffer(resized.tobytes(), dtype=np.float32).reshape(size[1], size[0])
    return np.clip(resized_pixels, 0.0, 1.0)


def centre_by_mass(patch, size=IMAGE_SIZE, centre=CENTRE_OF_MASS):
    """Paste `patch` into a size×size field so that its centre of mass lands on (centre, centre)."""
    total = patch.sum()
    # The moments from the row and column sums: no image of products is made.
    mass_row = patch.sum(axis=1, dtype=np.float64) @ np.arange(patch.shape[0]) / total
    mass_column = patch.sum(axis=0, dtype=np.float64) @ np.arange(patch.shape[1]) / total
    top, left = round(centre - mass_row), round(centre - mass_column)
    field = np.zeros((size, size), dtype=np.float32)
    # Clip the paste to the field: a lopsided digit may reach past an edge by a pixel or two.
    source_top, source_left = max(0, -top), max(0, -left)
    target_top, target_left = max(0, top), max(0, left)
    height = min(patch.shape[0] - source_top, size - target_top)
    width = min(patch.shape[1] - source_left, size - target_left)
    field[target_top : target_top + height, target_left : target_left + width] = patch[
        source_top : source_top + height, source_left : source_left + width
    ]
    return field


def normalise_ink(ink):
    """Ink in [0, 1] of any size → the (28, 28) uint8 MNIST-style model input."""
    return normalise_cropped_ink(crop_to_ink(ink))


def normalise_cropped_ink(ink):
    """normalise_ink of ink cropped to its ink already (crop_to_ink), as a mark whose box is known is."""
    patch = fit_in_box(ink)
    peak = patch.max()
    if peak <= 0:
        raise EmptyDrawing()
    if peak < 1.0:
        # A thin pen shrunk to 20 px fades to grey; MNIST's strokes always reach full white.
        patch = patch / peak
    return np.round(centre_by_mass(patch) * 255).astype(np.uint8)


def shrunk_for_ink_search(image, side=INK_SEARCH_SIDE):
    """A large image shrunk by a whole factor, so that a 4096×4096 upload costs a fraction of the time
    and memory and still gives the same 28×28."""
    factor = math.ceil(max(image.size) / side)
    return image if factor <= 1 else reduced(image, factor)


def reduced(image, factor):
    """`image` shrunk by the whole `factor`, averaging blocks of pixels, with little memory to spare."""
    reducible_mode = {"1": "L", "P": "RGBA" if has_transparency(image) else "RGB"}.get(image.mode, image.mode)
    if reducible_mode.startswith("I;16"):
        reducible_mode = "I"
    if reducible_mode != image.mode:
        image = image.convert(reducible_mode)
    if image.mode in ("RGBA", "LA"):
        # Image.reduce would first copy the whole image premultiplied by its alpha (64 MB more for a
        # 4096×4096 RGBA); band by band needs one band's memory. The ink search reads the alpha alone,
        # or the colours of an opaque image, which premultiplying does not change.
        return Image.merge(image.mode, [image.getchannel(band).reduce(factor) for band in image.getbands()])
    return image.reduce(factor)


def normalise_image(image):
    """A decoded Pillow image (recognizer.decoding) → the (28, 28) uint8 model input, white ink on black.
    Raises EmptyDrawing when there is no ink."""
    return normalise_ink(ink_of(shrunk_for_ink_search(image)))
