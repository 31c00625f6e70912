"""Hostile request bodies for POST /api/predict, as raw bytes, so the same table drives the Django test
client and a live gunicorn.

Images are crafted without ever holding their pixels: a "30000×30000" PNG is a valid header and a few
hundred bytes of compressed rows, which is exactly what makes such files dangerous.
"""

import base64
import functools
import io
import json
import random
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BOUNDARY = "hostile-boundary-7f3a"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
JSON = "application/json"
MB = 1024 * 1024


# Images ----------------------------------------------------------------------------------------------


def encode(image, format="PNG", **options):
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width, height, *, rows=16):
    """A well-formed 1-bit greyscale PNG header for width×height, with only `rows` rows of (white) data."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\0" + b"\xff" * ((width + 7) // 8)
    data = zlib.compress(row * min(rows, height), 9)
    return PNG_SIGNATURE + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def png_with_random_data(seed=1):
    """A valid 280×280 RGB header followed by image data that is random bytes."""
    header = struct.pack(">IIBBBBB", 280, 280, 8, 2, 0, 0, 0)
    noise = random.Random(seed).randbytes(4000)
    return PNG_SIGNATURE + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", noise) + png_chunk(b"IEND", b"")


def random_bytes_behind_png_signature(seed=2, size=4000):
    return PNG_SIGNATURE + random.Random(seed).randbytes(size)


def png_with_text_bomb():
    """A small PNG whose compressed text chunk inflates to 64 MB."""
    image = encode(Image.new("L", (64, 64), 255))
    inflating = zlib.compress(b"\0" * (64 * MB), 9)
    text = png_chunk(b"zTXt", b"Comment\0\0" + inflating)
    end = image.rindex(b"IEND") - 4
    return image[:end] + text + image[end:]


def jpeg_declaring(width, height):
    """A small JPEG whose frame header (SOF0) claims width×height."""
    jpeg = bytearray(encode(Image.new("L", (16, 16), 255), "JPEG"))
    frame = jpeg.index(b"\xff\xc0")
    struct.pack_into(">HH", jpeg, frame + 5, height, width)
    return bytes(jpeg)


def webp_declaring(width, height):
    """A lossless WebP whose bitstream header claims width×height (at most 16384, the format's largest)."""
    webp = bytearray(encode(Image.new("L", (16, 16), 255), "WEBP", lossless=True))
    header = webp.index(b"VP8L") + 9  # chunk tag, chunk size, signature byte 0x2f
    bits = struct.unpack_from("<I", webp, header)[0]
    struct.pack_into("<I", webp, header, (bits & ~0x0FFFFFFF) | (width - 1) | ((height - 1) << 14))
    return bytes(webp)


def animated(format):
    frames = [Image.new("L", (280, 280), value) for value in (0, 255, 0)]
    for frame in frames:
        frame.paste(128, (100, 60, 180, 220))
    return encode(frames[0], format, save_all=True, append_images=frames[1:], duration=100, loop=0)


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="280" height="280">'
    b'<path d="M140 40 L140 240" stroke="black" stroke-width="20"/></svg>'
)


def sixteen_bit(size, value=40000):
    return encode(Image.new("I;16", size, value))


