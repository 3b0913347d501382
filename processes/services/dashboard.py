"""The dashboard's figures: each region's items closed, open and late, and their lights, in the viewer's scope, as
of a day: the items that existed then, in the states the history gives them then. A fixed number of queries
whatever the number of items."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from processes.models import Assignment, AssignmentState, Light, Obligation, Plan, Unit, UnitLevel
from processes.rules import Viewer, assignments_in_scope

from .history import ENDED_STATES, end_of_day, obligations_owed_as_of, state_at
from .lights import lights_for


@dataclass
class RegionProgress:
    unit: Unit
    total: int = 0
    closed: int = 0
    carried: int = 0  # 已结转 into next year's plan: neither open nor closed
    late: int = 0
    lights: dict[str, int] = field(default_factory=lambda: {light.value: 0 for light in Light})

    @property
    def open(self) -> int:
        return self.total - self.closed - self.carried

    @property
    def on_track(self) -> int:
        return self.open - self.late

    @property
    def closed_percent(self) -> int:
        return round(self.closed * 100 / self.total) if self.total else 0


@dataclass
class Progress:
    regions: list[RegionProgress]
    total: RegionProgress


def region_of(unit_id: int, parents: dict[int, int | None], levels: dict[int, str]) -> int | None:
    """The city-level unit a unit belongs to (itself, or its nearest city ancestor); ``None`` for provincial ones."""
    current: int | None = unit_id
    while current is not None:
        if levels.get(current) == UnitLevel.CITY:
            return current
        current = parents.get(current)
    return None


def progress_by_region(plan: Plan, viewer: Viewer | None, as_of: dt.date | None = None) -> Progress:
    """Every item of the plan in the viewer's scope (``None``: all of them) that existed at the end of ``as_of``
    (default today), in its state then, counted by its region (a county's items count for its city; the provincial
    departments' items are one row of their own); late, what it still owed then past its due date."""
    as_of = as_of or timezone.localdate()
    units = {unit.pk: unit for unit in Unit.objects.all()}
    parents = {pk: unit.parent_id for pk, unit in units.items()}
    levels = {pk: unit.level for pk, unit in units.items()}
    items = Assignment.objects.filter(task__plan=plan)
    items = items if viewer is None else assignments_in_scope(viewer, items)
    rows = list(
        items.annotate(state_then=state_at(end_of_day(as_of)))
        .filter(state_then__isnull=False)  # an item exists from the first line of its history
        .values_list("pk", "unit_id", "state_then")
    )
    lights = lights_for([pk for pk, _unit, _state in rows], as_of)
    owed = Obligation.objects.filter(assignment__in=items.values("pk"), due_date__lt=as_of)
    late = set(obligations_owed_as_of(owed, as_of).order_by().values_list("assignment_id", flat=True).distinct())
    province = Unit(name=_("Provincial departments"), code="", level=UnitLevel.PROVINCE, position=-1)
    by_region: dict[int, RegionProgress] = {}
    total = RegionProgress(unit=Unit(name=_("All"), code=""))
    for pk, unit_id, state in rows:
        region_id = region_of(unit_id, parents, levels) or 0
        entry = by_region.get(region_id)
        if entry is None:
            entry = by_region[region_id] = RegionProgress(unit=units[region_id] if region_id else province)
        for counts in (entry, total):
            counts.total += 1
            counts.closed += state == AssignmentState.CLOSED
            counts.carried += state == AssignmentState.CARRIED
            counts.late += pk in late and state not in ENDED_STATES
            counts.lights[lights[pk]] += state not in ENDED_STATES
    regions = sorted(by_region.values(), key=lambda r: (r.unit.level != UnitLevel.CITY, r.unit.position, r.unit.code))
    return Progress(regions=regions, total=total)
