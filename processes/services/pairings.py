"""包保督办: pairings, the visits they owe, and what a visit records and sets in motion.

A pairing's unit owes one visit per paired region per period (every two months by default). Each is an obligation
of the unit's assignment on the plan's task for the visits, so it appears in the unit's 我的待办 and climbs the
same ladder as everything else. Recording the visit settles it; a visit whose outcome is a warning or a
supervision notice issues the document of the ladder to the region, with an answer owed in the app."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from processes.models import (
    OWED_STATES,
    RATING_MAX,
    RATING_MIN,
    Assignment,
    AssignmentState,
    AssignmentTransition,
    ConcernReason,
    DocumentKind,
    FocusArea,
    Light,
    Notice,
    NoticeState,
    Obligation,
    ObligationKind,
    ObligationState,
    Pairing,
    Plan,
    RegionWarning,
    Task,
    TransitionAction,
    Unit,
    User,
    Visit,
    VisitOutcome,
    VisitRating,
)
from processes.rules import (
    administers_installation,
    is_unit_member,
    manages_plan,
    office_staff,
    sees_everything,
    unit_subtree,
)

from .history import ENDED_STATES, end_of_day, obligations_owed_as_of, state_at
from .ladder import issuer_name
from .lifecycle import InvalidInput, NotAllowed
from .lights import lights_for
from .offices import is_provincial, plan_area

NOTICE_OF = {
    VisitOutcome.WARNING: DocumentKind.WARNING_LETTER,
    VisitOutcome.SUPERVISION: DocumentKind.SUPERVISION_NOTICE,
}
VISIT_TASK_WORDS = ("包保地区现场督导", "包保")
RESPONSE_WORKDAYS = 5


def _name(unit: Unit) -> str:
    return unit.short_name or unit.name


def visits_task(plan: Plan) -> Task | None:
    """The plan's task the visits carry out: the one that speaks of visiting the paired regions (任务 11 of 2023)."""
    for words in VISIT_TASK_WORDS:
        task = Task.objects.filter(plan=plan, text__contains=words).order_by("position").first()
        if task is not None:
            return task
    return None


# --- Pairings ---------------------------------------------------------------------------------------------------


def pairing_conflicts(
    *,
    level: str,
    regions: Iterable[Unit],
    start: dt.date,
    end: dt.date,
    exclude: int | None = None,
    plan: Plan | None = None,
) -> list[str]:
    """What would overlap: a region already paired at the same level for part of the period (in the same plan: a
    city's plan pairs its districts whatever the province's pairs)."""
    clashes = (
        Pairing.regions.through.objects.filter(
            unit__in=list(regions), pairing__level=level, pairing__start__lte=end, pairing__end__gte=start
        )
        .filter(**({"pairing__plan": plan} if plan is not None else {}))
        .exclude(pairing_id=exclude or 0)
        .select_related("unit", "pairing__unit", "pairing__leader")
        .order_by("unit__position", "pairing__start")
    )
    return [
        _("%(region)s is already paired at this level with %(pairing)s.")
        % {"region": _name(clash.unit), "pairing": clash.pairing}
        for clash in clashes
    ]


def pairing_check(
    *,
    level: str,
    leader: User | None,
    unit: Unit,
    regions: list[Unit],
    task: Task,
    start: dt.date | None,
    end: dt.date | None,
    exclude: int | None = None,
) -> None:
    """Every reason the pairing cannot be saved, in one refusal."""
    problems: list[str] = []
    if not regions:
        problems.append(_("Choose at least one region."))
    if start is None or end is None:
        problems.append(_("Give the first and the last day of the pairing."))
    elif end < start:
        problems.append(_("The pairing ends before it starts."))
    elif start.year != task.plan.year or end.year != task.plan.year:
        problems.append(_("The pairing must lie within the plan's year, %(year)s.") % {"year": task.plan.year})
    if leader is not None and leader.unit_id != unit.pk:
        problems.append(_("The 包保 leader must belong to the paired unit."))
    if unit in regions:
        problems.append(_("A unit cannot be paired with itself."))
    plan = task.plan
    if not is_provincial(plan):
        inside = unit_subtree(plan.issuer_id)
        outside = [region for region in [unit, *regions] if region.pk not in inside]
        if outside:
            problems.append(
                _("%(office)s's plan pairs only units under it, not %(units)s.")
                % {"office": plan.issuer.name, "units": "、".join(_name(region) for region in outside)}
            )
    if start is not None and end is not None and end >= start:
        problems += pairing_conflicts(level=level, regions=regions, start=start, end=end, exclude=exclude, plan=plan)
    if problems:
        raise InvalidInput(" ".join(problems), field="regions")


