"""Images out: PNG bytes and data URLs for stored drawings and model inputs."""

import base64
import io

import numpy as np
from PIL import Image

PNG_MODES = {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"}


def png_bytes(image):
    """`image` as PNG bytes (fast compression: these are small canvases, written once per request)."""
    if image.mode not in PNG_MODES:
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def model_input_png(model_input):
    """A (28, 28) uint8 array (white on black) as a grayscale PNG."""
    return png_bytes(Image.fromarray(np.asarray(model_input, dtype=np.uint8), mode="L"))


def png_data_url(png):
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
