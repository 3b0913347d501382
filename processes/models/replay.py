"""The record of a plan's replayed year: the seed it runs with and the last day it covered."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .plans import Plan


class ReplayState(models.Model):
    """How far ``replay_year`` has lived the plan's year: a later run continues from the day after."""

    plan = models.OneToOneField(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="replay")
    seed = models.PositiveIntegerField(_("seed"))
    last_day = models.DateField(_("last day replayed"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("replayed year")
        verbose_name_plural = _("replayed years")

    def __str__(self) -> str:
        return f"{self.plan.year}: {self.last_day}"
