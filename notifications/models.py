"""The outbox: one row per message to one person, written in the transaction of the change that caused it. The row,
not the broker, is the record of what must be sent: delivery marks it, retries it with back-off, and records why
it failed; a message whose change rolled back was never written."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will be retried")
    GAVE_UP = "gave_up", _("Failed for good")
    SKIPPED = "skipped", _("No email address")


class Message(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    address = models.EmailField(
        _("to the address"), blank=True, help_text=_("For a recipient outside the system (a bulletin's distribution).")
    )
    dedupe_key = models.CharField(_("key"), max_length=200, unique=True)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    link = models.CharField(_("link"), max_length=300, blank=True)
    # A message of the ladder is one person's digest of one run of the sweep: it covers what fired in that run at the
    # rungs and for the units ``told`` names (processes.services.ladder.message_fired), each firing once per person;
    # ``rung`` is the highest.
    sweep = models.ForeignKey(
        "processes.Sweep", verbose_name=_("sweep"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rung = models.ForeignKey(
        "processes.LadderRung",
        verbose_name=_("rung"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    units = models.ManyToManyField("processes.Unit", verbose_name=_("units covered"), blank=True, related_name="+")
    notices = models.ManyToManyField(
        "processes.Notice", verbose_name=_("attached notices"), blank=True, related_name="messages"
    )
    bulletin = models.ForeignKey(
        "processes.Bulletin",
        verbose_name=_("attached bulletin"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    told = models.JSONField(
        _("rungs and units told"), default=dict, blank=True, help_text=_("For a digest: rung id → the units it covers.")
    )
    items = models.PositiveIntegerField(_("items"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    state = models.CharField(
        _("email delivery"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Set when an attempt claims the row (state SENDING); a claim older than EMAIL_SENDING_LEASE_SECONDS is a worker
    # that died mid-attempt, and the message is taken again.
    sending_since = models.DateTimeField(_("attempt started at"), null=True, blank=True)
    # The email's Message-ID, fixed at the first attempt and sent on every one: a copy sent again after a crash
    # (when it cannot be known whether the server took the first) carries the same one, so it can be dropped.
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | ~models.Q(address=""), name="message_has_a_recipient"
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="message_delivery_idx"),
            models.Index(fields=["recipient", "read_at"], name="message_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("notifications:open", kwargs={"pk": self.pk})

    @property
    def to_address(self) -> str:
        return self.address or (self.recipient.email if self.recipient else "")


class Heartbeat(models.Model):
    """When a background process last showed it was alive: ``worker`` is written by the ``notifications.heartbeat``
    task, which beat schedules every minute and a worker runs; so a fresh ``worker`` beat means both are alive."""

    name = models.CharField(_("process"), max_length=40, primary_key=True)
    at = models.DateTimeField(_("last seen"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M:%S}"
