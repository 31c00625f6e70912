"""Settings for the digit recognition site, read from the environment with django-environ.

Debug is off unless DJANGO_DEBUG=1, whatever the entry point (manage.py, gunicorn, a test runner):
`make run` sets it for development. With debug off a real DJANGO_SECRET_KEY is required. An empty
variable counts as unset (DJANGO_SECURE= keeps HTTPS hardening on). README.md lists every variable.
"""

import ipaddress
import re
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from recognizer import limits

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.ENVIRON = {name: value for name, value in env.ENVIRON.items() if value.strip()}


def whole_number(name, *, default):
    """env.int, with a message that names the variable when it is not a whole number."""
    try:
        return env.int(name, default=default)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {env.str(name)!r}.") from None


def positive_number(name, *, default):
    """env.float, with a message that names the variable when it is not a number above 0."""
    try:
        value = env.float(name, default=default)
    except ValueError:
        value = None
    if value is None or not value > 0:
        raise ImproperlyConfigured(f"{name} must be a number of seconds above 0, not {env.str(name)!r}.")
    return float(value)


def networks(name):
    """Comma-separated addresses or networks (10.0.0.0/8, 2001:db8::/32, 192.0.2.7) as ip_networks."""
    parsed = []
    for item in filter(None, (part.strip() for part in env.str(name, default="").split(","))):
        try:
            parsed.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must be comma-separated addresses or networks such as 10.0.0.0/8, not {item!r}."
            ) from None
    return parsed


def request_rate(name, *, default):
    """A request rate such as "120/min" (per s, min, hour or day); "off" for no limit (None)."""
    value = env.str(name, default=default).strip()
    if value.lower() == "off":
        return None
    if not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(
            f"{name} must be a number of requests per s, min, hour or day, e.g. 120/min, or off; "
            f"not {value!r}."
        )
    return value


DEBUG = env.bool("DJANGO_DEBUG", default=False)

DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-never-used-with-debug-off"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
elif SECRET_KEY == DEVELOPMENT_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is the development key, which is public: set a real one.")

# Without a key (debug off) a command's --help still answers, and nothing signs with an empty key: the
# system checks (manage.py check, runserver, check --deploy) and the servers stop with this reason.
MISSING_SECRET_KEY = (
    ""
    if SECRET_KEY
    else "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off, e.g. "
    "DJANGO_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))'); "
    "for development, set DJANGO_DEBUG=1 instead (make run does)."
)

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS: on whenever debug is off, unless DJANGO_SECURE=0 (plain HTTP, e.g. gunicorn on localhost).
SECURE = env.bool("DJANGO_SECURE", default=not DEBUG)
if "DJANGO_SECURE" in env and not SECURE:
    # Said explicitly: this site is served over plain HTTP (localhost, or a TLS proxy that is not
    # trusted with DJANGO_NUM_PROXIES), so HTTPS is not Django's job and `check --deploy` should not
    # warn about it: HSTS (W004), the HTTPS redirect (W008) and secure cookies (W012, W016). Every
    # other deployment check stays on; with DJANGO_SECURE on or unset nothing is silenced.
    SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008", "security.W012", "security.W016"]
SECURE_SSL_REDIRECT = SECURE
SECURE_REDIRECT_EXEMPT = [r"^api/health$", r"^metrics$"]  # load balancers and scrapers use plain HTTP
SECURE_HSTS_SECONDS = whole_number("DJANGO_HSTS_SECONDS", default=365 * 24 * 3600) if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
# Whatever the transport: no MIME sniffing, no framing, no full URLs in Referer to other sites.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Reverse proxies in front of the site (nginx, a load balancer) that set X-Forwarded-Proto and
# X-Forwarded-For. With the default 0 neither header is believed, so a client cannot fake HTTPS or
# dodge the throttle with a made-up address.
NUM_PROXIES = whole_number("DJANGO_NUM_PROXIES", default=0)
if NUM_PROXIES > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by the site itself (no CDN)
    "axes",  # admin login lockout, in tables of its own
    "recognizer",
]

MIDDLEWARE = [
    "recognizer.metrics.MetricsMiddleware",  # first: counts and times the whole stack
    "django.middleware.security.SecurityMiddleware",
    "digitsite.content_security_policy.CSPMiddleware",  # django-csp's, the header built once
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "digitsite.messages.LazyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out login
]

ROOT_URLCONF = "digitsite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "digitsite.wsgi.application"

