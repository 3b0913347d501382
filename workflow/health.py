"""``/healthz`` for the load balancer and the container's health check.

Answered by the first middleware, before the host check, the HTTPS redirect, sessions and the request log: a probe
by IP address or over plain HTTP inside the container gets an answer, and probes do not fill the logs. It needs
no login and shows no secret (no host names, no error messages: only which check failed and the error's class).

- **503** when this process cannot serve: the database does not answer (or is not migrated), or Redis does not
  answer when ``REDIS_URL`` is set (nothing could be queued).
- **200** otherwise, ``"status": "ok"`` or ``"degraded"`` when beat, the worker or the outbox is behind (stale
  heartbeat, messages waiting more than 10 minutes): the web still serves, so a load balancer must not take it
  out of rotation for that, but monitoring should raise it.
- ``?strict=1``: **503** unless everything is ok, for monitoring that only reads status codes.

Cost: one ``SELECT 1``, the three queries of ``notifications.health.system_state`` and one Redis PING.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

PATH = "/healthz"
logger = logging.getLogger(__name__)
_redis_clients: dict[str, Any] = {}


def _database() -> dict[str, object]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("healthz: the database does not answer (%s)", type(exc).__name__)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def _redis() -> dict[str, object]:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return {"ok": True, "configured": False}  # the embedded broker: nothing to ask
    import redis

    client = _redis_clients.get(url)
    if client is None:
        client = _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        logger.warning("healthz: Redis does not answer (%s)", type(exc).__name__)
        return {"ok": False, "configured": True, "error": type(exc).__name__}
    return {"ok": True, "configured": True}


def health(*, strict: bool = False) -> tuple[int, dict[str, Any]]:
    """The status code and the body of ``/healthz``."""
    from notifications.health import system_state

    checks: dict[str, Any] = {"database": _database(), "redis": _redis()}
    background_ok = False
    if checks["database"]["ok"]:
        try:
            state = system_state()
        except DatabaseError as exc:  # reachable but not migrated (or its tables are gone): cannot serve
            checks["database"] = {"ok": False, "error": type(exc).__name__}
        else:
            checks.update(state.as_dict())
            background_ok = state.ok
    serving = bool(checks["database"]["ok"] and checks["redis"]["ok"])
    status = "ok" if serving and background_ok else "degraded" if serving else "down"
    code = 200 if (status == "ok" or (serving and not strict)) else 503
    return code, {"status": status, "time": timezone.now().isoformat(timespec="seconds"), "checks": checks}


class HealthCheckMiddleware:
    """Answers ``GET /healthz`` (and HEAD) itself; every other request goes on down the stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse(status=405)
            response["Allow"] = "GET, HEAD"
            return response
        code, body = health(strict=request.GET.get("strict", "") not in ("", "0"))
        response = HttpResponse(
            json.dumps(body, ensure_ascii=False), status=code, content_type="application/json; charset=utf-8"
        )
        response["Cache-Control"] = "no-store"
        response._has_been_logged = True  # type: ignore[attr-defined]  # a failing probe is not an error per probe
        response["X-Content-Type-Options"] = "nosniff"
        return response
