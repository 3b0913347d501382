"""Assignments: one per task and responsible unit, each a state machine with an immutable history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from .plans import Task
from .units import Unit


class AssignmentState(models.TextChoices):
    ASSIGNED = "assigned", _("Open")
    REPORTED = "reported", _("Reported")
    RETURNED = "returned", _("Returned")
    VERIFIED = "verified", _("Verified")
    CLOSED = "closed", _("Closed out")


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

    @transition(field=state, source=AssignmentState.ASSIGNED, target=AssignmentState.CLOSED)
    def close_as_done(self) -> None:
        """The published plan says the task is already completed (已完成)."""


class TransitionAction(models.TextChoices):
    CREATED = "created", _("Created by the plan import")
    CREATED_DONE = "created_done", _("Created closed: the plan marks it completed")
    CLOSED_DONE = "closed_done", _("Closed: the re-imported plan marks it completed")


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

    class Meta:
        verbose_name = _("assignment history entry")
        verbose_name_plural = _("assignment history")
        ordering = ["assignment", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.assignment} {self.source or '∅'} → {self.target}"