def pairing_save(
    *,
    plan: Plan,
    level: str,
    leader: User | None,
    unit: Unit,
    regions: list[Unit],
    start: dt.date,
    end: dt.date,
    by: User,
    task: Task | None = None,
    visit_every_months: int = 2,
    note: str = "",
    pairing: Pairing | None = None,
) -> Pairing:
    """Create or change a pairing and the visits it owes, atomically; overlapping pairings are refused."""
    if not manages_plan(by, plan):
        raise NotAllowed(_("Only the plan's own office admins record its pairings."))
    task = task or visits_task(plan)
    if task is None:
        raise InvalidInput(_("The plan has no task for the visits: choose one."), field="task")
    with transaction.atomic():
        # Lock the regions: two pairings of one region saved at once are checked one after the other.
        list(Unit.objects.select_for_update().filter(pk__in=[region.pk for region in regions]).order_by("pk"))
        pairing_check(
            level=level,
            leader=leader,
            unit=unit,
            regions=regions,
            task=task,
            start=start,
            end=end,
            exclude=pairing.pk if pairing else None,
        )
        pairing = pairing or Pairing()
        pairing.plan, pairing.level, pairing.leader, pairing.unit, pairing.task = plan, level, leader, unit, task
        pairing.start, pairing.end, pairing.visit_every_months, pairing.note = start, end, visit_every_months, note
        pairing.save()
        pairing.regions.set(regions)
        visits_sync(pairing, by=by)
    return pairing


def _visit_periods(pairing: Pairing) -> list[tuple[dt.date, dt.date]]:
    """The periods of the cadence (Jan–Feb, Mar–Apr … for every two months) that the pairing covers."""
    from .rounds import _periods

    return [
        (start, end)
        for start, end in _periods(pairing.plan.year, pairing.visit_every_months)
        if start <= pairing.end and end >= pairing.start
    ]


def _visit_label(region: Unit, start: dt.date, end: dt.date) -> str:
    if start.month == end.month:
        period = _("%(year)s年%(month)s月") % {"year": start.year, "month": start.month}
    else:
        period = _("%(year)s年%(first)s—%(last)s月") % {"year": start.year, "first": start.month, "last": end.month}
    return _("%(period)s赴%(region)s现场督导") % {"period": period, "region": _name(region)}


def ensure_assignment(task: Task, unit: Unit, *, by: User | None, comment: str) -> Assignment:
    """The unit's assignment on the task, created (assigned, with its line of history) if it has none."""
    assignment, created = Assignment.objects.get_or_create(
        task=task, unit=unit, defaults={"due_date": task.due_date, "state": AssignmentState.ASSIGNED}
    )
    if created:
        AssignmentTransition.objects.create(
            assignment=assignment,
            action=TransitionAction.PAIRED,
            source="",
            target=assignment.state,
            by=by,
            at=timezone.now(),
            comment=comment,
        )
    return assignment


