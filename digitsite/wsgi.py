"""WSGI entry point (`gunicorn digitsite.wsgi`).

A WSGI server is production unless told otherwise: debug defaults to off here, so the debug page never
shows behind gunicorn, and settings then insist on a real DJANGO_SECRET_KEY.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitsite.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")

application = get_wsgi_application()
