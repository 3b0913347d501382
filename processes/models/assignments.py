"""Assignments: one per task and responsible unit, each a state machine with an immutable history."""

from __future__ import annotations

from typing import Any, NoReturn

import rules
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from .plans import Task
from .units import Unit


def _rule(name: str) -> Any:
    """A transition's permission: the rule ``name`` of ``processes/rules.py``, asked about this item and person
    (the rules are registered when the app is ready; the models cannot import them, as they import the models)."""

    def check(instance: Any, user: Any) -> bool:
        return bool(rules.has_perm(name, user, instance))

    check.__name__ = name
    return check


can_report = _rule("processes.report_assignment")
can_sign_off = _rule("processes.signoff_assignment")
can_verify = _rule("processes.verify_assignment")
can_close = _rule("processes.close_assignment")


class AssignmentState(models.TextChoices):
    ASSIGNED = "assigned", _("Open")
    SIGNOFF = "signoff", _("Awaiting sign-off")
    REPORTED = "reported", _("Reported")
    RETURNED = "returned", _("Returned")
    VERIFIED = "verified", _("Verified")
    CLOSED = "closed", _("Closed out")
    CARRIED = "carried", _("Carried over (已结转)")


OPEN_STATES = (AssignmentState.ASSIGNED, AssignmentState.RETURNED)


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    CO = "co", _("Cooperating")


