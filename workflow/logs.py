"""Logs a deployment can read: one JSON object per line on stdout (``LOG_FORMAT=json``, production's default), with
the request's id on every line written while a request is served, and one line per request (``REQUEST_LOG``).

Nothing here needs Django's settings at import time: gunicorn's master process loads the formatter before Django
is set up (``gunicorn.conf.py``).
"""

from __future__ import annotations

import contextvars
import copy
import datetime as dt
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

REQUEST_ID_HEADER = "X-Request-ID"
# An id a proxy sends is kept only if it is short and plain: it is echoed in a header and written to the logs.
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# The attributes every LogRecord has; anything else on a record was passed as ``extra=`` and is written out.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
_PLAIN = (str, int, float, bool, type(None))


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", [request_id, method, path, status, duration_ms …], [exception]}``.

    Extras that are not plain values (Django's ``request`` object on ``django.request`` records) are left out, so
    a line never carries a whole request, its cookies or its headers."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry and isinstance(value, _PLAIN):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class RequestIdFilter(logging.Filter):
    """Puts the id of the request being served (if any) on every record, so that a traceback can be matched with
    its request line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request_id = request_id_var.get()
            if request_id is not None:
                record.request_id = request_id
        return True


class RequestLogMiddleware:
    """One line per request (logger ``workflow.request``): id, method, path (without the query string, which may
    carry search text), status and duration; the id is answered in ``X-Request-ID``. Off unless ``REQUEST_LOG``."""

    logger = logging.getLogger("workflow.request")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not getattr(settings, "REQUEST_LOG", False):
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _REQUEST_ID_RE.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            # The user only if the request already loaded it: logging must not cost a session query.
            user = getattr(getattr(request, "user", None), "_wrapped", None)
            user = None if user is empty else user
            self.logger.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                status,
                duration_ms,
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": duration_ms,
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                },
            )
            request_id_var.reset(token)


def logging_config(base: dict[str, Any], *, fmt: str) -> dict[str, Any]:
    """``base`` (the settings' LOGGING) with the request-id filter, and for ``fmt == "json"`` the JSON formatter
    writing to stdout."""
    if fmt not in ("plain", "json"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"LOG_FORMAT must be 'plain' or 'json', not {fmt!r}")
    config = copy.deepcopy(base)
    config.setdefault("filters", {})["request_id"] = {"()": "workflow.logs.RequestIdFilter"}
    console = config["handlers"]["console"]
    if "request_id" not in console.setdefault("filters", []):
        console["filters"].append("request_id")
    if fmt == "json":
        config["formatters"]["json"] = {"()": "workflow.logs.JsonFormatter"}
        console["formatter"] = "json"
        console["stream"] = "ext://sys.stdout"
    return config
