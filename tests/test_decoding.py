"""Decoding (recognizer.decoding): a data URL, bare base64, file bytes or an upload → a Pillow image;
what cannot be read is refused with a domain error that says why, before any pixel is decoded when the
header already tells."""

import base64
import io
import re

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


@pytest.mark.parametrize(
    "prefix", ["DATA:IMAGE/PNG;BASE64,", "Data:Image/Png;Base64,", "data:image/PNG;base64,"]
)
def test_a_data_url_is_read_in_any_letter_case(canvas_png, prefix):
    assert decode(prefix + base64.b64encode(canvas_png).decode()).encoded == canvas_png


@pytest.mark.parametrize("data_url", [False, True])
def test_url_safe_and_unpadded_base64_are_read(data_url):
    # Pixel values chosen so the base64 text holds + and / (standard) or - and _ (URL-safe).
    png = encode(Image.frombytes("L", (16, 16), bytes(range(256))))
    standard = base64.b64encode(png).decode()
    assert "+" in standard or "/" in standard
    assert standard.endswith("=")
    prefix = "data:image/png;base64," if data_url else ""
    for text in (
        standard.rstrip("="),
        base64.urlsafe_b64encode(png).decode(),
        base64.urlsafe_b64encode(png).decode().rstrip("="),
    ):
        assert decode(prefix + text).encoded == png, text


@pytest.mark.parametrize(
    "text, message",
    [
        ("ab+c-d==", "mixes two alphabets; use the standard one (+ /) or the URL-safe one (- _)"),
        ("abcde", "cut short"),
        ("abc=", "not a PNG, JPEG or WebP"),  # well-formed base64, just not an image
        ("ab=c", "only letters, digits, + / (or - _) and = at the end"),
        ("abcdef=", "padding does not fit its length"),
    ],
)
def test_base64_that_cannot_be_read_is_told_precisely(text, message):
    with pytest.raises(InvalidImage, match=re.escape(message)):
        decode(text)


def test_an_mpo_photo_is_read_as_its_first_picture(canvas_png):
    """A phone photo (MPO: a JPEG followed by a second picture) is its first picture; the second, much
    larger, is never decoded."""
    first = Image.open(io.BytesIO(canvas_png)).convert("RGB")
    second = Image.new("RGB", (4000, 3000), "black")
    mpo = encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(mpo)).n_frames == 2

    decoded = decode(mpo)

    assert decoded.image.size == (280, 280)
    assert decoded.image.getpixel((140, 20)) == (255, 255, 255)  # the canvas, not the black second frame
    assert decoded.image.getpixel((140, 140))[0] < 64  # its bar
