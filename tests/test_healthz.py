"""/healthz as the load balancer and monitoring read it: 503 only when this process cannot serve (database or Redis
down), "degraded" with 200 when the background is behind (503 with ?strict=1), on any Host, without a login, and
never through the HTTPS redirect or the request log."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from notifications.health import HEARTBEAT_TASK, heartbeat_record
from notifications.models import Message

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _embedded(settings: Any) -> None:
    settings.REDIS_URL = ""  # the embedded broker unless a test says otherwise


def get(path: str = "/healthz", **extra: Any) -> Any:
    return Client(**extra).get(path)


def everything_running() -> None:
    now = timezone.now()
    PeriodicTask.objects.filter(task=HEARTBEAT_TASK).update(last_run_at=now - dt.timedelta(seconds=30))
    heartbeat_record("worker", now=now - dt.timedelta(seconds=20))


def test_all_running_is_ok_and_says_what_it_checked() -> None:
    everything_running()
    response = get()
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response["Cache-Control"] == "no-store"
    body = json.loads(response.content)
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"] == {"ok": True, "configured": False}
    assert body["checks"]["beat"]["ok"] and body["checks"]["worker"]["ok"] and body["checks"]["outbox"]["ok"]
    assert get("/healthz?strict=1").status_code == 200


def test_a_stopped_background_is_degraded_not_down_unless_strict(time_machine: Any) -> None:
    everything_running()
    time_machine.move_to(timezone.now() + dt.timedelta(minutes=15), tick=False)
    Message.objects.create(recipient=UserFactory(), dedupe_key="k", subject="s", body="b")  # waiting, but new
    response = get()
    body = json.loads(response.content)
    assert response.status_code == 200 and body["status"] == "degraded"
    assert not body["checks"]["beat"]["ok"] and not body["checks"]["worker"]["ok"]
    assert body["checks"]["outbox"]["waiting"] == 1
    strict = get("/healthz?strict=1")
    assert strict.status_code == 503 and json.loads(strict.content)["status"] == "degraded"
    assert get("/healthz?strict=0").status_code == 200


def test_the_database_down_is_503(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection to server at 10.1.2.3 failed: password authentication failed for zerowaste")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = get()
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "down" and body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert b"10.1.2.3" not in response.content and b"password" not in response.content  # no detail leaks


def test_redis_down_is_503(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    everything_running()
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with caplog.at_level(logging.INFO):
        response = get()
    # One warning that says what is down; not an ERROR "Service Unavailable" line for every probe.
    assert [r.getMessage() for r in caplog.records if r.name == "workflow.health"] == [
        "healthz: Redis does not answer (ConnectionError)"
    ]
    assert not [r for r in caplog.records if r.name == "django.request"]
    body = json.loads(response.content)
    assert response.status_code == 503 and body["status"] == "down"
    assert body["checks"]["redis"]["ok"] is False and body["checks"]["redis"]["configured"] is True
    assert "127.0.0.1:1" not in response.content.decode()


def test_any_host_plain_http_no_login_and_no_redirect(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["wufei.example.gov.cn"]
    settings.SECURE_SSL_REDIRECT = True
    # A probe by the container's address over plain HTTP: answered, not refused (400) nor redirected (301).
    assert get(HTTP_HOST="172.18.0.5:8000").status_code == 200
    assert get("/accounts/login/", HTTP_HOST="wufei.example.gov.cn").status_code == 301  # the rest is redirected
    assert Client().post("/healthz").status_code == 405


def test_probes_are_not_in_the_request_log(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    settings.REQUEST_LOG = True
    with caplog.at_level(logging.INFO, logger="workflow.request"):
        get()
        get("/accounts/login/")
    paths = [record.path for record in caplog.records if record.name == "workflow.request"]  # type: ignore[attr-defined]
    assert paths == ["/accounts/login/"]


def test_a_refused_host_gets_400_not_500(settings: Any) -> None:
    """The error page of a request refused before the authentication middleware renders without a user."""
    settings.ALLOWED_HOSTS = ["wufei.example.gov.cn"]
    assert Client(HTTP_HOST="scanner.example").get("/accounts/login/").status_code == 400
