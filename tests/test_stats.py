"""The statistics: per day, per digit, accuracy on feedback and the confusion matrix, per model version."""

import re
from datetime import UTC, date, datetime

import pytest

from recognizer import selectors
from recognizer.models import MarkReading, Prediction

pytestmark = pytest.mark.django_db

OLD, NEW = "aaaaaaaaaaaa", "bbbbbbbbbbbb"
# (model version, created at (UTC), predicted digit, true label or None)
ROWS = [
    (OLD, "2026-03-01 10:00", 3, 3),
    (OLD, "2026-03-01 23:59", 3, 8),
    (OLD, "2026-03-03 00:00", 5, None),
    (NEW, "2026-03-03 12:00", 1, 1),
    (NEW, "2026-03-04 08:00", 7, 1),
    (NEW, "2026-03-04 09:00", 7, 7),
    (NEW, "2026-03-04 10:00", 7, None),
    (NEW, "2026-03-04 11:00", 0, 6),
    (NEW, "2026-03-04 12:00", 2, 2),
]


@pytest.fixture
def known_rows():
    rows = Prediction.objects.bulk_create(
        [
            Prediction(
                model_version=version,
                created_at=datetime.strptime(created, "%Y-%m-%d %H:%M").replace(tzinfo=UTC),
                predicted_digit=digit,
                number=str(digit),
                true_label=label,
                true_number=None if label is None else str(label),
                feedback_at=None if label is None else datetime(2026, 3, 5, tzinfo=UTC),
                probability=0.9,
                probabilities=[0.01] * 10,
                model_input=bytes(784),
                drawing_png=b"",
                drawing_width=280,
                drawing_height=280,
            )
            for version, created, digit, label in ROWS
        ]
    )
    MarkReading.objects.bulk_create(  # each drawing one digit, its mark
        MarkReading(
            prediction=row,
            position=0,
            box_x=0,
            box_y=0,
            box_width=280,
            box_height=280,
            is_digit=True,
            digit=row.predicted_digit,
            probability=0.9,
            probabilities=[0.01] * 10,
            not_a_digit_probability=0.0,
            model_input=bytes(784),
        )
        for row in rows
    )


def matrix_with(*cells):
    matrix = [[0] * 10 for _ in range(10)]
    for true_digit, predicted_digit, count in cells:
        matrix[true_digit][predicted_digit] = count
    return matrix


def test_predictions_per_day_fill_the_days_between(known_rows):
    assert selectors.predictions_per_day(model_version=OLD) == [
        (date(2026, 3, 1), 2),
        (date(2026, 3, 2), 0),
        (date(2026, 3, 3), 1),
    ]
    assert selectors.predictions_per_day(model_version=NEW) == [(date(2026, 3, 3), 1), (date(2026, 3, 4), 5)]
    assert selectors.predictions_per_day() == [
        (date(2026, 3, 1), 2),
        (date(2026, 3, 2), 0),
        (date(2026, 3, 3), 2),
        (date(2026, 3, 4), 5),
    ]
    assert selectors.predictions_per_day(model_version="cccccccccccc") == []


def test_predictions_per_digit(known_rows):
    assert selectors.predictions_per_digit(model_version=OLD) == [0, 0, 0, 2, 0, 1, 0, 0, 0, 0]
    assert selectors.predictions_per_digit(model_version=NEW) == [1, 1, 1, 0, 0, 0, 0, 3, 0, 0]
    assert selectors.predictions_per_digit() == [1, 1, 1, 2, 0, 1, 0, 3, 0, 0]


def test_accuracy_is_confirmed_over_drawings_with_feedback(known_rows):
    old, new, both = (selectors.feedback_accuracy(model_version=version) for version in (OLD, NEW, None))
    assert (old.confirmed, old.corrected, old.accuracy) == (1, 1, 0.5)
    assert (new.confirmed, new.corrected, new.accuracy) == (3, 2, 0.6)
    assert (both.confirmed, both.corrected, both.with_feedback) == (4, 3, 7)
    assert both.accuracy == pytest.approx(4 / 7)
    assert selectors.feedback_accuracy(model_version="cccccccccccc").accuracy is None


def test_confusion_matrix_rows_true_columns_predicted(known_rows):
    assert selectors.confusion_matrix(model_version=OLD) == matrix_with((3, 3, 1), (8, 3, 1))
    assert selectors.confusion_matrix(model_version=NEW) == matrix_with(
        (1, 1, 1), (1, 7, 1), (7, 7, 1), (6, 0, 1), (2, 2, 1)
    )
    assert selectors.confusion_matrix() == matrix_with(
        (3, 3, 1), (8, 3, 1), (1, 1, 1), (1, 7, 1), (7, 7, 1), (6, 0, 1), (2, 2, 1)
    )


def test_model_versions_most_recently_used_first(known_rows):
    versions = selectors.model_versions()
    assert [(v.version, v.predictions) for v in versions] == [(NEW, 6), (OLD, 3)]
    assert versions[1].first == datetime(2026, 3, 1, 10, tzinfo=UTC)


def cells(html, table_id):
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def test_stats_page_shows_the_latest_version_by_default_with_charts_and_tables(client, known_rows):
    response = client.get("/stats/")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["version"] == NEW
    assert f'<option value="{NEW}" selected>' in html and f'<option value="{OLD}">' in html
    assert '<a href="/stats/" aria-current="page">Stats</a>' in html

    assert cells(html, "accuracy-table") == [
        ["Confirmed (model right)", "3"],
        ["Corrected (model wrong)", "2"],
        ["With feedback", "5"],
        ["Accuracy", "60.00%"],
    ]
    assert cells(html, "per-day-table")[1:] == [
        ["Wed 4 Mar 2026", "5"],
        ["Tue 3 Mar 2026", "1"],
        ["Total", "6"],
    ]
    assert cells(html, "per-digit-table")[1] == ["Digits", "1", "1", "1", "0", "0", "0", "0", "3", "0", "0"]
    confusion = cells(html, "confusion-table")
    assert confusion[2] == [
        "1",
        "0",
        "1",
        "0",
        "0",
        "0",
        "0",
        "0",
        "1",
        "0",
        "0",
        "2",
        "50%",
    ]  # drawn 1: read 1 and 7
    assert confusion[7] == ["6", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "1", "0%"]
    assert confusion[4] == ["3", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "–"]

    # Charts are inline SVG: a bar per day and per digit, a cell per (true, predicted); nothing from
    # elsewhere.
    assert html.count('class="chart__bar"') == 2 + 10
    assert html.count('class="chart__cell"') == 100
    assert "<title>drawn 1, read 7: 1</title>" in html
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', html)


def test_stats_page_for_another_version_all_versions_and_an_unknown_one(client, known_rows):
    old = client.get("/stats/", {"version": OLD})
    assert old.context["stats"].feedback.accuracy == 0.5
    assert cells(old.content.decode(), "per-day-table")[1:] == [
        ["Tue 3 Mar 2026", "1"],
        ["Mon 2 Mar 2026", "0"],
        ["Sun 1 Mar 2026", "2"],
        ["Total", "3"],
    ]
    both = client.get("/stats/", {"version": "all"})
    assert both.context["version"] is None and both.context["stats"].total == 9
    assert '<option value="all" selected>' in both.content.decode()
    assert client.get("/stats/", {"version": "nope"}).status_code == 404


def test_stats_page_without_predictions(client):
    response = client.get("/stats/")
    assert response.status_code == 200
    assert "No predictions yet." in response.content.decode()
