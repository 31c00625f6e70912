from django.db import migrations, models
from django.db.models.functions import Cast

BATCH = 1000


def read_as_one_digit(apps, schema_editor):
    """Drawings stored before numbers were read were each read as one digit: say so in the new fields,
    and give each one mark, the whole drawing, so every drawing has its marks."""
    Prediction = apps.get_model("recognizer", "Prediction")
    MarkReading = apps.get_model("recognizer", "MarkReading")
    Prediction.objects.update(
        number=Cast("predicted_digit", models.CharField()), digit_count=1, verdict="digit"
    )
    Prediction.objects.filter(true_label__isnull=False).update(
        true_number=Cast("true_label", models.CharField())
    )
    last = 0
    while True:
        rows = list(
            Prediction.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list(
                "pk",
                "drawing_width",
                "drawing_height",
                "predicted_digit",
                "probability",
                "probabilities",
                "model_input",
            )[:BATCH]
        )
        if not rows:
            break
        MarkReading.objects.bulk_create(
            MarkReading(
                prediction_id=pk,
                position=0,
                box_x=0,
                box_y=0,
                box_width=width,
                box_height=height,
                is_digit=True,
                digit=digit,
                probability=probability,
                probabilities=probabilities,
                not_a_digit_probability=0.0,
                model_input=model_input,
            )
            for pk, width, height, digit, probability, probabilities, model_input in rows
        )
        last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [("recognizer", "0007_reading_numbers")]

    operations = [migrations.RunPython(read_as_one_digit, migrations.RunPython.noop)]
