"""Hostile input to POST /api/predict (and /api/read): each is a 4xx with a JSON sentence, stores
nothing, and the server keeps answering; then a property-based test throws generated junk at it."""

import base64
import json
import struct

import numpy as np
import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from recognizer.models import Prediction
from tests.hardening import payloads
from tests.hardening.payloads import HOSTILE, JSON, data_url, encode, multipart
from training.strokes import draw_digit_on_canvas

pytestmark = pytest.mark.django_db


def post(client, content_type, body):
    return client.generic("POST", "/api/predict", body, content_type=content_type)


@pytest.fixture(scope="module")
def drawn_digits(mnist_test_set):
    """A few real test digits (3, 8, 5) drawn as pen strokes on transparent 280 px canvases."""
    images, labels = mnist_test_set
    rng = np.random.default_rng(11)
    chosen = [int(np.flatnonzero(labels == digit)[0]) for digit in (3, 8, 5)]
    return [(draw_digit_on_canvas(images[i], rng, background="transparent"), int(labels[i])) for i in chosen]


@pytest.fixture(scope="module")
def valid_request(drawn_digits):
    image, _ = drawn_digits[0]
    return payloads.json_image(encode(image))


def assert_refused(response, status=None):
    """A 4xx (the given one, if any) whose JSON body explains itself in a sentence."""
    if status is None:
        assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    else:
        assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body["detail"], str) and len(body["detail"]) > 10 and body["code"]
    assert b"Traceback" not in response.content
    return body["detail"]


@pytest.mark.parametrize("case", HOSTILE, ids=str)
def test_hostile_body_is_a_clear_4xx_that_stores_nothing(client, case, valid_request):
    content_type, body = case.body()

    detail = assert_refused(post(client, content_type, body), case.status)

    assert case.words in detail
    assert Prediction.objects.count() == 0
    assert post(client, *valid_request).status_code == 201  # and the next person is served


@pytest.mark.parametrize("case", HOSTILE, ids=str)
def test_hostile_body_to_the_live_reading_is_the_same_clear_4xx(client, case, valid_request):
    """POST /api/read takes the same input as predict: the same refusals, and it never stores."""
    content_type, body = case.body()

    response = client.generic("POST", "/api/read", body, content_type=content_type)

    assert case.words in assert_refused(response, case.status)
    assert Prediction.objects.count() == 0
    assert (
        client.generic("POST", "/api/read", valid_request[1], content_type=valid_request[0]).status_code
        == 200
    )


