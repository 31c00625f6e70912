"""Helpers for the browser tests: strokes for the pad, touches, and reading the page's state."""

from training.canvas import Placement, strokes_on_canvas
from training.strokes import trace_strokes

PAD_HEIGHT = 280  # the pad's height in pad units, whatever its size on screen (static/recognizer/pad.js)
# A point every 2 MNIST pixels along a stroke (8 skeleton pixels at 4× scale): about 13 CSS px on
# the pad, with the pointer sent through intermediate positions between them, as a mouse reports
# a hand moving at ordinary speed. Denser paths only make the tests slower: Chromium handles
# pointer moves once per frame.
TRACE_STEP = 8


def digit_strokes(digit, *, height=190, centre=(140, 140), pen_width=18):
    """An MNIST digit (28×28 uint8) as strokes in pad units (the pad is 280 units tall)."""
    placement = Placement(height=height, centre_x=centre[0], centre_y=centre[1], pen_width=pen_width)
    return strokes_on_canvas(trace_strokes(digit, step=TRACE_STEP), placement)


def first_of_each_digit(images, labels, *, per_digit):
    """The first `per_digit` test images of each digit 0-9, as (image, label) pairs, 0s first."""
    picked = []
    for digit in range(10):
        indices = [i for i, label in enumerate(labels) if label == digit][:per_digit]
        picked += [(images[i], digit) for i in indices]
    return picked


def pad_geometry(page):
    """The pad's top-left corner in the viewport, and its CSS pixels per pad unit."""
    box = page.locator("#pad").bounding_box()
    assert box["width"] >= box["height"] > 100, box  # wide enough for a number, tall enough for a digit
    return box["x"], box["y"], box["height"] / PAD_HEIGHT


def pad_width(page):
    """The pad's width in pad units."""
    box = page.locator("#pad").bounding_box()
    return box["width"] / box["height"] * PAD_HEIGHT


def interpolate(points, *, steps):
    """The points with `steps` evenly spaced positions per segment, ending on each point."""
    path = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        path += [(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(1, steps + 1)]
    return path


def touch(session, kind, point):
    """One finger (id 1) touching at `point` (viewport CSS px): touchStart or touchMove."""
    session.send(
        "Input.dispatchTouchEvent",
        {
            "type": kind,
            "touchPoints": [{"x": point[0], "y": point[1], "id": 1, "radiusX": 4, "radiusY": 4, "force": 1}],
        },
    )


INKED_PIXELS_JS = """() => {
    const canvas = document.getElementById("pad");
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let inked = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked += 1;
    return inked;
}"""


def inked_pixels(page):
    """How many of the canvas's device pixels have ink."""
    return page.evaluate(INKED_PIXELS_JS)


def canvas_png(page):
    return page.evaluate("() => document.getElementById('pad').toDataURL('image/png')")


def predict_requests(page):
    """A list that fills with the POST /api/predict requests the page sends."""
    sent = []
    page.on("request", lambda request: sent.append(request) if request.url.endswith("/api/predict") else None)
    return sent


def scroll_position(page):
    return page.evaluate("() => [window.scrollX, window.scrollY]")
