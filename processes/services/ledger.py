"""The ledger (台账) of a plan as of any date, its counts, and the 销号清零 burn-down.

Where an item stood on a date is read from its history (the target of its last transition up to the end of that
day, Asia/Shanghai), and its latest progress from the reports submitted by then: the same query whatever the
date, and the same number of queries whatever the number of items.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from processes.models import (
    Assignment,
    AssignmentState,
    AssignmentTransition,
    Plan,
    Report,
    ReportStatus,
    Round,
    Unit,
)
from processes.rules import Viewer, assignments_in_scope

from .history import ENDED_STATES, end_of_day, state_at
from .lifecycle import InvalidInput

__all__ = ["Ledger", "burndown", "end_of_day", "ledger_as_of", "ledger_queryset"]


@dataclass
class UnitCounts:
    unit: Unit
    total: int = 0
    closed: int = 0
    carried: int = 0

    @property
    def remaining(self) -> int:
        return self.total - self.closed - self.carried


@dataclass
class Ledger:
    plan: Plan
    as_of: dt.date
    rows: list[Assignment]
    total: int = 0
    closed: int = 0
    carried: int = 0  # 已结转: carried into next year's plan, neither open (剩余) nor closed out
    by_state: dict[str, int] = field(default_factory=dict)
    by_unit: list[UnitCounts] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return self.total - self.closed - self.carried


def ledger_queryset(plan: Plan, viewer: Viewer | None, as_of: dt.date) -> QuerySet[Assignment]:
    """Every assignment of the plan in the viewer's scope (``None``: the whole plan, for the command line) that
    existed on ``as_of``, annotated with its state, latest progress text and last report date as of that day, and
    ``carried_to``, the item it was carried into (上年结转) if it was."""
    until = end_of_day(as_of)
    reports = Report.objects.filter(
        assignment=OuterRef("pk"), status=ReportStatus.SUBMITTED, submitted_at__lt=until
    ).order_by("-submitted_at", "-pk")
    queryset = (
        Assignment.objects.filter(task__plan=plan)
        .select_related("task", "unit")
        .annotate(
            state_as_of=state_at(until),
            latest_text=Subquery(reports.values("text")[:1]),
            last_report_at=Subquery(reports.values("submitted_at")[:1]),
            carried_to=Subquery(Assignment.objects.filter(carried_from=OuterRef("pk")).values("pk")[:1]),
        )
        # An item exists from the first line of its history (the plan's start, for the items it was imported with).
        .filter(state_as_of__isnull=False)
        .order_by("task__position", "unit__position", "unit__code")
    )
    return queryset if viewer is None else assignments_in_scope(viewer, queryset)


def ledger_as_of(plan: Plan, viewer: Viewer | None, as_of: dt.date | None = None) -> Ledger:
    """The ledger with its counts overall, by state and by unit."""
    as_of = as_of or timezone.localdate()
    if as_of < plan.starts_on:
        raise InvalidInput(
            _("The plan took effect on %(start)s; there is no ledger as of %(date)s, before it.")
            % {"start": plan.starts_on.isoformat(), "date": as_of.isoformat()},
            field="as_of",
        )
    rows = list(ledger_queryset(plan, viewer, as_of))
    ledger = Ledger(plan=plan, as_of=as_of, rows=rows)
    states: Counter[str] = Counter()
    units: dict[int, UnitCounts] = {}
    for row in rows:
        state = row.state_as_of or row.state  # type: ignore[attr-defined]
        states[state] += 1
        counts = units.setdefault(row.unit_id, UnitCounts(unit=row.unit))
        counts.total += 1
        if state == AssignmentState.CLOSED:
            counts.closed += 1
        elif state == AssignmentState.CARRIED:
            counts.carried += 1
    ledger.total = len(rows)
    ledger.closed = states[AssignmentState.CLOSED]
    ledger.carried = states[AssignmentState.CARRIED]
    ledger.by_state = {state.value: states[state.value] for state in AssignmentState}
    ledger.by_unit = sorted(units.values(), key=lambda c: (c.unit.position, c.unit.code))
    return ledger


@dataclass(frozen=True)
class BurndownPoint:
    day: dt.date
    label: str
    open: int


def burndown(plan: Plan, viewer: Viewer, *, until: dt.date | None = None) -> list[BurndownPoint]:
    """Open items (not yet 销号 nor 结转) at the plan's start and at each later round's due date, up to ``until``: the
    销号清零 curve. One query for the history, replayed in memory."""
    until = until or timezone.localdate()
    in_scope = assignments_in_scope(viewer, Assignment.objects.filter(task__plan=plan))
    events = (
        AssignmentTransition.objects.filter(assignment__in=in_scope)
        .order_by("at", "pk")
        .values_list("assignment_id", "at", "target")
    )
    start = plan.starts_on
    checkpoints = [(start, _("Start"))]
    checkpoints += [
        (round_.due_date, round_.title)
        for round_ in Round.objects.filter(plan=plan, due_date__gt=start, due_date__lte=until).order_by("due_date")
    ]
    if checkpoints[-1][0] < until:
        checkpoints.append((until, _("Today")))
    state: dict[int, str] = {}
    points: list[BurndownPoint] = []
    history: list[Any] = list(events)
    index = 0
    for day, label in checkpoints:
        limit = end_of_day(day)
        while index < len(history) and history[index][1] < limit:
            assignment_id, _at, target = history[index]
            state[assignment_id] = target
            index += 1
        points.append(BurndownPoint(day, label, sum(1 for s in state.values() if s not in ENDED_STATES)))
    return points
