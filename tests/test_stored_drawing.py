"""The drawing kept with each prediction: a canvas PNG is stored as sent; anything else is re-encoded,
so the database never keeps a client's metadata or trailing bytes; and whatever was sent, what is kept
is bounded (recognizer/limits.py), with a thumbnail for the lists."""

import base64
import importlib
import io
import json
import random
import struct
import zlib

import numpy as np
import pytest
from django.apps import apps
from PIL import Image, PngImagePlugin

from recognizer import limits, preprocessing, reading, services
from recognizer.decoding import DecodedImage, decode
from recognizer.images import is_plain_png, stored_png, thumbnail_png
from recognizer.models import Prediction
from tests.hardening.payloads import AMPLIFYING, amplifying_image, stroke_on_transparent_canvas
from tests.page_links import Links
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


# What a drawing may cost to keep, whatever was sent ----------------------------------------------------


def chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def after_header(png, extra):
    return png[:33] + extra + png[33:]  # the signature (8) and IHDR (25) come first


def before_end(png, extra):
    end = png.rindex(b"IEND") - 4
    return png[:end] + extra + png[end:]


@pytest.mark.parametrize(
    "options",
    [{}, {"optimize": True}, {"compress_level": 0}, {"interlace": 1}],
    ids=["plain", "optimised", "stored (no compression)", "interlaced"],
)
def test_canvases_however_they_are_compressed_are_still_kept_as_sent(canvas, options):
    png = encode(canvas, **options)
    assert is_plain_png(png) and stored_png(decode(png)) == png


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda png: after_header(png, chunk(b"sRGB", b"\0" * 100_000)), id="100 KB sRGB chunk"),
        pytest.param(
            lambda png: after_header(png, chunk(b"gAMA", b"\0\0\xb1\x8f" * 64)), id="long gAMA chunk"
        ),
        pytest.param(lambda png: after_header(png, chunk(b"PLTE", b"\0" * 1000)), id="palette of 1000 bytes"),
        pytest.param(
            lambda png: before_end(png, chunk(b"IDAT", random.Random(5).randbytes(600_000))),
            id="600 KB of image data more than the pixels need",
        ),
    ],
)
def test_chunks_longer_than_the_png_specification_allows_are_not_kept(canvas, tamper):
    """Pillow reads these (it stops at the last row); kept as sent they would smuggle bytes into the
    database and back out to every client: the pixels are re-encoded instead."""
    sent = tamper(encode(canvas))
    decoded = decode(sent)
    stored = stored_png(decoded)
    assert not is_plain_png(sent)
    assert set(chunk_types(stored)) <= {b"IHDR", b"IDAT", b"IEND"} and len(stored) < 10_000
    assert pixels(stored) == pixels(encode(canvas))


def test_a_short_pixel_chunk_of_the_right_size_is_kept(canvas):
    png = after_header(encode(canvas), chunk(b"gAMA", struct.pack(">I", 45455)) + chunk(b"sRGB", b"\0"))
    assert is_plain_png(png) and stored_png(decode(png)) == png


@pytest.mark.parametrize("name", AMPLIFYING)
def test_a_drawing_within_the_request_limits_is_kept_within_the_storage_limits(name):
    """The issue's amplifiers (a 1.3 MB WebP of noise was kept as a 37 MB PNG): the drawing is kept
    downscaled, at most 1024 on a side and under the limit in bytes; its thumbnail is a few KB."""
    data, _ = amplifying_image(name)
    decoded = decode(data)

    stored, thumbnail = stored_png(decoded), thumbnail_png(decoded.image)

    kept = Image.open(io.BytesIO(stored))
    assert len(stored) <= limits.STORED_DRAWING_MAX_BYTES and max(kept.size) <= limits.STORED_DRAWING_MAX_SIDE
    assert len(thumbnail) <= limits.THUMBNAIL_MAX_BYTES
    assert max(Image.open(io.BytesIO(thumbnail)).size) <= limits.THUMBNAIL_SIDE
    width, height = decoded.image.size
    assert abs(kept.size[0] / kept.size[1] - width / height) < 0.02  # the same drawing, smaller
    assert len(stored) + len(thumbnail) + limits.ROW_BYTES_BESIDE_IMAGES <= limits.MAX_STORED_BYTES


