"""How the pages show their numbers: the statistics page's percentages, table rows and chart geometry
(recognizer.charts) from a selectors.PredictionStats, and one drawing's marks and bars. The views pick
what to show; this module shapes the page."""

from recognizer import charts, limits
from recognizer.contract import DIGITS
from recognizer.images import model_input_png, png_data_url
from recognizer.models import Feedback, Verdict


def percent(part, whole):
    """part / whole as a percentage, None when there is no whole."""
    return part / whole * 100 if whole else None


def confusion_rows(matrix):
    """One row per drawn digit: its counts by digit read, their total and the share read right."""
    return [
        {"digit": digit, "counts": row, "total": sum(row), "accuracy": percent(row[digit], sum(row))}
        for digit, row in enumerate(matrix)
    ]


def stats_context(stats, *, days_shown=limits.STATS_DAYS):
    """The template context for `stats` (a selectors.PredictionStats): its numbers as the page shows them."""
    per_day = stats.per_day[-days_shown:]
    feedback = stats.feedback
    return {
        "stats": stats,
        "per_day": per_day,
        "per_day_total": sum(count for _, count in per_day),
        "days_shown": days_shown,
        "day_chart": charts.bar_chart(
            [count for _, count in per_day], [day.strftime("%-d %b") for day, _ in per_day]
        ),
        "digit_chart": charts.bar_chart(stats.per_digit, DIGITS, width=360),
        "per_digit": list(enumerate(stats.per_digit)),
        "accuracy_percent": None if feedback.accuracy is None else feedback.accuracy * 100,
        "confirmed_share": percent(feedback.confirmed, feedback.with_feedback) or 0,
        "heatmap": charts.confusion_heatmap(stats.confusion_matrix),
        "confusion_rows": confusion_rows(stats.confusion_matrix),
        "column_totals": [sum(column) for column in zip(*stats.confusion_matrix)],
        "matrix_total": sum(map(sum, stats.confusion_matrix)),
        "verdict_rows": [
            {"verdict": verdict, "count": count, "percent": percent(count, stats.total)}
            for verdict, count in stats.per_verdict
        ],
        "number_accuracy_percent": percent(stats.numbers.numbers_right, stats.numbers.numbers),
        "digit_accuracy_percent": percent(stats.numbers.digits_right, stats.numbers.digits),
    }


BAR_WIDTH = 160  # px of a probability of 1, in a mark's probability bars


def mark_context(mark):
    """One stored mark as the drawing's page shows it: its input, what it was read as, its bars."""
    return {
        "mark": mark,
        "input_url": png_data_url(model_input_png(mark.model_input_array)),
        "percent": mark.probability * 100,
        "not_a_digit_percent": mark.not_a_digit_probability * 100,
        "bars": [
            {
                "digit": digit,
                "width": round(value * BAR_WIDTH, 1),
                "percent": value * 100,
                "top": digit == mark.digit,
            }
            for digit, value in enumerate(mark.probabilities)
        ],
    }


def prediction_context(prediction):
    """The template context of one drawing's page (a Prediction with its marks)."""
    return {
        "prediction": prediction,
        "percent": prediction.probability * 100,
        "marks": [mark_context(mark) for mark in prediction.marks_in_order],
        "bar_width": BAR_WIDTH,
        "feedback": Feedback,
        "verdicts": Verdict,
    }
