"""Retention: `manage.py prune_predictions --older-than DAYS [--dry-run]` deletes old drawings in batches."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recognizer.models import Prediction

pytestmark = pytest.mark.django_db


def stored(age_days):
    return Prediction.objects.create(
        created_at=timezone.now() - timedelta(days=age_days),
        drawing_png=b"\x89PNG",
        drawing_width=280,
        drawing_height=280,
        model_input=bytes(784),
        predicted_digit=age_days % 10,
        number=str(age_days % 10),
        probability=0.9,
        probabilities=[0.01] * 9 + [0.91],
        model_version="test",
    )


@pytest.fixture
def history():
    """Drawings aged 1, 10, 29, 31, 45 and 400 days."""
    return {age: stored(age).pk for age in (1, 10, 29, 31, 45, 400)}


def prune(*arguments):
    out = StringIO()
    call_command("prune_predictions", *arguments, stdout=out)
    return out.getvalue()


def remaining_ages(history):
    kept = set(Prediction.objects.values_list("pk", flat=True))
    return sorted(age for age, pk in history.items() if pk in kept)


def test_deletes_only_what_is_older_than_the_given_days(history):
    output = prune("--older-than", "30")
    assert remaining_ages(history) == [1, 10, 29]
    assert "Deleted 3 drawings older than 30 days (created before " in output and "in 1 batch." in output


def test_dry_run_counts_and_deletes_nothing(history):
    output = prune("--older-than", "30", "--dry-run")
    assert remaining_ages(history) == [1, 10, 29, 31, 45, 400]
    assert output.startswith("Dry run: 3 drawings older than 30 days")
    assert "would be deleted; nothing was deleted." in output


def test_deletes_in_batches_oldest_first(history):
    with CaptureQueriesContext(connection) as queries:
        output = prune("--older-than", "5", "--batch-size", "2")
    deletes = [
        query["sql"]
        for query in queries
        if query["sql"].lstrip().upper().startswith('DELETE FROM "RECOGNIZER_PREDICTION"')
    ]  # each with its marks
    assert len(deletes) == 3  # 5 old drawings, 2 per batch: 2 + 2 + 1
    assert remaining_ages(history) == [1]
    assert output.splitlines()[:3] == [
        "  batch 1: deleted 2 (2 so far)",
        "  batch 2: deleted 2 (4 so far)",
        "  batch 3: deleted 1 (5 so far)",
    ]
    assert "Deleted 5 drawings older than 5 days" in output and "in 3 batches." in output


def test_a_batch_takes_the_oldest(history):
    from recognizer.services import prune_predictions

    deleted_first = []
    prune_predictions(
        older_than=timedelta(days=5),
        batch_size=2,
        on_batch=lambda batch, count, total: deleted_first.append(remaining_ages(history)),
    )
    assert deleted_first[0] == [1, 10, 29, 31]  # 400 and 45 went first


def test_nothing_to_delete_is_said_plainly(history):
    output = prune("--older-than", "1000")
    assert output.startswith("No drawings older than 1000 days") and "nothing to delete" in output
    assert Prediction.objects.count() == 6


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--older-than", "0"], "--older-than must be at least 1 day"),
        (["--older-than", "-3"], "--older-than must be at least 1 day"),
        (["--older-than", "30", "--batch-size", "0"], "--batch-size must be at least 1"),
        (["--older-than", "thirty"], "invalid int value"),
        ([], "the following arguments are required: --older-than"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_deleted(history, arguments, message):
    with pytest.raises(CommandError, match=message):
        prune(*arguments)
    assert Prediction.objects.count() == 6
