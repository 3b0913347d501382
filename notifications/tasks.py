"""Celery tasks of the outbox: thin, by id, safe to run twice."""

import time
from collections.abc import Iterable

from celery import shared_task
from django.conf import settings

from .models import DeliveryState
from .services import message_deliver, messages_due, retry_delay


def deliver_within(message_ids: Iterable[int], seconds: float) -> tuple[int, list[int]]:
    """Send messages in order until ``seconds`` have passed; returns how many were sent and the ids not tried. A
    slow mail server makes a batch end early instead of overrunning the task's time limit mid-conversation."""
    ids = list(message_ids)
    deadline = time.monotonic() + seconds
    sent = 0
    for index, message_id in enumerate(ids):
        if time.monotonic() >= deadline:
            return sent, ids[index:]
        sent += message_deliver(message_id) == DeliveryState.SENT
    return sent, []


@shared_task(bind=True, name="notifications.deliver", acks_late=True, max_retries=None)
def deliver(self, message_id: int) -> str:
    """Send one message; on failure, come back after the back-off (the row keeps the count)."""
    state = message_deliver(message_id)
    if state == DeliveryState.FAILED:
        from .models import Message

        attempts = Message.objects.filter(pk=message_id).values_list("attempts", flat=True).first() or 1
        raise self.retry(countdown=retry_delay(attempts).total_seconds())
    return state


@shared_task(name="notifications.deliver_many", acks_late=True)
def deliver_many(message_ids: list[int]) -> int:
    """Send a batch (a sweep writes thousands at once: one task per batch, not per message); what fails is
    retried by deliver_due when its back-off has passed. What the batch's time (EMAIL_BATCH_SECONDS) did not reach
    goes on as a new batch."""
    sent, rest = deliver_within(message_ids, settings.EMAIL_BATCH_SECONDS)
    if rest:
        deliver_many.delay(rest)
    return sent


def enqueue(message_ids: list[int], *, batch: int = 200) -> None:
    """Queue delivery of ``message_ids`` (call it after the commit that wrote them)."""
    for start in range(0, len(message_ids), batch):
        chunk = message_ids[start : start + batch]
        if len(chunk) == 1:
            deliver.delay(chunk[0])
        else:
            deliver_many.delay(chunk)


@shared_task(name="notifications.deliver_due", acks_late=True)
def deliver_due() -> int:
    """Every minute: send what waits (a task lost with the broker) or is due a retry, for at most
    EMAIL_BATCH_SECONDS; the next minute's run takes the rest. The row is the record."""
    sent, _rest = deliver_within(messages_due(), settings.EMAIL_BATCH_SECONDS)
    return sent


@shared_task(name="notifications.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Every minute (beat): the worker that runs this shows that beat and a worker are both alive (health.py)."""
    from .health import heartbeat_record

    heartbeat_record("worker")
