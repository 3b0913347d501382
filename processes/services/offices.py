"""What a plan's issuing office brings to it: its regions, its people, its document particulars.

The provincial programme office's plan is the province's: its regions are the cities (市(州)), its documents carry the
installation's 代字, its people oversee every unit. A city's (or a district's) plan is that office's: its regions are
the units directly under the office (the districts, counties and departments it dispatches to), its documents are
signed by the office's own 签发人 and numbered in its own sequences with its own 代字, its bulletins have its own
masthead and numbering, and its escalations reach the office's own supervisors and admins."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from processes.models import DocumentSettings, Plan, Role, Unit, UnitLevel, User


def is_provincial(plan: Plan) -> bool:
    """Whether ``plan`` is the province's (issued by a provincial office)."""
    return plan.issuer.level == UnitLevel.PROVINCE


def regions_q(plan: Plan, prefix: str = "") -> Q:
    """The condition on units (``prefix``: the path to the unit, ``"assignment__unit__"``) that are the plan's
    regions: the cities for the province's plan; the units directly under the office for another office's."""
    if is_provincial(plan):
        return Q(**{f"{prefix}level": UnitLevel.CITY})
    return Q(**{f"{prefix}parent_id": plan.issuer_id})


def plan_area(plan: Plan) -> str:
    """How a document names the whole of the plan's area: 全省, 全市, 全区（县）."""
    return {UnitLevel.PROVINCE: "全省", UnitLevel.CITY: "全市"}.get(UnitLevel(plan.issuer.level), "全区（县）")


def plan_regions(plan: Plan) -> QuerySet[Unit]:
    """The plan's regions that hold an item of it, in the unit table's order (in one query: the issuer's level is
    read in it)."""
    provincial = Q(assignments__task__plan__issuer__level=UnitLevel.PROVINCE)
    under_office = Q(parent_id=F("assignments__task__plan__issuer_id"))
    # Not a negation: across a multi-valued relation it would ask about every plan the unit has items in.
    other = Q(assignments__task__plan__issuer__level__in=[UnitLevel.CITY, UnitLevel.COUNTY])
    regions = (provincial & Q(level=UnitLevel.CITY)) | (other & under_office)
    return Unit.objects.filter(regions, assignments__task__plan=plan).distinct().order_by("position", "code")


def region_of(unit_id: int, plan: Plan, parents: dict[int, int | None], levels: dict[int, str]) -> int | None:
    """The region of ``plan`` a unit belongs to (itself, or its nearest ancestor that is one); ``None`` for the
    office's own departments (the provincial departments, or the office itself)."""
    provincial = is_provincial(plan)
    current: int | None = unit_id
    while current is not None:
        parent = parents.get(current)
        if provincial and levels.get(current) == UnitLevel.CITY:
            return current
        if not provincial and parent == plan.issuer_id:
            return current
        if current == plan.issuer_id:
            return None
        current = parent
    return None


def office_settings(office: Unit) -> DocumentSettings:
    """The office's particulars for its documents (its name, 代字, masthead), made on first use."""
    return DocumentSettings.for_office(office)


def plan_office(plan: Plan | None) -> Unit:
    """The office that issues ``plan``'s documents; the provincial programme office for a document without a plan."""
    if plan is not None:
        return plan.issuer
    from .plans import programme_office

    return programme_office()


def office_people(office_id: int, *roles: str) -> QuerySet[User]:
    """The office's active people of ``roles``."""
    return User.objects.filter(is_active=True, unit_id=office_id, role__in=roles or [Role.SUPERVISOR, Role.ADMIN])
