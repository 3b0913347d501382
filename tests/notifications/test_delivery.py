"""Delivery of the outbox in one process: an attempt claims the row, sends with no transaction open and a Message-ID
fixed at the first attempt, and records the outcome; an attempt cut off is taken again after the lease with the
same Message-ID. (The same against a real worker killed at each point: tests/test_delivery_drills.py.)"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test import Client

from notifications import attachments
from notifications.attachments import Attachment
from notifications.models import DeliveryState, Message
from notifications.services import message_deliver, message_id_for, messages_due, sending_lease

from ..conftest import SmtpSink
from ..factories import UserFactory

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs (delivery catches only ``Exception``)."""


class Recorder(BaseEmailBackend):
    """A mail backend that keeps what it is handed and whether a transaction was open then; ``fail`` refuses the
    message as a server would, ``crash`` stops the attempt as a killed worker would."""

    handed: ClassVar[list[Any]] = []
    in_transaction: ClassVar[list[bool]] = []
    fail: ClassVar[bool] = False
    crash: ClassVar[bool] = False

    def send_messages(self, email_messages: Any) -> int:
        Recorder.in_transaction.append(connection.in_atomic_block)
        Recorder.handed.extend(email.message() for email in email_messages)
        if Recorder.crash:
            raise WorkerKilled
        if Recorder.fail:
            raise smtplib.SMTPDataError(451, b"try again later")
        return len(email_messages)


@pytest.fixture
def recorder(settings: Any) -> Iterator[type[Recorder]]:
    settings.EMAIL_BACKEND = f"{__name__}.Recorder"
    Recorder.handed, Recorder.in_transaction, Recorder.fail, Recorder.crash = [], [], False, False
    yield Recorder


def a_message(key: str = "remind:1:2", **fields: Any) -> Message:
    return Message.objects.create(
        address="someone@example.test", dedupe_key=key, subject=f"【催办】{key}", body="请报送进展。", **fields
    )


@pytest.mark.django_db(transaction=True)
def test_nothing_is_rendered_or_sent_inside_a_transaction(recorder: type[Recorder]) -> None:
    """The row is claimed and recorded in short transactions of their own; the attachments are rendered and the
    mail is sent between them, with no transaction open and so no row locked (before, all of it ran while the row
    was locked)."""
    rendered_in_transaction: list[bool] = []

    def provider(message: Message) -> list[Attachment]:
        rendered_in_transaction.append(connection.in_atomic_block)
        return [Attachment("清单.pdf", b"%PDF-1.7 test", "application/pdf")]

    attachments.register(provider)
    try:
        message = a_message()
        assert message_deliver(message.pk) == DeliveryState.SENT
    finally:
        attachments.unregister(provider)
    assert rendered_in_transaction == [False] and recorder.in_transaction == [False]
    (mail,) = recorder.handed
    assert [part.get_filename() for part in mail.walk() if part.get_filename()] == ["清单.pdf"]
    message.refresh_from_db()
    assert (message.state, message.attempts, message.sent_at is not None) == (DeliveryState.SENT, 1, True)


