"""The items late as of a day: every item of a plan that, at the end of that day, still owed something past its due
date — its deadline, a round's report, a recurring report — with the first such date and how many working days
late it was then. Read from the history, so that any past day reads as it stood. A 通报 names them; the bulletin
does not (it is no place to name laggards)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from processes import workdays
from processes.models import Assignment, Obligation, Plan, UnitLevel

from .history import obligations_owed_as_of


def late_items_as_of(plan: Plan, as_of: dt.date, limit: int | None = None) -> list[dict[str, Any]]:
    """The plan's items late at the end of ``as_of``, the cities' first (in the units' order), then by task; each as
    ``{"assignment_id", "unit", "unit_id", "task", "text", "due", "late_days"}``, ``due`` the first date it owed
    something it had not handed in by ``as_of`` and ``late_days`` the working days from then to ``as_of``. At most
    ``limit`` of them, when given."""
    first_due: dict[int, dt.date] = {}
    owed = Obligation.objects.filter(assignment__task__plan=plan, due_date__lt=as_of)
    for assignment_id, due in (
        obligations_owed_as_of(owed, as_of).order_by("due_date").values_list("assignment_id", "due_date")
    ):
        first_due.setdefault(assignment_id, due)
    late = sorted(
        Assignment.objects.filter(pk__in=list(first_due)).select_related("task", "unit"),
        key=lambda a: (a.unit.level != UnitLevel.CITY, a.unit.position, a.unit.code, a.task.position),
    )
    if limit is not None:
        late = late[:limit]
    return [
        {
            "assignment_id": item.pk,
            "unit": item.unit.name,
            "unit_id": item.unit_id,
            "task": item.task.number,
            "text": item.task.text,
            "due": first_due[item.pk],
            "late_days": workdays.workdays_between(first_due[item.pk], as_of),
        }
        for item in late
    ]
