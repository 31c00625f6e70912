import numpy as np
from django.contrib import admin, messages
from django.db.models import Prefetch
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from recognizer import selectors, services
from recognizer.contract import NUM_DIGITS
from recognizer.datasets import IMAGES_NAME, LABELS_NAME, mnist_zip
from recognizer.errors import ModelUnavailable, NoEarlierModel
from recognizer.images import model_input_png, png_data_url
from recognizer.models import Feedback, MarkReading, ModelVersion, Prediction

# No inline style anywhere (the Content-Security-Policy allows none): the look is in admin.css.
ADMIN_CSS = {"all": ["recognizer/admin.css"]}


def image_tag(url, *, size, label):
    # The 28×28 input is drawn with nearest-neighbour scaling so its pixels stay visible (admin.css).
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="{}" class="digit-input">', url, size, size, label
    )


BAR_WIDTH = 240  # px, of a probability of 1


class DigitCountFilter(admin.SimpleListFilter):
    title = "number of digits"
    parameter_name = "digits"

    def lookups(self, request, model_admin):
        counts = model_admin.get_queryset(request).values_list("digit_count", flat=True).distinct()
        return [
            (str(count), "none (not a digit)" if count == 0 else str(count)) for count in sorted(set(counts))
        ]

    def queryset(self, request, queryset):
        if self.value() is not None and self.value().isdigit():
            return queryset.filter(digit_count=int(self.value()))
        return queryset


class MarkReadingInline(admin.TabularInline):
    """Each mark of the drawing, left to right: its 28×28 input and what the model read."""

    model = MarkReading
    extra = 0
    can_delete = False
    fields = ["position", "input_thumbnail", "read_as", "probability_percent", "not_a_digit_percent", "box"]
    readonly_fields = fields
    verbose_name = "mark"
    verbose_name_plural = "Marks, left to right"
    template = "admin/recognizer/marks_inline.html"  # read-only: every column named (accessibility)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="28×28 input")
    def input_thumbnail(self, mark):
        return image_tag(input_data_url(mark), size=56, label=f"28×28 input of mark {mark.position}")

    @admin.display(description="Read as")
    def read_as(self, mark):
        return mark.digit if mark.is_digit else f"not a digit (best guess {mark.digit})"

    @admin.display(description="Probability")
    def probability_percent(self, mark):
        return f"{mark.probability:.2%}"

    @admin.display(description="Not a digit")
    def not_a_digit_percent(self, mark):
        return f"{mark.not_a_digit_probability:.2%}"


def mark_read_as(mark):
    return str(mark.digit) if mark.is_digit else "not a digit"


def input_data_url(mark):
    """A mark's 28×28 input as a data URL: the page needs no request per mark (CSP allows data: images)."""
    return png_data_url(model_input_png(mark.model_input_array))