def visits_sync(pairing: Pairing, *, by: User | None = None) -> int:
    """The visit obligations of the pairing: one per region and period, due at the period's end (or the pairing's,
    if sooner); those no longer covered and not yet fired or reported are removed. Returns how many were created."""
    with translation.override(settings.LANGUAGE_CODE):
        assignment = ensure_assignment(
            pairing.task, pairing.unit, by=by, comment=_("包保 pairing: %(pairing)s") % {"pairing": pairing}
        )
        regions = list(pairing.regions.all())
        wanted = {
            (region.pk, end): (region, start, min(end, pairing.end))
            for region in regions
            for start, end in _visit_periods(pairing)
        }
        existing = Obligation.objects.filter(pairing=pairing, kind=ObligationKind.VISIT)
        rows = list(
            existing.annotate(visited=Exists(Visit.objects.filter(obligation=OuterRef("pk")))).values_list(
                "pk", "region_id", "period_end", "state", "visited"
            )
        )
        stale = [
            pk
            for pk, region_id, period_end, state, visited in rows
            if (region_id, period_end) not in wanted and state == ObligationState.OPEN and not visited
        ]
        Obligation.objects.filter(pk__in=stale).delete()
        have = {(region_id, period_end) for _pk, region_id, period_end, _state, _visited in rows}
        new = [
            Obligation(
                assignment=assignment,
                kind=ObligationKind.VISIT,
                pairing=pairing,
                region=region,
                label=_visit_label(region, start, period_end),
                period_start=start,
                period_end=period_end,
                due_date=due,
            )
            for (region_id, period_end), (region, start, due) in wanted.items()
            if (region_id, period_end) not in have
        ]
        Obligation.objects.bulk_create(new)
    return len(new)


# --- Who may do what --------------------------------------------------------------------------------------------


def pairings_for(user: User) -> QuerySet[Pairing]:
    """The pairings a person works in: all for the programme office; the plans' of their own office for a city's
    (district's) office; else those they lead or their unit holds."""
    pairings = Pairing.objects.select_related("plan", "unit", "leader", "task")
    if sees_everything(user):
        return pairings
    if not user.is_active or user.unit_id is None:
        return pairings.none()
    own = Q(leader=user) | Q(leader__isnull=True, unit_id=user.unit_id) | Q(unit_id=user.unit_id)
    if office_staff(user):
        own |= Q(plan__issuer_id=user.unit_id)
    return pairings.filter(own)


def can_record_visit(pairing: Pairing, user: User) -> bool:
    if not user.is_active:
        return False
    if administers_installation(user) or manages_plan(user, pairing.plan):  # the province's, the plan's office
        return True
    return pairing.leader_id == user.pk or (user.unit_id == pairing.unit_id and bool(is_unit_member(user)))


# --- Visits -----------------------------------------------------------------------------------------------------


def _ratings_check(ratings: Mapping[str, object]) -> dict[str, int]:
    checked: dict[str, int] = {}
    problems: list[str] = []
    for area in FocusArea:
        raw = ratings.get(area.value)
        try:
            score = int(str(raw).strip()) if raw not in (None, "") else None
        except ValueError:
            score = None
            problems.append(_("%(area)s: “%(value)s” is not a rating.") % {"area": area.label, "value": raw})
            continue
        if score is None:
            problems.append(_("%(area)s: give a rating.") % {"area": area.label})
        elif not RATING_MIN <= score <= RATING_MAX:
            problems.append(
                _("%(area)s: %(score)s is outside the scale %(min)s–%(max)s.")
                % {"area": area.label, "score": score, "min": RATING_MIN, "max": RATING_MAX}
            )
        else:
            checked[area.value] = score
    unknown = sorted(set(ratings) - {area.value for area in FocusArea})
    if unknown:
        problems.append(_("Unknown focus areas: %(areas)s.") % {"areas": "、".join(unknown)})
    if problems:
        raise InvalidInput(" ".join(problems), field="ratings")
    return checked


