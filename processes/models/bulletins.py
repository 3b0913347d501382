"""工作简报: the office's periodic bulletin in the form of the seed bulletins, drafted from the period's figures,
edited, then published (numbered per year, rendered, and emailed to the distribution list)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .assignments import private_storage
from .plans import Plan


class BulletinState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class DistributionLine(models.TextChoices):
    REPORT_TO = "report_to", _("Reported to (报)")
    SEND_TO = "send_to", _("Sent to (送)")


class Distribution(models.Model):
    """Who a published bulletin is emailed to: bodies outside the system as well as units, by line (报 / 送)."""

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    line = models.CharField(
        _("line"), max_length=16, choices=DistributionLine.choices, default=DistributionLine.SEND_TO
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bulletin distribution")
        verbose_name_plural = _("bulletin distribution list")
        ordering = ["line", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["email"], name="one_distribution_per_address")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Bulletin(models.Model):
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="bulletins")
    state = models.CharField(_("state"), max_length=16, choices=BulletinState.choices, default=BulletinState.DRAFT)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveSmallIntegerField(_("issue of the year"), null=True, blank=True)
    total_number = models.PositiveIntegerField(_("issue overall"), null=True, blank=True)
    masthead = models.CharField(_("masthead"), max_length=200)
    issuer = models.CharField(_("issued by"), max_length=200)
    issued_on = models.DateField(_("issued on"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    contents = models.TextField(_("in this issue (本期要目)"), help_text=_("One line per item."))
    summary = models.TextField(_("overall progress"))
    highlights = models.TextField(_("highlights"), blank=True)
    report_to = models.TextField(_("reported to (报)"), blank=True)
    send_to = models.TextField(_("sent to (送)"), blank=True)
    figures = models.JSONField(_("figures"), default=dict, help_text=_("The ranking and the late items, as drafted."))
    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="bulletins/", blank=True, max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("drafted by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["-year", "-number", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "number"], condition=Q(number__isnull=False), name="one_bulletin_number_per_year"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="bulletin_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        if self.number:
            return f"{self.masthead} {self.year}年第{self.number}期"
        return f"{self.masthead}（{_('draft')}）"

    def get_absolute_url(self) -> str:
        return reverse("plans:bulletin", kwargs={"pk": self.pk})

    @property
    def is_draft(self) -> bool:
        return self.state == BulletinState.DRAFT

    def contents_lines(self) -> list[str]:
        return [line.strip().lstrip("-☆·• ").strip() for line in self.contents.splitlines() if line.strip()]