def truncated_canvas():
    image = Image.new("L", (280, 280), 255)
    image.paste(0, (120, 40, 160, 240))
    png = encode(image)
    return png[: len(png) // 2]


# Bodies ----------------------------------------------------------------------------------------------


def data_url(data, media_type="image/png"):
    return f"data:{media_type};base64," + base64.b64encode(data).decode("ascii")


def json_body(document):
    return JSON, json.dumps(document).encode()


def json_image(data, media_type="image/png"):
    return json_body({"image": data_url(data, media_type)})


def multipart(fields=(), files=()):
    """A multipart/form-data body: fields are (name, text), files (name, filename, type, bytes)."""
    parts = []
    for name, value in fields:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, filename, media_type, content in files:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {media_type}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    return MULTIPART, b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def upload(content, filename="drawing.png", media_type="image/png"):
    return multipart(files=[("image", filename, media_type, content)])


@dataclass(frozen=True)
class Hostile:
    name: str
    status: int
    words: str  # what the message must say
    body: Callable[[], tuple]  # → (content type or None, body bytes), built when needed

    def __str__(self):
        return self.name


HOSTILE = [
    # Pixel bombs: refused from the header, before any pixel is decoded.
    Hostile(
        "30000×30000 PNG (a few hundred bytes)",
        413,
        "pixels",
        lambda: json_image(png_declaring(30000, 30000)),
    ),
    Hostile(
        "30000×30000 PNG as bare base64",
        413,
        "pixels",
        lambda: json_body({"image": base64.b64encode(png_declaring(30000, 30000)).decode()}),
    ),
    Hostile("30000×30000 PNG uploaded as a file", 413, "pixels", lambda: upload(png_declaring(30000, 30000))),
    Hostile(
        "5000×5000 PNG (Pillow would only warn)", 413, "4096", lambda: json_image(png_declaring(5000, 5000))
    ),
    Hostile("4097×8 PNG (one side too long)", 413, "4096", lambda: json_image(png_declaring(4097, 8))),
    Hostile(
        "JPEG claiming 65000×65000",
        413,
        "pixels",
        lambda: json_image(jpeg_declaring(65000, 65000), "image/jpeg"),
    ),
    Hostile(
        "4096×4096 WebP (larger than WebP is read)",
        413,
        "at most 2048×2048 pixels are read in WebP",
        lambda: json_image(webp_declaring(4096, 4096), "image/webp"),
    ),
    Hostile(
        "WebP claiming 16384×16384",
        413,
        "pixels",
        lambda: json_image(webp_declaring(16384, 16384), "image/webp"),
    ),
    Hostile(
        "PNG with a text chunk inflating to 64 MB", 400, "corrupt", lambda: json_image(png_with_text_bomb())
    ),
    # Big bodies: refused on their declared length.
    Hostile(
        "20 MB JSON body",
        413,
        "larger than 2 MB",
        lambda: json_body({"image": "data:image/png;base64," + "A" * (20 * MB)}),
    ),
    Hostile("20 MB multipart upload", 413, "larger than 2 MB", lambda: upload(b"\0" * (20 * MB))),
    Hostile(
        "2.5 MB image uploaded as a file",
        413,
        "larger than 2 MB",
        lambda: upload(png_declaring(64, 64) + b"\0" * (2 * MB + MB // 2)),
    ),
    Hostile(
        "2.2 MB image as base64",
        413,
        "larger than 2 MB",
        lambda: json_body({"image": base64.b64encode(b"\0" * (2 * MB + MB // 5)).decode()}),
    ),
    # Broken JSON.
    Hostile("JSON nested 100,000 arrays deep", 400, "nested too deeply", lambda: (JSON, b"[" * 100_000)),
    Hostile(
        "JSON nested 50,000 objects deep",
        400,
        "nested too deeply",
        lambda: (JSON, b'{"image": ' * 50_000 + b"1" + b"}" * 50_000),
    ),
    Hostile(
        "image nested 500 lists deep",
        400,
        "not list",
        lambda: (JSON, b'{"image": ' + b"[" * 500 + b"]" * 500 + b"}"),
    ),
    Hostile("invalid UTF-8", 400, "UTF-8", lambda: (JSON, b'{"image": "\xc3\x28\xff"}')),
    Hostile("UTF-16 JSON", 400, "UTF-8", lambda: (JSON, '{"image": "x"}'.encode("utf-16"))),
    Hostile(
        "truncated JSON", 400, "not valid JSON", lambda: (JSON, b'{"image": "data:image/png;base64,iVBO')
    ),
    Hostile(
        "a 5,000-digit number", 400, "not valid JSON", lambda: (JSON, b'{"image": ' + b"7" * 5000 + b"}")
    ),
    Hostile("NaN as the image", 400, "not float", lambda: (JSON, b'{"image": NaN}')),
    Hostile("JSON null", 400, "JSON object", lambda: (JSON, b"null")),
    Hostile("JSON list", 400, "JSON object", lambda: (JSON, b'[{"image": "x"}]')),
    Hostile("JSON string", 400, "JSON object", lambda: (JSON, b'"data:image/png;base64,iVBO"')),
    Hostile("image is an object", 400, "not dict", lambda: json_body({"image": {"data": "x"}})),
    Hostile("image is true", 400, "not bool", lambda: json_body({"image": True})),
    Hostile(
        "unknown source",
        400,
        "valid choice",
        lambda: json_body({"image": data_url(bar_image()), "source": "admin"}),
    ),
    # Not images, or not images we read.
    Hostile(
        "random bytes behind a PNG signature",
        415,
        "not a PNG, JPEG or WebP",
        lambda: json_image(random_bytes_behind_png_signature()),
    ),
    Hostile("PNG header with random image data", 400, "corrupt", lambda: json_image(png_with_random_data())),
    Hostile("truncated PNG", 400, "truncated", lambda: json_image(truncated_canvas())),
    Hostile("animated GIF", 415, "not a PNG, JPEG or WebP", lambda: json_image(animated("GIF"), "image/gif")),
    Hostile("animated PNG", 400, "Animated", lambda: json_image(animated("PNG"))),
    Hostile("animated WebP", 400, "Animated", lambda: json_image(animated("WEBP"), "image/webp")),
    Hostile("SVG data URL", 415, "not a PNG, JPEG or WebP", lambda: json_image(SVG, "image/svg+xml")),
    Hostile(
        "SVG uploaded as a file",
        415,
        "not a PNG, JPEG or WebP",
        lambda: upload(SVG, "drawing.svg", "image/svg+xml"),
    ),
    Hostile(
        "BMP", 415, "not a PNG, JPEG or WebP", lambda: json_image(encode(Image.new("L", (28, 28)), "BMP"))
    ),
    Hostile(
        "TIFF", 415, "not a PNG, JPEG or WebP", lambda: json_image(encode(Image.new("L", (28, 28)), "TIFF"))
    ),
    Hostile(
        "ICO", 415, "not a PNG, JPEG or WebP", lambda: json_image(encode(Image.new("RGBA", (32, 32)), "ICO"))
    ),
    Hostile(
        "HTML data URL", 415, "not an image", lambda: json_image(b"<script>alert(1)</script>", "text/html")
    ),
    Hostile(
        "data URL without base64",
        400,
        "malformed",
        lambda: json_body({"image": "data:image/png,iVBORw0KGgo"}),
    ),
    Hostile(
        "base64 with non-ASCII letters",
        400,
        "not valid base64",
        lambda: json_body({"image": "iVBORw0KGgoé=="}),
    ),
    Hostile("empty image", 400, "empty", lambda: json_body({"image": ""})),
    # Degenerate images.
    Hostile("16-bit blank canvas", 400, "empty", lambda: json_image(sixteen_bit((280, 280)))),
    Hostile("16-bit 1×1", 400, "1×1", lambda: json_image(sixteen_bit((1, 1)))),
    Hostile("1×1 black pixel", 400, "1×1", lambda: json_image(encode(Image.new("L", (1, 1), 0)))),
    Hostile(
        "1×1 half-transparent pixel",
        400,
        "1×1",
        lambda: json_image(encode(Image.new("RGBA", (1, 1), (0, 0, 0, 128)))),
    ),
    Hostile("7×7 with a dot", 400, "7×7", lambda: json_image(dot_image((7, 7)))),
    Hostile(
        "uniformly half-transparent canvas",
        400,
        "empty",
        lambda: json_image(encode(Image.new("RGBA", (280, 280), (0, 0, 0, 100)))),
    ),
    # Wrong content types and envelopes.
    Hostile("plain text", 415, "Unsupported media type", lambda: ("text/plain", b"7")),
    Hostile("XML", 415, "Unsupported media type", lambda: ("application/xml", b"<image/>")),
    Hostile(
        "raw PNG body", 415, "Unsupported media type", lambda: ("image/png", encode(Image.new("L", (28, 28))))
    ),
    Hostile(
        "form post",
        415,
        "Unsupported media type",
        lambda: ("application/x-www-form-urlencoded", b"image=data%3Aimage%2Fpng%3Bbase64%2CiVBO"),
    ),
    Hostile("empty JSON body", 400, "Send the drawing", lambda: (JSON, b"")),
    Hostile("empty body, no content type", 400, "Send the drawing", lambda: (None, b"")),
    Hostile(
        "multipart without the file", 400, "Send the drawing", lambda: multipart(fields=[("source", "web")])
    ),
    Hostile("multipart with an empty file", 400, "empty", lambda: upload(b"")),
    Hostile(
        "multipart with a text file",
        415,
        "not a PNG, JPEG or WebP",
        lambda: upload(b"hello", "drawing.txt", "text/plain"),
    ),
    Hostile("multipart without a boundary", 400, "boundary", lambda: ("multipart/form-data", b"image=x")),
    Hostile(
        "multipart with 200 files",
        400,
        "too many",
        lambda: multipart(files=[(f"f{i}", "x.png", "image/png", b"x") for i in range(200)]),
    ),
    Hostile(
        "multipart with 2,000 fields",
        400,
        "too many",
        lambda: multipart(fields=[(f"f{i}", "x") for i in range(2000)]),
    ),
    Hostile(
        "multipart pixel bomb in a text field",
        413,
        "pixels",
        lambda: multipart(fields=[("image", data_url(png_declaring(30000, 30000)))]),
    ),
]


def dot_image(size):
    image = Image.new("L", size, 255)
    image.putpixel((size[0] // 2, size[1] // 2), 0)
    return encode(image)


def bar_image():
    """A readable drawing: a black bar on white, which the model reads as some digit."""
    image = Image.new("L", (280, 280), 255)
    image.paste(0, (125, 40, 155, 240))
    return encode(image)


def stroke_on_transparent_canvas(side):
    """A side×side transparent canvas (as a fresh HTML canvas is) with one black stroke down the middle:
    at 4096, the largest drawing accepted, 64 MB of pixels in a PNG of about 80 KB."""
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    ImageDraw.Draw(image).line(
        (side // 2, side * 3 // 20, side // 2, side * 17 // 20), fill=(0, 0, 0, 255), width=side * 3 // 40
    )
    return encode(image)


AMPLIFYING = (
    "2048×2048 WebP of noise",
    "4096×4096 noisy JPEG",
    "1400×1400 PNG of noise",
    "4096×4096 canvas PNG",
)


@functools.cache
def amplifying_image(name):
    """(image file, media type): drawings within every request limit that a site storing what it decodes
    would keep as MBs or tens of MB each (a 4096×4096 WebP of noise was kept as a 37 MB PNG; WebP is
    now read up to 2048×2048), all accepted. Made once, when first asked for (a second or two)."""
    rng = np.random.default_rng(17)
    if name == "2048×2048 WebP of noise":  # (the largest WebP read)
        noise = Image.fromarray(rng.integers(0, 256, (1024, 1024, 3), dtype=np.uint8), "RGB")
        image = noise.resize((2048, 2048), Image.Resampling.BILINEAR)
        made = encode(image, "WEBP", quality=5, method=0), "image/webp"
    elif name == "4096×4096 noisy JPEG":
        noise = Image.fromarray(rng.integers(0, 256, (4096, 4096, 3), dtype=np.uint8), "RGB")
        made = encode(noise, "JPEG", quality=5), "image/jpeg"
    elif name == "1400×1400 PNG of noise":
        made = encode(Image.fromarray(rng.integers(0, 256, (1400, 1400), dtype=np.uint8), "L")), "image/png"
    else:
        made = stroke_on_transparent_canvas(4096), "image/png"
    assert len(made[0]) <= 2 * MB
    return made
