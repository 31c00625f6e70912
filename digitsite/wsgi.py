"""WSGI entry point (`gunicorn digitsite.wsgi`).

Debug is off unless DJANGO_DEBUG=1 (digitsite/settings.py), here as under manage.py: gunicorn never
shows a debug page, and settings insist on a real DJANGO_SECRET_KEY.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitsite.settings")

application = get_wsgi_application()