# Database: SQLite by default; DATABASE_URL=postgres://... for a deployment of many app servers.
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; IMMEDIATE takes the write lock when a transaction
    # starts, so two workers wait on the busy timeout instead of failing with "database is locked".
    # Each worker keeps its connection: opening one per request syncs a new WAL on the first write and
    # checkpoints it (more fsyncs) when the connection closes, which cost ~15 ms a request.
    DATABASES["default"]["CONN_MAX_AGE"] = None
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: it holds the throttle's counts. Without DJANGO_CACHE_URL it is in memory, so each worker counts
# for itself; DJANGO_CACHE_URL=redis://host:6379/0 shares the counts between all workers and servers.
CACHE_URL = env.str("DJANGO_CACHE_URL", default="").strip()
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"DJANGO_CACHE_URL must be a Redis URL such as redis://127.0.0.1:6379/0, not {CACHE_URL!r}."
        )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "digitsite",
            # A Redis that is down or slow must not hold up drawings: the throttle lets them through.
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }

# A database with less than this free on its disk is reported full by the health check (SQLite).
DATABASE_MIN_FREE_BYTES = (
    whole_number("DJANGO_DB_MIN_FREE_MB", default=limits.DATABASE_MIN_FREE_MB) * limits.MB
)

# Admin login lockout (django-axes): after DJANGO_LOGIN_FAILURE_LIMIT failures for one user name, or
# from one client address (the throttle's rule, recognizer.clients), logins are refused with a 429 for
# DJANGO_LOGIN_COOLOFF_MINUTES; `manage.py axes_reset` lifts every lockout. A locked-out attempt never
# reaches the password hasher.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out user or address
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = whole_number("DJANGO_LOGIN_FAILURE_LIMIT", default=limits.LOGIN_FAILURE_LIMIT)
AXES_COOLOFF_TIME = timedelta(
    minutes=whole_number("DJANGO_LOGIN_COOLOFF_MINUTES", default=limits.LOGIN_COOLOFF_MINUTES)
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # counted apart: per user, and per address
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # record failures only, not every successful login
AXES_CLIENT_IP_CALLABLE = "recognizer.clients.client_address"
AXES_LOCKOUT_CALLABLE = "recognizer.clients.lockout_response"
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# In development WhiteNoise serves static/ as it is, with no collectstatic. Decided here, when the
# settings load, not from DEBUG at the first request (a test runner turns DEBUG off by then).
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG

# The model the site serves (written by `manage.py train_model`).
MODEL_PATH = Path(env.str("DIGIT_MODEL_PATH", default=str(BASE_DIR / "ml_models" / "digit_cnn.tflite")))

# Where MNIST's IDX files are, for training and evaluation.
MNIST_DIR = env.str("MNIST_DIR", default="")

# Requests: a drawing is a few KB; these limits keep hostile bodies cheap (recognizer/limits.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = limits.MAX_REQUEST_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
# Slow clients (digitsite.serving): headers and body must arrive within these, else a JSON 408.
REQUEST_HEADER_SECONDS = positive_number(
    "DJANGO_REQUEST_HEADER_SECONDS", default=limits.REQUEST_HEADER_SECONDS
)
REQUEST_BODY_SECONDS = positive_number("DJANGO_REQUEST_BODY_SECONDS", default=limits.REQUEST_BODY_SECONDS)

# /metrics answers staff, and clients whose address (recognizer.clients' rule) is in these networks.
METRICS_ALLOWED_NETWORKS = networks("DJANGO_METRICS_ALLOWED_NETWORKS")

# Headers on every response: a Content-Security-Policy with no inline script or style anywhere (the
# pages, the admin, the API docs), and a Permissions-Policy that turns off what the site never uses.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # the 28×28 model input comes as a data URL, as do Swagger UI's icons
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["recognizer.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "recognizer.negotiation.JSONWhenNothingElseFits",
    "DEFAULT_AUTHENTICATION_CLASSES": ["recognizer.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": limits.API_PAGE_SIZE,
    "EXCEPTION_HANDLER": "recognizer.exceptions.api_exception_handler",
    # POST /api/predict per client address (recognizer.throttles); generous: people draw, bursts are bots.
    # POST /api/read has its own count, higher: the page reads the drawing after each stroke.
    "DEFAULT_THROTTLE_RATES": {
        "predict": request_rate("DJANGO_PREDICT_THROTTLE_RATE", default=limits.PREDICT_RATE),
        "read": request_rate("DJANGO_READ_THROTTLE_RATE", default=limits.READ_RATE),
    },
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Digit recognition API",
    "DESCRIPTION": "Send a drawing of a digit; get the digit the CNN reads, with its probabilities.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No deep links: Swagger UI would put each operation's path, a link, inside the button that opens
    # it (a control inside a control, which assistive technology cannot reach).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
}

# Logging: everything to stderr, where gunicorn, systemd and containers collect it. (Django's default
# prints nothing with debug off: request errors go only to mail_admins, so a 500 would leave no trace.)
LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name} [pid {process}] {message}", "style": "{"}
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "plain"}
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "axes": {"level": "WARNING"},  # lockouts; not a line for every login
    },
}
