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


@shared_task(name="notifications.deliver_due", acks_late=True)
def deliver_due() -> int:
    """Every minute: send what waits (a task lost with the broker) or is due a retry. The row is the record."""
    return sum(1 for message_id in messages_due() if message_deliver(message_id) == DeliveryState.SENT)
