"""Real MNIST test digits, drawn on the page with the mouse and with a finger, read by the site."""

import re

from playwright.sync_api import expect

from recognizer.models import Prediction
from tests.browser.drawing import digit_strokes, first_of_each_digit, inked_pixels, scroll_position

PREDICTION = re.compile(r"^Prediction: (\d)$")
PROBABILITY = re.compile(r"^Probability: (\d{1,3}\.\d{2})%$")


def predict_and_read(page):
    """Press Predict; the digit and probability (in %) the page shows."""
    page.locator("#predict").click()
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#predict")).to_be_enabled()
    digit = PREDICTION.match(page.locator("#prediction").inner_text().strip())
    probability = PROBABILITY.match(page.locator("#probability").inner_text().strip())
    assert digit and probability, page.locator("#result").inner_text()
    return int(digit[1]), float(probability[1])


def test_twenty_mnist_digits_drawn_with_the_mouse_are_read(
    page, drawing_page, draw_strokes, mnist_test_set, artifacts
):
    images, labels = mnist_test_set
    digits = first_of_each_digit(images, labels, per_digit=2)
    drawing_page(page)

    answers = []
    for image, label in digits:
        page.locator("#clear").click()
        assert inked_pixels(page) == 0
        draw_strokes(page, digit_strokes(image))
        assert inked_pixels(page) > 0
        read, probability = predict_and_read(page)
        assert 0 < probability <= 100
        answers.append((label, read, probability))

    page.screenshot(path=artifacts / "prediction-desktop.png", full_page=True)
    wrong = [(label, read) for label, read, _ in answers if label != read]
    print(
        f"\nMouse-drawn MNIST digits read right: {len(answers) - len(wrong)}/{len(answers)}; "
        f"misread (label, read): {wrong}"
    )
    assert len(wrong) <= 2, f"misread (label, read): {wrong}"

    # Every drawing was stored as sent from the drawing page, with what the page showed.
    stored = list(Prediction.objects.order_by("created_at", "id"))
    assert [(p.source, p.predicted_digit) for p in stored] == [("web", read) for _, read, _ in answers]
    assert [f"{p.probability:.2%}" for p in stored] == [f"{probability:.2f}%" for *_, probability in answers]


def test_an_answer_shows_all_ten_probabilities_and_the_models_input(
    page, drawing_page, draw_strokes, mnist_test_set
):
    images, labels = mnist_test_set
    seven, _ = first_of_each_digit(images, labels, per_digit=1)[7]
    drawing_page(page)
    draw_strokes(page, digit_strokes(seven))
    with page.expect_response("**/api/predict") as answer:
        read, probability = predict_and_read(page)
    assert read == 7
    (digit,) = answer.value.json()["digits"]

    # The bars: each digit's share given the drawing is a digit; the probability shown also counts
    # the chance that it is not a digit at all.
    values = [float(text.rstrip("%")) for text in page.locator("#bars .bar__value").all_inner_texts()]
    assert len(values) == 10 and abs(sum(values) - 100) < 1
    assert all(
        abs(value - share * 100) <= 0.051 for value, share in zip(values, digit["probabilities"], strict=True)
    )
    assert max(values) == values[7]
    assert abs(values[7] * (1 - digit["not_a_digit_probability"]) - probability) < 0.06
    widths = page.locator("#bars .bar__fill").evaluate_all("fills => fills.map(f => f.style.width)")
    assert float(widths[7].rstrip("%")) > 50
    assert page.locator("#bars .bar--top").get_attribute("data-digit") == "7"
    model_input = page.locator("#model-input")
    expect(model_input).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    assert model_input.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [28, 28]


def test_finger_drawing_on_a_phone_reads_the_digit_and_never_scrolls(
    phone_page, drawing_page, touch_strokes, mnist_test_set, artifacts
):
    page = drawing_page(phone_page)
    images, labels = mnist_test_set
    # The page is taller than the phone's screen, so it could scroll; and were the browser to take a
    # finger on the pad for a scroll or zoom, it would also cancel the pen's pointer: count those.
    assert page.evaluate("() => document.documentElement.scrollHeight > window.innerHeight")
    page.evaluate("""() => {
        window.cancelledPointers = 0;
        document.getElementById("pad").addEventListener("pointercancel", () => window.cancelledPointers++);
    }""")

    # Readable at 375 px: nothing wider than the screen; the pad is crisp on a 2× screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    box = page.locator("#pad").bounding_box()
    assert page.locator("#pad").evaluate("pad => [pad.width, pad.height]") == [
        round(box["width"] * 2),
        round(box["height"] * 2),
    ]

    # The buttons are clicked, not tapped: on a loaded machine a synthetic tap can last long enough
    # to count as a long press, which never clicks. Drawing is what this test is about.
    for image, label in zip(images[:3], labels[:3]):  # the test set's first three: a 7, a 2 and a 1
        page.locator("#clear").click()
        assert inked_pixels(page) == 0 and scroll_position(page) == [0, 0]
        touch_strokes(page, digit_strokes(image))
        assert inked_pixels(page) > 0
        assert scroll_position(page) == [0, 0]
        assert page.evaluate("() => window.cancelledPointers") == 0
        page.locator("#predict").click()
        expect(page.locator("#prediction")).to_have_text(f"Prediction: {label}")
        expect(page.locator("#probability")).to_have_text(re.compile(r"^Probability: \d{1,3}\.\d{2}%$"))
        # The answer shows on the same screen as the pad, without scrolling.
        expect(page.locator("#probability")).to_be_in_viewport()
    page.screenshot(path=artifacts / "prediction-phone.png", full_page=True)
