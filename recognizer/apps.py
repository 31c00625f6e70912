from django.apps import AppConfig


class RecognizerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recognizer"
    verbose_name = "Digit recognizer"

    def ready(self):
        from recognizer import checks  # noqa: F401  (registers them)
