"""Where a user stumbled on the drawing page: Clear undone and redone, Esc on a control, a button that
changes width, a 320 px phone scrolling sideways, a pen that ignores the pad's size, "a 8", a drawing
stored twice, and an answer left beside a drawing it is not about."""

import base64
import io

import numpy as np
from PIL import Image
from playwright.sync_api import expect

from recognizer.models import Prediction
from tests.browser.drawing import (
    PAD_HEIGHT,
    canvas_png,
    digit_strokes,
    first_of_each_digit,
    inked_pixels,
    pad_width,
)

TOP_LINE = [(40, 60), (120, 60), (200, 60)]
BOTTOM_LINE = [(40, 220), (120, 220), (200, 220)]
SMALL_PHONE = {
    "viewport": {"width": 320, "height": 568},
    "device_scale_factor": 2,
    "has_touch": True,
    "is_mobile": True,
}


def a_digit(mnist_test_set, digit):
    images, labels = mnist_test_set
    return first_of_each_digit(images, labels, per_digit=1)[digit][0]


def sent_image(request):
    """The drawing a POST /api/predict request carried, as a grey-level array (ink > 0)."""
    data_url = request.post_data_json["image"]
    image = Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))).convert("RGBA")
    return np.asarray(image)[:, :, 3]


def ink_box(alpha):
    rows, columns = np.nonzero(alpha > 0)
    return columns.min(), rows.min(), columns.max(), rows.max()


def test_clear_can_be_undone_and_redone(page, drawing_page, draw_strokes):
    drawing_page(page)
    draw_strokes(page, [TOP_LINE, BOTTOM_LINE])
    both = canvas_png(page)
    undo, redo = page.locator("#undo"), page.locator("#redo")
    expect(redo).to_have_attribute("aria-disabled", "true")

    page.locator("#clear").click()
    assert inked_pixels(page) == 0
    undo.click()  # the drawing comes back whole
    assert canvas_png(page) == both
    expect(redo).to_have_attribute("aria-disabled", "false")
    redo.click()
    assert inked_pixels(page) == 0

    page.locator("#pad").focus()
    page.keyboard.press("Control+z")
    assert canvas_png(page) == both
    page.keyboard.press("Control+z")  # then stroke by stroke
    page.keyboard.press("Control+Shift+z")
    assert canvas_png(page) == both
    page.keyboard.press("Control+Shift+z")  # the clear again
    assert inked_pixels(page) == 0
    page.keyboard.press("Control+z")
    assert canvas_png(page) == both
    page.keyboard.press("Control+y")  # the other common redo key
    assert inked_pixels(page) == 0
    page.keyboard.press("Control+z")
    assert canvas_png(page) == both

    # A new stroke after an undo starts a new history: nothing is left to redo.
    page.keyboard.press("Control+z")
    draw_strokes(page, [BOTTOM_LINE])
    expect(redo).to_have_attribute("aria-disabled", "true")
    page.keyboard.press("Control+Shift+z")
    assert canvas_png(page) == both


def test_escape_clears_only_when_focus_is_not_on_a_control(page, drawing_page, draw_strokes, mnist_test_set):
    drawing_page(page)
    draw_strokes(page, digit_strokes(a_digit(mnist_test_set, 4)))
    drawn = canvas_png(page)

    for control in ("#predict", "#undo", ".more a"):
        page.locator(control).focus()
        page.keyboard.press("Escape")
        assert canvas_png(page) == drawn, f"Esc on {control} cleared the drawing"

    page.locator("#predict").click()
    expect(page.locator("#prediction")).to_have_text("Prediction: 4")
    page.locator("#feedback-number-input").fill("4")
    page.keyboard.press("Escape")  # typing a correction: Esc is the field's
    assert canvas_png(page) == drawn
    expect(page.locator("#result")).to_be_visible()

    # Drawing puts the focus on the pad, away from the button pressed last: Esc clears.
    page.locator("#undo").focus()
    draw_strokes(page, [TOP_LINE])
    page.keyboard.press("Escape")
    assert inked_pixels(page) == 0
    expect(page.locator("#result")).to_be_hidden()


def test_predict_keeps_its_width_and_nothing_moves_while_it_works(
    page, drawing_page, draw_strokes, mnist_test_set
):
    drawing_page(page)
    draw_strokes(page, digit_strokes(a_digit(mnist_test_set, 6)))
    held = []
    page.route("**/api/predict", lambda route: held.append(route))
    toolbar = page.locator(".toolbar .button")
    before = toolbar.evaluate_all("buttons => buttons.map(b => b.getBoundingClientRect().toJSON())")

    page.locator("#predict").click()
    expect(page.locator("#predict")).to_have_text("Predicting…")
    during = toolbar.evaluate_all("buttons => buttons.map(b => b.getBoundingClientRect().toJSON())")
    assert during == before

    held[0].continue_()
    expect(page.locator("#prediction")).to_have_text("Prediction: 6")
    after = toolbar.evaluate_all("buttons => buttons.map(b => b.getBoundingClientRect().toJSON())")
    assert after == before


