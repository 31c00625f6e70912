"""Decoding (recognizer.decoding): a data URL, bare base64, file bytes or an upload → a Pillow image;
what cannot be read is refused with a domain error that says why, before any pixel is decoded when the
header already tells."""

import base64
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from recognizer import limits
from recognizer.decoding import decode
from recognizer.errors import ImageTooLarge, InvalidImage, UnsupportedImageFormat


def encode(image, format="PNG", **options):
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def canvas_png():
    """A 280×280 canvas with a black bar, as PNG."""
    image = Image.new("L", (280, 280), 255)
    image.paste(0, (125, 40, 155, 240))
    return encode(image)


def test_every_way_of_sending_gives_the_same_image_and_keeps_the_bytes(canvas_png):
    text = base64.b64encode(canvas_png).decode()
    ways = {
        "bytes": canvas_png,
        "data URL": f"data:image/png;base64,{text}",
        "bare base64": text,
        "wrapped base64": "\n".join(text[i : i + 76] for i in range(0, len(text), 76)),
        "upload": SimpleUploadedFile("drawing.png", canvas_png, content_type="image/png"),
    }
    for way, sent in ways.items():
        decoded = decode(sent)
        assert decoded.encoded == canvas_png, way
        assert (
            decoded.image.size == (280, 280)
            and decoded.image.tobytes() == Image.open(io.BytesIO(canvas_png)).tobytes()
        )


@pytest.mark.parametrize(
    "text, error, message",
    [
        ("not base64 at all!", InvalidImage, "not valid base64"),
        ("data:image/png,abc", InvalidImage, "data URL is malformed"),
        ("data:text/html;base64,PGI+", UnsupportedImageFormat, "text/html, not an image"),
        (base64.b64encode(b"plain text").decode(), UnsupportedImageFormat, "not a PNG, JPEG or WebP"),
        ("=", InvalidImage, "not valid base64"),
    ],
)
def test_bad_base64_is_explained(text, error, message):
    with pytest.raises(error, match=message):
        decode(text)


def test_truncated_png_is_explained(canvas_png):
    with pytest.raises(InvalidImage, match="truncated or corrupt"):
        decode(canvas_png[: len(canvas_png) // 2])


def test_gif_and_bmp_are_unsupported():
    for format in ("GIF", "BMP"):
        with pytest.raises(UnsupportedImageFormat):
            decode(encode(Image.new("L", (28, 28)), format))


def test_animated_png_is_refused():
    frames = [Image.new("L", (28, 28), value) for value in (0, 255)]
    apng = encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    with pytest.raises(InvalidImage, match="Animated images"):
        decode(apng)


def test_image_too_wide_is_refused_from_its_header():
    png = encode(Image.new("1", (limits.MAX_IMAGE_SIDE + 1, 2)))
    with pytest.raises(ImageTooLarge, match="at most 4096×4096"):
        decode(png)


def test_image_bytes_over_the_limit_are_refused(monkeypatch, canvas_png):
    monkeypatch.setattr(limits, "MAX_IMAGE_BYTES", len(canvas_png) - 1)
    with pytest.raises(ImageTooLarge):
        decode(canvas_png)


class UnreadableUpload:
    """An upload that declares its size and must not be read."""

    size = 3 * limits.MAX_IMAGE_BYTES

    def read(self, *args):
        raise AssertionError("the upload was read")


def test_an_upload_over_the_limit_is_refused_before_it_is_read():
    with pytest.raises(ImageTooLarge, match="larger than 2 MB"):
        decode(UnreadableUpload())


def test_what_is_neither_text_nor_a_file_is_refused():
    with pytest.raises(InvalidImage, match="not int"):
        decode(7)
