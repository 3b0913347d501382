"""Delivering the outbox: each message once, and where a crash leaves it unknowable, again with the same Message-ID.

An attempt has three steps, and the SMTP conversation runs in none of the transactions and under no row lock:

1. *claim* — one conditional UPDATE marks the row SENDING (attempts + 1, ``sending_since`` = now, its Message-ID
   fixed at the first attempt) if it is still in the state it was read in and waiting: pending, failed, or claimed by
   an attempt older than the lease (its worker died). Two workers never both claim it.
2. *send* — its attachments are rendered and the email goes out with the row's Message-ID.
3. *record* — a short transaction marks it SENT, or FAILED (retried after the back-off) or GAVE_UP.

A worker killed between 1 and 3 leaves the row SENDING; once the lease has passed, ``messages_due`` (the minutely
``deliver_due``) takes it again. If the server had not taken the first copy (killed before connecting, or in the
middle of the conversation) the second is the only one; if it had (killed after its 250 to DATA, or before the
commit), both copies carry the same Message-ID, which a receiving server or mail client can drop as a duplicate."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .attachments import attachments_for
from .models import DeliveryState, Message

logger = logging.getLogger(__name__)
RETRYABLE = (DeliveryState.PENDING, DeliveryState.FAILED)
# A message nobody has queued yet is left this long to its own task before the minutely pass sends it.
WAITING_GRACE = dt.timedelta(seconds=30)


def retry_delay(attempts: int) -> dt.timedelta:
    """The pause before the next attempt: doubling from EMAIL_RETRY_BASE_SECONDS, at most six hours."""
    return dt.timedelta(seconds=min(settings.EMAIL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), 6 * 3600))


def sending_lease() -> dt.timedelta:
    """How long a claimed attempt may run before its worker is taken to be dead (EMAIL_SENDING_LEASE_SECONDS)."""
    return dt.timedelta(seconds=settings.EMAIL_SENDING_LEASE_SECONDS)


def message_id_for(message: Message) -> str:
    """The Message-ID of ``message``'s email: from its de-duplication key, keyed with the installation's secret (two
    installations sharing a mail domain never share an id), at EMAIL_MESSAGE_ID_DOMAIN. Stored at the first attempt,
    so changing either setting later does not change the id of a message already tried."""
    digest = salted_hmac("notifications.message-id", message.dedupe_key, algorithm="sha256").hexdigest()[:40]
    return f"<{digest}.outbox@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"


def _stuck(now: dt.datetime) -> Q:
    """Claimed by an attempt whose lease has passed: its worker died, or hangs past any time limit."""
    return Q(state=DeliveryState.SENDING, sending_since__lte=now - sending_lease())


def _email(message: Message) -> EmailMessage:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
        headers={"Message-ID": message.message_id, "X-Wufei-Message": message.dedupe_key},
    )
    for attachment in attachments_for(message):
        email.attach(attachment.filename, attachment.content, attachment.mimetype)
    return email


def _send(message: Message) -> None:
    """Render and send ``message``'s email. Once the server has taken it, a failure to say goodbye (QUIT timing out,
    the connection dropping) is not a failed delivery."""
    email = _email(message)
    connection = get_connection(fail_silently=False)
    connection.open()
    try:
        if connection.send_messages([email]) != 1:
            raise RuntimeError("the mail backend did not send the message")
    finally:
        try:
            connection.close()
        except Exception as exc:  # after the message was accepted, or while another error propagates
            logger.warning("closing the mail connection after message %s: %s", message.pk, exc)


def _claim(message_id: int, now: dt.datetime) -> Message | str:
    """Mark the message as being sent, or say why it is not to be sent now (the state it is in).

    The claim is one UPDATE conditional on the row being as it was read, so of two workers only one claims it; it
    runs in its own short transaction (no transaction is held between the read and the write, which on SQLite would
    make the write fail at once instead of waiting its turn)."""
    message = Message.objects.select_related("recipient").filter(pk=message_id).first()
    if message is None:
        return "missing"
    stuck = (
        message.state == DeliveryState.SENDING
        and message.sending_since is not None
        and message.sending_since <= now - sending_lease()
    )
    if message.state not in RETRYABLE and not stuck:
        return message.state  # sent, given up, skipped — or being sent right now
    as_read = Message.objects.filter(pk=message.pk, state=message.state, sending_since=message.sending_since)
    if message.sending_since is None:
        as_read = Message.objects.filter(pk=message.pk, state=message.state, sending_since__isnull=True)
    changes: dict[str, object] = {}
    if stuck:
        changes["last_error"] = (
            f"Interrupted: attempt {message.attempts} (started {message.sending_since:%Y-%m-%d %H:%M:%S %Z}) did not "
            "finish; whether the server took it is unknown, so it is sent again with the same Message-ID"
        )
        if message.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            as_read.update(state=DeliveryState.GAVE_UP, **changes)
            logger.error("gave up on message %s: its last attempt (%s) was interrupted", message.pk, message.attempts)
            return DeliveryState.GAVE_UP
    if not message.to_address:
        as_read.update(state=DeliveryState.SKIPPED)
        return DeliveryState.SKIPPED
    message.message_id = message.message_id or message_id_for(message)
    with transaction.atomic():
        claimed = as_read.update(
            state=DeliveryState.SENDING,
            attempts=F("attempts") + 1,
            sending_since=now,
            message_id=message.message_id,
            **changes,
        )
    if not claimed:
        return DeliveryState.SENDING  # another worker claimed it between the read and the write
    message.state, message.attempts, message.sending_since = DeliveryState.SENDING, message.attempts + 1, now
    return message


def message_deliver(message_id: int) -> str:
    """Send one message by email if it is waiting (or its last attempt was interrupted); returns the state it ends in,
    ``sending`` when another worker is sending it now."""
    claim = _claim(message_id, timezone.now())
    if isinstance(claim, str):
        return claim
    message = claim
    try:
        _send(message)
    except Exception as exc:  # an SMTP server down, refusing, timing out; a document that fails to render
        return _record_failure(message, exc)
    with transaction.atomic():
        # Whoever's attempt it was: the server has the message (a later attempt's failure must not undo this).
        Message.objects.filter(pk=message.pk).exclude(state=DeliveryState.SENT).update(
            state=DeliveryState.SENT, sent_at=timezone.now()
        )
    return DeliveryState.SENT


def _record_failure(message: Message, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if message.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        state, next_attempt_at = DeliveryState.GAVE_UP, None
        logger.error("gave up on message %s after %s attempts: %s", message.pk, message.attempts, exc)
    else:
        state, next_attempt_at = DeliveryState.FAILED, timezone.now() + retry_delay(message.attempts)
    with transaction.atomic():
        # Only this attempt's claim: if the lease passed and another attempt took the row, that one records its end.
        recorded = Message.objects.filter(
            pk=message.pk, state=DeliveryState.SENDING, sending_since=message.sending_since
        ).update(state=state, last_error=error, next_attempt_at=next_attempt_at)
    if not recorded:
        logger.warning("message %s: attempt %s failed after another attempt took it over", message.pk, message.attempts)
        return Message.objects.filter(pk=message.pk).values_list("state", flat=True).first() or "missing"
    return state


def messages_due(now: dt.datetime | None = None, *, limit: int = 500) -> list[int]:
    """Messages waiting longer than a moment (their own task may be lost with the broker), due a retry, or whose
    attempt was interrupted (claimed longer ago than the lease)."""
    now = now or timezone.now()
    waiting = Q(state=DeliveryState.PENDING, created_at__lte=now - WAITING_GRACE)
    retry = Q(state=DeliveryState.FAILED, next_attempt_at__lte=now)
    return list(
        Message.objects.filter(waiting | retry | _stuck(now)).order_by("pk").values_list("pk", flat=True)[:limit]
    )


def messages_send_again(message_ids: list[int], now: dt.datetime | None = None) -> list[int]:
    """The office's "send again now": failed, given-up and stuck (claimed past the lease) messages start over with a
    fresh count of attempts and keep their Message-ID; returns those to queue. Sent and live attempts are left."""
    now = now or timezone.now()
    again = Q(state__in=[DeliveryState.FAILED, DeliveryState.GAVE_UP]) | _stuck(now)
    ids = list(Message.objects.filter(again, pk__in=message_ids).values_list("pk", flat=True))
    Message.objects.filter(again, pk__in=ids).update(state=DeliveryState.PENDING, attempts=0, next_attempt_at=None)
    return ids


def unread_count(user: object) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Message.objects.filter(recipient_id=getattr(user, "pk", None), read_at__isnull=True).count()
