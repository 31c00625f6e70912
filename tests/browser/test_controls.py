"""The pad's controls: Clear, Undo, the empty-canvas hint, failures, one request at a time, keys."""

import json
import re

from playwright.sync_api import expect

from tests.browser.drawing import (
    canvas_png,
    digit_strokes,
    first_of_each_digit,
    inked_pixels,
    predict_requests,
)

ERROR_TEXT = "Error with prediction. Please try again."
TOP_LINE = [(40, 60), (120, 60), (200, 60)]
BOTTOM_LINE = [(40, 220), (120, 220), (200, 220)]


def a_digit(mnist_test_set, digit):
    images, labels = mnist_test_set
    return first_of_each_digit(images, labels, per_digit=1)[digit][0]


def test_clear_empties_the_canvas_and_the_result(page, drawing_page, draw_strokes, mnist_test_set):
    drawing_page(page)
    draw_strokes(page, digit_strokes(a_digit(mnist_test_set, 3)))
    page.locator("#predict").click()
    expect(page.locator("#prediction")).to_have_text("Prediction: 3")

    page.locator("#clear").click()
    assert inked_pixels(page) == 0
    expect(page.locator("#result")).to_be_hidden()
    expect(page.locator("#status")).to_have_text("Your prediction will appear here.")
    expect(page.locator("#pad-placeholder")).to_be_visible()

    # Nothing of the old drawing comes back with the next one.
    draw_strokes(page, [TOP_LINE])
    only_line = canvas_png(page)
    page.locator("#clear").click()
    draw_strokes(page, [TOP_LINE])
    assert canvas_png(page) == only_line


def test_undo_removes_the_last_stroke_only(page, drawing_page, draw_strokes):
    drawing_page(page)
    blank = canvas_png(page)
    draw_strokes(page, [TOP_LINE])
    top_only = canvas_png(page)
    draw_strokes(page, [BOTTOM_LINE])
    both = canvas_png(page)
    assert len({blank, top_only, both}) == 3

    page.locator("#undo").click()
    assert canvas_png(page) == top_only
    page.locator("#undo").click()
    assert canvas_png(page) == blank
    assert inked_pixels(page) == 0
    expect(page.locator("#undo")).to_have_attribute("aria-disabled", "true")
    page.keyboard.press("Control+z")  # nothing left to undo: still blank, no error
    assert inked_pixels(page) == 0


def test_an_empty_canvas_asks_for_a_digit_without_calling_the_server(page, drawing_page, draw_strokes):
    drawing_page(page)
    sent = predict_requests(page)
    page.locator("#predict").click()
    expect(page.locator("#status")).to_have_text("Draw a digit first")
    expect(page.locator("#result")).to_be_hidden()

    # Also once a drawing has been undone away (the pad has the focus after drawing: keys act on it).
    draw_strokes(page, [TOP_LINE])
    page.keyboard.press("Control+z")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text("Draw a digit first")
    page.evaluate("() => fetch('/api/health')")  # a round trip: any predict request would be seen by now
    assert sent == []


def test_a_failed_request_shows_the_error_and_the_page_keeps_working(
    page, drawing_page, draw_strokes, mnist_test_set
):
    drawing_page(page)
    draw_strokes(page, digit_strokes(a_digit(mnist_test_set, 5)))

    page.route(
        "**/api/predict",
        lambda route: route.fulfill(
            status=500, content_type="application/json", body=json.dumps({"detail": "boom", "code": "error"})
        ),
    )
    page.locator("#predict").click()
    expect(page.locator("#status")).to_have_text(ERROR_TEXT)
    expect(page.locator("#result")).to_be_hidden()
    expect(page.locator("#predict")).to_be_enabled()

    page.unroute("**/api/predict")
    page.route("**/api/predict", lambda route: route.abort("connectionrefused"))
    page.locator("#predict").click()
    expect(page.locator("#status")).to_have_text(ERROR_TEXT)

    page.unroute("**/api/predict")
    page.locator("#predict").click()
    expect(page.locator("#prediction")).to_have_text("Prediction: 5")
    expect(page.locator("#status")).not_to_have_text(ERROR_TEXT)


def test_one_request_at_a_time_and_the_button_shows_it(page, drawing_page, draw_strokes, mnist_test_set):
    drawing_page(page)
    draw_strokes(page, digit_strokes(a_digit(mnist_test_set, 6)))
    held = []
    page.route("**/api/predict", lambda route: held.append(route))  # held until the test lets it go
    sent = predict_requests(page)

    predict = page.locator("#predict")
    predict.click()
    expect(predict).to_be_disabled()
    expect(predict).to_have_attribute("aria-busy", "true")
    expect(predict).to_have_text("Predicting…")
    expect(predict).to_be_focused()  # waiting does not lose the keyboard's place
    predict.click(force=True)
    page.keyboard.press("Enter")
    page.keyboard.press("Space")
    page.evaluate("() => fetch('/api/health')")
    assert len(sent) == 1 and len(held) == 1

    held[0].continue_()
    expect(page.locator("#prediction")).to_have_text("Prediction: 6")
    expect(predict).to_be_enabled()
    expect(predict).to_have_text("Predict")
    assert len(sent) == 1


def test_enter_predicts_and_escape_clears(page, drawing_page, draw_strokes, mnist_test_set):
    drawing_page(page)
    draw_strokes(page, digit_strokes(a_digit(mnist_test_set, 2)))
    page.keyboard.press("Enter")
    expect(page.locator("#prediction")).to_have_text("Prediction: 2")
    page.keyboard.press("Escape")
    assert inked_pixels(page) == 0
    expect(page.locator("#result")).to_be_hidden()


def test_the_controls_are_reachable_by_keyboard_and_labelled(page, drawing_page):
    drawing_page(page)
    reached = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => document.activeElement.id || document.activeElement.innerText"))
    controls = {"predict", "undo", "redo", "clear"}
    assert [name for name in reached if name in controls] == ["predict", "undo", "redo", "clear"]
    assert "See recent drawings in the history →" in reached

    for name in ("Predict", "Undo", "Redo", "Clear the drawing"):
        expect(page.get_by_role("button", name=name)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Drawing area"))).to_be_visible()
    expect(page.get_by_role("status")).to_be_attached()

    # Tabbing onto Predict and pressing Enter clicks it (once).
    sent = predict_requests(page)
    page.locator("#predict").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text("Draw a digit first")
    assert sent == []


def test_a_signed_in_user_predicts_too_csrf_is_sent(
    page, drawing_page, draw_strokes, mnist_test_set, client, django_user_model, live_server
):
    # DRF checks CSRF only for session-authenticated users: sign in, so a missing token would fail.
    user = django_user_model.objects.create_user(username="drawer", password="not-used")
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    drawing_page(page)
    assert any(cookie["name"] == "csrftoken" for cookie in page.context.cookies())
    draw_strokes(page, digit_strokes(a_digit(mnist_test_set, 8)))
    with page.expect_response("**/api/predict") as answer:
        page.locator("#predict").click()
    assert answer.value.status == 201
    assert answer.value.request.header_value("x-csrftoken")
    expect(page.locator("#prediction")).to_have_text("Prediction: 8")
