"""Every page of the site passes axe-core's accessibility audit, on a desktop and on a 360×740 phone:
the drawing page (empty, answered, with feedback, unsure, out of date, a letter, a number), the history
(filtered, paged), each kind of drawing's page, /stats/, the API docs (an operation tried out), the
admin, the empty pages and the 404.

axe-core (tests/browser/vendor/, see its README) runs its default rule set: WCAG 2 A and AA, plus its
best practices (landmarks, heading order). A test fails on any violation and prints each one's rule,
impact and the elements it found.

Playwright's `add_script_tag(path=...)` injects axe as an inline <script>, which the site's
Content-Security-Policy refuses ("violates ... 'script-src 'self''", checked). So the audit's browser
contexts alone are opened with `bypass_csp=True`: the pages are the same, only the injected auditor is
let in. tests/browser/test_content_security_policy.py checks the pages with the policy enforced.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from recognizer import services
from recognizer.limits import HISTORY_PAGE_SIZE
from recognizer.models import Prediction
from tests.browser.drawing import digit_strokes, first_of_each_digit, inked_pixels
from tests.browser.test_live_reading import ONE
from tests.browser.test_not_a_digit import LETTER_A
from tests.drawn_numbers import number_canvas
from training.canvas import render_strokes
from training.evaluation import encode_png
from training.strokes import draw_digit_on_canvas

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "has_touch": True,
    "is_mobile": True,
}
SCREENS = pytest.mark.parametrize("screen", [DESKTOP, PHONE], ids=["desktop", "phone"])


SETTLED = """() => document.getAnimations().every(
    animation => animation.playState !== "running" || animation.effect.getTiming().iterations === Infinity
)"""


def audit(page):
    """axe-core's violations on the page once its transitions end, one line each: rule, impact, elements.
    (Mid-transition colours are neither the page's look nor stable: a button fading between two blues.)"""
    page.wait_for_function(SETTLED)
    if not page.evaluate("() => typeof axe !== 'undefined'"):  # once per document
        page.add_script_tag(path=AXE)
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(node["target"]) + f" [{node['failureSummary']}]" for node in v["nodes"])
        for v in violations
    ]


