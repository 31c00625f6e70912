"""The history page: the drawings made on the site, newest first, with their answers, in pages."""

import re

import numpy as np
from playwright.sync_api import expect

from recognizer import limits, services
from recognizer.limits import HISTORY_PAGE_SIZE
from recognizer.models import Prediction
from tests.browser.drawing import PAD_HEIGHT, digit_strokes, first_of_each_digit, pad_width
from training.evaluation import encode_png
from training.strokes import draw_digit_on_canvas


def test_new_predictions_appear_in_the_history(page, drawing_page, draw_strokes, mnist_test_set, artifacts):
    images, labels = mnist_test_set
    drawing_page(page)
    pad_shape = pad_width(page) / PAD_HEIGHT  # the sent drawing's width / height
    drawn = []
    for image, label in first_of_each_digit(images, labels, per_digit=1)[:3]:  # a 0, a 1, a 2
        page.locator("#clear").click()
        draw_strokes(page, digit_strokes(image))
        page.locator("#predict").click()
        expect(page.locator("#prediction")).to_have_text(f"Prediction: {label}")
        drawn.append((label, page.locator("#probability").inner_text().removeprefix("Probability: ")))

    page.get_by_role("link", name=re.compile("history", re.I)).first.click()
    expect(page).to_have_url(re.compile(r"/history/$"))
    expect(page.get_by_role("heading", name="Recent drawings")).to_be_visible()
    tiles = page.locator(".gallery .tile")
    expect(tiles).to_have_count(3)
    newest_first = list(reversed(drawn))
    assert [t.split()[-1] for t in tiles.locator(".tile__digit").all_inner_texts()] == [
        str(label) for label, _ in newest_first
    ]
    assert [t.split()[-1] for t in tiles.locator(".tile__probability").all_inner_texts()] == [
        probability for _, probability in newest_first
    ]
    stored = list(Prediction.objects.all())  # newest first
    times = tiles.locator("time")
    assert times.all_inner_texts() == [p.created_at.strftime("%-d %b %Y, %H:%M") for p in stored]
    assert times.evaluate_all("ts => ts.map(t => t.dateTime)") == [p.created_at.isoformat() for p in stored]

    # The drawings themselves are shown, as their thumbnails (a few KB each, at most 140 px a side), in
    # the pad's shape.
    drawings = tiles.locator("img.tile__drawing")
    expect(drawings.first).to_be_visible()
    page.wait_for_function("() => [...document.querySelectorAll('img.tile__drawing')].every(i => i.complete)")
    sizes = drawings.evaluate_all("imgs => imgs.map(i => [i.naturalWidth, i.naturalHeight])")
    assert [max(size) for size in sizes] == [limits.THUMBNAIL_SIDE] * 3
    assert all(abs(width / height - pad_shape) < 0.1 for width, height in sizes), (sizes, pad_shape)
    page.screenshot(path=artifacts / "history-desktop.png", full_page=True)

    page.get_by_role("link", name="Draw a digit").click()
    expect(page.locator("#pad")).to_be_visible()


def test_history_is_paginated_newest_first(new_page, live_server, mnist_test_set, artifacts):
    images, labels = mnist_test_set
    rng = np.random.default_rng(4)
    count = HISTORY_PAGE_SIZE + 3
    for image in images[:count]:
        services.record_prediction(image=encode_png(draw_digit_on_canvas(image, rng)), source="web")
    ids = list(Prediction.objects.values_list("id", flat=True))  # newest first

    page = new_page(viewport={"width": 375, "height": 667}, device_scale_factor=2)
    page.goto(live_server.url + "/history/")
    tiles = page.locator(".gallery .tile")
    expect(tiles).to_have_count(HISTORY_PAGE_SIZE)
    expect(page.get_by_text(f"{count} drawings, newest first.")).to_be_visible()
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    shown = [
        int(re.search(r"/predictions/(\d+)/", src)[1])
        for src in tiles.locator("img").evaluate_all("imgs => imgs.map(i => i.getAttribute('src'))")
    ]
    assert shown == ids[:HISTORY_PAGE_SIZE]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.screenshot(path=artifacts / "history-phone.png")

    page.get_by_role("link", name="Older →").click()
    expect(page).to_have_url(re.compile(r"\?page=2$"))
    expect(tiles).to_have_count(3)
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    page.get_by_role("link", name="← Newer").click()
    expect(tiles).to_have_count(HISTORY_PAGE_SIZE)


def test_an_empty_history_invites_a_first_drawing(page, live_server):
    page.goto(live_server.url + "/history/")
    expect(page.get_by_text("No drawings yet.")).to_be_visible()
    page.get_by_role("link", name="Draw the first one").click()
    expect(page.locator("#pad")).to_be_visible()
