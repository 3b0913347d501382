"""考核评估: a plan's scoring schemes. Each indicator measures the regions on one thing over a period and carries
a weight; the weights of a scheme add up to its total (100 points by default)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from .plans import Plan


class Metric(models.TextChoices):
    """What an indicator measures; rates count for the region the higher they are, counts the lower."""

    ON_TIME = "on_time", _("On-time report rate (按时报送率)")
    CLOSE_OUT = "close_out", _("Close-out rate (销号率)")
    LATE = "late", _("Late items (逾期事项)")
    NOTICES = "notices", _("Warnings and supervision notices received (预警督办)")
    RETURNED = "returned", _("Returned reports (退回)")
    VISITS = "visits", _("包保 visit ratings (督导评分)")
    PROJECT_PACE = "project_pace", _("Projects on schedule (项目序时进度达标率)")


HIGHER_IS_BETTER = {Metric.ON_TIME, Metric.CLOSE_OUT, Metric.VISITS, Metric.PROJECT_PACE}


class ScoringScheme(models.Model):
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="schemes")
    name = models.CharField(_("name"), max_length=100)
    total = models.DecimalField(_("total points"), max_digits=6, decimal_places=2, default=Decimal(100))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scoring scheme")
        verbose_name_plural = _("scoring schemes")
        ordering = ["plan", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "name"], name="one_scheme_name_per_plan")]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    scheme = models.ForeignKey(
        ScoringScheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="indicators"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    metric = models.CharField(_("measures"), max_length=16, choices=Metric.choices)
    weight = models.DecimalField(_("weight (points)"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["scheme", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "metric"], name="one_indicator_per_metric"),
            models.CheckConstraint(condition=models.Q(weight__gte=0), name="indicator_weight_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} · {self.weight}"