def contrast_ratio(first, second):
    """WCAG 2's contrast ratio of two CSS colours given as "rgb(r, g, b)"."""

    def luminance(css):
        channels = [int(c) / 255 for c in re.findall(r"\d+", css)[:3]]
        r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted([luminance(first), luminance(second)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def assert_accessible(page, what):
    violations = audit(page)
    assert not violations, f"{what} ({page.url}) has {len(violations)} axe violations:\n" + "\n".join(
        violations
    )


SCROLLED = "() => document.activeElement.scrollLeft > 0"


def assert_scrolling_tables_are_reached_by_keyboard(page):
    """Every table too wide for the screen is reached with Tab, by an accessible name, and scrolls with
    the arrow keys."""
    scrolling = page.locator(".numbers__scroll").evaluate_all(
        "boxes => boxes.filter(b => b.scrollWidth > b.clientWidth).map(b => b.getAttribute('aria-label'))"
    )
    assert scrolling, "no table scrolls on this screen: nothing to check"
    reached = []
    page.locator("body").focus()
    for _ in range(200):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
        if focused in scrolling and focused not in reached:
            reached.append(focused)
            assert not page.evaluate(SCROLLED)
            page.keyboard.press("ArrowRight")
            page.wait_for_function(SCROLLED)  # Chromium scrolls smoothly: in a few frames
    assert sorted(reached) == sorted(scrolling)


@pytest.fixture
def stored_drawings(mnist_test_set):
    """Six stored drawings: digits confirmed, corrected and said to be no digit, a two-digit number, a
    letter, and a digit without feedback (the newest)."""
    images, labels = mnist_test_set
    rng = np.random.default_rng(16)
    digits = [encode_png(draw_digit_on_canvas(image, rng)) for image in images[:4]]
    number, _ = number_canvas([images[0], images[1]])
    letter = render_strokes(LETTER_A, pen_width=18)
    drawings = [*digits[:3], encode_png(number), encode_png(letter), digits[3]]
    predictions = [services.record_prediction(image=png, source=Prediction.Source.WEB) for png in drawings]
    first, second, third, *_ = predictions
    services.record_feedback(prediction_id=first.id, token=first.feedback_token, label=int(labels[0]))
    services.record_feedback(
        prediction_id=second.id, token=second.feedback_token, label=(int(labels[1]) + 1) % 10
    )
    services.record_feedback(prediction_id=third.id, token=third.feedback_token, not_a_digit=True)
    verdicts = {p.verdict for p in Prediction.objects.all()}
    assert verdicts == {"digit", "number", "not_a_digit"}, verdicts  # every kind of tile is shown
    return predictions


@SCREENS
def test_the_drawing_page_is_accessible_empty_and_with_an_answer(
    screen, new_page, drawing_page, draw_strokes, touch_strokes, mnist_test_set
):
    images, labels = mnist_test_set
    page = drawing_page(new_page(bypass_csp=True, **screen))
    expect(page.locator("#pad-placeholder")).to_be_visible()
    assert_accessible(page, "The empty drawing page")

    # axe leaves the "Draw here" placeholder out (it is aria-hidden, and over the canvas, an image, axe
    # cannot tell its background): its colour against the empty pad's must reach WCAG AA's 4.5:1.
    placeholder, pad = page.evaluate(
        """() => [getComputedStyle(document.getElementById("pad-placeholder")).color,
                  getComputedStyle(document.getElementById("pad")).backgroundColor]"""
    )
    assert pad == "rgb(255, 255, 255)" and inked_pixels(page) == 0, pad  # the placeholder's background
    assert contrast_ratio(placeholder, pad) >= 4.5, (placeholder, pad)

    seven, one = (first_of_each_digit(images, labels, per_digit=1)[digit][0] for digit in (7, 1))
    draw = touch_strokes if screen is PHONE else draw_strokes
    draw(page, digit_strokes(seven))
    page.locator("#predict").click()
    expect(page.locator("#answer-kind")).to_have_text("Saved")
    expect(page.locator("#prediction")).to_have_text("Prediction: 7")
    expect(page.locator("#feedback")).to_be_visible()
    expect(page.locator("#predict")).to_be_enabled()
    assert_accessible(page, "The drawing page with an answer")

    page.get_by_role("button", name="No, it was 1").click()
    expect(page.locator("#feedback-status")).to_have_text("Thanks! Noted: it was a 1.")
    assert_accessible(page, "The drawing page with feedback given")

    # A live reading of a letter (not a digit, the best guess small), then of a two-digit number.
    page.locator("#clear").click()
    draw(page, LETTER_A)
    expect(page.locator("#not-a-digit")).to_be_visible()
    expect(page.locator("#answer-kind")).to_have_text("Live")
    assert_accessible(page, "The drawing page reading a letter")

    page.locator("#clear").click()
    draw(
        page,
        [
            *digit_strokes(seven, height=150, centre=(110, 140)),
            *digit_strokes(one, height=150, centre=(300, 140)),
        ],
    )
    expect(page.locator("#prediction")).to_have_text("Prediction: 71")
    expect(page.locator("#digits .digit-card")).to_have_count(2)
    assert_accessible(page, "The drawing page reading a number")


@SCREENS
def test_an_unsure_answer_and_an_out_of_date_answer_are_accessible(
    screen, new_page, drawing_page, draw_strokes, settings, artifacts
):
    page = drawing_page(new_page(bypass_csp=True, **screen))
    # A 1 whose top bar grows into a 7 (as in test_live_reading): on the way the reader is unsure.
    draw_strokes(page, [ONE])
    alternative = page.locator("#alternative")
    for bar in range(20, 90, 6):
        with page.expect_response("**/api/read"):
            draw_strokes(page, [[(150 - bar, 50), (150, 50)]])
        expect(page.locator("#answer-kind")).to_have_text("Live")
        if alternative.is_visible():
            break
        page.keyboard.press("Control+z")
    expect(alternative).to_have_text(re.compile(r"^Or maybe a \d"))
    assert_accessible(page, "The drawing page with an unsure answer")

    # Live reading throttled: the last answer stays, marked out of date.
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "read": "1/min"},
    }
    with page.expect_response("**/api/read") as answer:
        draw_strokes(page, [[(170, 120), (200, 125)]])
    assert answer.value.status == 429
    expect(page.locator("#answer-kind")).to_have_text("Out of date")
    page.screenshot(path=artifacts / f"out-of-date-{'phone' if screen is PHONE else 'desktop'}.png")
    assert_accessible(page, "The drawing page with an out-of-date answer")


