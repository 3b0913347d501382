"""The office sees on every page when the background has stopped (no sweep, no mail) or mail is backing up: the
state read at most every 30 seconds, shown to the programme office's admins and supervisors only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import PeriodicTask

from notifications.health import HEARTBEAT_TASK, heartbeat_record
from notifications.models import Message
from notifications.tasks import heartbeat
from processes.models import Unit, User

from .factories import UserFactory

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=SHANGHAI)
STOPPED = "后台任务已停止"
BACKING_UP = "邮件发送积压"


def browser(user: User) -> Client:
    client = Client()  # no Accept-Language: the Chinese default
    client.force_login(user)
    return client


def alive(at: dt.datetime) -> None:
    """Beat sent the heartbeat and a worker ran it, at ``at``."""
    PeriodicTask.objects.filter(task=HEARTBEAT_TASK).update(last_run_at=at)
    heartbeat_record("worker", now=at)


def banner(client: Client, url: str = "/plans/") -> str:
    html = client.get(url).content.decode()
    start = html.find('data-testid="background-state"')
    return "" if start < 0 else html[start : html.index("</p>", start)]


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_the_office_is_told_when_the_worker_stopped_with_when_it_was_last_seen_and_what_waits(
    units: dict[str, Unit], office_admin: User, clock: Any
) -> None:
    alive(NOW - dt.timedelta(minutes=2))
    for n in range(3):
        Message.objects.create(recipient=office_admin, dedupe_key=f"m{n}", subject="s", body="b")
    client = browser(office_admin)
    assert banner(client) == ""  # alive two minutes ago: fine
    clock.shift(dt.timedelta(minutes=20))  # the worker died just after its last heartbeat
    shown = banner(client)
    assert STOPPED in shown
    assert "2027-03-01 08:58" in shown  # last seen, in Shanghai time
    assert "3 条消息等待发送" in shown
    assert STOPPED in banner(client, "/notifications/")  # every page of the frame
    alive(NOW + dt.timedelta(minutes=20))  # started again: what waited for 20 minutes is now a backlog
    clock.shift(dt.timedelta(seconds=31))
    shown = banner(client)
    assert BACKING_UP in shown and STOPPED not in shown
    Message.objects.update(state="sent")  # and delivered
    clock.shift(dt.timedelta(seconds=31))
    assert banner(client) == ""


def test_a_worker_never_seen_is_a_stopped_worker(units: dict[str, Unit], supervisor: User, clock: Any) -> None:
    shown = banner(browser(supervisor))  # a supervisor of the programme office sees it too
    assert STOPPED in shown and "从未检测到后台进程运行" in shown


def test_mail_backing_up_while_the_background_runs(units: dict[str, Unit], office_admin: User, clock: Any) -> None:
    clock.shift(-dt.timedelta(minutes=15))
    Message.objects.create(recipient=office_admin, dedupe_key="old", subject="s", body="b")
    clock.shift(dt.timedelta(minutes=15))
    alive(NOW - dt.timedelta(seconds=30))
    shown = banner(browser(office_admin))
    assert BACKING_UP in shown and STOPPED not in shown
    assert "1 条消息等待发送" in shown and "2027-03-01 08:45" in shown


def test_nobody_outside_the_programme_office_sees_it(units: dict[str, Unit], reporter: User, clock: Any) -> None:
    city_supervisor = UserFactory(unit=units["220700"], role="supervisor")
    assert banner(browser(reporter)) == ""
    assert banner(browser(city_supervisor)) == ""


def test_the_state_is_read_once_per_30_seconds_not_on_every_page(
    units: dict[str, Unit], office_admin: User, clock: Any
) -> None:
    client = browser(office_admin)
    client.get("/plans/")

    def heartbeat_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert STOPPED in banner(client)
        return sum(1 for q in queries.captured_queries if "notifications_heartbeat" in q["sql"])

    assert heartbeat_queries() == 0
    clock.shift(dt.timedelta(seconds=29))
    assert heartbeat_queries() == 0
    clock.shift(dt.timedelta(seconds=2))
    assert heartbeat_queries() == 1


@pytest.mark.django_db
def test_beat_records_the_heartbeats_last_run_each_time_it_sends_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """By default beat writes its last runs every 3 minutes, which the banner would take for a stopped beat."""
    from django_celery_beat.schedulers import DatabaseScheduler

    from workflow.celery import app

    sent: list[str] = []
    monkeypatch.setattr(app, "send_task", lambda name, *a, **k: sent.append(name))  # nothing reaches a broker
    monkeypatch.setattr(heartbeat, "apply_async", lambda *a, **k: sent.append(HEARTBEAT_TASK))
    # Beat calls close_old_connections() before it reads or writes; inside the test's transaction (autocommit off)
    # that would close the connection on PostgreSQL. Beat itself runs in autocommit, where it closes nothing.
    monkeypatch.setattr("django_celery_beat.schedulers.close_old_connections", lambda: None)
    scheduler = DatabaseScheduler(app=app)
    for minute in (0, 1, 2):
        with time_machine.travel(NOW + dt.timedelta(minutes=minute), tick=False):
            entry = next(e for e in scheduler.schedule.values() if e.task == HEARTBEAT_TASK)
            scheduler.reserve(entry)  # what beat's tick does with a due entry: the next run reserved, this one sent
            scheduler.apply_entry(entry, producer=None)
            recorded = PeriodicTask.objects.get(task=HEARTBEAT_TASK).last_run_at
            assert recorded == NOW + dt.timedelta(minutes=minute)
    assert sent == [HEARTBEAT_TASK] * 3
