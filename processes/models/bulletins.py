"""工作简报: the office's periodic bulletin in the form of the seed bulletins. It is a list of pieces, each a headline
and its text — the office's own account of the period's progress, and highlights picked from the units' reports —
whose headlines make its 本期要目; it closes with the 报 / 送 / 发 lines and the 印发 line. Drafted from the
period's figures, edited, then published: numbered in the year of its period (2023年第N期（总第M期）), rendered,
and emailed to the distribution list."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from processes.formats import period_name

from .assignments import Report, private_storage
from .plans import Plan


class BulletinState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class DistributionLine(models.TextChoices):
    REPORT_TO = "report_to", _("Reported to (报)")
    SEND_TO = "send_to", _("Sent to (送)")
    ISSUE_TO = "issue_to", _("Issued to (发)")


# The order the lines are printed in, at the foot of the bulletin (版记).
LINE_ORDER = (DistributionLine.REPORT_TO, DistributionLine.SEND_TO, DistributionLine.ISSUE_TO)


class Distribution(models.Model):
    """Who a published bulletin is emailed to: bodies outside the system as well as units, by line (报 / 送 / 发)."""

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    line = models.CharField(
        _("line"), max_length=16, choices=DistributionLine.choices, default=DistributionLine.SEND_TO
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    office = models.ForeignKey(
        "processes.Unit",
        verbose_name=_("office"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"is_office": True},
        help_text=_("Whose bulletins go to this address; empty: the provincial programme office's."),
    )

    class Meta:
        verbose_name = _("bulletin distribution")
        verbose_name_plural = _("bulletin distribution list")
        ordering = ["line", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["office", "email"], name="one_distribution_per_office_and_address"),
            models.UniqueConstraint(
                fields=["email"], condition=Q(office__isnull=True), name="one_distribution_per_address"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Bulletin(models.Model):
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="bulletins")
    office = models.ForeignKey(
        "processes.Unit",
        verbose_name=_("issuing office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Its plan's issuer: each office numbers its own bulletins."),
    )
    state = models.CharField(_("state"), max_length=16, choices=BulletinState.choices, default=BulletinState.DRAFT)
    year = models.PositiveSmallIntegerField(_("year"), help_text=_("The year of its period, which it is numbered in."))
    number = models.PositiveSmallIntegerField(_("issue of the year"), null=True, blank=True)
    total_number = models.PositiveIntegerField(_("issue overall"), null=True, blank=True)
    masthead = models.CharField(_("masthead"), max_length=200)
    issuer = models.CharField(_("issued by"), max_length=200)
    issued_on = models.DateField(_("issued on"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    report_to = models.TextField(_("reported to (报)"), blank=True)
    send_to = models.TextField(_("sent to (送)"), blank=True)
    issue_to = models.TextField(_("issued to (发)"), blank=True)
    figures = models.JSONField(
        _("figures"), default=dict, help_text=_("The figures of the period the progress piece was drafted from.")
    )
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
                fields=["office", "year", "number"],
                condition=Q(number__isnull=False),
                name="one_bulletin_number_per_office_and_year",
            ),
            models.UniqueConstraint(
                fields=["office", "total_number"],
                condition=Q(total_number__isnull=False),
                name="one_bulletin_total_number_per_office",
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

    @property
    def issue_label(self) -> str:
        """2023年第1期（总第1期）, once it has its numbers."""
        if not self.number:
            return ""
        return f"{self.year}年第{self.number}期（总第{self.total_number}期）"

    @property
    def period_label(self) -> str:
        """2023年8—9月: its period as a document names it."""
        return period_name(self.period_start, self.period_end)

    def headlines(self) -> list[str]:
        """本期要目: the headlines of the pieces it carries, in their order."""
        return [piece.headline for piece in self.pieces.all()]

    def distribution_lines(self) -> list[tuple[str, str]]:
        """The 报 / 送 / 发 lines it prints, those that are not empty: (报, text)."""
        texts = {
            DistributionLine.REPORT_TO: ("报", self.report_to),
            DistributionLine.SEND_TO: ("送", self.send_to),
            DistributionLine.ISSUE_TO: ("发", self.issue_to),
        }
        return [(texts[line][0], texts[line][1].strip()) for line in LINE_ORDER if texts[line][1].strip()]


class BulletinPiece(models.Model):
    """One item of a bulletin: a headline and its text, the office's own or drawn from a unit's report."""

    bulletin = models.ForeignKey(Bulletin, verbose_name=_("bulletin"), on_delete=models.CASCADE, related_name="pieces")
    position = models.PositiveSmallIntegerField(_("position"))
    headline = models.CharField(_("headline"), max_length=200)
    text = models.TextField(_("text"))
    report = models.ForeignKey(
        Report,
        verbose_name=_("from the report"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("bulletin piece")
        verbose_name_plural = _("bulletin pieces")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["bulletin", "report"], condition=Q(report__isnull=False), name="one_piece_per_report"
            ),
        ]

    def __str__(self) -> str:
        return self.headline

    def paragraphs(self) -> list[str]:
        return [line.strip() for line in self.text.splitlines() if line.strip()]
