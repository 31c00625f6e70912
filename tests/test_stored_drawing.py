"""The drawing kept with each prediction: a canvas PNG is stored as sent; anything else is re-encoded,
so the database never keeps a client's metadata or trailing bytes."""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from recognizer.decoding import DecodedImage, decode
from recognizer.images import is_plain_png, stored_png
from recognizer.models import Prediction
from training.strokes import draw_digit_on_canvas


def encode(image, format="PNG", **options):
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png))).tolist()


def chunk_types(png):
    types, position = [], 8
    while position < len(png):
        length = int.from_bytes(png[position : position + 4], "big")
        types.append(png[position + 4 : position + 8])
        position += 12 + length
    return types


@pytest.fixture(scope="module")
def canvas(mnist_test_set):
    """A real test digit drawn as pen strokes on a transparent 280 px canvas, as the page sends it."""
    images, _ = mnist_test_set
    return draw_digit_on_canvas(images[0], np.random.default_rng(3), background="transparent")


def with_text_chunk(image):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at 51.5N 0.1W")
    return encode(image, pnginfo=info)


def test_a_plain_canvas_png_is_stored_byte_for_byte(canvas):
    png = encode(canvas)
    assert is_plain_png(png)
    assert stored_png(decode(png)) == png


def test_a_data_url_keeps_the_png_it_carries(canvas):
    png = encode(canvas)
    assert stored_png(decode("data:image/png;base64," + base64.b64encode(png).decode())) == png


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(with_text_chunk, id="text chunk"),
        pytest.param(lambda image: encode(image) + b"<script>alert(1)</script>", id="bytes after IEND"),
        pytest.param(lambda image: encode(image, icc_profile=b"\0" * 128), id="ICC profile"),
    ],
)
def test_a_png_carrying_more_than_pixels_is_re_encoded_to_the_same_pixels(canvas, tamper):
    sent = tamper(canvas)
    stored = stored_png(decode(sent))
    assert not is_plain_png(sent) and stored != sent
    assert is_plain_png(stored)
    assert set(chunk_types(stored)) <= {b"IHDR", b"IDAT", b"IEND"}
    assert pixels(stored) == pixels(encode(canvas))


@pytest.mark.parametrize("format", ["JPEG", "WEBP"])
def test_other_formats_are_stored_as_png(canvas, format):
    on_white = Image.alpha_composite(Image.new("RGBA", canvas.size, "white"), canvas).convert("RGB")
    sent = encode(on_white, format)
    stored = stored_png(decode(sent))
    assert stored.startswith(b"\x89PNG\r\n\x1a\n") and is_plain_png(stored)
    assert pixels(stored) == np.asarray(Image.open(io.BytesIO(sent))).tolist()


def test_a_decoded_image_without_its_bytes_is_encoded(canvas):
    stored = stored_png(DecodedImage(canvas))
    assert pixels(stored) == pixels(encode(canvas))


def test_truncated_or_foreign_bytes_are_not_plain_pngs(canvas):
    png = encode(canvas)
    assert not is_plain_png(png[:-12])  # no IEND
    assert not is_plain_png(png[:40])
    assert not is_plain_png(b"")
    assert not is_plain_png(encode(canvas.convert("RGB"), "JPEG"))


@pytest.mark.django_db
def test_the_api_stores_a_sent_canvas_as_is_and_strips_metadata(client, canvas):
    plain, tagged = encode(canvas), with_text_chunk(canvas)
    for png in (plain, tagged):
        body = json.dumps({"image": "data:image/png;base64," + base64.b64encode(png).decode()})
        assert client.post("/api/predict", body, content_type="application/json").status_code == 201
    first, second = (bytes(p.drawing_png) for p in Prediction.objects.order_by("id"))
    assert first == plain
    assert b"taken at" not in second and pixels(second) == pixels(plain)