@pytest.mark.django_db
def test_the_message_id_comes_from_the_key_at_the_configured_domain(recorder: type[Recorder], settings: Any) -> None:
    settings.EMAIL_MESSAGE_ID_DOMAIN = "mail.sthjt.jl.gov.cn"
    first, second = a_message("sweep:7:12"), a_message("sweep:7:13")
    assert first.message_id == ""  # fixed at the first attempt
    message_deliver(first.pk)
    message_deliver(second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.message_id == message_id_for(first) and first.message_id.endswith("@mail.sthjt.jl.gov.cn>")
    assert first.message_id != second.message_id
    assert [str(mail["Message-ID"]) for mail in recorder.handed] == [first.message_id, second.message_id]
    assert str(recorder.handed[0]["X-Wufei-Message"]) == "sweep:7:12"
    settings.EMAIL_MESSAGE_ID_DOMAIN = "elsewhere.example"
    assert message_id_for(first) != first.message_id  # changing the setting later does not move a stored id


@pytest.mark.django_db
def test_an_attempt_cut_off_is_taken_again_after_the_lease_with_the_same_message_id(
    recorder: type[Recorder], time_machine: Any
) -> None:
    time_machine.move_to(NOW, tick=False)
    message = a_message()
    recorder.crash = True
    with pytest.raises(WorkerKilled):
        message_deliver(message.pk)
    message.refresh_from_db()
    # Marked as being sent before the server was contacted, with its Message-ID.
    assert (message.state, message.attempts, message.sending_since) == (DeliveryState.SENDING, 1, NOW)
    handed_first = str(recorder.handed[0]["Message-ID"])
    assert handed_first == message.message_id
    recorder.crash = False

    # While the lease runs the attempt may still be alive: no one else sends it.
    assert message_deliver(message.pk) == DeliveryState.SENDING
    assert message.pk not in messages_due(NOW + sending_lease() - dt.timedelta(seconds=1))
    assert len(recorder.handed) == 1

    # After it, the minutely pass takes it again and it goes out with the same Message-ID.
    later = NOW + sending_lease() + dt.timedelta(seconds=1)
    assert message.pk in messages_due(later)
    time_machine.move_to(later, tick=False)
    assert message_deliver(message.pk) == DeliveryState.SENT
    assert [str(mail["Message-ID"]) for mail in recorder.handed] == [handed_first, handed_first]
    message.refresh_from_db()
    assert (message.state, message.attempts, message.sent_at) == (DeliveryState.SENT, 2, later)
    assert message.last_error.startswith("Interrupted: attempt 1")
    assert message.pk not in messages_due(later + dt.timedelta(days=1))
    assert message_deliver(message.pk) == DeliveryState.SENT and len(recorder.handed) == 2


@pytest.mark.django_db
def test_a_failed_attempt_is_retried_with_the_same_message_id(
    recorder: type[Recorder], settings: Any, time_machine: Any
) -> None:
    settings.EMAIL_RETRY_BASE_SECONDS = 60
    time_machine.move_to(NOW, tick=False)
    message = a_message()
    recorder.fail = True
    assert message_deliver(message.pk) == DeliveryState.FAILED
    message.refresh_from_db()
    assert message.attempts == 1 and "451" in message.last_error
    assert message.next_attempt_at == NOW + dt.timedelta(seconds=60)
    recorder.fail = False
    time_machine.move_to(NOW + dt.timedelta(seconds=61), tick=False)
    assert message.pk in messages_due()
    assert message_deliver(message.pk) == DeliveryState.SENT
    assert len({str(mail["Message-ID"]) for mail in recorder.handed}) == 1 and len(recorder.handed) == 2
    assert Message.objects.get(pk=message.pk).attempts == 2


@pytest.mark.django_db
def test_an_attempt_cut_off_at_the_last_allowed_attempt_is_given_up(
    recorder: type[Recorder], settings: Any, time_machine: Any
) -> None:
    time_machine.move_to(NOW, tick=False)
    message = a_message(
        state=DeliveryState.SENDING,
        attempts=settings.EMAIL_MAX_ATTEMPTS,
        sending_since=NOW - sending_lease() - dt.timedelta(seconds=1),
        message_id="<x@example.test>",
    )
    assert message_deliver(message.pk) == DeliveryState.GAVE_UP
    message.refresh_from_db()
    assert message.state == DeliveryState.GAVE_UP and message.attempts == settings.EMAIL_MAX_ATTEMPTS
    assert "Interrupted" in message.last_error and recorder.handed == []


@pytest.mark.django_db
def test_a_message_the_server_took_is_sent_even_if_its_goodbye_times_out(smtp_sink: SmtpSink, settings: Any) -> None:
    """The server answered 250 to DATA: it has the message. A QUIT that then times out is no failure (before, the
    row was marked failed and the message sent again)."""
    settings.EMAIL_TIMEOUT = 1
    smtp_sink.hold.add("QUIT")
    message = a_message()
    assert message_deliver(message.pk) == DeliveryState.SENT
    assert smtp_sink.reached["QUIT"].is_set() and len(smtp_sink.received) == 1
    message.refresh_from_db()
    assert str(smtp_sink.received[0]["Message-ID"]) == message.message_id != ""


@pytest.mark.django_db
def test_send_again_now_takes_failed_given_up_and_stuck_messages(
    recorder: type[Recorder], celery_eager: None, django_capture_on_commit_callbacks: Any, time_machine: Any
) -> None:
    time_machine.move_to(NOW, tick=False)
    stale = NOW - sending_lease() - dt.timedelta(seconds=1)
    messages = {
        "failed": a_message("k-failed", state=DeliveryState.FAILED, attempts=2),
        "gave_up": a_message("k-gave-up", state=DeliveryState.GAVE_UP, attempts=8),
        "stuck": a_message("k-stuck", state=DeliveryState.SENDING, attempts=1, sending_since=stale, message_id="<s@x>"),
        "live": a_message("k-live", state=DeliveryState.SENDING, attempts=1, sending_since=NOW, message_id="<l@x>"),
        "sent": a_message("k-sent", state=DeliveryState.SENT, attempts=1),
    }
    staff = UserFactory(username="outbox_admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/notifications/message/",
            {"action": "retry", "_selected_action": [m.pk for m in messages.values()]},
        )
    assert response.status_code == 302
    states = {name: Message.objects.get(pk=m.pk) for name, m in messages.items()}
    assert {name: (m.state, m.attempts) for name, m in states.items()} == {
        "failed": (DeliveryState.SENT, 1),
        "gave_up": (DeliveryState.SENT, 1),
        "stuck": (DeliveryState.SENT, 1),
        "live": (DeliveryState.SENDING, 1),  # an attempt may still be running: left to its lease
        "sent": (DeliveryState.SENT, 1),
    }
    assert sorted(str(mail["X-Wufei-Message"]) for mail in recorder.handed) == ["k-failed", "k-gave-up", "k-stuck"]
    assert {str(m["X-Wufei-Message"]): str(m["Message-ID"]) for m in recorder.handed}["k-stuck"] == "<s@x>"


def test_a_lease_shorter_than_a_task_may_run_is_warned_of(settings: Any) -> None:
    from notifications.checks import sending_lease_outlasts_a_task

    assert sending_lease_outlasts_a_task() == []  # the defaults: 600 s against a 300 s limit
    settings.EMAIL_SENDING_LEASE_SECONDS = 120
    (warning,) = sending_lease_outlasts_a_task()
    assert warning.id == "notifications.W001" and "120" in warning.msg


@pytest.mark.django_db
def test_a_batch_stops_at_its_time_and_queues_the_rest(
    recorder: type[Recorder], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow mail server: the batch sends what fits in EMAIL_BATCH_SECONDS and hands the rest on as a new batch,
    instead of running into the task's time limit in the middle of a conversation."""
    from notifications import tasks

    settings.EMAIL_BATCH_SECONDS = 10
    ids = [a_message(f"batch:{n}").pk for n in range(5)]
    clock = iter([0.0, 0.0, 4.0, 8.0, 12.0, 16.0])  # the deadline read, then one reading per message
    monkeypatch.setattr(tasks.time, "monotonic", lambda: next(clock))
    queued: list[list[int]] = []
    monkeypatch.setattr(tasks.deliver_many, "delay", queued.append)
    assert tasks.deliver_many(ids) == 3
    assert queued == [ids[3:]]
    assert len(recorder.handed) == 3
    states = dict(Message.objects.values_list("pk", "state"))
    assert [states[pk] for pk in ids] == [DeliveryState.SENT] * 3 + [DeliveryState.PENDING] * 2
