"""Settings for the Diarization Portal, read from environment variables.

Development defaults need no other process: a SQLite file under ``var/`` and the django-q2 ORM
broker. Production sets ``DATABASE_URL`` (PostgreSQL), ``REDIS_URL`` (django-q2 Redis broker),
``SECRET_KEY``, ``DEBUG=False`` and ``ALLOWED_HOSTS``; with ``DEBUG`` off, HTTPS is the default
(redirect, secure cookies, HSTS). Every variable is listed in the README's configuration table.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    """Read a boolean variable: "1", "true", "yes", "on" (any case) are true."""
    return os.getenv(name, default).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    """Read an integer variable, failing loudly on a non-integer value."""
    raw = os.getenv(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def envlist(name: str, default: str) -> list[str]:
    """Read a comma-separated list, ignoring blanks."""
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


def envheader(name: str) -> tuple[str, str] | None:
    """Read the proxy's HTTPS header for ``SECURE_PROXY_SSL_HEADER``: ``HTTP_X_FORWARDED_PROTO``
    (meaning ``https``) or ``HTTP_X_FORWARDED_SSL,on`` (header, value); blank is none."""
    raw = os.getenv(name, "").strip()
    if not raw:
        return None
    header, _, value = (part.strip() for part in raw.partition(","))
    if not header.startswith("HTTP_"):
        raise ImproperlyConfigured(
            f"{name} names a request header as Django sees it, e.g. HTTP_X_FORWARDED_PROTO; "
            f"got {raw!r}"
        )
    return header, value or "https"


DEBUG = envbool("DEBUG", "True")
SECRET_KEY = os.getenv("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

VAR_DIR = Path(os.getenv("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.getenv("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'portal.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a qcluster worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "axes",
    "diarization_portal.workspaces",
    "diarization_portal.conversations",
    "diarization_portal.sync",
    "diarization_portal.dashboard",
    "diarization_portal.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which reads the whole body to find the form's token.
    "diarization_portal.uploads.ImportSizeLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a login refused during a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out login before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "diarization_portal.urls"
WSGI_APPLICATION = "diarization_portal.wsgi.application"

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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# A form sent back without a valid CSRF token: a 403 page in the portal's layout.
CSRF_FAILURE_VIEW = "diarization_portal.errors.csrf_failure"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"

# Reverse proxies in front of gunicorn that append to X-Forwarded-For; 0 reads REMOTE_ADDR only.
# The login limits and the API throttle count per address read this way
# (diarization_portal.security.client).
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")

# Login limits (django-axes, recorded in the database): LOGIN_FAILURE_LIMIT failed logins for
# one username, or from one address whatever the usernames, block logging in (the right
# password too, the admin's login too) for LOGIN_COOLOFF_MINUTES; a failure during the block
# starts it again.
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "diarization_portal.security.client.client_address"
AXES_LOCKOUT_CALLABLE = "diarization_portal.security.lockout.lockout_response"
AXES_VERBOSE = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.getenv("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
# Request bodies other than files: 50 MB covers a 4 h Symbl JSON with words sent as JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 50 * 1024 * 1024)
# Uploaded files up to this size stay in memory, larger ones go to a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = envint("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
# Transcript file imports (dashboard and API): larger files are refused with a 413; files
# larger than IMPORT_BACKGROUND_BYTES are imported by a background task the user watches.
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", 128 * 1024 * 1024)
IMPORT_BACKGROUND_BYTES = envint("IMPORT_BACKGROUND_BYTES", 5 * 1024 * 1024)
# Vendor webhook bodies over this size are refused with a 413 before they are read.
WEBHOOK_MAX_BODY_BYTES = envint("WEBHOOK_MAX_BODY_BYTES", 10 * 1024 * 1024)

# Absolute URL vendors reach the portal at (webhooks); blank = no webhooks, polling only.
PUBLIC_BASE_URL = os.getenv("PUBLIC_BASE_URL", "").rstrip("/")
# Hosts a provider account's base URL may name beyond the vendors' public HTTPS hosts (names
# or IP literals, comma-separated): a self-hosted Phonexia server, a proxy. Requests to them
# may use http and skip the check that refuses loopback, private and metadata addresses.
VENDOR_EXTRA_HOSTS = envlist("VENDOR_EXTRA_HOSTS", "")

# REST API under /api/v1/ (conventions: diarization_portal/api/__init__.py).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "diarization_portal.api.authentication.ApiKeyAuthentication",
        "diarization_portal.api.authentication.ShareLinkAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["diarization_portal.api.permissions.MemberOrShareLink"],
    "DEFAULT_THROTTLE_CLASSES": ["diarization_portal.api.throttling.ApiKeyRateThrottle"],
    # Requests per API key (per user for session calls); "N/second|minute|hour|day".
    # Failed API key authentications per client address; then 429 before any key is checked.
    "DEFAULT_THROTTLE_RATES": {
        "api": os.getenv("API_THROTTLE_RATE", "600/minute"),
        "api_auth_failure": os.getenv("API_AUTH_FAILURE_RATE", "30/minute"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "diarization_portal.api.pagination.LimitOffsetPage",
    "EXCEPTION_HANDLER": "diarization_portal.api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "diarization_portal.api.schema.ApiAutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Diarization Portal API",
    "DESCRIPTION": (
        "Conversations, members (speakers), messages and insights, shaped like Symbl's "
        "Conversation API: point a Symbl integration at `/api/v1` with a portal API key. "
        "Errors: `{type, message, errors: [{loc, msg}]}`."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The vendors of provider accounts (every vendor but file imports) in several components.
    "ENUM_NAME_OVERRIDES": {"AccountVendorEnum": "diarization_portal.sync.models.ACCOUNT_VENDORS"},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Content-Security-Policy on every response (django-csp): scripts, styles, fonts and media only
# from the portal itself, no inline script or style, no plugins, no framing, forms posted
# only to the portal. Images may also be data: URLs (Swagger UI's icons). The pages carry no
# inline script, style attribute or event handler attribute; their JavaScript is in static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "media-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

REDIS_URL = os.getenv("REDIS_URL", "")
Q_CLUSTER = {
    # The queue's name: portals that share one Redis server need different names.
    "name": os.getenv("Q_CLUSTER_NAME", "diarization-portal"),
    "workers": envint("Q_WORKERS", 2),
    "timeout": envint("Q_TIMEOUT", 300),
    "retry": envint("Q_TIMEOUT", 300) + 60,
    "catch_up": False,
    "label": "Background tasks",
}
if REDIS_URL:
    try:
        import redis  # noqa: F401
    except ImportError as exc:
        raise ImproperlyConfigured(
            "REDIS_URL is set but the redis package is missing: pip install -e '.[redis]'"
        ) from exc
    Q_CLUSTER["redis"] = REDIS_URL
    # Shared by every web process: API throttle counts hold across processes.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    Q_CLUSTER["orm"] = "default"
# Where the API throttle counts (diarization_portal.security.counters): "cache" (Redis INCR)
# or "database" (a row per key, UPDATE count = count + 1). The local-memory cache that is the
# default without Redis is per process, so the database is the default there.
API_THROTTLE_STORE = os.getenv("API_THROTTLE_STORE", "cache" if REDIS_URL else "database")
if API_THROTTLE_STORE not in {"cache", "database"}:
    raise ImproperlyConfigured(
        f"API_THROTTLE_STORE must be 'cache' or 'database', got {API_THROTTLE_STORE!r}"
    )

LOG_LEVEL = os.getenv("LOG_LEVEL", "INFO").upper()
# One handler, on the root logger. Django's own "django" logger has a console handler too
# (active while DEBUG is on) and propagates to the root: it keeps no handler of its own here,
# so a request warning ("Not Found: /x") is written once. "django.server" (runserver's request
# lines) keeps its own handler and does not propagate.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        # Lockouts and failed logins are warnings; the clean-up notes on every login are not.
        "axes": {"level": "WARNING"},
    },
}

# HTTPS. With DEBUG off the defaults are the safe ones: redirect to HTTPS, secure cookies and
# one hour of HSTS (raise it, with subdomains and preload, once HTTPS is settled for good).
# Behind a proxy that terminates TLS, SECURE_PROXY_SSL_HEADER names the header it sets.
SECURE_PROXY_SSL_HEADER = envheader("SECURE_PROXY_SSL_HEADER")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", str(not DEBUG))
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "False")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "False")
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", str(not DEBUG))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
