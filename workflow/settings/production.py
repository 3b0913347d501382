"""Production settings: everything a deployment must decide is required, and nothing insecure is defaulted.

A missing ``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DATABASE_URL`` or ``REDIS_URL`` stops the process at start-up with
``ImproperlyConfigured`` instead of running on a development default.
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SIMULATION_ALLOWED = False  # no simulated year where real people work
DEMO_ALLOWED = False  # no demo data, no demo account (their password is in the README)
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL=postgres://…")

REDIS_URL = env.str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# ---- Deployment: gunicorn + whitenoise, JSON logs, the site's address ---------------------------------------------
from pathlib import Path  # noqa: E402

from .base import _logging  # noqa: E402

# Every link in an email is SITE_URL + a path: required, and checked (workflow/checks.py, `check --deploy`).
SITE_URL = env.str("SITE_URL")
# Static files served by the app itself (one container works without a proxy): hashed names cached for ever,
# gzip copies made by `collectstatic` (run when the image is built; workflow/storage.py).
_after = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1  # type: ignore[used-before-def]  # noqa: F405
MIDDLEWARE = [*MIDDLEWARE[:_after], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[_after:]]  # noqa: F405
STATIC_COMPRESS = env.bool("STATIC_COMPRESS", default=True)
_static = "StaticFilesStorage" if STATIC_COMPRESS else "UncompressedStaticFilesStorage"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": f"workflow.storage.{_static}"}}  # noqa: F405
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(STATIC_ROOT)))  # noqa: F405
# Logs: JSON lines on stdout with a line per request, unless LOG_FORMAT=plain / REQUEST_LOG=0.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
REQUEST_LOG = env.bool("REQUEST_LOG", default=True)
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
LOGGING = _logging(LOGGING, LOG_FORMAT)  # noqa: F405
