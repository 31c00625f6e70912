"""`python manage.py register_model PATH [--activate]`: keep a .tflite in the model registry."""

from django.core.management.base import BaseCommand, CommandError

from recognizer.errors import ModelUnavailable
from recognizer.services import register_model_file


class Command(BaseCommand):
    help = (
        "Register the .tflite at PATH (with the digit_cnn.json beside it: recipe and measured accuracy) "
        "so that every app server sharing the database can serve it; --activate to serve it now."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="a .tflite written by train_model, e.g. ml_models/digit_cnn.tflite")
        parser.add_argument(
            "--activate",
            action="store_true",
            help="make it the model every worker serves (within a second, no restart)",
        )
        parser.add_argument(
            "--activate-if-new",
            action="store_true",
            help="activate it only if this version was never registered (how a release's shipped model "
            "takes over, without undoing a roll back)",
        )

    def handle(self, *args, path, activate, activate_if_new, **options):
        try:
            model = register_model_file(path=path, activate=activate, activate_if_new=activate_if_new)
        except ModelUnavailable as error:
            raise CommandError(error.message) from None
        accuracy = model.test_accuracy
        self.stdout.write(
            f"Registered model {model.version} ({model.recipe or 'recipe not recorded'}"
            + (f", MNIST test accuracy {accuracy:.2%}" if accuracy is not None else "")
            + f") from {model.source_path}"
            + ("; it is active: every worker serves it within a second." if model.is_active else ".")
        )
