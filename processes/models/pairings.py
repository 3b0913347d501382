"""包保督办: the province and each city pair a leader or unit with regions, visit each paired region at a cadence
(every two months by default), rate six focus areas and warn or supervise a region that falls behind."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .ladder import Notice
from .plans import Plan, Task
from .units import Unit, UnitLevel

RATING_MIN, RATING_MAX = 1, 5


class FocusArea(models.TextChoices):
    """The six things a 包保 visit watches (the notice, section 五 (三))."""

    LEADING_GROUP = "leading_group", _("Leading group set up (建立领导小组)")
    RESPONSIBILITY = "responsibility", _("Main responsibility carried out (落实主体责任)")
    DIVISION = "division", _("Departments' duties divided (明确部门分工)")
    LINKAGE = "linkage", _("Joint working mechanism (建立联动机制)")
    PROJECTS = "projects", _("Projects advanced and prepared (项目推进及谋划储备)")
    PUBLICITY = "publicity", _("Publicity and guidance (广泛宣传引导)")


class ConcernReason(models.TextChoices):
    INATTENTION = "inattention", _("Not enough attention (重视不足)")
    WEAK_PUSH = "weak_push", _("Weak push (推进不力)")
    SLOW_PROGRESS = "slow_progress", _("Slow progress (进展缓慢)")


class VisitOutcome(models.TextChoices):
    NONE = "none", _("No further action")
    WARNING = "warning", _("Warning (预警)")
    SUPERVISION = "supervision", _("Supervision notice (督办)")


class Pairing(models.Model):
    """A 包保 pairing: a leader (or, without one, the leaders of a unit) paired with regions at one level for a
    period. The unit owes the visits, as obligations of its assignment on the plan's task for them."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="pairings")
    level = models.CharField(
        _("level"),
        max_length=16,
        choices=[(UnitLevel.PROVINCE, UnitLevel.PROVINCE.label), (UnitLevel.CITY, UnitLevel.CITY.label)],
        help_text=_("Province: a provincial leader or department pairs with cities; city: with counties."),
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("包保 leader"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pairings",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("paired unit"),
        on_delete=models.PROTECT,
        related_name="pairings_held",
        help_text=_("The unit that visits and owes the visit reports (the leader's unit)."),
    )
    regions = models.ManyToManyField(Unit, verbose_name=_("regions"), related_name="pairings")
    task = models.ForeignKey(
        Task,
        verbose_name=_("task of the visits"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The plan's task the visits carry out (每两月对包保地区现场督导一次)."),
    )
    start = models.DateField(pgettext_lazy("pairing period", "from"))
    end = models.DateField(pgettext_lazy("pairing period", "until"))
    visit_every_months = models.PositiveSmallIntegerField(
        _("visit every (months)"), default=2, choices=[(1, "1"), (2, "2"), (3, "3"), (6, "6")]
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("包保 pairing")
        verbose_name_plural = _("包保 pairings")
        ordering = ["plan", "level", "unit__position", "pk"]
        constraints = [models.CheckConstraint(condition=Q(end__gte=F("start")), name="pairing_period_ordered")]

    def __str__(self) -> str:
        who = str(self.leader) if self.leader else self.unit.short_name or self.unit.name
        return f"{who} · {self.get_level_display()} · {self.start:%Y-%m-%d}—{self.end:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("plans:pairings")


class Visit(models.Model):
    """One on-site visit (现场督导) of a paired region, with its ratings, findings and outcome."""

    pairing = models.ForeignKey(Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="visits")
    region = models.ForeignKey(Unit, verbose_name=_("region"), on_delete=models.PROTECT, related_name="visits")
    visited_on = models.DateField(_("visited on"))
    participants = models.TextField(_("participants"))
    findings = models.TextField(_("findings"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=VisitOutcome.choices, default=VisitOutcome.NONE)
    reason = models.CharField(_("reason"), max_length=16, choices=ConcernReason.choices, blank=True)
    obligation = models.ForeignKey(
        "processes.Obligation",
        verbose_name=_("visit owed"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    notice = models.OneToOneField(
        Notice, verbose_name=_("notice issued"), null=True, blank=True, on_delete=models.PROTECT, related_name="visit"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("包保 visit")
        verbose_name_plural = _("包保 visits")
        ordering = ["-visited_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome=VisitOutcome.NONE) | ~Q(reason=""), name="visit_warning_has_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region.short_name or self.region.name} {self.visited_on:%Y-%m-%d}"

    @property
    def average(self) -> float | None:
        scores = [rating.score for rating in self.ratings.all()]
        return round(sum(scores) / len(scores), 2) if scores else None


class VisitRating(models.Model):
    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="ratings")
    area = models.CharField(_("focus area"), max_length=32, choices=FocusArea.choices)
    score = models.PositiveSmallIntegerField(_("rating"))

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["visit", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "area"], name="one_rating_per_area"),
            models.CheckConstraint(
                condition=Q(score__gte=RATING_MIN, score__lte=RATING_MAX), name="rating_within_scale"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_area_display()}: {self.score}"


class WarningReason(models.TextChoices):
    LATE_SHARE = "late_share", _("Too many late items")
    BEHIND_SCHEDULE = "behind_schedule", _("Behind the time-based schedule (序时进度)")


class RegionWarningRule(models.Model):
    """When a region is warned on its own: the thresholds, set by the office for each plan."""

    plan = models.OneToOneField(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="region_rule")
    enabled = models.BooleanField(_("enabled"), default=True)
    late_share = models.PositiveSmallIntegerField(
        _("late items (percent of the region's items)"),
        default=30,
        help_text=_("Warn when at least this share of the region's items on the ledger is late."),
    )
    schedule_gap = models.PositiveSmallIntegerField(
        _("behind schedule (percentage points)"),
        default=30,
        help_text=_(
            "Warn when the time gone exceeds the progress reported by at least this much, on average over the "
            "region's items (序时进度: 60 percent of the time gone and 20 percent done is 40 points behind)."
        ),
    )
    minimum_items = models.PositiveSmallIntegerField(
        _("minimum items"), default=3, help_text=_("Regions with fewer items on the ledger are not warned.")
    )
    period_months = models.PositiveSmallIntegerField(
        _("at most one warning every (months)"), default=2, choices=[(1, "1"), (2, "2"), (3, "3"), (6, "6")]
    )

    class Meta:
        verbose_name = _("region warning rule")
        verbose_name_plural = _("region warning rules")
        constraints = [
            models.CheckConstraint(condition=Q(late_share__lte=100), name="late_share_is_a_percentage"),
            models.CheckConstraint(condition=Q(schedule_gap__lte=100), name="schedule_gap_is_a_percentage"),
        ]

    def __str__(self) -> str:
        return str(self.plan)


class RegionWarning(models.Model):
    """A warning a region got on its own, once per period: why, and the figures it rested on."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="region_warnings")
    region = models.ForeignKey(Unit, verbose_name=_("region"), on_delete=models.PROTECT, related_name="warnings")
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    day = models.DateField(_("warned on"))
    reasons = models.JSONField(_("reasons"), default=list)
    items = models.PositiveIntegerField(_("items on the ledger"))
    late = models.PositiveIntegerField(_("late items"))
    elapsed = models.DecimalField(_("time gone (percent)"), max_digits=5, decimal_places=1)
    progress = models.DecimalField(_("progress reported (percent)"), max_digits=5, decimal_places=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("region warning")
        verbose_name_plural = _("region warnings")
        ordering = ["-day", "region__position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "region", "period_start"], name="one_region_warning_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.day:%Y-%m-%d}"

    @property
    def late_percent(self) -> float:
        return round(self.late * 100 / self.items, 1) if self.items else 0.0

    def reason_labels(self) -> list[str]:
        return [str(WarningReason(reason).label) for reason in self.reasons]
