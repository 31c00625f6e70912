"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

One browser per test session; each test gets a fresh context (cookies, viewport) and page.
Drawings are real MNIST test digits turned into pen strokes (`training.strokes`) and drawn with
the mouse, or with a finger through Chrome DevTools touch events.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.drawing import interpolate, pad_geometry, touch

# Playwright's sync API keeps an event loop running in the main thread; Django's guard against
# database calls from async code would then refuse the test's own (synchronous) queries.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {
    "viewport": {"width": 375, "height": 667},
    "device_scale_factor": 2,
    "has_touch": True,
    "is_mobile": True,
}
STEPS_PER_SEGMENT = 2  # pointer positions sent from one point of a stroke to the next

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Open pages in fresh browser contexts: `new_page(**context_options)`."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(error))
        return page

    errors = []
    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(new_page):
    """A desktop-sized page (1280×800)."""
    return new_page(viewport={"width": 1280, "height": 800})


@pytest.fixture
def phone_page(new_page):
    """A phone: 375×667 CSS px at 2 device pixels per CSS pixel, touch screen, mobile viewport."""
    return new_page(**PHONE)


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def drawing_page(live_server):
    """Open the drawing page in `page` and wait until its script is ready."""

    def open_drawing_page(page):
        page.goto(live_server.url + "/")
        expect(page.locator("#pad")).to_be_visible()
        return page

    return open_drawing_page


@pytest.fixture
def draw_strokes():
    """Draw strokes (lists of (x, y) in pad units) with the mouse, one press per stroke."""

    def draw(page, strokes):
        left, top, scale = pad_geometry(page)
        for stroke in strokes:
            x, y = stroke[0]
            page.mouse.move(left + x * scale, top + y * scale)
            page.mouse.down()
            for x, y in stroke[1:]:
                page.mouse.move(left + x * scale, top + y * scale, steps=STEPS_PER_SEGMENT)
            page.mouse.up()

    return draw


@pytest.fixture
def touch_strokes():
    """Draw strokes (in pad units) with one finger: real touchStart/touchMove/touchEnd events through
    DevTools."""

    def draw(page, strokes):
        left, top, scale = pad_geometry(page)
        session = page.context.new_cdp_session(page)
        try:
            for stroke in strokes:
                path = [
                    (left + x * scale, top + y * scale)
                    for x, y in interpolate(stroke, steps=STEPS_PER_SEGMENT)
                ]
                touch(session, "touchStart", path[0])
                for point in path[1:]:
                    touch(session, "touchMove", point)
                session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        finally:
            session.detach()

    return draw
