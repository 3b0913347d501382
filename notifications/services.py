"""Delivering the outbox. A message is sent while its row is locked; a crash before the commit leaves it waiting,
so the retry (or the periodic sweep of the outbox) sends it, and a sent row is never sent again."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from .models import DeliveryState, Message

logger = logging.getLogger(__name__)
RETRYABLE = (DeliveryState.PENDING, DeliveryState.FAILED)


def retry_delay(attempts: int) -> dt.timedelta:
    """The pause before the next attempt: doubling from EMAIL_RETRY_BASE_SECONDS, at most six hours."""
    return dt.timedelta(seconds=min(settings.EMAIL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), 6 * 3600))


def _email(message: Message) -> EmailMessage:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
        headers={"X-Wufei-Message": message.dedupe_key},
    )
    if message.bulletin_id is not None:
        from processes.services.bulletins import bulletin_pdf

        bulletin = message.bulletin
        email.attach(f"{bulletin}.pdf", bulletin_pdf(bulletin), "application/pdf")  # type: ignore[arg-type]
    notices = list(message.notices.order_by("pk"))
    if notices:
        from processes.services.notices import notice_pdf

        for notice in notices:
            email.attach(f"{notice.doc_no}.pdf", notice_pdf(notice), "application/pdf")
    return email


def message_deliver(message_id: int) -> str:
    """Send one message by email if it is still waiting; returns the state it ends in."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=message_id)
            .first()
        )
        if message is None:
            return DeliveryState.SENDING  # another worker holds it right now
        if message.state not in RETRYABLE:
            return message.state
        if not message.to_address:
            message.state = DeliveryState.SKIPPED
            message.save(update_fields=["state"])
            return message.state
        message.attempts += 1
        try:
            _email(message).send(fail_silently=False)
        except Exception as exc:  # an SMTP server down, refusing, timing out: recorded on the row, retried
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= settings.EMAIL_MAX_ATTEMPTS:
                message.state = DeliveryState.GAVE_UP
                logger.error("gave up on message %s after %s attempts: %s", message.pk, message.attempts, exc)
            else:
                message.state = DeliveryState.FAILED
                message.next_attempt_at = timezone.now() + retry_delay(message.attempts)
            message.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
            return message.state
        message.state, message.sent_at = DeliveryState.SENT, timezone.now()
        message.save(update_fields=["attempts", "state", "sent_at"])
        return message.state


def messages_due(now: dt.datetime | None = None, *, limit: int = 500) -> list[int]:
    """Messages waiting longer than a moment (their own task may be lost with the broker) or due a retry."""
    now = now or timezone.now()
    waiting = Message.objects.filter(state=DeliveryState.PENDING, created_at__lte=now - dt.timedelta(seconds=30))
    retry = Message.objects.filter(state=DeliveryState.FAILED, next_attempt_at__lte=now)
    return list((waiting | retry).order_by("pk").values_list("pk", flat=True)[:limit])


def unread_count(user: object) -> int:
    from processes.models import User

    if not isinstance(user, User):
        return 0
    return Message.objects.filter(recipient=user, read_at__isnull=True).count()