def test_pixel_bomb_is_refused_without_decoding_its_pixels(client, monkeypatch):
    """The 30000×30000 PNG is refused from its header: Pillow's decoder is never asked for a pixel."""

    def no_decoding(self, *args, **kwargs):
        raise AssertionError("the pixels of a pixel bomb were decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_decoding)
    response = post(client, *payloads.json_image(payloads.png_declaring(30000, 30000)))
    assert_refused(response, 413)


def test_sixteen_bit_drawing_is_read_not_refused(client, drawn_digits):
    """16-bit images are refused only when they hold no drawing: a real 16-bit drawing is read."""
    image, label = drawn_digits[1]
    white = Image.new("RGB", image.size, "white")
    white.paste(image, mask=image.getchannel("A"))
    levels = np.asarray(white.convert("L"), dtype=np.uint16) * 257
    sixteen_bit = Image.fromarray(levels)
    assert sixteen_bit.mode == "I;16"
    response = post(client, *payloads.json_image(encode(sixteen_bit)))
    assert response.status_code == 201 and response.json()["prediction"] == label


def test_drawing_on_half_transparent_paper_is_read(client, drawn_digits):
    """Ink is measured from the background's own opacity: the uniform blot is empty, strokes still read."""
    image, label = drawn_digits[2]
    paper = Image.new("RGBA", image.size, (255, 255, 255, 100))
    paper.alpha_composite(image)
    response = post(client, *payloads.json_image(encode(paper)))
    assert response.status_code == 201 and response.json()["prediction"] == label


# Property-based: whatever junk arrives, a 4xx and no row. ---------------------------------------------

CONTENT_TYPES = [
    JSON,
    "application/json; charset=utf-8",
    "text/plain",
    "application/octet-stream",
    "image/png",
    payloads.MULTIPART,
    "multipart/form-data",
    "application/x-www-form-urlencoded",
    None,
]
MEDIA_TYPES = [
    "image/png",
    "image/jpeg",
    "image/webp",
    "image/gif",
    "image/svg+xml",
    "text/html",
    "application/json",
]
MODES = ["1", "L", "LA", "P", "PA", "RGB", "RGBA", "I;16", "CMYK"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=16,
)


@st.composite
def crafted_png(draw):
    """A PNG header with random (possibly enormous) dimensions and depth, then random bytes as data."""
    width = draw(st.integers(1, 70_000))
    height = draw(st.integers(1, 70_000))
    depth = draw(st.sampled_from([1, 2, 4, 8, 16]))
    colour = draw(st.sampled_from([0, 2, 3, 4, 6]))
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    data = draw(st.binary(max_size=512))
    return (
        payloads.PNG_SIGNATURE
        + payloads.png_chunk(b"IHDR", header)
        + payloads.png_chunk(b"IDAT", data)
        + payloads.png_chunk(b"IEND", b"")
    )


@st.composite
def pillow_image(draw, *, formats, tiny=False, uniform=False):
    """An image Pillow writes: tiny (a side under 8), uniform (no drawing), or noise in a refused format."""
    mode = draw(st.sampled_from(MODES))
    side = st.integers(1, 7) if tiny else st.integers(8, 96)
    size = (draw(side), draw(st.integers(1, 96) if tiny else side))
    if uniform or tiny:
        image = Image.new(mode, size, draw(st.integers(0, 2**16 - 1)) if mode == "I;16" else None)
        if mode != "I;16":
            bands = len(Image.new(mode, (1, 1)).getbands())
            image = Image.new(mode, size, tuple(draw(st.integers(0, 255)) for _ in range(bands)))
    else:
        image = Image.frombytes(
            "L", size, draw(st.binary(min_size=size[0] * size[1], max_size=size[0] * size[1]))
        ).convert(mode)
    try:
        return encode(image, draw(st.sampled_from(formats)))
    except (OSError, ValueError, KeyError):  # this format cannot hold this mode
        return encode(image.convert("RGB"), "PNG" if tiny or uniform else "BMP")


@st.composite
def truncated_drawing(draw):
    image = Image.new("L", (280, 280), 255)
    image.paste(0, (draw(st.integers(20, 200)), 40, 230, 60))
    png = encode(image, draw(st.sampled_from(["PNG", "JPEG", "WEBP"])))
    return png[: draw(st.integers(0, len(png) // 2))]


image_bytes = st.one_of(
    st.binary(max_size=2048).map(lambda noise: payloads.PNG_SIGNATURE + noise),
    crafted_png(),
    pillow_image(formats=["PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF"], tiny=True),
    pillow_image(formats=["PNG", "JPEG", "WEBP"], uniform=True),
    pillow_image(formats=["GIF", "BMP", "TIFF", "ICO", "PPM", "TGA", "PCX"]),
    truncated_drawing(),
)


@st.composite
def image_request(draw):
    """Junk image bytes, sent the ways a client can: data URL, bare base64, or an uploaded file."""
    data = draw(image_bytes)
    how = draw(st.sampled_from(["data URL", "base64", "file", "multipart text"]))
    if how == "data URL":
        return payloads.json_body({"image": data_url(data, draw(st.sampled_from(MEDIA_TYPES)))})
    if how == "base64":
        return payloads.json_body({"image": base64.b64encode(data).decode()})
    if how == "file":
        return multipart(
            files=[
                (
                    "image",
                    draw(st.text(max_size=20)).replace('"', "") or "x",
                    draw(st.sampled_from(MEDIA_TYPES)),
                    data,
                )
            ]
        )
    return multipart(fields=[("image", data_url(data))])


hostile_requests = st.one_of(
    st.tuples(st.sampled_from(CONTENT_TYPES), st.binary(max_size=4096)),
    json_values.map(lambda value: (JSON, json.dumps(value).encode())),
    st.fixed_dictionaries({"image": json_values}, optional={"source": json_values}).map(
        lambda document: (JSON, json.dumps(document).encode())
    ),
    image_request(),
    st.lists(st.tuples(st.sampled_from(["image", "source", "x"]), st.text(max_size=60)), max_size=5).map(
        lambda fields: multipart(fields=fields)
    ),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=hostile_requests)
def test_generated_junk_is_always_a_4xx_and_never_stored(client, request):
    cache.clear()  # the throttle's history: these are many clients, not one
    content_type, body = request
    assert_refused(post(client, content_type, body))
    assert Prediction.objects.count() == 0
