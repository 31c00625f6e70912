"""Feedback on the page: "Right?" ✓ or "No, it was …" 0-9, then "Thanks"; history and stats show it."""

import re

from playwright.sync_api import expect

from recognizer.models import Prediction
from tests.browser.drawing import digit_strokes, first_of_each_digit


def a_digit(mnist_test_set, digit):
    images, labels = mnist_test_set
    return first_of_each_digit(images, labels, per_digit=1)[digit][0]


def draw_and_predict(page, draw, image, digit):
    page.locator("#clear").click()
    draw(page, digit_strokes(image))
    page.locator("#predict").click()
    expect(page.locator("#prediction")).to_have_text(f"Prediction: {digit}")


def test_confirm_then_correct_then_a_new_drawing(
    page, drawing_page, draw_strokes, mnist_test_set, live_server, artifacts
):
    drawing_page(page)
    draw_and_predict(page, draw_strokes, a_digit(mnist_test_set, 4), 4)
    feedback = page.get_by_role("group", name="Right?")
    expect(feedback).to_be_visible()
    yes = feedback.get_by_role("button", name="Yes, it is a 4")
    expect(feedback.get_by_role("button", name="No, it was 4")).to_be_disabled()  # the digit read
    status = page.locator("#feedback-status")
    expect(status).to_have_text("")

    yes.click()
    expect(status).to_have_text("Thanks!")
    expect(yes).to_have_attribute("aria-pressed", "true")
    prediction = Prediction.objects.get()
    assert (prediction.predicted_digit, prediction.true_label) == (4, 4) and prediction.feedback_at

    page.get_by_role("button", name="No, it was 9").click()  # a change of mind replaces the answer
    expect(status).to_have_text("Thanks! Noted: it was a 9.")
    expect(yes).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("button", name="No, it was 9")).to_have_attribute("aria-pressed", "true")
    assert Prediction.objects.get().true_label == 9
    page.screenshot(path=artifacts / "feedback-desktop.png", full_page=True)

    # The next drawing starts with a fresh question.
    draw_and_predict(page, draw_strokes, a_digit(mnist_test_set, 2), 2)
    expect(status).to_have_text("")
    expect(page.get_by_role("button", name="Yes, it is a 2")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("button", name="No, it was 9")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("button", name="No, it was 4")).to_be_enabled()
    assert Prediction.objects.filter(true_label__isnull=True).count() == 1

    # History marks the corrected drawing; the stats count it.
    page.get_by_role("link", name="History", exact=True).click()
    tiles = page.locator(".gallery .tile")
    expect(tiles).to_have_count(2)
    expect(tiles.nth(1).locator(".tile__feedback")).to_have_text("✗ corrected to 9")
    expect(tiles.nth(0).locator(".tile__feedback")).to_have_count(0)
    page.get_by_role("link", name="Stats", exact=True).click()
    expect(page).to_have_url(re.compile(r"/stats/$"))
    expect(page.locator("#feedback-accuracy")).to_have_text("0.0%")
    expect(page.get_by_role("img", name=re.compile("^Confusion matrix"))).to_be_visible()
    page.screenshot(path=artifacts / "stats-desktop.png", full_page=True)


def test_feedback_by_keyboard_and_by_touch(
    page, phone_page, drawing_page, draw_strokes, touch_strokes, mnist_test_set, artifacts
):
    drawing_page(page)
    draw_and_predict(page, draw_strokes, a_digit(mnist_test_set, 7), 7)
    for _ in range(30):  # Tab from the Predict button to the ✓
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Yes, it is a 7":
            break
    else:
        raise AssertionError("the ✓ button cannot be reached with Tab")
    page.keyboard.press("Space")
    expect(page.locator("#feedback-status")).to_have_text("Thanks!")
    page.keyboard.press("Tab")  # on to the digits: 0 first
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "No, it was 0"
    page.keyboard.press("Enter")
    expect(page.locator("#feedback-status")).to_have_text("Thanks! Noted: it was a 0.")
    assert Prediction.objects.get().true_label == 0

    drawing_page(phone_page)
    draw_and_predict(phone_page, touch_strokes, a_digit(mnist_test_set, 3), 3)
    phone_page.get_by_role("button", name="No, it was 5").tap()
    expect(phone_page.locator("#feedback-status")).to_have_text("Thanks! Noted: it was a 5.")
    assert Prediction.objects.get(predicted_digit=3).true_label == 5
    assert phone_page.evaluate("() => document.documentElement.scrollWidth") <= 375
    phone_page.screenshot(path=artifacts / "feedback-phone.png", full_page=True)