def test_a_320_px_phone_never_scrolls_sideways(
    new_page, drawing_page, touch_strokes, mnist_test_set, artifacts
):
    page = drawing_page(new_page(**SMALL_PHONE))
    width = "() => document.documentElement.scrollWidth"
    assert page.evaluate(width) <= 320
    touch_strokes(page, digit_strokes(a_digit(mnist_test_set, 2)))
    page.locator("#predict").click()
    expect(page.locator("#prediction")).to_have_text("Prediction: 2")
    expect(page.locator("#feedback")).to_be_visible()
    assert page.evaluate(width) <= 320
    page.locator("#feedback-number-input").fill("12345678901234")
    assert page.evaluate(width) <= 320
    page.screenshot(path=artifacts / "page-320px.png", full_page=True)

    # A number on the upright phone's pad: its digit cards and boxes fit too.
    page.locator("#clear").click()
    assert pad_width(page) > 1.4 * PAD_HEIGHT
    for digit, centre in ((7, 100), (2, 290)):
        touch_strokes(page, digit_strokes(a_digit(mnist_test_set, digit), height=150, centre=(centre, 140)))
    page.locator("#predict").click()
    expect(page.locator("#prediction")).to_have_text("Prediction: 72")
    expect(page.locator("#digits .digit-card")).to_have_count(2)
    expect(page.locator("#boxes .box")).to_have_count(2)
    assert page.evaluate(width) <= 320
    page.screenshot(path=artifacts / "number-320px.png", full_page=True)


def test_the_pen_and_the_sent_drawing_scale_with_the_pad(
    page, phone_page, drawing_page, draw_strokes, touch_strokes, mnist_test_set
):
    """The same strokes, drawn on a desktop's pad and on a phone's smaller one at two device pixels per CSS
    pixel, look the same on both pads and are sent as the same drawing, 280 pixels tall."""
    strokes = digit_strokes(a_digit(mnist_test_set, 5))
    sent, inked_area = [], []
    for screen, draw in ((page, draw_strokes), (phone_page, touch_strokes)):
        drawing_page(screen)
        draw(screen, strokes)
        # The ink on screen in square pad units: the same when the pen is in proportion to the pad.
        device_pixels_per_unit = screen.locator("#pad").evaluate("pad => pad.height") / PAD_HEIGHT
        inked_area.append(inked_pixels(screen) / device_pixels_per_unit**2)
        with screen.expect_request("**/api/predict") as request:
            screen.locator("#predict").click()
        expect(screen.locator("#prediction")).to_have_text("Prediction: 5")
        sent.append(sent_image(request.value))

    desktop, phone = sent
    assert desktop.shape[0] == phone.shape[0] == PAD_HEIGHT
    assert np.abs(np.subtract(ink_box(desktop), ink_box(phone))).max() <= 3
    assert abs(int((desktop > 0).sum()) - int((phone > 0).sum())) < 0.05 * (desktop > 0).sum()
    assert abs(inked_area[0] - inked_area[1]) < 0.1 * inked_area[0], inked_area


def test_an_8_and_numbers_read_aloud_with_a_vowel(page, drawing_page, draw_strokes, mnist_test_set):
    drawing_page(page)
    draw_strokes(page, digit_strokes(a_digit(mnist_test_set, 8)))
    page.locator("#predict").click()
    expect(page.locator("#prediction")).to_have_text("Prediction: 8")
    expect(page.locator("#status")).to_have_text("The model reads an 8.")
    expect(page.get_by_role("button", name="Yes, it is an 8")).to_be_visible()
    page.get_by_role("button", name="No, it was 3").click()
    expect(page.locator("#feedback-status")).to_have_text("Thanks! Noted: it was a 3.")

    articles = page.evaluate(
        """() => ["8", "11", "18", "80", "86", "800", "8000", "11000", "18500", "80000", "1", "3", "10",
                  "108", "180", "1800", "08", "0"].map((n) => `${DigitReader.answers.article(n)} ${n}`)"""
    )
    assert articles == [
        "an 8", "an 11", "an 18", "an 80", "an 86", "an 800", "an 8000", "an 11000", "an 18500", "an 80000",
        "a 1", "a 3", "a 10", "a 108", "a 180", "a 1800", "a 08", "a 0",
    ]  # fmt: skip


