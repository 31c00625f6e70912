"""Numbers on the drawing page: three MNIST test digits written side by side with the mouse are read as
one number, each digit boxed over the drawing with its probability and 28×28 input, and the "Right?"
feedback takes a corrected number."""

import json
import re
from pathlib import Path

import numpy as np
from playwright.sync_api import expect

from recognizer import limits
from recognizer.models import Prediction
from tests.browser.drawing import PAD_HEIGHT, digit_strokes, first_of_each_digit, pad_width
from training.pendigits import pen_digit

PEN_TEST_WRITERS = Path(__file__).resolve().parents[1] / "data" / "pendigits-test-writers.json"
CENTRES = (140, 340, 540)  # pad units: three digits 190 units tall, 200 apart


def a_digit(mnist_test_set, digit):
    images, labels = mnist_test_set
    return first_of_each_digit(images, labels, per_digit=1)[digit][0]


def number_strokes(mnist_test_set, digits):
    return [
        stroke
        for digit, centre in zip(digits, CENTRES)
        for stroke in digit_strokes(a_digit(mnist_test_set, digit), centre=(centre, PAD_HEIGHT / 2))
    ]


def boxes_on_screen(page):
    """Each box drawn over the pad: [x, y, width, height] in pad units, and its label."""
    return page.locator("#boxes .box").evaluate_all(
        """groups => groups.map(group => {
            const rect = group.querySelector("rect");
            return {
                box: ["x", "y", "width", "height"].map(name => Number(rect.getAttribute(name))),
                label: group.querySelector("text").textContent,
                onScreen: rect.getBoundingClientRect().toJSON(),
            };
        })"""
    )


def test_a_three_digit_number_is_read_digit_by_digit(
    page, drawing_page, draw_strokes, mnist_test_set, artifacts
):
    drawing_page(page)
    assert pad_width(page) >= 3 * PAD_HEIGHT - 1  # a desktop's pad has room for a number
    draw_strokes(page, number_strokes(mnist_test_set, (7, 2, 1)))
    with page.expect_response("**/api/predict") as answer:
        page.locator("#predict").click()
    body = answer.value.json()
    expect(page.locator("#prediction")).to_have_text("Prediction: 721")
    assert body["number"] == "721" and body["verdict"] == "number"

    # Each digit: its probability and the 28×28 image the model read, beneath the number.
    cards = page.locator("#digits .digit-card")
    expect(cards).to_have_count(3)
    assert [text.split()[0] for text in cards.all_inner_texts()] == ["7", "2", "1"]
    shown = [float(t.rstrip("%")) for t in cards.locator(".digit-card__probability").all_inner_texts()]
    assert all(abs(s - d["probability"] * 100) < 0.006 for s, d in zip(shown, body["digits"], strict=True))
    inputs = cards.locator("img")
    page.wait_for_function("() => [...document.querySelectorAll('#digits img')].every(i => i.complete)")
    assert inputs.evaluate_all("imgs => imgs.map(i => [i.naturalWidth, i.naturalHeight])") == [[28, 28]] * 3
    expect(page.locator("#model-input-figure")).to_be_hidden()

    # Each digit's box over the drawing, where the digit was drawn: the server's boxes, in the sent
    # image's pixels, are the pad's units.
    boxes = boxes_on_screen(page)
    assert [box["label"] for box in boxes] == ["7", "2", "1"]
    pad = page.locator("#pad").bounding_box()
    for drawn, centre, sent in zip(boxes, CENTRES, body["digits"]):
        x, y, width, height = sent["box"]
        assert abs(x + width / 2 - centre) < 40, (sent["box"], centre)
        assert drawn["box"][0] < x and drawn["box"][0] + drawn["box"][2] > x + width
        on_screen = drawn["onScreen"]
        scale = pad["height"] / PAD_HEIGHT
        assert abs(on_screen["x"] + on_screen["width"] / 2 - (pad["x"] + centre * scale)) < 40 * scale
    page.screenshot(path=artifacts / "number-desktop.png", full_page=True)

    # "Right?": the number, or the number it was.
    expect(page.get_by_role("button", name="Yes, it is 721")).to_be_visible()
    expect(page.locator("#feedback-digit-row")).to_be_hidden()
    field = page.get_by_label("No, the number was")
    field.fill("72l")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#feedback-status")).to_have_text(
        re.compile("^Type the number with the digits 0 to 9")
    )
    expect(field).to_have_attribute("aria-invalid", "true")
    assert Prediction.objects.get().true_number is None
    field.fill("724")
    field.press("Enter")
    expect(page.locator("#feedback-status")).to_have_text("Thanks! Noted: it was a 724.")
    assert Prediction.objects.get().true_number == "724"

    # Boxes go with the drawing.
    page.locator("#clear").click()
    expect(page.locator("#boxes .box")).to_have_count(0)


