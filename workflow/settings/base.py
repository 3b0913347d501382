"""Settings for every environment, read from the environment by one reader.

With nothing set, the project runs on its embedded default: SQLite in ``var/``, Celery on a broker kept in
``var/celery`` (no Redis needed), mail written to ``var/mail``. ``workflow.settings.production`` builds on
this module and refuses to start without the settings a real deployment must provide.
"""

import datetime as dt
from email.utils import parseaddr
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-only-for-the-embedded-default")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_celery_beat",
    "viewflow",
    "viewflow.workflow",
    "processes",
    "notifications",
    "axes",
    "security",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "security.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "security.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "security.middleware.AdminNetworkMiddleware",
    "security.middleware.IdleTimeoutMiddleware",
    "security.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into security.views.lockout_response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "workflow.urls"
WSGI_APPLICATION = "workflow.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "processes.context_processors.navigation",
                "notifications.context_processors.unread",
            ],
        },
    },
]

# SQLite by default; PostgreSQL (psycopg 3) in production and CI through DATABASE_URL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The web server, the worker and beat share the file: wait for locks instead of failing, and take the
    # write lock at the start of a transaction so that two writers never deadlock on an upgrade. WAL lets pages
    # read while a job writes; with WAL, synchronous=NORMAL loses no integrity on a crash (at worst the last
    # commits before a power cut) and makes each commit hold the write lock for less time.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "processes.User"
# Viewflow offers each human step to those holding its permission; this backend grants the per-unit ones
# (sign off, verify, close out the items of unit N) from each person's role and scope.
# security.backends.LoginGateBackend comes first: it refuses locked-out (django-axes) and, where not allowed, demo
# accounts before any password is checked.
AUTHENTICATION_BACKENDS = [
    "security.backends.LoginGateBackend",
    "django.contrib.auth.backends.ModelBackend",
    "processes.auth.ScopePermissionBackend",
]
# 等保 2.0 level 3: at least 10 characters of three kinds (lower, upper, digits, symbols), not the username, not a
# common or all-digit password. They apply wherever a password is set through a form (the password change, the
# admin); ``set_password`` alone (load_demo, test factories) does not validate.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "security.validators.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "security.validators.UsernameNotContainedValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Sign-in lockout (django-axes): 5 failed sign-ins lock the account (the username, from whatever address) for 30
# minutes; a refused attempt during the lockout does not prolong it; a successful sign-in clears the count. An
# office admin unlocks an account early (admin → users → "Unlock", or admin → access attempts → delete).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
# By the account only, not by address: a provincial office signs in from behind one NAT address, and five mistakes
# by colleagues must not lock everyone out. axes' check W006 (rotating User-Agents or cookies) does not apply: the
# count is per username whatever the agent or cookie.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "security.views.lockout_response"
AXES_CLIENT_IP_CALLABLE = "security.addresses.client_address"
AXES_DISABLE_ACCESS_LOG = True  # sign-ins and sign-outs are in the security audit log (security.AuditEvent)
AXES_VERBOSE = False

# Sessions end at browser close and after the office's idle timeout (admin → security settings, default 30 min).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Addresses or CIDRs of the reverse proxies whose X-Forwarded-For is believed (empty: REMOTE_ADDR is the client).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# CIDRs from which /admin/ may be reached (empty: any); from elsewhere it answers 404.
ADMIN_ALLOWED_NETWORKS = env.list("ADMIN_ALLOWED_NETWORKS", default=[])
# Scripts only from the site's own files (no inline script or handler); inline styles are allowed because the
# viewflow frontend (Material components) and Django's admin set style attributes.
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default=(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
)

# Chinese first, English available; dates are Asia/Shanghai.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
# Evidence files live in private storage: never under a public URL, served only by a scope-checked view.
PRIVATE_STORAGE_ROOT = Path(env.str("PRIVATE_STORAGE_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {"BACKEND": "processes.storage.PrivateStorage"},
}
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=20 * 1024 * 1024)
# Uploaded plan files wait here between the preview and the confirmation; never served.
IMPORT_STAGING_DIR = VAR_DIR / "imports"
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
# What reading an uploaded task list may cost. An .xlsx/.docx (a zip) is refused from its directory, before anything
# is unpacked, past these: parts, bytes unpacked (per part and in all), compression ratio of a part over 1 MB.
IMPORT_MAX_ARCHIVE_MEMBERS = env.int("IMPORT_MAX_ARCHIVE_MEMBERS", default=1000)
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=50 * 1024 * 1024)
IMPORT_MAX_COMPRESSION_RATIO = env.int("IMPORT_MAX_COMPRESSION_RATIO", default=100)
# The rows and columns of a sheet (or Word table, or CSV) that may hold a value; the rows are read in a worker
# process stopped past these seconds or this much memory (beyond what it starts with). Once per upload.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20000)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=100)
IMPORT_PARSE_SECONDS = env.float("IMPORT_PARSE_SECONDS", default=20.0)
IMPORT_PARSE_MEMORY_MB = env.int("IMPORT_PARSE_MEMORY_MB", default=512)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Celery: Redis when REDIS_URL is set, else an embedded broker kept in files under var/celery, so that the
# worker and beat of the embedded default need nothing running beside them (kombu's filesystem transport with
# whole-file writes: workflow/broker.py).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_DATA_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A task a worker took but did not acknowledge (it died) goes back to the queue after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    }
else:
    CELERY_BROKER_URL = "embedded://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat writes each task's last run to its row as soon as it sends it (by default only every 3 minutes): the health