def visit_record(
    *,
    pairing: Pairing,
    region: Unit,
    by: User,
    visited_on: dt.date | None,
    participants: str,
    ratings: Mapping[str, object],
    findings: str = "",
    outcome: str = VisitOutcome.NONE,
    reason: str = "",
) -> Visit:
    """Record a visit of a paired region: it settles the visit owed for its period, and a warning or supervision
    outcome issues the document to the region with an answer owed. All or nothing."""
    if not can_record_visit(pairing, by):
        raise NotAllowed(_("Only the 包保 leader or the paired unit records its visits."))
    today = timezone.localdate()
    participants, findings = (participants or "").strip(), (findings or "").strip()
    problems: list[str] = []
    if visited_on is None:
        problems.append(_("Give the date of the visit."))
    elif visited_on > today:
        problems.append(_("The visit is dated %(date)s, in the future.") % {"date": visited_on.isoformat()})
    elif not pairing.start <= visited_on <= pairing.end:
        problems.append(
            _("The visit is dated %(date)s, outside the pairing (%(start)s to %(end)s).")
            % {"date": visited_on.isoformat(), "start": pairing.start.isoformat(), "end": pairing.end.isoformat()}
        )
    if not participants:
        problems.append(_("Name the participants."))
    if outcome not in VisitOutcome.values:
        problems.append(_("Choose an outcome."))
    elif outcome != VisitOutcome.NONE:
        if reason not in ConcernReason.values:
            problems.append(_("A warning or a supervision notice needs its reason (重视不足 / 推进不力 / 进展缓慢)."))
        if not findings:
            problems.append(_("A warning or a supervision notice needs the findings it rests on."))
    else:
        reason = ""
    if problems or visited_on is None:
        raise InvalidInput(" ".join(problems))
    checked = _ratings_check(ratings)
    with transaction.atomic():
        locked = Pairing.objects.select_for_update().select_related("plan", "task", "unit").get(pk=pairing.pk)
        if not locked.regions.filter(pk=region.pk).exists():
            raise NotAllowed(_("%(region)s is not paired here.") % {"region": _name(region)})
        now = timezone.now()
        owed = (
            Obligation.objects.select_for_update(of=("self",))
            .filter(
                pairing=locked,
                region=region,
                kind=ObligationKind.VISIT,
                period_start__lte=visited_on,
                period_end__gte=visited_on,
            )
            .select_related("assignment")
            .first()
        )
        visit = Visit.objects.create(
            pairing=locked,
            region=region,
            visited_on=visited_on,
            participants=participants,
            findings=findings,
            outcome=outcome,
            reason=reason,
            obligation=owed,
            recorded_by=by,
            recorded_at=now,
        )
        VisitRating.objects.bulk_create(VisitRating(visit=visit, area=area, score=s) for area, s in checked.items())
        with translation.override(settings.LANGUAGE_CODE):
            summary = _("Visit of %(region)s on %(date)s: %(outcome)s.") % {
                "region": _name(region),
                "date": visited_on.isoformat(),
                "outcome": visit.get_outcome_display(),
            }
        if owed is not None:
            if owed.state in OWED_STATES:
                owed.submit()
                owed.submitted_at, owed.late = now, visited_on > owed.due_date
                owed.save()
            AssignmentTransition.objects.create(
                assignment=owed.assignment,
                action=TransitionAction.VISIT_RECORDED,
                source=owed.assignment.state,
                target=owed.assignment.state,
                by=by,
                at=now,
                comment=summary,
                obligation=owed,
            )
        if outcome != VisitOutcome.NONE:
            visit.notice = _issue_visit_notice(visit, by=by)
            visit.save(update_fields=["notice"])
    return visit


def _issue_visit_notice(visit: Visit, *, by: User) -> Notice:
    """The document a visit's outcome calls for, drafted for the office's 签发人 (``services.signing``): addressed to
    the region, listing the region's items late on the day of the visit, however much later it is recorded. Signing
    numbers and dates it, makes the answer owed on the region's assignment of the visits' task, and tells the
    region's people with the PDF attached."""
    from .signing import draft_text

    kind = NOTICE_OF[VisitOutcome(visit.outcome)]
    day = visit.visited_on
    pairing, region = visit.pairing, visit.region
    late = obligations_owed_as_of(
        Obligation.objects.filter(
            assignment__unit=region, assignment__task__plan=pairing.plan, due_date__lt=day
        ).exclude(kind=ObligationKind.NOTICE_RESPONSE),
        day,
    )
    late_ids = list(late.values_list("pk", flat=True))
    items = len(set(Obligation.objects.filter(pk__in=late_ids).values_list("assignment_id", flat=True)))
    title, body = draft_text(
        kind,
        addressee=_name(region),
        day=day,
        items=items,
        visit=visit,
        response_workdays=RESPONSE_WORKDAYS,
        area=plan_area(pairing.plan),
    )
    notice = Notice.objects.create(
        kind=kind,
        state=NoticeState.DRAFT,
        unit=region,
        plan=pairing.plan,
        issuer=issuer_name(pairing.plan.issuer),
        office=pairing.plan.issuer,
        title=title,
        body=body,
        copy_to=pairing.unit.name,
        drafted_on=day,
        drafted_at=timezone.now(),
        response_workdays=RESPONSE_WORKDAYS,
    )
    notice.items.set(late_ids)
    return notice


