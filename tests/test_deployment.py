"""The production processes as a deployment runs them, without a container: gunicorn serving ``workflow.wsgi``
under ``workflow.settings.production``, a Celery worker and Celery beat, each its own process, on the real
PostgreSQL and Redis and a real SMTP server. Driven through HTTP only, as a proxy that terminates TLS would:
/healthz, static files, a login, a completion report with evidence, a reminder delivered by the worker with a
link on SITE_URL, beat's heartbeat reaching /healthz, and the JSON log lines."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, ClassVar

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from notifications.health import HEARTBEAT_TASK
from processes.models import Assignment, AssignmentState, Plan, User

from .conftest import SmtpSink
from .lifecycle_helpers import PDF, songyuan_item

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(settings.BASE_DIR)
HOST = "wufei.example.test"
SITE_URL = f"https://{HOST}"
PASSWORD = "Deploy-Smoke-2027!"


@pytest.fixture(autouse=True)
def _services() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…): the processes and the test share the database")
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/15)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str, logs: Callable[[], str]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}\n{logs()}")


class Response:
    def __init__(self, raw: http.client.HTTPResponse) -> None:
        self.status = raw.status
        self.headers = raw.headers
        self.body = raw.read()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Browser:
    """HTTP to gunicorn as it arrives from a TLS-terminating proxy (``X-Forwarded-Proto: https``), keeping cookies
    (they are Secure, so http.cookiejar would not send them over this plain connection)."""

    proxy_headers: ClassVar[dict[str, str]] = {"Host": HOST, "X-Forwarded-Proto": "https"}

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {**self.proxy_headers, "Accept-Language": "zh-hans", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=sent)
        response = Response(conn.getresponse())
        conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response

    def get(self, path: str, **headers: str) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None) -> Response:
        boundary = uuid.uuid4().hex
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, data) in (files or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n".encode()
                + data
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Origin": SITE_URL,
            "Referer": SITE_URL + path,
        }
        return self.request("POST", path, b"".join(parts), headers)

    def csrf_token(self, path: str) -> str:
        page = self.get(path)
        assert page.status == 200, (path, page.status, page.text[:500])
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str) -> None:
        token = self.csrf_token("/accounts/login/")
        response = self.post(
            "/accounts/login/", {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
        )
        assert response.status == 302, (username, response.status, response.text[:1000])
        assert "sessionid" in self.cookies


class Processes:
    """gunicorn, a Celery worker and Celery beat, as a deployment starts them, each with its output in a file."""

    def __init__(self, tmp: Path, sink: SmtpSink) -> None:
        db = connection.settings_dict
        database_url = (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
        self.tmp = tmp
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "workflow.settings.production",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": HOST,
                "SITE_URL": SITE_URL,
                "DATABASE_URL": database_url,
                "REDIS_URL": os.environ["REDIS_URL"],
                "CELERY_QUEUE": f"deploy-{uuid.uuid4().hex[:8]}",  # this test's tasks only
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(sink.port),
                "EMAIL_USE_TLS": "0",
                "DEFAULT_FROM_EMAIL": "wufei@example.test",
                "STATIC_ROOT": str(tmp / "static"),
                "STATIC_COMPRESS": "0",  # compressing viewflow's assets takes minutes; the image build does it
                "VAR_DIR": str(tmp / "var"),
                "PRIVATE_STORAGE_ROOT": str(tmp / "private"),
                "WEB_CONCURRENCY": "2",
                "GUNICORN_THREADS": "2",
                "PORT": str(self.port),
                "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            }
        )
        self.running: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}

    def run(self, *args: str) -> None:
        result = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def start(self, name: str, *args: str) -> None:
        log = self.tmp / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=self.env, stdout=out, stderr=out)
        self.running[name] = (process, log)

    def logs(self) -> str:
        return "\n".join(
            f"--- {name}\n{log.read_text(errors='replace')[-3000:]}" for name, (_p, log) in self.running.items()
        )

    def stop(self) -> None:
        for process, _log in self.running.values():
            if process.poll() is None:
                process.terminate()
        for process, _log in self.running.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def processes(tmp_path: Path, smtp_sink: SmtpSink) -> Iterator[Processes]:
    running = Processes(tmp_path, smtp_sink)
    try:
        yield running
    finally:
        running.stop()
        shutil.rmtree(tmp_path / "static", ignore_errors=True)  # ~50 MB of viewflow's assets


def with_password(user: User) -> User:
    """The production settings hash with PBKDF2 (the test settings use MD5 for speed)."""
    User.objects.filter(pk=user.pk).update(password=PBKDF2PasswordHasher().encode(PASSWORD, secrets.token_hex(8)))
    return user


def test_gunicorn_worker_and_beat_serve_a_login_a_report_and_a_delivery(
    processes: Processes, smtp_sink: SmtpSink, plan_2023: Plan, reporter: User, supervisor: User
) -> None:
    with_password(reporter)
    with_password(supervisor)
    item: Assignment = songyuan_item(plan_2023)
    # Beat has been down for five minutes: its heartbeat is due as soon as it starts. (The schedule is a row of the
    # migrations; an earlier transactional test may have flushed it, so it is made again here as they make it.)
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.update_or_create(
        task=HEARTBEAT_TASK,
        defaults={
            "name": "后台运行心跳",
            "interval": every_minute,
            "enabled": True,
            "last_run_at": timezone.now() - dt.timedelta(minutes=5),
        },
    )

    processes.run("manage.py", "collectstatic", "--noinput", "-v", "0", "--ignore", "dash", "--ignore", "*.map")
    processes.start("web", "-m", "gunicorn", "-c", "gunicorn.conf.py")
    processes.start(
        "worker",
        "-m",
        "celery",
        "-A",
        "workflow",
        "-q",
        "worker",
        "--loglevel=INFO",
        "--concurrency=1",
        "--without-mingle",
    )
    processes.start(
        "beat", "-m", "celery", "-A", "workflow", "-q", "beat", "--loglevel=INFO", "-s", str(processes.tmp / "sched")
    )
    browser = Browser(processes.port)

    def healthz(query: str = "") -> Any:
        try:
            response = browser.request(
                "GET", "/healthz" + query, headers={"Host": "127.0.0.1", "X-Forwarded-Proto": ""}
            )
        except OSError:
            return None
        return response

    # /healthz answers plain HTTP on any Host (a load balancer's probe by address) with the database and Redis up.
    first = wait_for(healthz, timeout=30, what="gunicorn to answer /healthz", logs=processes.logs)
    assert first.status == 200 and first.headers["Content-Type"].startswith("application/json")
    body = json.loads(first.body)
    assert body["checks"]["database"] == {"ok": True} and body["checks"]["redis"]["ok"] is True
    # Everything else goes to HTTPS, and a host the site does not serve is refused.
    plain = browser.request("GET", "/accounts/login/", headers={"X-Forwarded-Proto": "http"})
    assert plain.status == 301 and plain.headers["Location"] == f"{SITE_URL}/accounts/login/"
    assert browser.request("GET", "/accounts/login/", headers={"Host": "evil.example"}).status == 400

    # Static files: served by the app itself with DEBUG off, under hashed names, cached for ever.
    login_page = browser.get("/accounts/login/").text
    stylesheet = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', login_page)
    assert stylesheet, "no hashed stylesheet on the login page"
    css = browser.get(stylesheet.group(1))
    assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
    assert "immutable" in css.headers["Cache-Control"] and "max-age=315360000" in css.headers["Cache-Control"]

    # The reporter logs in and submits a completion report with a PDF as evidence.
    reporter_browser = Browser(processes.port)
    reporter_browser.login(reporter.username)
    token = reporter_browser.csrf_token(f"/plans/items/{item.pk}/")
    submitted = reporter_browser.post(
        f"/plans/items/{item.pk}/report/",
        {"csrfmiddlewaretoken": token, "assignment": str(item.pk), "state": item.state, "text": "已成立议事机构"},
        files={"evidence": ("会议纪要.pdf", PDF)},
    )
    assert submitted.status == 302, submitted.text[:2000]
    item.refresh_from_db()
    assert item.state == AssignmentState.REPORTED
    assert list((processes.tmp / "private").rglob("*.pdf")), "the evidence is not in PRIVATE_STORAGE_ROOT"

    # The supervisor reminds the unit (催办): the worker delivers the mail, its link on SITE_URL.
    supervisor_browser = Browser(processes.port)
    supervisor_browser.login(supervisor.username)
    token = supervisor_browser.csrf_token(f"/plans/items/{item.pk}/")
    reminded = supervisor_browser.post(
        f"/plans/items/{item.pk}/remind/",
        {"csrfmiddlewaretoken": token, "assignment": str(item.pk), "state": item.state, "comment": "请补充印发文件"},
    )
    assert reminded.status == 302, reminded.text[:2000]
    mail = wait_for(
        lambda: [m for m in smtp_sink.received if reporter.email in str(m["To"])],
        timeout=30,
        what="the worker to deliver the reminder",
        logs=processes.logs,
    )[0]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    links = re.findall(r"https?://\S+", text)
    assert f"{SITE_URL}/plans/items/{item.pk}/" in links, text
    assert all(link.startswith(SITE_URL + "/") for link in links), links

    # Beat ran its heartbeat and the worker executed it: /healthz says so, and its strict form is 200.
    def healthy() -> Any:
        response = healthz("?strict=1")
        return response if response is not None and response.status == 200 else None

    strict = wait_for(healthy, timeout=30, what="beat's heartbeat to reach /healthz", logs=processes.logs)
    checks = json.loads(strict.body)["checks"]
    assert checks["beat"]["ok"] and checks["worker"]["ok"] and checks["outbox"]["waiting"] == 0

    # gunicorn's output: one JSON object per line, a request line for the login with its id, method and status.
    processes.stop()
    lines = [line for line in (processes.tmp / "web.log").read_text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    logins = [r for r in records if r.get("logger") == "workflow.request" and r.get("path") == "/accounts/login/"]
    assert any(r["method"] == "POST" and r["status"] == 302 and r["request_id"] for r in logins), logins
    assert not any(r.get("path") == "/healthz" for r in records)  # probes are not logged
    assert any(r.get("logger") == "gunicorn.error" and "Booting worker" in r["message"] for r in records)
    assert all({"time", "level", "logger", "message"} <= record.keys() for record in records)
    # The worker's and beat's lines are JSON too (the settings' LOGGING, not Celery's own format).
    worker_lines = [
        json.loads(line) for line in (processes.tmp / "worker.log").read_text().splitlines() if line.startswith("{")
    ]
    assert any(r["logger"] == "celery.app.trace" and "notifications.deliver" in r["message"] for r in worker_lines)
    beat_lines = [
        json.loads(line) for line in (processes.tmp / "beat.log").read_text().splitlines() if line.startswith("{")
    ]
    assert any(r["logger"] == "celery.beat" and HEARTBEAT_TASK in r["message"] for r in beat_lines)
