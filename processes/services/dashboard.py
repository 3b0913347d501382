"""The dashboard's figures: each region's items closed, open and late, and their lights, in the viewer's scope, as
of a day: the items that existed then, in the states the history gives them then. A fixed number of queries
whatever the number of items."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from processes.models import Assignment, AssignmentState, Light, Obligation, Plan, Unit, UnitLevel
from processes.rules import Viewer, assignments_in_scope, plans_in_scope

from . import offices
from .history import ENDED_STATES, end_of_day, obligations_owed_as_of, state_at
from .lights import lights_for
from .project_ledger import Figures, library_of_plan_figures


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


def region_of(
    unit_id: int, parents: dict[int, int | None], levels: dict[int, str], plan: Plan | None = None
) -> int | None:
    """The region a unit belongs to (itself, or its nearest ancestor that is one): for the province's plan (and
    without a plan) the city-level unit; for a city's or a district's plan the unit directly under its office.
    ``None`` for the office's own departments (the provincial ones, or the office itself)."""
    if plan is not None:
        return offices.region_of(unit_id, plan, parents, levels)
    current: int | None = unit_id
    while current is not None:
        if levels.get(current) == UnitLevel.CITY:
            return current
        current = parents.get(current)
    return None


def progress_by_region(plan: Plan, viewer: Viewer | None, as_of: dt.date | None = None) -> Progress:
    """Every item of the plan in the viewer's scope (``None``: all of them) that existed at the end of ``as_of``
    (default today), in its state then, counted by its region (a county's items count for its city; the provincial
    departments' items are one row of their own; of a city's plan, the regions are its districts and the city's
    own departments one row); late, what it still owed then past its due date."""
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
    if offices.is_provincial(plan):
        province = Unit(name=_("Provincial departments"), code="", level=UnitLevel.PROVINCE, position=-1)
    else:
        province = Unit(name=plan.issuer.name, code="", level=plan.issuer.level, position=-1)
    by_region: dict[int, RegionProgress] = {}
    total = RegionProgress(unit=Unit(name=_("All"), code=""))
    for pk, unit_id, state in rows:
        region_id = region_of(unit_id, parents, levels, plan) or 0
        entry = by_region.get(region_id)
        if entry is None:
            entry = by_region[region_id] = RegionProgress(unit=units[region_id] if region_id else province)
        for counts in (entry, total):
            counts.total += 1
            counts.closed += state == AssignmentState.CLOSED
            counts.carried += state == AssignmentState.CARRIED
            counts.late += pk in late and state not in ENDED_STATES
            counts.lights[lights[pk]] += state not in ENDED_STATES
    regions = sorted(by_region.values(), key=lambda r: (not r.unit.code, r.unit.position, r.unit.code))
    return Progress(regions=regions, total=total)


def latest_plan_for(viewer: Viewer) -> Plan | None:
    """The plan a menu entry (数据看板, 考核评估) opens: the newest plan of the viewer's own office (a city office's
    people land on the city's plan), else the newest plan in their scope — of one year, the province's first, then
    the offices' in the unit table's order."""
    plans = plans_in_scope(viewer).select_related("issuer")
    unit_id = getattr(viewer, "unit_id", None)
    if unit_id is not None:
        own = plans.filter(issuer_id=unit_id).order_by("-year").first()
        if own is not None:
            return own
    provincial_first = Case(When(issuer__level=UnitLevel.PROVINCE, then=Value(0)), default=Value(1))
    return plans.order_by("-year", provincial_first, "issuer__position", "issuer__code").first()


def projects_summary(plan: Plan, viewer: Viewer | None, as_of: dt.date | None = None) -> Figures | None:
    """项目库: the figures of the library of the plan's office in the viewer's scope as of a day (入库项目, 总投资,
    建成投运, 在建, 前期手续, 累计完成投资); ``None`` when that office has no library or no project in it."""
    return library_of_plan_figures(plan, viewer=viewer, as_of=as_of)
