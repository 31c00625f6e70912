"""Preprocessing: whatever the canvas looks like, the model gets the same MNIST-style 28×28 (what cannot
be decoded at all is tests/test_decoding.py's)."""

import base64
import io
import subprocess
import sys

import numpy as np
import pytest
from django.conf import settings
from PIL import Image

from recognizer import preprocessing
from recognizer.decoding import decode
from recognizer.errors import EmptyDrawing
from recognizer.preprocessing import normalise_image
from tests.hardening.payloads import stroke_on_transparent_canvas
from training.canvas import Placement, render_strokes, strokes_on_canvas
from training.strokes import trace_strokes


def model_input_of(sent):
    """What a client sent (a data URL, base64 text or file bytes) → the 28×28 model input, as the
    service reads it."""
    return normalise_image(decode(sent).image)


def encode(image, format="PNG", **options):
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def similarity(a, b):
    """Pearson correlation of two 28×28 images: 1 is identical up to brightness."""
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    return float(np.corrcoef(a, b)[0, 1])


def centre_of_mass(image):
    image = np.asarray(image, dtype=np.float64)
    rows, columns = np.indices(image.shape)
    return (rows * image).sum() / image.sum(), (columns * image).sum() / image.sum()


@pytest.fixture(scope="module")
def digit(mnist_test_set):
    """A real MNIST 2 (test image #1), white on black, 28×28."""
    images, labels = mnist_test_set
    assert labels[1] == 2
    return images[1]


@pytest.fixture(scope="module")
def ink_280(digit):
    """The digit scaled up to a 280×280 canvas: ink in [0, 1]."""
    return (
        np.asarray(Image.fromarray(digit).resize((280, 280), Image.Resampling.BICUBIC), dtype=np.float32)
        / 255
    )


@pytest.fixture(scope="module")
def reference(ink_280):
    """What the white-on-black canvas normalises to; every other rendering must match it."""
    return normalise_image(Image.fromarray(np.round(ink_280 * 255).astype(np.uint8), mode="L"))


def canvases(ink):
    """The same drawing as clients send it: each background, alpha and polarity, several formats."""
    level = np.round(ink * 255).astype(np.uint8)
    inverse = 255 - level
    zeros = np.zeros_like(level)
    return {
        "L white on black": Image.fromarray(level, "L"),
        "L black on white": Image.fromarray(inverse, "L"),
        "RGB black on white": Image.fromarray(np.stack([inverse] * 3, -1), "RGB"),
        "RGB blue on yellow": Image.fromarray(
            np.stack([inverse, inverse, np.full_like(level, 40)], -1), "RGB"
        ),
        # A fresh HTML canvas is transparent black; a black pen leaves black, opaque strokes.
        "RGBA black ink on transparent": Image.fromarray(np.stack([zeros, zeros, zeros, level], -1), "RGBA"),
        "RGBA white ink on transparent": Image.fromarray(
            np.stack([np.full_like(level, 255)] * 3 + [level], -1), "RGBA"
        ),
        "RGBA opaque black on white": Image.fromarray(
            np.stack([inverse] * 3 + [np.full_like(level, 255)], -1), "RGBA"
        ),
        "LA black ink on transparent": Image.fromarray(np.stack([zeros, level], -1), "LA"),
        "P black on white": Image.fromarray(np.stack([inverse] * 3, -1), "RGB").convert(
            "P", palette=Image.Palette.ADAPTIVE
        ),
        "16-bit white on black": Image.fromarray(level.astype("<u2") * 257),
    }


CANVAS_NAMES = list(canvases(np.zeros((2, 2), np.float32)))
WEBP_CANT_HOLD = {"16-bit white on black", "P black on white"}  # WebP has no 16-bit or palette images
CASES = [(name, "PNG") for name in CANVAS_NAMES] + [
    (name, "WEBP") for name in CANVAS_NAMES if name not in WEBP_CANT_HOLD
]


@pytest.mark.parametrize("name, format", CASES)
def test_every_background_alpha_and_polarity_gives_the_same_input(ink_280, reference, name, format):
    image = canvases(ink_280)[name]
    options = {"lossless": True} if format == "WEBP" else {}
    model_input = model_input_of(encode(image, format, **options))
    assert model_input.shape == (28, 28) and model_input.dtype == np.uint8
    assert np.abs(model_input.astype(int) - reference).mean() < 2, name
    assert similarity(model_input, reference) > 0.99, name


def test_jpeg_noise_is_not_ink(ink_280, reference):
    image = canvases(ink_280)["RGB black on white"]
    model_input = model_input_of(encode(image, "JPEG", quality=70))
    assert similarity(model_input, reference) > 0.97


def test_plain_grayscale_of_a_transparent_canvas_would_be_all_black(ink_280):
    """The trap this module avoids: convert("L") of black-on-transparent loses the drawing."""
    canvas = canvases(ink_280)["RGBA black ink on transparent"]
    assert np.asarray(canvas.convert("L")).max() == 0
    assert normalise_image(canvas).max() == 255


def test_normalised_like_mnist(reference):
    rows = np.flatnonzero((reference > 50).any(axis=1))
    columns = np.flatnonzero((reference > 50).any(axis=0))
    assert max(rows[-1] - rows[0] + 1, columns[-1] - columns[0] + 1) in (19, 20, 21)  # the 20-pixel box
    mass_row, mass_column = centre_of_mass(reference)
    assert abs(mass_row - 14) <= 0.5 and abs(mass_column - 14) <= 0.5
    assert reference[0].max() == 0 and reference[:, 0].max() == 0  # a black border, as MNIST has


def test_mnist_digit_normalises_to_itself(digit):
    model_input = normalise_image(Image.fromarray(digit, "L"))
    assert similarity(model_input, digit) > 0.95


