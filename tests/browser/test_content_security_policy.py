"""Under the Content-Security-Policy (no inline script or style anywhere) everything still works in a real
browser, and the browser reports no violation: the drawing page reading a digit, the history and the
statistics, the admin after a real login (predictions, a prediction, the models, the login attempts),
and the API docs, whose operations render and whose "Try it out" runs a request."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from recognizer import services
from tests.browser.drawing import digit_strokes, first_of_each_digit
from training.evaluation import encode_png
from training.strokes import draw_digit_on_canvas

# Recorded from the first script the page runs: every violation the browser reports.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def watched_page(page):
    """A page that records CSP violations, from the events and from the console alike."""
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.console_messages = console
    return page


def violations(page):
    reported = page.evaluate("window.cspViolations || []")
    logged = [text for text in page.console_messages if "Content Security Policy" in text]
    return reported + logged


@pytest.fixture
def stored(mnist_test_set):
    images, labels = mnist_test_set
    rng = __import__("numpy").random.default_rng(5)
    prediction = services.record_prediction(image=encode_png(draw_digit_on_canvas(images[0], rng)))
    services.record_feedback(
        prediction_id=prediction.id, label=int(labels[0]), token=prediction.feedback_token
    )
    return prediction


def test_the_drawing_page_reads_a_digit_without_a_violation(
    watched_page, drawing_page, draw_strokes, mnist_test_set
):
    images, labels = mnist_test_set
    image, digit = first_of_each_digit(images, labels, per_digit=1)[4]
    page = drawing_page(watched_page)
    draw_strokes(page, digit_strokes(image))
    page.locator("#predict").click()
    expect(page.locator("#prediction")).to_have_text(f"Prediction: {digit}")
    expect(page.locator("#result img")).to_be_visible()  # the 28×28 input, a data: URL
    assert violations(page) == []


@pytest.mark.parametrize("path", ["/history/", "/stats/"])
def test_the_history_and_the_statistics_show_without_a_violation(watched_page, live_server, stored, path):
    watched_page.goto(live_server.url + path, wait_until="networkidle")
    if path == "/history/":
        expect(watched_page.locator(".tile__drawing")).to_have_count(1)
        assert watched_page.locator(".tile__drawing").evaluate("image => image.naturalWidth") > 0
    else:
        expect(watched_page.locator("svg").first).to_be_visible()
    assert violations(watched_page) == []


def test_a_history_tile_opens_the_drawings_page_without_a_violation(watched_page, live_server, stored):
    page = watched_page
    page.goto(live_server.url + "/history/", wait_until="networkidle")
    page.locator(".tile__link").first.click()
    expect(page).to_have_url(live_server.url + f"/history/{stored.pk}/")
    expect(page.locator("#answer")).to_have_text(stored.number)
    expect(page.locator(".drawing-detail__box")).to_have_count(1)  # the mark's box over the drawing
    expect(page.locator(".mark__input")).to_be_visible()  # its 28×28, a data: URL
    page.wait_for_load_state("networkidle")
    # The bars are coloured by the stylesheet, not by a style attribute.
    fill = page.locator(".mark-bars__row--top .mark-bars__fill").evaluate("bar => getComputedStyle(bar).fill")
    assert fill == "rgb(79, 70, 229)"
    assert violations(page) == []


def test_the_admin_works_without_a_violation(watched_page, live_server, stored):
    get_user_model().objects.create_superuser("staff", password="drawing-digits-42")
    page = watched_page
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill("drawing-digits-42")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Site administration")).to_be_visible()

    for path, shown in [
        ("/admin/recognizer/prediction/", ".digit-drawing"),
        (f"/admin/recognizer/prediction/{stored.pk}/change/", ".probability-row--predicted"),
        ("/admin/recognizer/modelversion/", "#result_list"),
        ("/admin/axes/accessattempt/", "#changelist"),
    ]:
        page.goto(live_server.url + path, wait_until="networkidle")
        expect(page.locator(shown).first).to_be_visible()
        if path.endswith("/change/"):
            # The admin's stylesheet (a file, not a style attribute) colours the predicted digit's bar.
            bar = page.locator(".probability-row--predicted .probability-row__fill")
            assert bar.evaluate("bar => getComputedStyle(bar).fill") == "rgb(65, 118, 144)"
    assert violations(page) == []


def test_the_api_docs_render_and_try_it_out_runs_a_request(watched_page, live_server):
    page = watched_page
    page.goto(live_server.url + "/api/docs/")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() >= 6

    health = page.locator(".opblock-get", has_text="/api/health")
    health.locator(".opblock-summary").click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()
    answer = health.locator(".live-responses-table tr.response")
    expect(answer.locator(".response-col_status")).to_have_text("200")
    expect(answer.locator(".response-col_description")).to_contain_text('"status": "ok"')
    assert violations(page) == []