def test_predict_twice_on_an_unchanged_drawing_stores_it_once(
    page, drawing_page, draw_strokes, mnist_test_set
):
    drawing_page(page)
    sent = []
    page.on("request", lambda request: sent.append(request) if request.url.endswith("/api/predict") else None)
    draw_strokes(page, digit_strokes(a_digit(mnist_test_set, 3)))
    predict = page.locator("#predict")
    predict.click()
    expect(page.locator("#prediction")).to_have_text("Prediction: 3")
    predict.click()
    page.keyboard.press("Enter")
    expect(page.locator("#prediction")).to_have_text("Prediction: 3")
    expect(page.locator("#answer-kind")).to_have_text("Saved")

    # Away and back again by Undo and Redo: still the drawing kept, not sent again.
    draw_strokes(page, [BOTTOM_LINE])
    page.keyboard.press("Control+z")
    expect(page.locator("#prediction")).to_have_text("Prediction: 3")
    predict.click()
    page.evaluate("() => fetch('/api/health')")  # a round trip: any predict request would be seen by now
    assert len(sent) == 1
    assert Prediction.objects.count() == 1


def test_no_answer_stays_beside_a_drawing_it_is_not_about(page, drawing_page, draw_strokes, mnist_test_set):
    drawing_page(page)
    result, prediction = page.locator("#result"), page.locator("#prediction")
    page.route("**/api/read", lambda route: None)  # live readings never come back: only kept answers show
    draw_strokes(page, digit_strokes(a_digit(mnist_test_set, 1)))
    page.locator("#predict").click()
    expect(prediction).to_have_text("Prediction: 1")

    # A stroke more: the answer goes at once; an Undo back shows the answer kept for that drawing.
    draw_strokes(page, [TOP_LINE])
    expect(result).to_be_hidden()
    page.locator("#undo").click()
    expect(prediction).to_have_text("Prediction: 1")
    page.locator("#clear").click()
    expect(result).to_be_hidden()
    page.locator("#undo").click()
    expect(prediction).to_have_text("Prediction: 1")

    # An answer that comes back after the drawing changed is not shown, nor is feedback given on it.
    page.locator("#clear").click()
    draw_strokes(page, digit_strokes(a_digit(mnist_test_set, 7)))
    held = []
    page.route("**/api/predict", lambda route: held.append(route))
    page.locator("#predict").click()
    draw_strokes(page, [BOTTOM_LINE])
    held[0].continue_()
    expect(page.locator("#predict")).to_have_text("Predict")
    page.evaluate("() => fetch('/api/health')")
    expect(result).to_be_hidden()
    assert Prediction.objects.count() == 2  # stored all the same: the API stores what it accepts
    page.keyboard.press("Control+z")  # back to the 7: its answer, now known, is shown
    expect(prediction).to_have_text("Prediction: 7")
    page.get_by_role("button", name="Yes, it is a 7").click()
    expect(page.locator("#feedback-status")).to_have_text("Thanks!")
    assert Prediction.objects.get(predicted_digit=7).true_label == 7
    assert Prediction.objects.get(predicted_digit=1).true_label is None


INKED_COLUMNS_JS = """() => {
    const canvas = document.getElementById("pad");
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let first = canvas.width, last = -1;
    for (let i = 3; i < pixels.length; i += 4) {
        if (pixels[i] === 0) continue;
        const column = ((i - 3) / 4) % canvas.width;
        first = Math.min(first, column);
        last = Math.max(last, column);
    }
    return [first, last, canvas.width];
}"""


def test_turning_a_phone_upright_keeps_the_whole_drawing(new_page, drawing_page, draw_strokes):
    page = drawing_page(new_page(viewport={"width": 740, "height": 360}, device_scale_factor=2))
    wide = pad_width(page)
    assert wide > 2.5 * PAD_HEIGHT  # sideways: room for a number
    draw_strokes(page, [TOP_LINE, [(wide - 120, 140), (wide - 60, 140), (wide - 20, 140)]])
    first, last, width = page.evaluate(INKED_COLUMNS_JS)
    assert last > 0.9 * width

    page.set_viewport_size({"width": 360, "height": 740})
    page.wait_for_function(f"() => document.getElementById('pad').width < {width}")
    assert pad_width(page) < 1.6 * PAD_HEIGHT  # upright: a digit's shape
    first, last, width = page.evaluate(INKED_COLUMNS_JS)
    assert first > 0 and last < width - 1  # all of it still on the pad
    assert last > 0.85 * width
    page.locator("#undo").click()
    assert page.evaluate(INKED_COLUMNS_JS)[1] < 0.5 * width  # undo still takes the last stroke
