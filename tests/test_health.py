"""The background's state as /healthz and the office's pages read it: beat's last run, the worker's heartbeat and
the outbox backlog, each stale after a few missed minutes."""

from __future__ import annotations

import datetime as dt

import pytest
from django_celery_beat.models import PeriodicTask

from notifications.health import HEARTBEAT_TASK, heartbeat_record, system_state
from notifications.models import DeliveryState, Message
from notifications.tasks import heartbeat

from .factories import UserFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


def test_nothing_has_run_yet_is_not_healthy() -> None:
    state = system_state(NOW)
    assert not state.beat_ok and not state.worker_ok and state.backlog_ok and not state.ok
    assert state.as_dict()["worker"] == {"ok": False, "last_seen": None}


def test_a_fresh_beat_and_heartbeat_with_no_backlog_is_healthy() -> None:
    PeriodicTask.objects.filter(task=HEARTBEAT_TASK).update(last_run_at=NOW - dt.timedelta(seconds=50))
    heartbeat_record("worker", now=NOW - dt.timedelta(seconds=40))
    state = system_state(NOW)
    assert state.ok, state.as_dict()


def test_the_heartbeat_task_records_the_worker(time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)
    heartbeat.apply()
    assert system_state(NOW + dt.timedelta(minutes=2)).worker_ok
    assert not system_state(NOW + dt.timedelta(minutes=4)).worker_ok


def test_a_message_waiting_too_long_is_a_backlog(time_machine) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW - dt.timedelta(minutes=11), tick=False)
    Message.objects.create(recipient=UserFactory(), dedupe_key="k1", subject="s", body="b")
    Message.objects.create(recipient=UserFactory(), dedupe_key="k2", subject="s", body="b", state=DeliveryState.SENT)
    state = system_state(NOW)
    assert state.waiting == 1 and not state.backlog_ok
    assert system_state(NOW - dt.timedelta(minutes=5)).backlog_ok


def test_a_message_whose_attempt_was_cut_off_is_waiting(time_machine, settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_SENDING_LEASE_SECONDS = 600
    time_machine.move_to(NOW - dt.timedelta(minutes=30), tick=False)
    Message.objects.create(
        recipient=UserFactory(),
        dedupe_key="k3",
        subject="s",
        body="b",
        state=DeliveryState.SENDING,
        sending_since=NOW - dt.timedelta(minutes=30),
    )
    assert system_state(NOW - dt.timedelta(minutes=25)).waiting == 0  # still within its lease
    state = system_state(NOW)
    assert state.waiting == 1 and not state.backlog_ok
