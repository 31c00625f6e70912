"""What clients really send: phone photos turned by their EXIF orientation, and faint ink (a grey pen,
thin grey strokes). Each is read the way a request is, and stored as the person saw it."""

import io

import numpy as np
import pytest
from django.conf import settings
from PIL import Image

from recognizer.contract import scaled
from recognizer.decoding import decode
from recognizer.errors import EmptyDrawing
from recognizer.inference import DigitClassifier
from recognizer.preprocessing import normalise_image
from recognizer.services import record_prediction
from tests.test_preprocessing import encode, similarity
from training.canvas import random_placement, render_strokes, strokes_on_canvas
from training.strokes import trace_strokes

# How to turn a photo seen upright into the pixels a phone stores with each EXIF orientation tag.
STORED_AS = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


@pytest.fixture(scope="module")
def classifier():
    return DigitClassifier(settings.MODEL_PATH)


def read(classifier, model_input):
    return int(np.argmax(classifier.probabilities(scaled(model_input))[:10]))


@pytest.fixture(scope="module")
def seven(mnist_test_set):
    """A real MNIST 7 (test image #0) as pen strokes: (strokes, label)."""
    images, labels = mnist_test_set
    assert labels[0] == 7
    return trace_strokes(images[0])


def drawn(strokes, *, pen_width=18, ink=(0, 0, 0), size=(360, 280)):
    """The strokes drawn on white paper of `size` (a landscape photo), in `ink`."""
    placement = random_placement(np.random.default_rng(2), canvas_size=min(size), strokes=strokes)
    canvas = render_strokes(strokes_on_canvas(strokes, placement), pen_width=pen_width, background="white")
    if ink != (0, 0, 0):  # recolour: black ink becomes `ink`, anti-aliased edges in proportion
        darkness = 1 - np.asarray(canvas, dtype=np.float32) / 255
        canvas = Image.fromarray(np.round(255 - darkness * (255 - np.asarray(ink))).astype(np.uint8))
    photo = Image.new("RGB", size, (255, 255, 255))
    photo.paste(canvas, (size[0] - canvas.width, 0))
    return photo


def phone_jpeg(upright, orientation):
    """`upright` as a phone would store it: pixels as the sensor saw them, with an EXIF orientation tag."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(upright.transpose(STORED_AS[orientation]), "JPEG", quality=90, exif=exif.tobytes())


@pytest.mark.parametrize("orientation", sorted(STORED_AS))
def test_a_rotated_phone_jpeg_is_read_upright(seven, classifier, orientation):
    upright = drawn(seven)
    sent = phone_jpeg(upright, orientation)
    assert Image.open(io.BytesIO(sent)).size != upright.size or orientation == 3  # stored turned

    image = decode(sent).image
    assert image.size == upright.size
    model_input = normalise_image(image)
    assert similarity(model_input, normalise_image(upright)) > 0.97
    assert read(classifier, model_input) == 7


@pytest.mark.django_db
@pytest.mark.parametrize("orientation", sorted(STORED_AS))
def test_a_rotated_phone_jpeg_is_stored_upright(seven, orientation):
    upright = drawn(seven)
    prediction = record_prediction(image=phone_jpeg(upright, orientation))
    stored = Image.open(io.BytesIO(bytes(prediction.drawing_png)))
    assert stored.size == upright.size
    assert (prediction.drawing_width, prediction.drawing_height) == upright.size
    difference = np.abs(np.asarray(stored.convert("L"), float) - np.asarray(upright.convert("L"), float))
    assert difference.mean() < 3  # the same picture (JPEG noise aside), not a turned one
    assert prediction.predicted_digit == 7


@pytest.mark.parametrize("grey", [204, 160])
def test_grey_ink_reads_like_black_ink(seven, classifier, grey):
    black = normalise_image(drawn(seven))
    model_input = normalise_image(decode(encode(drawn(seven, ink=(grey,) * 3))).image)
    assert model_input.max() == 255
    assert np.abs(model_input.astype(int) - black).mean() < 4
    assert read(classifier, model_input) == 7


@pytest.mark.parametrize("grey", [0, 150])
def test_thin_strokes_reach_full_white_and_read_right(seven, classifier, grey):
    thin = drawn(seven, pen_width=2, ink=(grey,) * 3)
    model_input = normalise_image(decode(encode(thin)).image)
    assert model_input.max() == 255
    assert similarity(model_input, normalise_image(drawn(seven, pen_width=6))) > 0.85
    assert read(classifier, model_input) == 7


def noisy_paper(seed, *, sigma):
    """White paper with sensor noise of `sigma` grey levels, as a JPEG photo: no drawing at all."""
    noise = np.random.default_rng(seed).normal(0, sigma, (280, 360))
    paper = np.clip(245 + noise, 0, 255).astype(np.uint8)
    return encode(Image.fromarray(paper), "JPEG", quality=60)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_faint_noise_is_empty_not_a_digit(seed):
    with pytest.raises(EmptyDrawing):
        normalise_image(decode(noisy_paper(seed, sigma=5)).image)


def test_a_few_faint_pixels_are_empty():
    paper = Image.new("L", (280, 280), 255)
    paper.paste(200, (100, 100, 104, 104))  # a 4×4 grey speck: dust, not a drawing
    with pytest.raises(EmptyDrawing):
        normalise_image(decode(encode(paper)).image)


@pytest.mark.django_db
def test_the_api_refuses_faint_noise_as_empty_and_stores_nothing(client):
    from recognizer.models import Prediction

    response = client.post(
        "/api/predict", {"image": io.BytesIO(noisy_paper(3, sigma=5)), "source": "web"}, format="multipart"
    )
    assert response.status_code in (400, 422)
    assert response.json()["code"] == "empty_drawing"
    assert Prediction.objects.count() == 0
