"""System checks of the site's own settings (`manage.py check`, runserver, `check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def secret_key_is_set(app_configs, **kwargs):
    """With debug off, a real DJANGO_SECRET_KEY (digitsite/settings.py: MISSING_SECRET_KEY)."""
    if settings.MISSING_SECRET_KEY:
        return [Error(settings.MISSING_SECRET_KEY, id="digitsite.E001")]
    return []
