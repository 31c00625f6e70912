"""From what a client sends to a Pillow image: a data URL, bare base64, the bytes of a file, or an
uploaded file. Size limits are checked before anything is decoded, the image's on its header before any
pixel is. Errors are recognizer.errors, in words for a person. Django-free.
"""

import base64
import binascii
import io
import re
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from recognizer import limits
from recognizer.errors import ImageTooLarge, ImageTooSmall, InvalidImage, UnsupportedImageFormat

ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")

Image.MAX_IMAGE_PIXELS = limits.MAX_IMAGE_PIXELS  # Pillow's decompression-bomb guard, at our own limit

# RFC 2397: the scheme, the media type and its parameters are case-insensitive (DATA:IMAGE/PNG;BASE64,).
DATA_URL = re.compile(r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^;,]*)*),", re.ASCII | re.IGNORECASE)
# RFC 4648: the standard alphabet (§4) or the URL- and filename-safe one (§5), "=" only as padding.
STANDARD_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}", re.ASCII)
URL_SAFE_BASE64 = re.compile(r"[A-Za-z0-9_-]*={0,2}", re.ASCII)


@dataclass(frozen=True)
class DecodedImage:
    image: Image.Image  # fully decoded
    encoded: bytes = b""  # the file as received (PNG, JPEG or WebP), when it came as a file


def too_large():
    return ImageTooLarge(f"The image is larger than {limits.MAX_IMAGE_BYTES // limits.MB} MB.")


def decode(raw):
    """A drawing as a client sends it → DecodedImage. `raw` is text (a data URL or bare base64), the
    bytes of an image file, or a file object (an upload, whose declared size is checked first)."""
    if isinstance(raw, str):
        data = base64_bytes(raw)
    elif isinstance(raw, bytes | bytearray | memoryview):
        data = bytes(raw)
    elif hasattr(raw, "read"):
        if (getattr(raw, "size", None) or 0) > limits.MAX_IMAGE_BYTES:
            raise too_large()
        data = raw.read(limits.MAX_IMAGE_BYTES + 1)
    else:
        raise InvalidImage(f"A drawing is text or a file, not {type(raw).__name__}.")
    return DecodedImage(image=open_image(data), encoded=data)


def base64_bytes(text):
    """The bytes of a `data:image/...;base64,` URL (in any letter case) or of bare base64 text."""
    text = text.strip()
    if text[:5].lower() == "data:":
        header = DATA_URL.match(text)
        if header is None or ";base64" not in header["params"].lower():
            raise InvalidImage("The data URL is malformed: expected data:image/png;base64,<data>.")
        media_type = (header["type"] or "").lower()
        if media_type and not media_type.startswith("image/"):
            raise UnsupportedImageFormat(f"The data URL holds {media_type}, not an image.")
        text = text[header.end() :]
    if len(text) > limits.MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise too_large()
    data = base64_decoded("".join(text.split()))  # whitespace dropped (as re's \s: a tenth of re.sub's time)
    if not data:
        raise InvalidImage("The image is empty.")
    return data


def base64_decoded(text):
    """Base64 in either alphabet (standard or URL-safe), padded or not."""
    if STANDARD_BASE64.fullmatch(text):
        alphabet = b"+/"
    elif URL_SAFE_BASE64.fullmatch(text):
        alphabet = b"-_"
    elif re.fullmatch(r"[A-Za-z0-9+/_-]*={0,2}", text, re.ASCII):
        raise InvalidImage(
            "The image is not valid base64: it mixes two alphabets; use the standard one (+ /) "
            "or the URL-safe one (- _), not both."
        )
    else:
        raise InvalidImage(
            "The image is not valid base64: only letters, digits, + / (or - _) and = at the end belong in it."
        )
    unpadded = text.rstrip("=")
    if unpadded != text and len(text) % 4:
        raise InvalidImage("The image is not valid base64: its = padding does not fit its length.")
    if len(unpadded) % 4 == 1:
        raise InvalidImage("The image is not valid base64: the text is cut short (one character too many).")
    try:
        return base64.b64decode(unpadded + "=" * (-len(unpadded) % 4), altchars=alphabet, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidImage("The image is not valid base64.") from None


def open_image(data):
    """A fully decoded Pillow image from PNG, JPEG or WebP bytes, within the size limits."""
    if len(data) > limits.MAX_IMAGE_BYTES:
        raise too_large()
    if not data:
        raise InvalidImage("The image is empty.")
    webp = webp_size(data)
    if webp is not None and webp[0] * webp[1] > limits.MAX_WEBP_PIXELS:
        side = limits.MAX_WEBP_SIDE
        raise ImageTooLarge(
            f"The WebP image is {webp[0]}×{webp[1]} pixels: at most {side}×{side} pixels are read in WebP "
            "(send a larger drawing as PNG or JPEG)."
        )
    side = limits.MAX_IMAGE_SIDE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise UnsupportedImageFormat("The file is not a PNG, JPEG or WebP image.") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLarge(f"The image has more than {side}×{side} pixels.") from None
    except (OSError, SyntaxError, ValueError):
        raise InvalidImage("The image is corrupt and cannot be read.") from None

    width, height = image.size
    if width > side or height > side:
        raise ImageTooLarge(f"The image is {width}×{height}: at most {side}×{side}.")
    if width < limits.MIN_IMAGE_SIDE or height < limits.MIN_IMAGE_SIDE:
        raise ImageTooSmall(width, height)
    if getattr(image, "n_frames", 1) > 1:
        if image.format != "MPO":
            raise InvalidImage("Animated images are not accepted: send a single frame.")
        # A phone photo: a JPEG followed by more pictures (MPO). The first is the photo itself; the
        # others (a depth map, a second lens) are never decoded.
        image.seek(0)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, EOFError):
        raise InvalidImage("The image is truncated or corrupt and cannot be read.") from None
    return upright(image)


EXIF_ORIENTATION = 0x0112


def upright(image):
    """`image` turned the way its EXIF orientation says it is seen (a phone photo is stored as the
    sensor saw it, with a tag saying how to turn it): the ink is searched, and the drawing stored, as
    the person saw it."""
    try:
        orientation = image.getexif().get(EXIF_ORIENTATION, 1)
    except (OSError, SyntaxError, ValueError, TypeError):  # a damaged EXIF block: the pixels stand
        return image
    if orientation not in range(2, 9):
        return image
    return ImageOps.exif_transpose(image)


def webp_size(data):
    """(width, height) from a WebP file's header (lossy, lossless or extended), before any decoder is
    made; None for anything else."""
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    kind, payload = data[12:16], data[20:30]
    if kind == b"VP8 " and payload[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", payload[6:10])
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L" and payload[0] == 0x2F:
        bits = int.from_bytes(payload[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8X":
        return int.from_bytes(payload[4:7], "little") + 1, int.from_bytes(payload[7:10], "little") + 1
    return None
