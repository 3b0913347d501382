"""Celery tasks of the outbox: thin, by id, safe to run twice."""

from celery import shared_task

from .models import DeliveryState
from .services import message_deliver, messages_due, retry_delay


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
    retried by deliver_due when its back-off has passed."""
    return sum(1 for message_id in message_ids if message_deliver(message_id) == DeliveryState.SENT)


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
    """Every minute: send what waits (a task lost with the broker) or is due a retry. The row is the record."""
    return sum(1 for message_id in messages_due() if message_deliver(message_id) == DeliveryState.SENT)


@shared_task(name="notifications.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Every minute (beat): the worker that runs this shows that beat and a worker are both alive (health.py)."""
    from .health import heartbeat_record

    heartbeat_record("worker")