class Assignment(ConcurrentTransitionMixin, models.Model):
    """A task as one responsible unit owes it (任务分解)."""

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(
        _("lead or cooperating"), max_length=8, choices=AssignmentRole.choices, default=AssignmentRole.LEAD
    )
    state = FSMField(
        _("state"), max_length=16, choices=AssignmentState.choices, default=AssignmentState.ASSIGNED, protected=True
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("under supervision since"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended since"), null=True, blank=True)
    suspension_reason = models.TextField(_("reason for the suspension"), blank=True)
    carried_from = models.OneToOneField(
        "self",
        verbose_name=_("carried over from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="carried_into",
        help_text=_("The item of last year's plan, still open at the year's end, that this one continues (上年结转)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["task__position", "unit__position", "unit__code"]
        constraints = [models.UniqueConstraint(fields=["task", "unit"], name="one_assignment_per_task_and_unit")]
        indexes = [models.Index(fields=["state"], name="assignment_state_idx")]

    def __str__(self) -> str:
        return f"{self.task.number} · {self.unit.display_name}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("plans:item", kwargs={"pk": self.pk})

    # The lifecycle, in one place: each step with the states it may start from and who may take it.

    @transition(field=state, source=OPEN_STATES, target=AssignmentState.SIGNOFF, permission=can_report)
    def submit_for_signoff(self) -> None:
        """申请销号 from a unit whose leader signs its submissions off first."""

    @transition(field=state, source=OPEN_STATES, target=AssignmentState.REPORTED, permission=can_report)
    def report(self) -> None:
        """申请销号: the unit reports the task done, with its evidence."""

    @transition(field=state, source=AssignmentState.SIGNOFF, target=AssignmentState.REPORTED, permission=can_sign_off)
    def approve_signoff(self) -> None:
        """The unit leader sends the report on to the office."""

    @transition(field=state, source=AssignmentState.SIGNOFF, target=AssignmentState.RETURNED, permission=can_sign_off)
    def return_signoff(self) -> None:
        """The unit leader sends the report back to the reporter."""

    @transition(field=state, source=AssignmentState.REPORTED, target=AssignmentState.VERIFIED, permission=can_verify)
    def verify(self) -> None:
        """A supervisor accepts the report."""

    @transition(field=state, source=AssignmentState.REPORTED, target=AssignmentState.RETURNED, permission=can_verify)
    def return_report(self) -> None:
        """A supervisor returns the report to the unit, with a reason (退回)."""

    @transition(field=state, source=AssignmentState.VERIFIED, target=AssignmentState.CLOSED, permission=can_close)
    def close(self) -> None:
        """The office crosses the item off the ledger (销号)."""

    @transition(field=state, source=AssignmentState.CLOSED, target=AssignmentState.ASSIGNED, permission=can_close)
    def reopen(self) -> None:
        """The office puts a closed item back on the ledger, with a reason."""

    @transition(
        field=state,
        source=[s for s in AssignmentState.values if s not in (AssignmentState.CLOSED, AssignmentState.CARRIED)],
        target=AssignmentState.CARRIED,
        permission=can_close,
    )
    def carry_over(self) -> None:
        """年底挂账结转: the office carries the item, still open at the year's end, into next year's plan."""

    @transition(field=state, source=AssignmentState.ASSIGNED, target=AssignmentState.CLOSED)
    def close_as_done(self) -> None:
        """The published plan says the task is already completed (已完成): done by the import, not by a person."""


class TransitionAction(models.TextChoices):
    CREATED = "created", _("Created by the plan import")
    CREATED_DONE = "created_done", _("Created closed: the plan marks it completed")
    CLOSED_DONE = "closed_done", _("Closed: the re-imported plan marks it completed")
    SUBMITTED_FOR_SIGNOFF = "submitted_for_signoff", _("Completion reported, for the unit leader's sign-off")
    REPORTED = "reported", _("Completion reported (申请销号)")
    SIGNOFF_APPROVED = "signoff_approved", _("Signed off by the unit leader")
    SIGNOFF_RETURNED = "signoff_returned", _("Sent back by the unit leader")
    VERIFIED = "verified", _("Verified")
    RETURNED = "returned", _("Returned")
    CLOSED = "closed", _("Closed out (销号)")
    REOPENED = "reopened", _("Reopened")
    PROGRESS_SUBMITTED = "progress_submitted", _("Progress reported")
    PROGRESS_ACCEPTED = "progress_accepted", _("Progress report accepted")
    PROGRESS_RETURNED = "progress_returned", _("Progress report returned")
    EXTENSION_REQUESTED = "extension_requested", _("Extension requested (延期申请)")
    EXTENDED = "extended", _("Deadline extended (延期)")
    EXTENSION_REFUSED = "extension_refused", _("Extension refused")
    SUSPENDED = "suspended", _("Suspended (中止)")
    RESUMED = "resumed", _("Resumed")
    REMINDED = "reminded", _("Reminder sent (催办)")
    NOTICE_ISSUED = "notice_issued", _("Notice issued")
    NOTICE_ANSWERED = "notice_answered", _("Notice answered")
    ESCALATED = "escalated", _("Put under supervision (转督办)")
    ESCALATION_HANDLED = "escalation_handled", _("Supervision handled by the office")
    PAIRED = "paired", _("Assigned the visits of a 包保 pairing")
    VISIT_RECORDED = "visit_recorded", _("包保 visit recorded")
    CARRIED_OVER = "carried_over", _("Carried over into next year's plan (已结转)")
    CARRIED_IN = "carried_in", _("Carried over from last year's plan (上年结转)")
    WAIVED = "waived", _("No longer owed (the project left the library or is in operation)")


class AssignmentTransitionQuerySet(models.QuerySet["AssignmentTransition"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ValidationError(_("The history of an assignment cannot be changed."))

    def delete(self) -> NoReturn:
        raise ValidationError(_("The history of an assignment cannot be deleted."))


class AssignmentTransition(models.Model):
    """One row per change of an assignment's state, written in the same transaction; never edited."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="transitions"
    )
    action = models.CharField(_("action"), max_length=32, choices=TransitionAction.choices)
    source = models.CharField(_("from"), max_length=16, choices=AssignmentState.choices, blank=True)
    target = models.CharField(_("to"), max_length=16, choices=AssignmentState.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT
    )
    at = models.DateTimeField(_("at"))
    comment = models.TextField(_("comment"), blank=True)
    report = models.ForeignKey(
        "processes.Report",
        verbose_name=_("report"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transitions",
    )
    obligation = models.ForeignKey(
        "processes.Obligation",
        verbose_name=_("obligation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transitions",
    )

    objects = AssignmentTransitionQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment history entry")
        verbose_name_plural = _("assignment history")
        ordering = ["assignment", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.assignment} {self.source or '∅'} → {self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # An audit row is written once, in the transaction of the change it records, and never edited.
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("The history of an assignment cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ValidationError(_("The history of an assignment cannot be deleted."))


def evidence_path(instance: Evidence, filename: str) -> str:
    """Stored under a random name: the person's file name is kept on the row, never trusted as a path."""
    import secrets
    from pathlib import PurePath

    return f"evidence/{instance.report.assignment_id}/{secrets.token_hex(16)}{PurePath(filename).suffix.lower()}"


def private_storage() -> Any:
    from django.core.files.storage import storages

    return storages["private"]


class ReportKind(models.TextChoices):
    COMPLETION = "completion", _("Completion report (申请销号)")
    PROGRESS = "progress", _("Progress report (进展)")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Report(models.Model):
    """What a unit submits about an assignment: its text and evidence files (佐证材料)."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.PROTECT, related_name="reports"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReportKind.choices, default=ReportKind.COMPLETION)
    obligation = models.ForeignKey(
        "processes.Obligation",
        verbose_name=_("obligation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    status = models.CharField(_("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED)
    text = models.TextField(_("report text"))
    percent = models.PositiveSmallIntegerField(_("progress (%)"), null=True, blank=True)
    problems = models.TextField(_("problems and obstacles"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    late = models.BooleanField(_("late"), default=False)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["assignment", "submitted_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="report_percent_at_most_100"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False), name="report_submitted_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.get_kind_display()}"


class Evidence(models.Model):
    """An evidence file of a report, kept in private storage and served only through a scope-checked view."""

    report = models.ForeignKey(Report, verbose_name=_("report"), on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(_("file"), storage=private_storage, upload_to=evidence_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["report", "pk"]

    def __str__(self) -> str:
        return self.original_name
