"""Honest answers: a letter drawn with the mouse is answered "That doesn't look like a digit", with the
best guess small, its mark boxed as not a digit, and the "Right?" feedback confirms it."""

import re

from playwright.sync_api import expect

from recognizer.models import Prediction

# A capital A, three strokes in pad units, about as tall as a digit drawn on the pad.
LETTER_A = [
    [(90, 240), (115, 170), (140, 100), (160, 45)],
    [(160, 45), (180, 100), (205, 170), (230, 240)],
    [(112, 175), (160, 175), (208, 175)],
]


def test_a_letter_is_not_a_digit(page, drawing_page, draw_strokes, artifacts):
    drawing_page(page)
    draw_strokes(page, LETTER_A)
    refusal = page.locator("#not-a-digit")
    expect(refusal).to_have_text("That doesn't look like a digit")
    expect(page.locator("#answer-kind")).to_have_text("Live")
    expect(page.locator("#prediction")).to_have_text(re.compile(r"^Best guess: \d$"))
    expect(page.locator("#boxes .box--not-digit")).to_have_count(1)
    expect(page.locator("#boxes .box:not(.box--not-digit)")).to_have_count(0)

    with page.expect_response("**/api/predict") as answer:
        page.locator("#predict").click()
    body = answer.value.json()
    assert answer.value.status == 201
    assert (body["verdict"], body["number"], body["digits"]) == ("not_a_digit", None, [])
    expect(refusal).to_be_visible()
    expect(page.locator("#answer-kind")).to_have_text("Saved")
    expect(page.locator("#prediction")).to_have_text(f"Best guess: {body['prediction']}")
    expect(page.locator("#probability")).to_have_text(f"Probability: {body['probability'] * 100:.2f}%")
    page.screenshot(path=artifacts / "not-a-digit.png", full_page=True)

    expect(page.get_by_role("button", name="Not a digit", exact=True)).to_be_hidden()  # the ✓ says it
    page.get_by_role("button", name="Yes, it is not a digit").click()
    expect(page.locator("#feedback-status")).to_have_text("Thanks!")
    assert Prediction.objects.get().true_not_a_digit is True
