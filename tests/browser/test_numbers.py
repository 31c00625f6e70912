"""Numbers on the drawing page: three MNIST test digits written side by side with the mouse are read as
one number, each digit boxed over the drawing with its probability and 28×28 input, and the "Right?"
feedback takes a corrected number."""

from playwright.sync_api import expect

from recognizer.models import Prediction
from tests.browser.drawing import PAD_HEIGHT, digit_strokes, first_of_each_digit

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