def test_a_canvas_thumbnail_is_a_few_kilobytes(canvas):
    thumbnail = thumbnail_png(canvas)
    assert len(thumbnail) < 8 * 1024
    assert Image.open(io.BytesIO(thumbnail)).size == (140, 140)  # half the 280 px canvas


@pytest.mark.django_db
def test_a_large_drawing_is_read_at_full_size_and_kept_smaller(client):
    """The reading uses the whole image; only what is kept is downscaled."""
    data = stroke_on_transparent_canvas(2048)
    body = json.dumps({"image": "data:image/png;base64," + base64.b64encode(data).decode()})

    response = client.post("/api/predict", body, content_type="application/json")

    assert response.status_code == 201
    prediction = Prediction.objects.get()
    full_size = preprocessing.normalise_image(decode(data).image)
    assert bytes(prediction.model_input) == full_size.tobytes()
    assert (prediction.drawing_width, prediction.drawing_height) == (2048, 2048)  # as sent
    assert Image.open(io.BytesIO(bytes(prediction.drawing_png))).size == (1024, 1024)  # as kept
    thumbnail = client.get(f"/predictions/{prediction.pk}/thumbnail.png")
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/png"
    assert "immutable" in thumbnail["Cache-Control"] and thumbnail.content == bytes(prediction.thumbnail_png)


@pytest.mark.django_db
def test_the_history_shows_thumbnails_not_drawings(client, canvas):
    body = json.dumps({"image": "data:image/png;base64," + base64.b64encode(encode(canvas)).decode()})
    prediction_id = client.post("/api/predict", body, content_type="application/json").json()["id"]
    page = client.get("/history/").content.decode()
    assert f"/predictions/{prediction_id}/thumbnail.png" in page
    assert f"/predictions/{prediction_id}/drawing.png" not in page


@pytest.mark.django_db
def test_the_migration_bounds_the_drawings_already_stored(canvas):
    """Drawings kept before the limits get their thumbnail, and the oversized are downscaled."""
    migration = importlib.import_module("recognizer.migrations.0004_prediction_thumbnail")
    huge, _ = amplifying_image("1400×1400 PNG of noise")
    fields = {
        "drawing_width": 1,
        "drawing_height": 1,
        "model_input": b"\0" * 784,
        "predicted_digit": 1,
        "number": "1",
    }
    fields |= {"probability": 1.0, "probabilities": [0.1] * 10, "model_version": "old"}
    small = Prediction.objects.create(drawing_png=encode(canvas), **fields)
    large = Prediction.objects.create(drawing_png=huge, **fields)

    migration.bound_stored_drawings(apps, None)

    small.refresh_from_db()
    large.refresh_from_db()
    assert bytes(small.drawing_png) == encode(canvas)  # within the limits: kept as it was
    assert len(bytes(large.drawing_png)) <= limits.STORED_DRAWING_MAX_BYTES
    for prediction in (small, large):
        assert 0 < len(bytes(prediction.thumbnail_png)) <= limits.THUMBNAIL_MAX_BYTES


def noise_png(seed, side=400):
    """A drawing of pure noise: the worst case for the size of a thumbnail."""
    noise = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    return encode(Image.fromarray(noise, "RGB"))


@pytest.mark.django_db
def test_a_page_of_history_with_24_drawings_of_noise_transfers_under_1_mb(client, canvas):
    """The page and everything it links (24 thumbnails, the stylesheet, the icon), as a first visit
    downloads it; each drawing was 470 KB of noise. (The reader refuses noise as too many marks, so
    each is stored with a real digit's reading: what is measured is the thumbnails.)"""
    read = reading.read_image(canvas)
    for seed in range(limits.HISTORY_PAGE_SIZE):
        services.store_reading(decoded=decode(noise_png(seed)), read=read)

    page = client.get("/history/")
    parser = Links()
    parser.feed(page.content.decode())
    linked = {url: client.get(url) for url in set(parser.urls)}

    total = len(page.content) + sum(len(b"".join(response)) for response in linked.values())
    thumbnails = [url for url in linked if url.endswith("/thumbnail.png")]
    assert page.status_code == 200 and len(thumbnails) == limits.HISTORY_PAGE_SIZE
    assert {response.status_code for response in linked.values()} == {200}
    assert any(url.endswith(".css") for url in linked)  # the static files are counted too
    print(f"/history/ with its {len(linked)} linked files: {total / 1024:.0f} KB")
    assert total < 1 * limits.MB, f"{total / 1024:.0f} KB"
