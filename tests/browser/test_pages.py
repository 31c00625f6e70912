"""Every page loads whole from the site itself: no CDN, no request to another host, nothing missing."""

from urllib.parse import urljoin, urlsplit

import numpy as np
import pytest
from django.contrib.auth import get_user_model

from recognizer import services
from training.evaluation import encode_png
from training.strokes import draw_digit_on_canvas

PAGES = ["/", "/history/", "/stats/", "/api/docs/", "/admin/login/", "/admin/recognizer/prediction/"]


@pytest.fixture
def predictions_with_feedback(mnist_test_set):
    """Three stored drawings, two with feedback, so the history shows images and the stats draw charts."""
    images, labels = mnist_test_set
    rng = np.random.default_rng(9)
    predictions = [
        services.record_prediction(image=encode_png(draw_digit_on_canvas(image, rng))) for image in images[:3]
    ]
    for prediction, label in zip(predictions[:2], labels[:2]):
        services.record_feedback(
            prediction_id=prediction.id, label=int(label), token=prediction.feedback_token
        )


@pytest.mark.parametrize("path", PAGES)
def test_a_page_loads_everything_from_the_site_itself(path, page, live_server, predictions_with_feedback):
    if path.startswith("/admin/recognizer/"):
        get_user_model().objects.create_superuser("staff", password="drawing-digits-42")
        page.goto(live_server.url + "/admin/login/")
        page.get_by_label("Username").fill("staff")
        page.get_by_label("Password").fill("drawing-digits-42")
        page.get_by_role("button", name="Log in").click()
    requests, failures = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on(
        "response",
        lambda response: failures.append((response.status, response.url)) if response.status >= 400 else None,
    )

    page.goto(live_server.url + path, wait_until="networkidle")

    site = urlsplit(live_server.url).netloc
    elsewhere = [
        url
        for url in requests
        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != site
    ]
    assert not elsewhere, f"{path} asked other hosts for {elsewhere}"
    assert not failures, f"{path} had failed requests: {failures}"
    icons = page.locator("link[rel~=icon]")
    assert icons.count(), f"{path} links no icon"  # else the browser asks for /favicon.ico on its own
    assert page.request.get(urljoin(page.url, icons.first.get_attribute("href"))).ok
    assert len(requests) > 1  # the page and its assets were seen, so the checks above checked something


def test_favicon_ico_leads_to_the_sites_icon(page, live_server):
    response = page.request.get(live_server.url + "/favicon.ico")
    assert response.ok and response.url.endswith("/recognizer/favicon.svg")
    assert response.headers["content-type"].startswith("image/svg+xml")