class FeedbackFilter(admin.SimpleListFilter):
    title = "feedback"
    parameter_name = "feedback"

    def lookups(self, request, model_admin):
        return Feedback.choices

    def queryset(self, request, queryset):
        if self.value() in Feedback.values:
            return queryset.with_feedback(self.value())
        return queryset


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    """Recorded predictions: browsable, read-only; staff with delete permission may delete."""

    list_display = [
        "id",
        "drawing_thumbnail",
        "digit_inputs",
        "answer_read",
        "true_label_mark",
        "probability_percent",
        "model_version",
        "source",
        "created_at",
    ]
    list_display_links = ["id", "drawing_thumbnail"]
    list_filter = [
        "verdict",
        DigitCountFilter,
        FeedbackFilter,
        "true_not_a_digit",
        "predicted_digit",
        "true_label",
        "model_version",
        "source",
        "created_at",
    ]
    show_facets = admin.ShowFacets.ALWAYS  # the filters count: how many non-digits, numbers of each length
    inlines = [MarkReadingInline]
    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over the whole history on every page
    actions = ["export_mnist_dataset"]
    fields = [
        "drawing_large",
        "verdict",
        "number",
        "true_answer",
        "input_large",
        "predicted_digit",
        "probability_percent",
        "probability_bars",
        "true_label",
        "feedback_at",
        "model_version",
        "source",
        "created_at",
        "drawing_size",
    ]
    readonly_fields = fields

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        marks = MarkReading.objects.only("prediction_id", "position", "is_digit", "digit", "model_input")
        return (
            super()
            .get_queryset(request)
            .defer("drawing_png", "thumbnail_png")
            .prefetch_related(Prefetch("marks", queryset=marks))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Read as", ordering="number")
    def answer_read(self, prediction):
        if prediction.number is None:
            return format_html('<span class="verdict verdict--not-a-digit">not a digit</span>')
        return format_html(
            '<span class="verdict verdict--{}">{}</span>', prediction.verdict, prediction.number
        )

    @admin.display(description="Marks read (28×28)")
    def digit_inputs(self, prediction):
        """Each mark's 28×28 input, left to right; what is not a digit is marked so."""
        thumbnails = format_html_join(
            "",
            '<img src="{}" width="28" height="28" alt="{}" title="{}" class="digit-input{}">',
            (
                (input_data_url(mark), read_as, read_as, "" if mark.is_digit else " digit-input--not-digit")
                for mark, read_as in ((mark, mark_read_as(mark)) for mark in prediction.marks_in_order)
            ),
        )
        return format_html('<span class="mark-inputs">{}</span>', thumbnails)

    @admin.display(description="True answer")
    def true_answer(self, prediction):
        return prediction.true_answer or "–"

    @admin.display(description="Drawing")
    def drawing_thumbnail(self, prediction):
        url = reverse("recognizer:thumbnail-png", args=[prediction.pk])
        return format_html(
            '<img src="{}" width="56" height="56" alt="Drawing {}" class="digit-drawing">', url, prediction.pk
        )

    @admin.display(description="Model input")
    def input_thumbnail(self, prediction):
        return image_tag(reverse("recognizer:input-png", args=[prediction.pk]), size=56, label="28×28 input")

    @admin.display(description="True label", ordering="true_label")
    def true_label_mark(self, prediction):
        """The digit the person drew: ✓ when the model read it, ✗ when they corrected it."""
        state = prediction.feedback_state
        if state == Feedback.NONE:
            return "–"
        mark, title = {Feedback.CONFIRMED: ("✓", "Confirmed"), Feedback.CORRECTED: ("✗", "Corrected")}[state]
        return format_html(
            '<span title="{}" class="feedback-mark feedback-mark--{}">{} {}</span>',
            title,
            state.value,
            mark,
            prediction.true_answer,
        )

    @admin.action(description="Export selected as an MNIST dataset (zip of IDX files)", permissions=["view"])
    def export_mnist_dataset(self, request, queryset):
        drawings = selectors.labelled_digits(predictions=queryset)  # a number gives each of its digits
        drawn = len(set(drawings.ids.tolist()))
        exported = f"{len(drawings)} drawings"
        if drawn != len(drawings):
            exported = f"{len(drawings)} digits from {drawn} drawing{'s' if drawn != 1 else ''}"
        skipped = queryset.count() - drawn
        if not len(drawings):
            self.message_user(
                request,
                f"None of the {skipped} selected drawings has feedback (a true label): nothing to export.",
                messages.WARNING,
            )
            return None
        digits = ", ".join(
            f"{digit}: {count}"
            for digit, count in enumerate(np.bincount(drawings.labels, minlength=NUM_DIGITS))
        )
        exported_at = timezone.now()
        readme = (
            f"{exported} from the digit reader, exported {exported_at:%Y-%m-%d %H:%M} UTC.\n"
            f"MNIST's format: {IMAGES_NAME} holds the 28x28 images the model read (white ink on black, "
            f"uint8), {LABELS_NAME} the digits people said they drew.\n"
            f"Images per digit: {digits}.\nPrediction ids, in file order: "
            + " ".join(str(i) for i in drawings.ids)
            + "\n"
        )
        response = HttpResponse(
            mnist_zip(drawings.images, drawings.labels, readme=readme), content_type="application/zip"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="digit-drawings-mnist-{exported_at:%Y%m%d-%H%M%S}.zip"'
        )
        message = f"Exported {exported} with their true labels as an MNIST dataset."
        if skipped:
            message += f" Skipped {skipped} without feedback."
        self.message_user(request, message, messages.SUCCESS if not skipped else messages.WARNING)
        return response

    @admin.display(description="Probability", ordering="probability")
    def probability_percent(self, prediction):
        return f"{prediction.probability:.2%}"

    @admin.display(description="Drawing as received")
    def drawing_large(self, prediction):
        url = reverse("recognizer:drawing-png", args=[prediction.pk])
        return format_html(
            '<img src="{}" width="280" alt="Drawing {}" class="digit-drawing">', url, prediction.pk
        )

    @admin.display(description="What the model read (28×28)")
    def input_large(self, prediction):
        return image_tag(reverse("recognizer:input-png", args=[prediction.pk]), size=280, label="28×28 input")

    @admin.display(description="Size")
    def drawing_size(self, prediction):
        return f"{prediction.drawing_width} × {prediction.drawing_height} px"

    @admin.display(description="Probabilities")
    def probability_bars(self, prediction):
        # Each bar is an SVG rectangle: its width is an attribute, which the CSP allows (a style is not).
        rows = format_html_join(
            "",
            '<div class="probability-row{}"><span class="probability-row__digit">{}</span>'
            '<svg class="probability-row__bar" width="{}" height="12" aria-hidden="true">'
            '<rect class="probability-row__fill" width="{}" height="12"></rect></svg>'
            "<span>{}</span></div>",
            (
                (
                    " probability-row--predicted" if digit == prediction.predicted_digit else "",
                    digit,
                    BAR_WIDTH,
                    f"{value * BAR_WIDTH:.1f}",
                    f"{value:.2%}",
                )
                for digit, value in enumerate(prediction.probabilities)
            ),
        )
        return format_html('<div aria-label="Probabilities of each digit">{}</div>', rows)


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    """The models the site can serve: which one is active, and activating or rolling back another.
    Every worker follows within about a second, with no restart (recognizer.registry)."""

    list_display = [
        "version",
        "is_active",
        "recipe",
        "test_accuracy_percent",
        "created_at",
        "activated_at",
        "previous",
        "source_path",
        "size_bytes",
    ]
    list_filter = ["is_active", "recipe"]
    actions = ["activate", "roll_back"]
    fields = [*list_display, "metrics"]
    readonly_fields = fields

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content").select_related("previous")

    def has_add_permission(self, request):
        return False  # models come from train_model or register_model

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_active  # never the one being served

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset.filter(is_active=False))

    @admin.display(description="Test accuracy", ordering="metrics__test_accuracy")
    def test_accuracy_percent(self, model):
        return "–" if model.test_accuracy is None else f"{model.test_accuracy:.2%}"

    def has_activate_permission(self, request):
        return request.user.has_perm("recognizer.change_modelversion") or request.user.is_superuser

    @admin.action(
        description="Activate the selected model (every worker serves it within a second)",
        permissions=["activate"],
    )
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one model to activate.", messages.WARNING)
            return
        self.report(request, lambda: services.activate_model(version=queryset.get().version), "Activated")

    @admin.action(description="Roll back to the model active before the active one", permissions=["activate"])
    def roll_back(self, request, queryset):
        self.report(request, services.roll_back_model, "Rolled back to")

    def report(self, request, change, done):
        try:
            model = change()
        except (ModelUnavailable, NoEarlierModel) as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        self.message_user(
            request,
            f"{done} model {model.version}: every worker serves it within a second.",
            messages.SUCCESS,
        )
