"""The served entry point (`gunicorn digitsite.asgi`, with gunicorn.conf.py's worker): Django's WSGI
application behind digitsite.serving's ASGI adapter, so that slow clients wait on the event loop, not
on Django.

Debug is off unless DJANGO_DEBUG=1 (digitsite/settings.py), as under manage.py.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitsite.settings")

from digitsite.serving import WsgiBehindAsgi, require_secret_key  # noqa: E402  (reads the settings)

require_secret_key()

application = WsgiBehindAsgi(get_wsgi_application())