@pytest.fixture(scope="module")
def strokes(digit):
    return trace_strokes(digit)


def drawn(strokes, *, height, centre_x, centre_y, pen_width, background="white"):
    placement = Placement(height=height, centre_x=centre_x, centre_y=centre_y, pen_width=pen_width)
    return render_strokes(strokes_on_canvas(strokes, placement), pen_width=pen_width, background=background)


@pytest.mark.parametrize(
    "case, placement",
    [
        ("small", {"height": 60, "centre_x": 140, "centre_y": 140, "pen_width": 7}),
        ("large", {"height": 250, "centre_x": 140, "centre_y": 140, "pen_width": 29}),
        ("top-left", {"height": 100, "centre_x": 62, "centre_y": 62, "pen_width": 12}),
        ("bottom-right", {"height": 100, "centre_x": 215, "centre_y": 215, "pen_width": 12}),
        ("thin pen", {"height": 180, "centre_x": 140, "centre_y": 140, "pen_width": 10}),
        ("thick pen", {"height": 180, "centre_x": 140, "centre_y": 140, "pen_width": 32}),
    ],
)
def test_size_position_and_pen_width_barely_matter(strokes, case, placement):
    centred = normalise_image(drawn(strokes, height=180, centre_x=140, centre_y=140, pen_width=20))
    model_input = normalise_image(drawn(strokes, **placement))
    # The same shape lands in the same place; a thinner or thicker pen changes only the stroke's width.
    assert similarity(model_input, centred) > (0.8 if "pen" in case else 0.9), case
    assert np.allclose(centre_of_mass(model_input), centre_of_mass(centred), atol=0.6), case


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGB", (280, 280), "white"),
        Image.new("RGB", (280, 280), "black"),
        Image.new("RGBA", (280, 280), (0, 0, 0, 0)),
        Image.new("L", (1, 1), 0),
    ],
    ids=["white", "black", "transparent", "1x1"],
)
def test_empty_canvas_is_an_error_not_a_guess(image):
    with pytest.raises(EmptyDrawing, match="The drawing is empty"):
        model_input_of(encode(image))


def test_faint_smudge_is_empty():
    image = Image.new("L", (100, 100), 255)
    image.paste(235, (40, 40, 60, 60))  # 8% grey: paper, not ink
    with pytest.raises(EmptyDrawing):
        model_input_of(encode(image))


def test_data_url_and_bare_base64_are_the_same(ink_280, reference):
    png = encode(canvases(ink_280)["RGB black on white"])
    encoded = base64.b64encode(png).decode()
    from_url = model_input_of(f"data:image/png;base64,{encoded}")
    from_bare = model_input_of(encoded)
    from_wrapped = model_input_of("\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)))
    np.testing.assert_array_equal(from_url, from_bare)
    np.testing.assert_array_equal(from_wrapped, from_bare)
    np.testing.assert_array_equal(from_bare, reference)


PEAK_MEMORY_PROBE = """
import re, sys
from recognizer.decoding import decode
from recognizer.preprocessing import normalise_image
def normalise_bytes(data):
    return normalise_image(decode(data).image)
def peak_mb():  # VmHWM: this process's highest resident memory (ru_maxrss would carry its parent's over)
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) // 1024
small, huge = (open(path, "rb").read() for path in sys.argv[1:])
normalise_bytes(small)
before = peak_mb()
normalise_bytes(huge)
print(peak_mb() - before)
"""


def test_a_huge_transparent_canvas_costs_little_more_memory_than_its_pixels(tmp_path):
    """A 4096×4096 RGBA canvas is 64 MB of pixels; reading it peaks under 100 MB more (shrinking it band
    by band: Pillow's reduce of the whole would first copy it premultiplied, ~130 MB more)."""
    (tmp_path / "small.png").write_bytes(stroke_on_transparent_canvas(280))
    (tmp_path / "huge.png").write_bytes(stroke_on_transparent_canvas(4096))
    probe = subprocess.run(  # a process of its own: its peak memory is the reading's alone
        [sys.executable, "-c", PEAK_MEMORY_PROBE, str(tmp_path / "small.png"), str(tmp_path / "huge.png")],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(probe.stdout) < 100, f"peak +{probe.stdout.strip()} MB"


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "RGBA opaque", "LA", "P", "1", "I;16"])
def test_large_canvas_is_shrunk_first_and_reads_the_same(ink_280, reference, mode):
    """A 2800×2800 upload of the same drawing gives the same 28×28 (and is shrunk before the ink search)."""
    big_ink = Image.fromarray(np.round(ink_280 * 255).astype(np.uint8)).resize(
        (2800, 2800), Image.Resampling.BICUBIC
    )
    level = np.asarray(big_ink)
    if mode == "RGBA":
        image = Image.fromarray(np.stack([np.zeros_like(level)] * 3 + [level], -1))
    elif mode == "RGBA opaque":
        image = Image.fromarray(255 - level).convert("RGBA")
    elif mode == "LA":
        image = Image.fromarray(np.stack([np.zeros_like(level), level], -1), mode="LA")
    elif mode == "I;16":
        image = Image.fromarray(level.astype("<u2") * 257)
    elif mode == "1":
        image = Image.fromarray(level).point(lambda value: 255 if value > 127 else 0).convert("1")
    else:
        image = Image.fromarray(255 - level).convert(mode)
    shrunk = preprocessing.shrunk_for_ink_search(image)
    assert max(shrunk.size) <= preprocessing.INK_SEARCH_SIDE
    model_input = normalise_image(image)
    assert similarity(model_input, reference) > (0.95 if mode == "1" else 0.99), mode