# check and the office's banner read beat's last run of the heartbeat from there (notifications.health).
CELERY_BEAT_SYNC_EVERY = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# ``replay_year`` writes a simulated year (the demo, the acceptance test); never where real people work.
SIMULATION_ALLOWED = env.bool("SIMULATION_ALLOWED", default=True)
# ``load_demo`` and the demo accounts (password in the README): refused where this is off (production).
DEMO_ALLOWED = env.bool("DEMO_ALLOWED", default=True)

# Mail: SMTP when EMAIL_URL/EMAIL_HOST is configured; else written to var/mail for the embedded default.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@wufei.localhost")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

SITE_TITLE = _("Zero-Waste City dispatch and close-out")

# The 代字 the office's document settings (admin) start with: 吉无废预〔2023〕3号, 吉无废督〔2023〕7号. The issuer, the
# 代字 and the fonts are then edited in the admin (official document settings).
BULLETIN_MASTHEAD = env.str("BULLETIN_MASTHEAD", default="吉林省全域“无废城市”建设 工作简报")
DOCUMENT_NUMBER_PREFIXES = {
    "warning_letter": env.str("WARNING_LETTER_PREFIX", default="吉无废预"),
    "supervision_notice": env.str("SUPERVISION_NOTICE_PREFIX", default="吉无废督"),
}
# Outgoing mail: attempts before a message is given up, and the pause before the n-th retry (seconds, doubling).
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=8)
EMAIL_RETRY_BASE_SECONDS = env.int("EMAIL_RETRY_BASE_SECONDS", default=60)
# A delivery batch stops after this many seconds and queues the rest, well inside the task's soft time limit (240 s),
# so that a slow mail server never has a batch killed in the middle of a conversation.
EMAIL_BATCH_SECONDS = env.int("EMAIL_BATCH_SECONDS", default=120)
# A message claimed for sending longer ago than this lost its worker mid-attempt and is sent again, with the same
# Message-ID. Keep it above CELERY_TASK_TIME_LIMIT: a worker still at it by then has been stopped.
EMAIL_SENDING_LEASE_SECONDS = env.int("EMAIL_SENDING_LEASE_SECONDS", default=600)
# The domain of the outbox's Message-IDs (<…@domain>); by default that of DEFAULT_FROM_EMAIL.
EMAIL_MESSAGE_ID_DOMAIN = env.str(
    "EMAIL_MESSAGE_ID_DOMAIN", default=parseaddr(DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# ---- Deployment: /healthz, the request log, the log format (workflow/health.py, workflow/logs.py) ----------------
# /healthz is answered first: before the host check, the HTTPS redirect and the request log.
INSTALLED_APPS = [*INSTALLED_APPS, "workflow"]  # its system checks of SITE_URL (workflow/checks.py)
MIDDLEWARE = ["workflow.health.HealthCheckMiddleware", "workflow.logs.RequestLogMiddleware", *MIDDLEWARE]
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")  # "json": one JSON object per line on stdout
REQUEST_LOG = env.bool("REQUEST_LOG", default=False)  # one line per request (method, path, status, duration)
SITE_URL_ALLOW_HTTP = env.bool("SITE_URL_ALLOW_HTTP", default=False)
# Several deployments (or test runs) can share one Redis: each sends and takes its tasks on its own queue.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
# Celery keeps the format of its own log unless the deployment asks for JSON, which Django's LOGGING writes.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"


def _logging(config: dict, fmt: str) -> dict:  # the LOGGING of this module, and of production.py
    from workflow.logs import logging_config

    return logging_config(config, fmt=fmt)


LOGGING = _logging(LOGGING, LOG_FORMAT)
