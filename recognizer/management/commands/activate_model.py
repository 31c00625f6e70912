"""`python manage.py activate_model VERSION | --roll-back`: choose the model every worker serves."""

from django.core.management.base import BaseCommand, CommandError

from recognizer.errors import ModelNotRegistered, ModelUnavailable, NoEarlierModel
from recognizer.selectors import list_model_versions
from recognizer.services import activate_model, roll_back_model


class Command(BaseCommand):
    help = (
        "Make the registered model VERSION the one every worker on every app server serves (within a "
        "second, no restart), or with --roll-back the one active before the active one. Without either, "
        "list the registered models."
    )

    def add_arguments(self, parser):
        choice = parser.add_mutually_exclusive_group()
        choice.add_argument("version", nargs="?", help="a registered model's version (see the list)")
        choice.add_argument(
            "--roll-back", action="store_true", help="activate the model that was active before this one"
        )

    def handle(self, *args, version, roll_back, **options):
        if not version and not roll_back:
            self.list_models()
            return
        try:
            model = roll_back_model() if roll_back else activate_model(version=version)
        except (ModelNotRegistered, ModelUnavailable, NoEarlierModel) as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Model {model.version} is active: every worker serves it within a second."
            + (f" (Roll back to {model.previous.version} with --roll-back.)" if model.previous else "")
        )

    def list_models(self):
        models = list(list_model_versions())
        if not models:
            self.stdout.write(
                "No model is registered yet: the site registers DIGIT_MODEL_PATH when it starts."
            )
        for model in models:
            accuracy = "" if model.test_accuracy is None else f"  MNIST test {model.test_accuracy:.2%}"
            active = "  ACTIVE" if model.is_active else ""
            self.stdout.write(
                f"{model.version}  {model.recipe or '-':8}  registered {model.created_at:%Y-%m-%d %H:%M}"
                f"{accuracy}{active}  {model.source_path}"
            )
