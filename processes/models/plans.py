"""The annual plan (工作要点 / 任务清单) and its tasks, as published."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class RoundFrequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    BIMONTHLY = "bimonthly", _("Every two months")


class Plan(models.Model):
    """One year's task list of one issuing office: the province's, a city's or a district's (细化)."""

    issuer = models.ForeignKey(
        "processes.Unit",
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="plans_issued",
        limit_choices_to={"is_office": True},
        help_text=_("The office that issues the plan, dispatches its items and closes them out."),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=300)
    doc_no = models.CharField(_("document number"), max_length=100, blank=True)
    starts_on = models.DateField(
        _("starts on"),
        help_text=_("The plan's 印发/实施 date: its items exist, and owe reports, from this day."),
    )
    round_frequency = models.CharField(
        _("dispatch frequency"),
        max_length=16,
        choices=RoundFrequency.choices,
        default=RoundFrequency.MONTHLY,
        help_text=_("每月5日前报送 (the notice) or every two months (the annex)."),
    )
    round_due_day = models.PositiveSmallIntegerField(
        _("reports due on day"),
        default=5,
        help_text=_("Day of the month after the period; moved to the next working day when it is not one."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-year", "issuer__level", "issuer__position", "issuer__code"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "year"], name="one_plan_per_issuer_and_year"),
            models.CheckConstraint(
                condition=models.Q(round_due_day__gte=1, round_due_day__lte=28), name="plan_round_due_day_1_28"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("plans:plan_detail", kwargs={"plan": self})

    @property
    def key(self) -> str:
        """How URLs and commands name the plan: the issuer's code and the year, ``JL-PRO/2023``."""
        return f"{self.issuer.code}/{self.year}"


class DeadlineKind(models.TextChoices):
    DATE = "date", _("By a date")
    DONE = "done", _("Already completed")
    ONGOING = "ongoing", _("Ongoing")
    RECURRING = "recurring", _("Recurring")
    MILESTONES = "milestones", _("By milestones")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    BIMONTHLY = "bimonthly", _("Every two months")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEARLY = "half_yearly", _("Half-yearly")
    YEARLY = "yearly", _("Yearly")


class Task(models.Model):
    """A row of the task list: 序号, 任务, 责任单位, 完成时限 — with the deadline as written and as understood."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="tasks")
    number = models.CharField(_("number"), max_length=20)
    table = models.CharField(
        _("table"), max_length=100, blank=True, help_text=_("The table of the published file the task is from (表8).")
    )
    serves = models.ForeignKey(
        "processes.Assignment",
        verbose_name=_("refines the assignment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="refinements",
        help_text=_("The assignment of the plan above (the province's) that this task refines (细化)."),
    )
    position = models.PositiveIntegerField(_("position"))
    category = models.CharField(_("category"), max_length=200, blank=True)
    text = models.TextField(_("task"))
    units_text = models.TextField(_("responsible units as written"), blank=True)
    co_units_text = models.TextField(_("cooperating units as written"), blank=True)
    deadline_text = models.CharField(_("deadline as written"), max_length=200, blank=True)
    deadline_kind = models.CharField(_("deadline kind"), max_length=16, choices=DeadlineKind.choices)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices, blank=True)
    recurring_day = models.PositiveSmallIntegerField(
        _("due on day"),
        null=True,
        blank=True,
        help_text=_(
            "For recurring work: the day of the period's last month each occurrence is due (每月25日前 → 25); "
            "empty: at the period's end."
        ),
    )
    extra = models.JSONField(_("other columns"), default=dict, blank=True)
    source_row = models.PositiveIntegerField(_("source row"), null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="task_number_unique_in_plan"),
            models.CheckConstraint(
                condition=models.Q(deadline_kind="done") | models.Q(due_date__isnull=False),
                name="task_due_date_unless_done",
            ),
            models.CheckConstraint(
                condition=models.Q(recurring_day__isnull=True) | models.Q(recurring_day__gte=1, recurring_day__lte=31),
                name="task_recurring_day_1_31",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("plans:task_detail", kwargs={"plan": self.plan, "number": self.number})


class Milestone(models.Model):
    """A stage of a task from a two-level deadline header (完成时限 over 2022-2024年, 2024-2025年 …)."""

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="milestones")
    label = models.CharField(_("period"), max_length=100)
    due_date = models.DateField(_("due date"))
    expected_outcome = models.TextField(_("expected outcome"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["task", "position"]
        constraints = [models.UniqueConstraint(fields=["task", "label"], name="milestone_label_unique_in_task")]

    def __str__(self) -> str:
        return f"{self.label}: {self.expected_outcome[:40]}"


class PlanImport(models.Model):
    """The record of one applied import: which file, by whom, and what it changed."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="imports")
    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    summary = models.JSONField(_("summary"), default=dict)

    class Meta:
        verbose_name = _("plan import")
        verbose_name_plural = _("plan imports")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.filename} → {self.plan}"
