"""Dispatch rounds (调度) and the obligations they and the plan create: every open assignment owes a progress
report per round; recurring tasks owe one per occurrence; milestones owe one by their due date."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from .assignments import Assignment, can_report, can_verify
from .plans import Milestone, Plan


class Round(models.Model):
    """One dispatch round of a plan: the period it reports on and the day the reports are due."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=100)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    due_date = models.DateField(_("reports due"))
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dispatch round")
        verbose_name_plural = _("dispatch rounds")
        ordering = ["plan", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "period_start", "period_end"], name="one_round_per_period"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="round_period_ordered"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("plans:round", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class ObligationKind(models.TextChoices):
    DEADLINE = "deadline", _("Deadline of the task")
    ROUND = "round", _("Round progress report")
    OCCURRENCE = "occurrence", _("Recurring report")
    MILESTONE = "milestone", _("Milestone")
    NOTICE_RESPONSE = "notice_response", _("Answer to a notice")
    VISIT = "visit", _("包保 visit")
    PROJECT_MILESTONE = "project_milestone", _("Project milestone (倒排工期)")
    PROJECT_REPORT = "project_report", _("Project progress report")
    PROJECT_LAG = "project_lag", _("Project investment behind schedule")


#: What a project owes (on its region's item of the library's reporting task).
PROJECT_KINDS = (ObligationKind.PROJECT_MILESTONE, ObligationKind.PROJECT_REPORT, ObligationKind.PROJECT_LAG)


class ObligationState(models.TextChoices):
    OPEN = "open", _("Not yet reported")
    SUBMITTED = "submitted", _("Reported")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned")
    WAIVED = "waived", _("No longer owed")


OWED_STATES = (ObligationState.OPEN, ObligationState.RETURNED)


class Obligation(ConcurrentTransitionMixin, models.Model):
    """Something a unit owes on an assignment by a date: a round's progress report, a recurring occurrence, a
    milestone. The deadline ladder (催办, 预警, 督办) watches these."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="obligations"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ObligationKind.choices)
    round = models.ForeignKey(
        Round, verbose_name=_("round"), null=True, blank=True, on_delete=models.CASCADE, related_name="obligations"
    )
    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    label = models.CharField(_("label"), max_length=100)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    due_date = models.DateField(_("due date"))
    state = FSMField(
        _("state"), max_length=16, choices=ObligationState.choices, default=ObligationState.OPEN, protected=True
    )
    submitted_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    late = models.BooleanField(_("reported late"), default=False)
    notice = models.ForeignKey(
        "processes.Notice",
        verbose_name=_("notice answered"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="responses",
    )
    pairing = models.ForeignKey(
        "processes.Pairing",
        verbose_name=_("pairing"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="visits_owed",
    )
    region = models.ForeignKey(
        "processes.Unit",
        verbose_name=_("region visited"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    project = models.ForeignKey(
        "processes.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="obligations",
    )
    project_milestone = models.ForeignKey(
        "processes.ProjectMilestone",
        verbose_name=_("project milestone"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="obligations",
    )
    cycle = models.PositiveIntegerField(
        _("deadline cycle"), default=0, help_text=_("Raised when the deadline moves: the ladder starts again.")
    )
    # Not auto_now_add: a plan imported after its start, or a sweep catching up on past days, gives the moment the
    # obligation came to exist, which the "as of" reads of the history rely on.
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("obligation")
        verbose_name_plural = _("obligations")
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "round"], condition=Q(round__isnull=False), name="one_report_per_round"
            ),
            models.UniqueConstraint(
                fields=["assignment", "milestone"],
                condition=Q(milestone__isnull=False),
                name="one_obligation_per_milestone",
            ),
            models.UniqueConstraint(
                fields=["assignment", "period_end"],
                condition=Q(kind="occurrence"),
                name="one_obligation_per_occurrence",
            ),
            models.UniqueConstraint(
                fields=["assignment"], condition=Q(kind="deadline"), name="one_deadline_per_assignment"
            ),
            models.UniqueConstraint(
                fields=["assignment", "notice"], condition=Q(notice__isnull=False), name="one_answer_per_notice_item"
            ),
            models.UniqueConstraint(
                fields=["pairing", "region", "period_end"],
                condition=Q(kind="visit"),
                name="one_visit_per_region_and_period",
            ),
            models.UniqueConstraint(
                fields=["assignment", "project_milestone"],
                condition=Q(kind="project_milestone"),
                name="one_obligation_per_project_milestone",
            ),
            models.UniqueConstraint(
                fields=["project", "kind", "period_end"],
                condition=Q(kind__in=["project_report", "project_lag"]),
                name="one_project_report_per_period",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["project_milestone", "project_report", "project_lag"])
                | Q(project__isnull=False),
                name="a_project_obligation_names_its_project",
            ),
        ]
        indexes = [models.Index(fields=["state", "due_date"], name="obligation_due_idx")]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.label}"

    def get_absolute_url(self) -> str:
        if self.project_id is not None:  # a project's milestone, report or explanation: its own form
            return reverse("plans:project_report", kwargs={"pk": self.pk})
        return reverse("plans:obligation", kwargs={"pk": self.pk})

    @transition(field=state, source=OWED_STATES, target=ObligationState.WAIVED)
    def waive(self) -> None:
        """Nothing more is owed: the project it was for left the library (退库) or is in operation (建成投运).
        Taken by the service that decides that, with its history row."""

    @transition(field=state, source=OWED_STATES, target=ObligationState.SUBMITTED, permission=can_report)
    def submit(self) -> None:
        """The unit submits its report (late ones too; they are marked late)."""

    @transition(field=state, source=ObligationState.SUBMITTED, target=ObligationState.ACCEPTED, permission=can_verify)
    def accept(self) -> None:
        """A supervisor in scope accepts the report."""

    @transition(field=state, source=ObligationState.SUBMITTED, target=ObligationState.RETURNED, permission=can_verify)
    def return_report(self) -> None:
        """A supervisor in scope returns the report, with a reason."""

    @property
    def unit_id(self) -> int:
        """For the permission checks, which ask who owes it."""
        return self.assignment.unit_id
