"""People: every user belongs to a unit and acts in one role there."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REPORTER = "reporter", _("Reporter")
    LEADER = "leader", _("Unit leader")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Office admin")


class User(AbstractUser):
    unit = models.ForeignKey(
        "processes.Unit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.REPORTER)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_signer = models.BooleanField(
        _("signer (签发人)"),
        default=False,
        help_text=_("Signs the office's numbered documents before they are sent (a person of a programme office)."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        full_name = self.get_full_name()
        return full_name or self.get_username()
