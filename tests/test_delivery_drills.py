"""Crash drills of the outbox against the real PostgreSQL, Redis, a real Celery worker and a real SMTP server: the
worker is killed (SIGKILL) at each point of an attempt, restarted, and what reaches the server is counted.

Where the system can know, the message arrives once: killed before the server answered the connection, or in the
middle of the conversation (after RCPT). Where it cannot — killed after the server's 250 to DATA, or after that
while its "sent" waits to commit — it is sent once more after the lease, and every copy carries the same
Message-ID, so the receiving side can drop the second. Either way the row ends SENT with the attempts it took."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable

import pytest
from celery import Celery
from django.db import connection, transaction

from notifications.models import DeliveryState, Message

from . import test_reliability as reliability
from .conftest import SmtpSink
from .test_reliability import Worker, lease_passed, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

# The real worker, its queue and the producer, as tests/test_reliability.py sets them up (PostgreSQL and Redis
# required, or the drills are skipped saying which is missing).
_services = reliability._services
queue = reliability.queue
producer = reliability.producer
workers = reliability.workers

Start = Callable[..., Worker]


def a_message(key: str) -> Message:
    return Message.objects.create(
        address="office@example.test", dedupe_key=key, subject=f"【催办】{key}", body="请于本周内报送进展。"
    )


def claimed(message: Message) -> Message:
    """The row as the killed worker left it: claimed (being sent), once, with its Message-ID fixed."""
    row = Message.objects.get(pk=message.pk)
    assert (row.state, row.attempts) == (DeliveryState.SENDING, 1)
    assert row.sending_since is not None and row.message_id.startswith("<") and row.message_id.endswith(">")
    return row


def restart_and_settle(message: Message, workers: Start, producer: Celery, queue: str) -> Message:
    """Start a new worker; once the cut-off attempt's lease has passed, beat's minutely pass over the outbox takes it
    again. Returns the row once it is sent (and a moment later: a copy sent twice would have arrived by then)."""
    workers()
    wait_for(lambda: lease_passed(message), what="the cut-off attempt's lease to pass")
    producer.send_task("notifications.deliver_due", queue=queue)
    wait_for(lambda: Message.objects.get(pk=message.pk).state == DeliveryState.SENT, what="the message to be sent")
    time.sleep(1.5)
    return Message.objects.get(pk=message.pk)


def copies(sink: SmtpSink, message: Message) -> list[str]:
    """The Message-ID of every copy of ``message`` the server took."""
    return [str(mail["Message-ID"]) for mail in sink.received if str(mail["X-Wufei-Message"]) == message.dedupe_key]


def test_killed_before_the_server_answers_it_arrives_once(
    smtp_sink: SmtpSink, workers: Start, producer: Celery, queue: str
) -> None:
    message = a_message("drill-connect")
    with socket.socket() as silent:  # a server that takes the connection and never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        first = workers(port=silent.getsockname()[1])
        producer.send_task("notifications.deliver", args=[message.pk], queue=queue)
        wait_for(lambda: select.select([silent], [], [], 0)[0] != [], what="the worker to connect")
        row = claimed(message)  # claimed before the server was contacted
        first.kill()
    assert smtp_sink.received == []
    sent = restart_and_settle(message, workers, producer, queue)
    assert copies(smtp_sink, message) == [row.message_id]
    assert (sent.attempts, sent.message_id) == (2, row.message_id)


def test_killed_after_rcpt_it_arrives_once(smtp_sink: SmtpSink, workers: Start, producer: Celery, queue: str) -> None:
    message = a_message("drill-rcpt")
    smtp_sink.hold.add("RCPT")
    first = workers()
    producer.send_task("notifications.deliver", args=[message.pk], queue=queue)
    wait_for(smtp_sink.reached["RCPT"].is_set, what="the worker to reach RCPT")
    first.kill()
    row = claimed(message)
    smtp_sink.hold.clear()
    assert smtp_sink.received == []
    sent = restart_and_settle(message, workers, producer, queue)
    assert copies(smtp_sink, message) == [row.message_id]
    assert sent.attempts == 2


def test_killed_after_the_servers_250_to_data_every_copy_has_the_same_message_id(
    smtp_sink: SmtpSink, workers: Start, producer: Celery, queue: str
) -> None:
    message = a_message("drill-data")
    smtp_sink.hold.add("QUIT")  # the server has answered 250 to DATA; the worker waits for its goodbye
    first = workers()
    producer.send_task("notifications.deliver", args=[message.pk], queue=queue)
    wait_for(smtp_sink.reached["QUIT"].is_set, what="the server to take the message")
    first.kill()
    row = claimed(message)
    smtp_sink.hold.clear()
    assert copies(smtp_sink, message) == [row.message_id]
    sent = restart_and_settle(message, workers, producer, queue)
    # It cannot be known that the server took the first: sent once more, with the same Message-ID.
    assert copies(smtp_sink, message) == [row.message_id, row.message_id]
    assert sent.attempts == 2


def test_killed_before_the_commit_of_sent_every_copy_has_the_same_message_id(
    smtp_sink: SmtpSink, workers: Start, producer: Celery, queue: str
) -> None:
    """The conversation is over and the worker's UPDATE to SENT waits on a row lock the test holds; the worker is
    killed there, so its transaction never commits."""
    message = a_message("drill-commit")
    smtp_sink.hold.add("RCPT")
    first = workers()
    producer.send_task("notifications.deliver", args=[message.pk], queue=queue)
    wait_for(smtp_sink.reached["RCPT"].is_set, what="the worker to reach RCPT")
    with transaction.atomic():
        Message.objects.select_for_update().get(pk=message.pk)  # no lock of the worker's is in the way
        smtp_sink.hold.clear()
        wait_for(smtp_sink.reached["QUIT"].is_set, what="the conversation to end")
        wait_for(lambda: waiting_on_a_lock("notifications_message") == 1, what="the worker's UPDATE to wait")
        first.kill()
    row = claimed(message)
    assert copies(smtp_sink, message) == [row.message_id]
    sent = restart_and_settle(message, workers, producer, queue)
    assert copies(smtp_sink, message) == [row.message_id, row.message_id]
    assert sent.attempts == 2


def test_two_workers_never_send_one_message_at_once(
    smtp_sink: SmtpSink, workers: Start, producer: Celery, queue: str
) -> None:
    message = a_message("drill-twice")
    smtp_sink.hold.add("RCPT")
    lease = {"EMAIL_SENDING_LEASE_SECONDS": "60"}  # the first attempt is alive: its claim holds
    first, second = workers(env=lease), workers(env=lease)
    for _n in range(2):
        producer.send_task("notifications.deliver", args=[message.pk], queue=queue)
    wait_for(smtp_sink.reached["RCPT"].is_set, what="one worker to reach RCPT")
    wait_for(
        lambda: first.logged("succeeded") or second.logged("succeeded"), what="the other worker to finish its task"
    )
    assert first.logged("'sending'") or second.logged("'sending'")  # it found the message being sent, and left it
    smtp_sink.hold.clear()
    wait_for(lambda: Message.objects.get(pk=message.pk).state == DeliveryState.SENT, what="the message to be sent")
    time.sleep(1)
    sent = Message.objects.get(pk=message.pk)
    assert copies(smtp_sink, message) == [sent.message_id] and sent.attempts == 1


def waiting_on_a_lock(table: str) -> int:
    """How many sessions of this database wait on a lock in an UPDATE of ``table``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND query ILIKE %s",
            [f"UPDATE%{table}%"],
        )
        return int(cursor.fetchone()[0])
