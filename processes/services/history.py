"""Where things stood on a day, read from the history: the one place every "as of" question is answered.

An assignment's state on a day is the target of its last transition up to the end of that day (Asia/Shanghai);
it is suspended on that day when its last 中止/恢复 step by then was a suspension. An obligation other than an
item's own deadline is owed until a step on it (a report submitted, an answer, a visit recorded) and owed again
when its last step is a return. Used by the sweep, the ledger, the lights, the dashboard, region warnings, the
assessment and the bulletin, so that a replayed or back-dated day sees that day, never today's states.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from processes.models import (
    AssignmentState,
    AssignmentTransition,
    Obligation,
    ObligationKind,
    TransitionAction,
)

OPEN_DEADLINE_STATES = (AssignmentState.ASSIGNED, AssignmentState.RETURNED)
# Off the plan's ledger: closed out (销号), or carried into next year's plan (已结转). Neither counts as open, nor
# owes anything from then on; a carried item is not closed either.
ENDED_STATES = (AssignmentState.CLOSED, AssignmentState.CARRIED)


def end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` in the project's time zone."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def start_of_day(day: dt.date) -> dt.datetime:
    """The first instant of ``day`` in the project's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def state_at(until: dt.datetime, assignment: str = "pk") -> Subquery:
    """The state of the assignment ``OuterRef(assignment)`` just before ``until`` (None: it did not exist yet)."""
    steps = AssignmentTransition.objects.filter(assignment=OuterRef(assignment), at__lt=until)
    return Subquery(steps.order_by("-at", "-pk").values("target")[:1])


def suspension_at(until: dt.datetime, assignment: str = "pk") -> Subquery:
    """The last 中止 or 恢复 step of the assignment before ``until``: "suspended" while it stands suspended."""
    steps = AssignmentTransition.objects.filter(
        assignment=OuterRef(assignment),
        at__lt=until,
        action__in=[TransitionAction.SUSPENDED, TransitionAction.RESUMED],
    )
    return Subquery(steps.order_by("-at", "-pk").values("action")[:1])


def obligations_owed_as_of(queryset: QuerySet[Obligation], day: dt.date) -> QuerySet[Obligation]:
    """The obligations of ``queryset`` that a unit still owed at the end of ``day``: they existed by then, the item
    was neither closed out, carried over nor suspended, and — an item's deadline — the item had not been reported
    done, or — any other obligation — it had no standing report (none yet, or the last one returned) and its round
    was open."""
    until = end_of_day(day)
    last_step = AssignmentTransition.objects.filter(obligation=OuterRef("pk"), at__lt=until)
    annotated = queryset.filter(created_at__lt=until).annotate(
        state_then=state_at(until, "assignment_id"),
        suspension_then=suspension_at(until, "assignment_id"),
        last_step_then=Subquery(last_step.order_by("-at", "-pk").values("action")[:1]),
    )
    deadline = Q(kind=ObligationKind.DEADLINE, state_then__in=OPEN_DEADLINE_STATES)
    reports = (
        ~Q(kind=ObligationKind.DEADLINE)
        & Q(state_then__isnull=False)
        & ~Q(state_then__in=ENDED_STATES)
        & (Q(last_step_then__isnull=True) | Q(last_step_then=TransitionAction.PROGRESS_RETURNED))
        & (Q(round__isnull=True) | Q(round__closed_at__isnull=True) | Q(round__closed_at__gte=until))
    )
    not_suspended = Q(suspension_then__isnull=True) | ~Q(suspension_then=TransitionAction.SUSPENDED)
    return annotated.filter((deadline | reports) & not_suspended)
