from django.db import migrations, models


class Migration(migrations.Migration):
    """The rules of the new fields, once 0008 has filled them in for the drawings stored before (in a
    migration of its own: PostgreSQL alters no table in the transaction that wrote rows it refers to)."""

    dependencies = [("recognizer", "0008_drawings_read_as_one_digit")]

    operations = [
        migrations.AddConstraint(
            model_name="prediction",
            constraint=models.CheckConstraint(
                condition=models.Q(("verdict__in", ["digit", "number", "not_a_digit"])),
                name="prediction_verdict_is_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="prediction",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("digit_count", 0), ("number__isnull", True), ("verdict", "not_a_digit")),
                    models.Q(
                        models.Q(("verdict", "not_a_digit"), _negated=True),
                        ("digit_count__gte", 1),
                        ("number__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="prediction_number_read_unless_not_a_digit",
            ),
        ),
        migrations.AddConstraint(
            model_name="prediction",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("true_not_a_digit", False), ("true_number__isnull", True), _connector="OR"
                ),
                name="prediction_feedback_is_a_number_or_not_a_digit",
            ),
        ),
    ]