@SCREENS
def test_the_history_a_drawings_page_and_the_stats_are_accessible(
    screen, new_page, live_server, stored_drawings
):
    page = new_page(bypass_csp=True, **screen)
    page.goto(live_server.url + "/history/")
    tiles = page.locator(".gallery .tile")
    expect(tiles).to_have_count(len(stored_drawings))
    page.wait_for_function("() => [...document.querySelectorAll('img.tile__drawing')].every(i => i.complete)")
    assert_accessible(page, "The history")

    tiles.first.locator("a").click()
    expect(page).to_have_url(live_server.url + f"/history/{stored_drawings[-1].id}/")
    assert_accessible(page, "A drawing's page")
    for prediction in stored_drawings[:-1]:  # with each kind of feedback, a number, a letter
        page.goto(live_server.url + f"/history/{prediction.id}/")
        assert_accessible(page, f"The page of drawing {prediction.id} ({prediction.verdict})")

    page.goto(live_server.url + "/history/")
    page.get_by_role("group", name="Read as").get_by_role("link", name="Not a digit", exact=True).click()
    expect(tiles).to_have_count(Prediction.objects.filter(verdict="not_a_digit").count())
    assert_accessible(page, "The history filtered")

    page.goto(live_server.url + "/stats/")
    expect(page.locator("table").first).to_be_visible()
    assert_accessible(page, "The stats")
    if screen is PHONE:
        assert_scrolling_tables_are_reached_by_keyboard(page)


@SCREENS
def test_the_admin_is_accessible(screen, new_page, live_server, stored_drawings):
    get_user_model().objects.create_superuser("staff", password="drawing-digits-42")
    page = new_page(bypass_csp=True, **screen)
    page.goto(live_server.url + "/admin/login/")
    assert_accessible(page, "The admin's login")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill("drawing-digits-42")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server.url + "/admin/")
    assert_accessible(page, "The admin's index")
    page.goto(live_server.url + "/admin/recognizer/prediction/")
    expect(page.locator("#result_list tbody tr")).to_have_count(len(stored_drawings))
    assert_accessible(page, "The admin's list of drawings")
    for prediction in stored_drawings[2:4]:  # a digit, a number: one mark, two
        page.goto(live_server.url + f"/admin/recognizer/prediction/{prediction.id}/change/")
        expect(page.locator("#marks-group tbody tr")).to_have_count(prediction.digit_count or 1)
        assert_accessible(page, f"The admin's page of drawing {prediction.id}")


@SCREENS
def test_the_pages_without_data_and_the_not_found_page_are_accessible(screen, new_page, live_server):
    page = new_page(bypass_csp=True, **screen)
    for path, shown in [
        ("/history/", "No drawings yet."),
        ("/stats/", "No predictions yet."),
        ("/history/99999/", "There is nothing at this address."),
    ]:
        page.goto(live_server.url + path)
        expect(page.locator("main")).to_contain_text(shown)
        assert_accessible(page, f"{path} with no drawings")


@SCREENS
def test_the_historys_pages_are_accessible(screen, new_page, live_server, mnist_test_set):
    images, _ = mnist_test_set
    rng = np.random.default_rng(25)
    for image in images[: HISTORY_PAGE_SIZE + 1]:
        services.record_prediction(
            image=encode_png(draw_digit_on_canvas(image, rng)), source=Prediction.Source.WEB
        )
    page = new_page(bypass_csp=True, **screen)
    page.goto(live_server.url + "/history/")
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    assert_accessible(page, "The history's first page")
    page.get_by_role("link", name="Older →").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    assert_accessible(page, "The history's last page")


@SCREENS
def test_the_api_docs_are_accessible(screen, new_page, live_server):
    page = new_page(bypass_csp=True, **screen)
    page.goto(live_server.url + "/api/docs/")
    expect(page.get_by_text("/api/predict").first).to_be_visible()
    assert_accessible(page, "The API docs")

    # An operation opened and tried out: its parameters, responses and the live answer.
    health = page.locator(".opblock-get", has_text="/api/health")
    health.locator(".opblock-summary-control").click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()
    expect(health.locator(".live-responses-table tr.response .response-col_status")).to_have_text("200")
    assert_accessible(page, "The API docs with an operation tried out")