# --- What a 包保 leader sees ------------------------------------------------------------------------------------


@dataclass
class RegionStatus:
    pairing: Pairing
    region: Unit
    open_items: int
    late_items: int
    lights: dict[str, int]
    last_visit: Visit | None
    next_visit: Obligation | None
    last_warning: RegionWarning | None = None

    @property
    def light(self) -> str:
        if self.lights.get(Light.RED):
            return Light.RED
        if self.lights.get(Light.YELLOW):
            return Light.YELLOW
        return Light.GREEN


def region_statuses(pairings: Iterable[Pairing], as_of: dt.date | None = None) -> list[RegionStatus]:
    """Each paired region at a glance: its open and late items, its lights, its last visit and the next owed.
    A fixed number of queries whatever the number of regions."""
    as_of = as_of or timezone.localdate()
    pairings = list(pairings)
    if not pairings:
        return []
    links = list(
        Pairing.regions.through.objects.filter(pairing__in=pairings)
        .select_related("unit")
        .order_by("pairing_id", "unit__position", "unit__code")
    )
    region_ids = {link.unit_id for link in links}
    plans = {pairing.plan_id for pairing in pairings}
    # Everything as it stood at the end of ``as_of``, read from the history.
    assignments = list(
        Assignment.objects.filter(unit_id__in=region_ids, task__plan_id__in=plans)
        .annotate(state_then=state_at(end_of_day(as_of)))
        .filter(state_then__isnull=False)
        .exclude(state_then__in=ENDED_STATES)
        .values_list("pk", "unit_id", "task__plan_id")
    )
    lights = lights_for([pk for pk, *_rest in assignments], as_of)
    owed = Obligation.objects.filter(assignment_id__in=[pk for pk, *_rest in assignments], due_date__lt=as_of)
    late_ids = set(obligations_owed_as_of(owed, as_of).values_list("assignment_id", flat=True))
    visits: dict[tuple[int, int], Visit] = {}
    for visit in Visit.objects.filter(pairing__in=pairings, visited_on__lte=as_of).order_by("visited_on", "pk"):
        visits[(visit.pairing_id, visit.region_id)] = visit
    upcoming: dict[tuple[int, int], Obligation] = {}
    visits_owed = Obligation.objects.filter(pairing__in=pairings, kind=ObligationKind.VISIT)
    for obligation in obligations_owed_as_of(visits_owed, as_of).order_by("-due_date", "-pk"):
        upcoming[(obligation.pairing_id or 0, obligation.region_id or 0)] = obligation
    warnings: dict[tuple[int, int], RegionWarning] = {}
    for warning in RegionWarning.objects.filter(region_id__in=region_ids, plan_id__in=plans, day__lte=as_of).order_by(
        "day", "pk"
    ):
        warnings[(warning.plan_id, warning.region_id)] = warning
    items: dict[tuple[int, int], list[int]] = defaultdict(list)  # (region, plan) → its open assignments
    for pk, unit_id, plan_id in assignments:
        items[(unit_id, plan_id)].append(pk)
    by_pairing = {pairing.pk: pairing for pairing in pairings}
    statuses = []
    for link in links:
        pairing = by_pairing[link.pairing_id]
        counts: dict[str, int] = {light.value: 0 for light in Light}
        open_items = late_items = 0
        for pk in items[(link.unit_id, pairing.plan_id)]:
            open_items += 1
            late_items += pk in late_ids
            counts[lights[pk]] += 1
        statuses.append(
            RegionStatus(
                pairing=pairing,
                region=link.unit,
                open_items=open_items,
                late_items=late_items,
                lights=counts,
                last_visit=visits.get((pairing.pk, link.unit_id)),
                next_visit=upcoming.get((pairing.pk, link.unit_id)),
                last_warning=warnings.get((pairing.plan_id, link.unit_id)),
            )
        )
    return statuses
