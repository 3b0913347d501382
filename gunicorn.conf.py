"""gunicorn's configuration for the web process: ``gunicorn workflow.wsgi`` (from the project's folder, which reads
this file) or ``bin/web``. Everything comes from the environment:

| variable | default | meaning |
| --- | --- | --- |
| ``PORT`` / ``GUNICORN_BIND`` | ``8000`` / ``0.0.0.0:$PORT`` | where to listen |
| ``WEB_CONCURRENCY`` | 2 × cores + 1, at most 8 | worker processes (each about 150 MB with a PDF in hand) |
| ``GUNICORN_THREADS`` | 4 | threads per worker: one request each (a database connection each) |
| ``GUNICORN_TIMEOUT`` | 120 | seconds a request may take (a ledger PDF of thousands of rows takes ~30 s) |
| ``FORWARDED_ALLOW_IPS`` | ``127.0.0.1`` | proxies whose X-Forwarded-* headers count (``*`` behind a private LB) |

Before the workers start, Django's system checks run with the deployment ones (``check --deploy``): an error — a
wrong ``SITE_URL``, no Chinese font — stops the server instead of serving wrong links or boxes for characters.
"""

from __future__ import annotations

import os
from typing import Any


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def default_workers(cores: int | None = None) -> int:
    """2 × cores + 1 (gunicorn's advice), at most 8: the database's connections and memory run out before CPU."""
    cores = cores or os.cpu_count() or 1
    return min(2 * cores + 1, 8)


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"
workers = _int("WEB_CONCURRENCY", 0) or default_workers()
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread"
timeout = _int("GUNICORN_TIMEOUT", 120)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# A worker is replaced after this many requests, so that a slow leak (fonts, PDF caches) cannot grow for ever.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The heartbeat files of the workers in memory, not on the container's (possibly slow) overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
wsgi_app = "workflow.wsgi:application"
# No access log: the app's own request log (workflow/logs.py) writes one line per request, with its id.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "zerowaste-web"

# JSON as the settings decide it: LOG_FORMAT, else JSON under the production settings.
_production = "production" in os.environ.get("DJANGO_SETTINGS_MODULE", "")
if os.environ.get("LOG_FORMAT", "json" if _production else "plain") == "json":
    # gunicorn's own lines (start, worker boot and exit, timeouts) as JSON too, on stdout.
    logconfig_dict: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "workflow.logs.JsonFormatter"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["console"], "propagate": False},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
        "root": {"level": loglevel.upper(), "handlers": ["console"]},
    }


def on_starting(server: Any) -> None:
    """Run the system checks (with ``--deploy``) once in the master: any error stops the start."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow.settings.base")
    import django
    from django.conf import settings
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.db import connections

    django.setup()
    try:
        call_command("check", deploy=not settings.DEBUG, fail_level="ERROR")
    except SystemCheckError as exc:
        server.log.error("the system checks failed; not starting:\n%s", exc)
        raise SystemExit(1) from exc
    finally:
        connections.close_all()  # nothing opened here may be shared with the forked workers
