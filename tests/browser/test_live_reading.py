"""Live reading: as each stroke ends the page reads the drawing through POST /api/read (which stores
nothing) and shows the answer marked "Live"; Predict keeps the drawing. Late answers are dropped, and a
throttled reading keeps the last answer on screen, marked out of date."""

import math
import re

from django.conf import settings as django_settings
from playwright.sync_api import expect

from recognizer.models import Prediction
from tests.browser.drawing import PAD_HEIGHT, digit_strokes, first_of_each_digit

# A 0, then a stem at its right: a 9 (pad units).
RING = [
    (150 + 45 * math.cos(2 * math.pi * step / 16), 95 + 50 * math.sin(2 * math.pi * step / 16))
    for step in range(17)
]
STEM = [(195, 95), (193, 170), (190, 240)]
# A 1 whose bar at the top grows into a 7.
ONE = [(150, 50), (150, 130), (150, 230)]


def requests_to(page, path):
    """A list that fills with the POST requests the page sends to `path`."""
    sent = []
    page.on("request", lambda request: sent.append(request) if request.url.endswith(path) else None)
    return sent


def test_the_live_reading_follows_the_strokes_and_stores_nothing(page, drawing_page, draw_strokes, artifacts):
    drawing_page(page)
    reads, predicts = requests_to(page, "/api/read"), requests_to(page, "/api/predict")
    prediction, badge = page.locator("#prediction"), page.locator("#answer-kind")

    draw_strokes(page, [RING])
    expect(prediction).to_have_text("Prediction: 0")
    expect(badge).to_have_text("Live")
    expect(page.locator("#feedback")).to_be_hidden()  # feedback is for a kept drawing
    expect(page.locator("#feedback-later")).to_be_visible()

    draw_strokes(page, [STEM])
    expect(prediction).to_have_text("Prediction: 9")
    expect(badge).to_have_text("Live")
    page.screenshot(path=artifacts / "live-reading.png", full_page=True)
    assert len(reads) == 2 and predicts == []
    assert Prediction.objects.count() == 0

    # Predict keeps the drawing that was read, once.
    with page.expect_response("**/api/predict") as answer:
        page.locator("#predict").click()
    assert answer.value.status == 201
    assert answer.value.request.post_data_json["image"] == reads[-1].post_data_json["image"]
    expect(badge).to_have_text("Saved")
    expect(prediction).to_have_text("Prediction: 9")
    page.get_by_role("button", name="Yes, it is a 9").click()
    expect(page.locator("#feedback-status")).to_have_text("Thanks!")
    assert Prediction.objects.get().true_label == 9

    # Undo to the 0: its live answer is known (no new request), and it is not the kept drawing.
    page.keyboard.press("Control+z")
    expect(prediction).to_have_text("Prediction: 0")
    expect(badge).to_have_text("Live")
    page.evaluate("() => fetch('/api/health')")
    assert len(reads) == 2 and len(predicts) == 1


def test_a_late_live_answer_is_never_shown(page, drawing_page, draw_strokes):
    drawing_page(page)
    held = []
    page.route("**/api/read", lambda route: held.append(route))
    result = page.locator("#result")

    draw_strokes(page, [RING])
    page.wait_for_function("() => document.getElementById('status').textContent === 'Reading…'")
    page.wait_for_timeout(500)
    assert len(held) == 1
    draw_strokes(page, [STEM])
    page.wait_for_timeout(500)
    assert len(held) == 2

    held[0].continue_()  # the 0's answer, now late
    page.evaluate("() => fetch('/api/health')")
    page.wait_for_timeout(300)
    expect(result).to_be_hidden()
    held[1].continue_()
    expect(page.locator("#prediction")).to_have_text("Prediction: 9")
    expect(page.locator("#answer-kind")).to_have_text("Live")

    # Cleared while a reading is on its way: nothing comes back on the empty pad.
    page.keyboard.press("Control+z")
    page.wait_for_timeout(500)  # the 0 was read before: no request
    page.locator("#clear").click()
    expect(result).to_be_hidden()
    draw_strokes(page, [STEM])
    page.wait_for_timeout(500)
    page.locator("#clear").click()
    held[-1].continue_()
    page.evaluate("() => fetch('/api/health')")
    page.wait_for_timeout(300)
    expect(result).to_be_hidden()
    expect(page.locator("#status")).to_have_text("Your prediction will appear here.")