def test_feedback_on_one_digit_takes_a_number_or_not_a_digit(
    page, drawing_page, draw_strokes, mnist_test_set
):
    drawing_page(page)
    draw_strokes(page, digit_strokes(a_digit(mnist_test_set, 4)))
    page.locator("#predict").click()
    expect(page.locator("#prediction")).to_have_text("Prediction: 4")
    expect(page.locator("#digits")).to_be_hidden()
    expect(page.locator("#boxes .box")).to_have_count(1)

    # The seed's digits stay, and a number can be typed instead.
    page.get_by_role("button", name="No, it was 9").click()
    expect(page.locator("#feedback-status")).to_have_text("Thanks! Noted: it was a 9.")
    assert Prediction.objects.get().true_label == 9
    page.get_by_label("No, the number was").fill("18")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#feedback-status")).to_have_text("Thanks! Noted: it was an 18.")
    expect(page.get_by_role("button", name="No, it was 9")).to_have_attribute("aria-pressed", "false")
    assert Prediction.objects.get().true_number == "18"

    not_a_digit = page.get_by_role("button", name="Not a digit", exact=True)
    not_a_digit.click()
    expect(page.locator("#feedback-status")).to_have_text("Thanks! Noted: not a digit.")
    expect(not_a_digit).to_have_attribute("aria-pressed", "true")
    assert Prediction.objects.get().true_not_a_digit is True


def test_a_drawing_of_too_many_marks_is_refused_with_the_reason(page, drawing_page, draw_strokes):
    drawing_page(page)
    ticks = [[(30 + 40 * i, 100), (30 + 40 * i, 180)] for i in range(limits.MAX_DIGITS + 5)]  # 1-like marks
    with page.expect_response(lambda response: response.url.endswith("/api/read") and response.status == 422):
        draw_strokes(page, ticks)
    status = page.locator("#status")
    reason = re.compile(rf"at most {limits.MAX_DIGITS} digits")
    expect(status).to_have_text(reason)
    expect(page.locator("#result")).to_be_hidden()

    page.locator("#predict").click()
    expect(status).to_have_text(reason)
    expect(status).to_have_attribute("data-kind", "error")
    assert Prediction.objects.count() == 0


def thinned(points, *, step=12):
    """The points at least `step` pad units apart (and the last): as a mouse reports a hand's path."""
    kept = [points[0]]
    for point in points[1:-1]:
        if np.hypot(point[0] - kept[-1][0], point[1] - kept[-1][1]) >= step:
            kept.append(point)
    return kept + points[-1:] if len(points) > 1 else kept


def pen_number(records, writer, number, *, height=170, gap=45, left=40, top=55):
    """`number` in `writer`'s own pen digits (the first of each), side by side, in pad units."""
    strokes = []
    for char in number:
        record = next(r for r in records if r["writer"] == writer and r["label"] == char)
        digit = pen_digit(record).strokes
        points = np.concatenate(digit)
        low, high = points.min(axis=0), points.max(axis=0)
        scale = height / max(high[1] - low[1], 1)
        strokes += [thinned([(left + x, top + y) for x, y in (stroke - low) * scale]) for stroke in digit]
        left += (high[0] - low[0]) * scale + gap
    return strokes


def test_numbers_in_real_pen_writing_are_read(page, drawing_page, draw_strokes, artifacts):
    """Seven people the model never saw (pendigits' test writers) write 2026 in their own digits."""
    records = json.loads(PEN_TEST_WRITERS.read_text())
    drawing_page(page)
    read = {}
    for writer in sorted({record["writer"] for record in records}):
        page.locator("#clear").click()
        draw_strokes(page, pen_number(records, writer, "2026"))
        with page.expect_response("**/api/predict") as answer:
            page.locator("#predict").click()
        expect(page.locator("#answer-kind")).to_have_text("Saved")
        read[writer] = answer.value.json()["number"]
        expect(page.locator("#boxes .box")).to_have_count(len(answer.value.json()["digits"]))
    page.screenshot(path=artifacts / "pen-number.png", full_page=True)
    print("\n2026 in seven writers' pen digits, read as:", read)
    assert list(read.values()).count("2026") >= 6, read
