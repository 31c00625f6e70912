"""Images out: PNG bytes and data URLs for stored drawings, their thumbnails and model inputs.

What is stored is bounded whatever was sent (recognizer.limits): a drawing larger than
STORED_DRAWING_MAX_SIDE, or whose PNG would be over STORED_DRAWING_MAX_BYTES (noise compresses badly),
is kept downscaled; the reading itself always uses the full image. Django-free.
"""

import base64
import io
import math
import struct
import zlib

import numpy as np
from PIL import Image

from recognizer import limits
from recognizer.preprocessing import grayscale, has_transparency, reduced

PNG_MODES = {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"}
RESIZABLE_MODES = {"L", "LA", "RGB", "RGBA"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks that describe pixels and how to show them, with the longest payload the PNG specification
# allows each. Anything else (text, EXIF, ICC profiles, times, animation, private chunks) is metadata a
# client may have left in, and is not kept; a longer chunk hides bytes of its own.
PIXEL_CHUNKS = {
    b"IHDR": 13,
    b"PLTE": 3 * 256,
    b"tRNS": 256,
    b"sRGB": 1,
    b"gAMA": 4,
    b"cHRM": 32,
    b"sBIT": 4,
    b"pHYs": 9,
    b"IDAT": None,  # bounded by what the pixels can need (idat_bound)
    b"IEND": 0,
}
SAMPLES_PER_PIXEL = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by IHDR colour type


def png_bytes(image):
    """`image` as PNG bytes (fast compression: these are small canvases, written once per request)."""
    if image.mode not in PNG_MODES:
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1, icc_profile=None)  # pixels only: no client metadata
    return buffer.getvalue()


def idat_bound(ihdr):
    """The most image data (IDAT bytes) the pixels an IHDR describes can need: their filtered rows
    (one filter byte each, also for every row of each of Adam7's 7 passes) compressed the worst way
    zlib can (its deflateBound). None for a header that is not one."""
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    if colour not in SAMPLES_PER_PIXEL:
        return None
    raw = height * (math.ceil(width * SAMPLES_PER_PIXEL[colour] * depth / 8) + 1)
    if interlace:
        raw += 7 * (height + 8)  # each pass's rows carry their own filter bytes, and round up
    return raw + raw // 8 + raw // 64 + 64


def is_plain_png(data):
    """Whether `data` is a PNG holding nothing but pixels: only the chunks in PIXEL_CHUNKS, each no
    longer than the specification allows, no more image data than its pixels can need, and nothing
    after its end (IEND). Such a file can be stored as sent; anything else is re-encoded."""
    if not data.startswith(PNG_SIGNATURE):
        return False
    position, idat, bound = len(PNG_SIGNATURE), 0, None
    while position + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        payload = position + 8
        position = payload + length + 4  # length and type, the data, its CRC
        if kind not in PIXEL_CHUNKS or position > len(data):
            return False
        if kind == b"IHDR":
            if length != 13 or payload != len(PNG_SIGNATURE) + 8:
                return False
            bound = idat_bound(data[payload : payload + 13])
        elif kind == b"IDAT":
            idat += length
            if bound is None or idat > bound:
                return False
        elif length > PIXEL_CHUNKS[kind] or (kind == b"PLTE" and length % 3):
            return False
        if kind == b"IEND":
            return position == len(data)
    return False


def stored_png(decoded):
    """A recognizer.decoding.DecodedImage as the PNG to store, at most STORED_DRAWING_MAX_BYTES: the
    bytes received when they are a plain PNG within the limits (which decoding has read in full, so
    they are sound), else the decoded image re-encoded, downscaled as far as the limits need.

    Browsers send canvases as plain PNGs; keeping them saves re-encoding each one (~1 ms)."""
    if (
        is_plain_png(decoded.encoded)
        and len(decoded.encoded) <= limits.STORED_DRAWING_MAX_BYTES
        and max(decoded.image.size) <= limits.STORED_DRAWING_MAX_SIDE
    ):
        return decoded.encoded
    return bounded_png(
        decoded.image, max_side=limits.STORED_DRAWING_MAX_SIDE, max_bytes=limits.STORED_DRAWING_MAX_BYTES
    )


def thumbnail_png(image):
    """The small copy of a drawing that lists show: at most THUMBNAIL_SIDE on a side and
    THUMBNAIL_MAX_BYTES (a canvas gives 2–5 KB). Shrunk by a whole factor, averaging blocks of pixels:
    a tenth of a millisecond for a canvas, where resampling took two (a 280 px canvas gives 140 px)."""
    factor = math.ceil(max(image.size) / limits.THUMBNAIL_SIDE)
    small = reduced(image, factor) if factor > 1 else image
    return bounded_png(small, max_side=limits.THUMBNAIL_SIDE, max_bytes=limits.THUMBNAIL_MAX_BYTES)


def bounded_png(image, *, max_side, max_bytes):
    """`image` as a PNG of at most `max_bytes`, its longer side at most `max_side`: the image itself
    when it fits, else downscaled (keeping its aspect ratio) until it does."""
    image = fitted(image, max_side)
    while True:
        png = png_bytes(image)
        longer = max(image.size)
        if len(png) <= max_bytes or longer <= 1:
            return png
        # A PNG's size goes with its number of pixels: aim a little under the limit.
        side = math.floor(longer * math.sqrt(0.9 * max_bytes / len(png)))
        image = fitted(image, max(1, min(side, longer - 1)))


def fitted(image, side):
    """`image` in an 8-bit mode Pillow resizes, its longer side at most `side` (16-bit and 32-bit grey
    become 8-bit, palettes colours). A much larger image is first shrunk by a whole factor, band by
    band (preprocessing.reduced): a 4096×4096 never needs a second full-size copy."""
    factor = max(image.size) // side
    if factor >= 2:
        image = reduced(image, factor)
    if image.mode not in RESIZABLE_MODES:
        image = as_eight_bit(image)
    width, height = image.size
    scale = side / max(width, height)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def as_eight_bit(image):
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        return Image.fromarray(np.round(grayscale(image) * 255).astype(np.uint8), mode="L")
    if image.mode in ("1", "L"):
        return image.convert("L")
    return image.convert("RGBA" if has_transparency(image) else "RGB")


def model_input_png(model_input):
    """A (28, 28) uint8 array (white on black) as a grayscale PNG, written directly: a header, the rows
    (each after its filter byte, 0: none) deflated, an end (every answer carries one per mark; Pillow
    took three times as long, for a larger file)."""
    pixels = np.asarray(model_input, dtype=np.uint8)
    height, width = pixels.shape
    rows = np.zeros((height, width + 1), dtype=np.uint8)
    rows[:, 1:] = pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8 bits, grey, deflate, no interlace
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + png_chunk(b"IEND", b"")
    )


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_data_url(png):
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
