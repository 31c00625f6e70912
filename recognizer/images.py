"""Images out: PNG bytes and data URLs for stored drawings and model inputs."""

import base64
import io
import struct

import numpy as np
from PIL import Image

PNG_MODES = {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks that describe pixels and how to show them. Anything else (text, EXIF, ICC profiles, times,
# animation, private chunks) is metadata a client may have left in, and is not kept.
PIXEL_CHUNKS = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"sRGB", b"gAMA", b"cHRM", b"sBIT", b"pHYs"}


def png_bytes(image):
    """`image` as PNG bytes (fast compression: these are small canvases, written once per request)."""
    if image.mode not in PNG_MODES:
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1, icc_profile=None)  # pixels only: no client metadata
    return buffer.getvalue()


def is_plain_png(data):
    """Whether `data` is a PNG holding nothing but pixels, with nothing after its end (IEND)."""
    if not data.startswith(PNG_SIGNATURE):
        return False
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        position += 12 + length  # length and type, the data, its CRC
        if kind not in PIXEL_CHUNKS:
            return False
        if kind == b"IEND":
            return position == len(data)
    return False


def stored_png(decoded):
    """A recognizer.decoding.DecodedImage as the PNG to store: the bytes received when they are a plain
    PNG (which decoding has read in full, so they are sound), else the decoded image re-encoded.

    Browsers send canvases as plain PNGs; keeping them saves re-encoding each one (~1 ms)."""
    if is_plain_png(decoded.encoded):
        return decoded.encoded
    return png_bytes(decoded.image)


def model_input_png(model_input):
    """A (28, 28) uint8 array (white on black) as a grayscale PNG."""
    return png_bytes(Image.fromarray(np.asarray(model_input, dtype=np.uint8), mode="L"))


def png_data_url(png):
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