def test_a_throttled_live_reading_keeps_the_last_answer_marked_out_of_date(
    page, drawing_page, draw_strokes, settings
):
    rates = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **django_settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "read": "1/min"},
    }
    drawing_page(page)
    draw_strokes(page, [RING])
    expect(page.locator("#prediction")).to_have_text("Prediction: 0")

    with page.expect_response("**/api/read") as answer:
        draw_strokes(page, [STEM])
    assert answer.value.status == 429
    expect(page.locator("#answer-kind")).to_have_text("Out of date")
    expect(page.locator("#prediction")).to_have_text("Prediction: 0")
    expect(page.locator("#feedback")).to_be_hidden()
    expect(page.locator("#status")).not_to_have_text("Error with prediction. Please try again.")

    # Predict is throttled apart: it reads and keeps the drawing on the pad.
    page.locator("#predict").click()
    expect(page.locator("#answer-kind")).to_have_text("Saved")
    expect(page.locator("#prediction")).to_have_text("Prediction: 9")


def test_an_unsure_reading_shows_the_top_two(page, drawing_page, draw_strokes):
    """A 1 whose top bar grows turns into a 7; on the way the reader is unsure, and says so with both.
    (A reading of "not a digit" on the way shows its best guess, without a second choice.)"""
    drawing_page(page)
    draw_strokes(page, [ONE])
    expect(page.locator("#result")).to_be_visible()
    threshold = page.evaluate("() => DigitReader.answers.UNSURE_BELOW")
    readings = []
    for bar in range(20, 90, 6):
        draw_strokes(page, [[(150 - bar, 50), (150, 50)]])
        expect(page.locator("#result")).to_be_visible()
        refused = page.locator("#not-a-digit").is_visible()
        digit = int(page.locator("#prediction .answer__value").inner_text())
        probability = float(page.locator("#probability span").inner_text().rstrip("%")) / 100
        alternative = page.locator("#alternative")
        shown = alternative.inner_text() if alternative.is_visible() else None
        readings.append((bar, refused, digit, probability, shown))
        page.keyboard.press("Control+z")

    print("\nbar length, not a digit, digit, probability, second choice shown:", *readings, sep="\n")
    assert readings[0][2] == 1 and readings[-1][1:3] == (False, 7)
    for _, refused, digit, probability, alternative in readings:
        assert (alternative is not None) == (not refused and probability < threshold)
        if alternative:
            other = {1: 7, 7: 1}[digit]
            second = re.fullmatch(rf"Or maybe a {other}: (\d{{1,2}}\.\d\d)%", alternative)
            assert second and float(second[1]) <= probability * 100, alternative  # on the same scale
    assert any(alternative for *_, alternative in readings), "no digit read on the way from 1 to 7 was unsure"


def test_a_resized_pad_keeps_the_answer_and_its_box_over_the_digit(
    page, drawing_page, draw_strokes, mnist_test_set
):
    images, labels = mnist_test_set
    three = first_of_each_digit(images, labels, per_digit=1)[3][0]
    drawing_page(page)
    reads = requests_to(page, "/api/read")
    draw_strokes(page, digit_strokes(three))  # centred 140 units from the pad's left
    expect(page.locator("#prediction")).to_have_text("Prediction: 3")
    expect(page.locator("#boxes .box")).to_have_count(1)

    page.set_viewport_size({"width": 700, "height": 800})  # a narrower window: a 2:1 pad
    page.wait_for_function(
        "() => { const pad = document.getElementById('pad'); return pad.width < 2.5 * pad.height; }"
    )
    expect(page.locator("#prediction")).to_have_text("Prediction: 3")
    expect(page.locator("#answer-kind")).to_have_text("Live")
    pad = page.locator("#pad").bounding_box()
    box = page.locator("#boxes rect").bounding_box()
    scale = pad["height"] / PAD_HEIGHT
    assert abs(box["x"] + box["width"] / 2 - (pad["x"] + 140 * scale)) < 30 * scale
    assert abs(box["y"] + box["height"] / 2 - (pad["y"] + 140 * scale)) < 30 * scale
    page.evaluate("() => fetch('/api/health')")
    assert len(reads) == 1  # the same drawing: not read again
