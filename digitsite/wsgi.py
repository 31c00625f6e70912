"""WSGI entry point, for WSGI servers (`manage.py runserver` uses it; production serves digitsite.asgi,
which runs this same application behind gunicorn's asyncio worker).

Debug is off unless DJANGO_DEBUG=1 (digitsite/settings.py), here as under manage.py: no server shows a
debug page, and settings insist on a real DJANGO_SECRET_KEY. A chunked request body is read when the
server de-chunks it, or refused with a 411 that says why (digitsite.serving.ChunkedBodies).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitsite.settings")

from digitsite.serving import ChunkedBodies, require_secret_key  # noqa: E402  (reads the settings)

require_secret_key()

application = ChunkedBodies(get_wsgi_application())
