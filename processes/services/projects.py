"""项目库: entering projects, the library's decisions on them, their 倒排工期 milestones, their bimonthly reports and
the investment they owe by the 序时进度 of their plan.

- ``project_create`` / ``project_update``: a region enters a project (谋划储备), one by one (the import enters many);
- ``project_propose``, ``project_admit`` (into a batch: 入库), ``project_send_back``: the way into the library;
- ``project_withdraw_request`` / ``project_withdraw_decide``: 退库 needs a reason and the office's approval;
- ``milestones_plan``: the dates of 前期手续, 开工, 主体完工, 竣工投运 and of the office's own milestones;
- ``projects_sync``: what in-library projects owe — each milestone by its planned date, a report every period —
  as obligations of their region's item of the library's reporting task, so that the ladder watches them;
- ``project_report_save`` / ``project_report_accept`` / ``project_report_return``: the bimonthly report, drafted,
  submitted and reviewed as any progress report; an accepted report records the milestones reached (开工 puts the
  project 在建, 竣工投运 建成投运) and, when 累计完成投资 is behind the 序时进度 by more than the library's threshold,
  an explanation owed at once, which climbs the ladder until it is given.

Every change writes the project's timeline (``ProjectEvent``) in the same transaction.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_fsm import has_transition_perm

from processes.models import (
    IN_LIBRARY_STATES,
    OWED_STATES,
    STANDARD_MILESTONES,
    Assignment,
    AssignmentTransition,
    MilestoneKind,
    Obligation,
    ObligationKind,
    ObligationState,
    Plan,
    Project,
    ProjectAction,
    ProjectEvent,
    ProjectField,
    ProjectInvestment,
    ProjectLibrary,
    ProjectMilestone,
    ProjectProgress,
    ProjectState,
    Report,
    ReportStatus,
    Task,
    TransitionAction,
    Unit,
    User,
)
from processes.rules import manages_project_library, proposes_project, regions_proposable_by
from processes.workdays import next_workday

from .history import ENDED_STATES
from .lifecycle import AlreadyHandled, InvalidInput, NotAllowed
from .rounds import progress_accept, progress_return, progress_save

CENT = Decimal("0.01")
PROJECT_OBLIGATIONS = (ObligationKind.PROJECT_MILESTONE, ObligationKind.PROJECT_REPORT, ObligationKind.PROJECT_LAG)
MILESTONE_LABELS = {kind: str(kind.label) for kind in MilestoneKind}


def amount(value: Any) -> Decimal:
    """万元 with two decimals, rounded half up."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(text: Any, *, field: str) -> Decimal:
    """An amount typed in a form: a number of 万元, not negative."""
    try:
        value = amount(str(text).replace(",", "").replace("，", "").strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Give an amount in 万元, such as 1250.50."), field=field) from None
    if value < 0:
        raise InvalidInput(_("An amount cannot be negative."), field=field)
    return value


def _event(
    project: Project,
    action: str,
    by: User | None,
    *,
    source: str = "",
    target: str = "",
    comment: str = "",
    data: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> ProjectEvent:
    return ProjectEvent.objects.create(
        project=project,
        action=action,
        source=source,
        target=target,
        by=by,
        at=at or timezone.now(),
        comment=comment,
        data=dict(data or {}),
    )


def _lock(project: Project | int) -> Project:
    pk = project.pk if isinstance(project, Project) else project
    return Project.objects.select_for_update(of=("self",)).select_related("library__office", "region").get(pk=pk)


# ---------------------------------------------------------------------------------------------------------------
# Entering projects


@dataclass
class ProjectData:
    """What a region enters of a project (the columns of the published tables)."""

    name: str
    region: Unit
    start_year: int
    end_year: int
    planned_investment: Decimal
    company: str = ""
    scale: str = ""
    field: ProjectField | None = None
    responsible_unit: Unit | None = None
    responsible_text: str = ""
    contact: str = ""
    contact_phone: str = ""
    code: str = ""
    yearly: dict[int, Decimal] = dataclasses.field(default_factory=dict)
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    source_file: str = ""
    source_row: int | None = None


def project_check(data: ProjectData) -> None:
    """Refuse what a project cannot be: no name, years out of order, negative or inconsistent amounts."""
    if not data.name.strip():
        raise InvalidInput(_("Name the project (项目名称)."), field="name")
    if data.end_year < data.start_year:
        raise InvalidInput(
            _("The construction period ends (%(end)s) before it starts (%(start)s).")
            % {"end": data.end_year, "start": data.start_year},
            field="end_year",
        )
    if not 2000 <= data.start_year <= 2100 or not 2000 <= data.end_year <= 2100:
        raise InvalidInput(_("Give the construction years as four digits (2023)."), field="start_year")
    if data.planned_investment < 0:
        raise InvalidInput(_("An amount cannot be negative."), field="planned_investment")
    for year, value in data.yearly.items():
        if not data.start_year <= year <= data.end_year:
            raise InvalidInput(
                _("%(year)s is outside the construction period %(start)s—%(end)s.")
                % {"year": year, "start": data.start_year, "end": data.end_year},
                field="yearly",
            )
        if value < 0:
            raise InvalidInput(_("An amount cannot be negative."), field="yearly")
    if data.yearly and sum(data.yearly.values(), Decimal(0)) > data.planned_investment:
        raise InvalidInput(
            _("The yearly amounts (%(sum)s 万元) add up to more than the planned investment (%(total)s 万元).")
            % {"sum": sum(data.yearly.values(), Decimal(0)), "total": data.planned_investment},
            field="yearly",
        )


def project_create(
    *, library: ProjectLibrary, data: ProjectData, by: User | None, action: str = ProjectAction.ENTERED
) -> Project:
    """A region enters a project into its library's reserve (谋划储备)."""
    project_check(data)
    if by is not None and not regions_proposable_by(by, library).filter(pk=data.region.pk).exists():
        raise NotAllowed(_("You may not enter projects for %(region)s.") % {"region": data.region})
    with transaction.atomic():
        if Project.objects.filter(library=library, region=data.region, name=data.name.strip()).exists():
            raise InvalidInput(
                _("%(region)s already has a project named %(name)s in the library.")
                % {"region": data.region, "name": data.name.strip()},
                field="name",
            )
        project = Project.objects.create(
            library=library,
            region=data.region,
            code=data.code,
            company=data.company.strip(),
            name=data.name.strip(),
            scale=data.scale.strip(),
            field=data.field,
            start_year=data.start_year,
            end_year=data.end_year,
            planned_investment=amount(data.planned_investment),
            responsible_unit=data.responsible_unit,
            responsible_text=data.responsible_text,
            contact=data.contact,
            contact_phone=data.contact_phone,
            extra=data.extra,
            source_file=data.source_file,
            source_row=data.source_row,
            created_at=timezone.now(),
            created_by=by,
        )
        ProjectInvestment.objects.bulk_create(
            [ProjectInvestment(project=project, year=year, amount=amount(value)) for year, value in data.yearly.items()]
        )
        _event(
            project,
            action,
            by,
            target=ProjectState.RESERVE,
            data={"file": data.source_file, "row": data.source_row} if data.source_file else {},
        )
    return project


EDITABLE = (
    "company",
    "name",
    "scale",
    "field",
    "start_year",
    "end_year",
    "planned_investment",
    "responsible_unit",
    "responsible_text",
    "contact",
    "contact_phone",
)


def project_update(*, project: Project | int, data: ProjectData, by: User) -> Project:
    """Correct a project's particulars: the region while it is not yet in the library, the office at any time. The
    timeline records what changed, from what to what."""
    project_check(data)
    with transaction.atomic():
        locked = _lock(project)
        office = manages_project_library(by, locked.library)
        if not office and not (proposes_project(by, locked) and locked.state == ProjectState.RESERVE):
            raise NotAllowed(_("Only the office may change a project once it has been proposed."))
        clash = Project.objects.filter(library=locked.library, region=locked.region, name=data.name.strip())
        if clash.exclude(pk=locked.pk).exists():
            raise InvalidInput(
                _("%(region)s already has a project named %(name)s in the library.")
                % {"region": locked.region, "name": data.name.strip()},
                field="name",
            )
        changes: dict[str, list[str]] = {}
        new_values = {
            "company": data.company.strip(),
            "name": data.name.strip(),
            "scale": data.scale.strip(),
            "field": data.field,
            "start_year": data.start_year,
            "end_year": data.end_year,
            "planned_investment": amount(data.planned_investment),
            "responsible_unit": data.responsible_unit,
            "responsible_text": data.responsible_text,
            "contact": data.contact,
            "contact_phone": data.contact_phone,
        }
        for name in EDITABLE:
            before, after = getattr(locked, name), new_values[name]
            if before != after:
                changes[name] = [str(before or ""), str(after or "")]
                setattr(locked, name, after)
        yearly_before = dict(locked.yearly.values_list("year", "amount"))
        yearly_after = {year: amount(value) for year, value in data.yearly.items()}
        if yearly_before != yearly_after:
            locked.yearly.all().delete()
            ProjectInvestment.objects.bulk_create(
                [ProjectInvestment(project=locked, year=year, amount=value) for year, value in yearly_after.items()]
            )
            changes["yearly"] = [_yearly_text(yearly_before), _yearly_text(yearly_after)]
        if not changes:
            return locked
        locked.save()
        _event(locked, ProjectAction.EDITED, by, data={"changes": changes})
    return locked


def _yearly_text(yearly: Mapping[int, Decimal]) -> str:
    return "；".join(f"{year}年 {value}" for year, value in sorted(yearly.items()))


# ---------------------------------------------------------------------------------------------------------------
# The library's decisions


def _step(project: Project | int, by: User, step: str, action: str, *, comment: str = "", **changes: Any) -> Project:
    with transaction.atomic():
        locked = _lock(project)
        transition = getattr(locked, step)
        if not has_transition_perm(transition, by):
            if locked.state not in [state.value for state in _sources(transition)]:
                raise AlreadyHandled
            raise NotAllowed(_("You may not take this step on this project."))
        source = locked.state
        transition()
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save()
        _event(locked, action, by, source=source, target=locked.state, comment=comment)
    return locked


def _sources(transition: Any) -> list[ProjectState]:
    meta = transition._django_fsm
    return [ProjectState(source) for source in meta.transitions if source in ProjectState.values]


def project_propose(*, project: Project | int, by: User, comment: str = "") -> Project:
    """The region proposes the project for the library (申报入库)."""
    return _step(project, by, "propose", ProjectAction.PROPOSED, comment=comment.strip(), return_reason="")


def project_admit(*, project: Project | int, by: User, batch: int, comment: str = "") -> Project:
    """The office admits the project into a batch (入库); it owes its milestones and reports from then on."""
    if not batch or batch < 1:
        raise InvalidInput(_("Name the batch the project is admitted into (第一批: 1)."), field="batch")
    with transaction.atomic():  # admitted with what it owes, or not at all
        project = _step(project, by, "admit", ProjectAction.ADMITTED, comment=comment.strip(), batch=batch)
        milestones_ensure(project=project, by=by)
        projects_sync(library=project.library, projects=[project.pk])
    return project


def project_send_back(*, project: Project | int, by: User, reason: str) -> Project:
    """The office sends a proposal back to the region with the reason (it returns to the reserve)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            _("Say why the project is sent back: the region needs to know what to change."), field="reason"
        )
    return _step(project, by, "send_back", ProjectAction.SENT_BACK, comment=reason, return_reason=reason)


def project_withdraw_request(*, project: Project | int, by: User, reason: str) -> Project:
    """The region (or the office) asks to take the project out of the library (退库), giving the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the project should leave the library (退库)."), field="reason")
    with transaction.atomic():
        locked = _lock(project)
        if not proposes_project(by, locked):
            raise NotAllowed(_("You may not take this step on this project."))
        if locked.state not in IN_LIBRARY_STATES:
            raise InvalidInput(_("Only a project in the library can be taken out of it."))
        if locked.withdraw_requested_at is not None:
            raise AlreadyHandled
        locked.withdraw_reason, locked.withdraw_requested_at, locked.withdraw_requested_by = reason, timezone.now(), by
        locked.save()
        _event(locked, ProjectAction.WITHDRAW_REQUESTED, by, comment=reason)
    return locked


def project_withdraw_decide(*, project: Project | int, by: User, approve: bool, comment: str = "") -> Project:
    """The office approves the 退库 (the project leaves the library and owes nothing more) or refuses it."""
    comment = (comment or "").strip()
    with transaction.atomic():
        locked = _lock(project)
        if not manages_project_library(by, locked.library):
            raise NotAllowed(_("Only the library's office decides on taking a project out of it."))
        if locked.withdraw_requested_at is None:
            raise AlreadyHandled
        if not approve:
            if not comment:
                raise InvalidInput(_("Say why the project stays in the library."), field="comment")
            reason = locked.withdraw_reason
            locked.withdraw_reason, locked.withdraw_requested_at, locked.withdraw_requested_by = "", None, None
            locked.save()
            _event(locked, ProjectAction.WITHDRAW_REFUSED, by, comment=comment, data={"reason": reason})
            return locked
        source = locked.state
        locked.withdraw()
        locked.save()
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("The project left the library (退库).")
        _obligations_waive(locked, by, reason)
        _event(
            locked,
            ProjectAction.WITHDRAWN,
            by,
            source=source,
            target=locked.state,
            comment=comment or locked.withdraw_reason,
        )
    return locked


# ---------------------------------------------------------------------------------------------------------------
# 倒排工期


def may_plan_milestones(user: User | Any, project: Project) -> bool:
    """The library's office plans a project's milestones; its region only while it is still in its reserve (once
    proposed, the dates are what the ladder holds the region to)."""
    if manages_project_library(user, project.library):
        return True
    return proposes_project(user, project) and project.state == ProjectState.RESERVE


def _month_end(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def default_milestone_dates(project: Project, today: dt.date | None = None) -> dict[str, dt.date]:
    """Where the office has not planned them: 前期手续 by the end of the first quarter of the first year, 开工 by the
    end of its first half, 主体完工 by the end of September of the last year, 竣工投运 by its end. A project admitted
    after such a date does not start late: that milestone is given the end of the month after next (and the next
    one no earlier), for the office to plan."""
    today = today or timezone.localdate()
    first, last = project.start_year, project.end_year
    dates: dict[str, dt.date] = {
        MilestoneKind.PREPARATION: dt.date(first, 3, 31),
        MilestoneKind.GROUNDBREAKING: dt.date(first, 6, 30),
        MilestoneKind.MAIN_WORKS: dt.date(last, 9, 30),
        MilestoneKind.OPERATION: dt.date(last, 12, 31),
    }
    earliest = _month_end(today, 2)
    for kind in STANDARD_MILESTONES:
        if dates[kind] < today:
            dates[kind] = earliest
        earliest = max(earliest, dates[kind])
    return dates


def milestones_ensure(*, project: Project, by: User | None) -> list[ProjectMilestone]:
    """Give a project the four standard milestones it lacks, at their default dates."""
    have = set(project.milestones.values_list("kind", flat=True))
    defaults = default_milestone_dates(project)
    missing = [kind for kind in STANDARD_MILESTONES if kind not in have]
    if missing:
        with translation.override(settings.LANGUAGE_CODE):
            ProjectMilestone.objects.bulk_create(
                [
                    ProjectMilestone(
                        project=project,
                        kind=kind,
                        label=str(MilestoneKind(kind).label),
                        position=STANDARD_MILESTONES.index(kind) * 10,
                        planned_date=defaults[kind],
                    )
                    for kind in missing
                ]
            )
    return list(project.milestones.all())


@dataclass(frozen=True)
class PlannedMilestone:
    label: str
    planned_date: dt.date
    kind: str = MilestoneKind.OTHER
    pk: int | None = None


def milestones_plan(
    *, project: Project | int, by: User, milestones: Sequence[PlannedMilestone]
) -> list[ProjectMilestone]:
    """The office (or the region, before the project is proposed) sets the 倒排工期: the planned dates of the standard
    milestones and of others it adds. A moved date re-arms the ladder for that milestone."""
    with transaction.atomic():
        locked = _lock(project)
        if not may_plan_milestones(by, locked):
            raise NotAllowed(_("Only the office may change the milestones of a project in the library."))
        existing = {milestone.pk: milestone for milestone in locked.milestones.all()}
        changes: list[dict[str, str]] = []
        seen_labels: set[str] = set()
        for position, planned in enumerate(milestones):
            label = planned.label.strip()
            if not label:
                raise InvalidInput(_("Name every milestone."), field="milestones")
            if label in seen_labels:
                raise InvalidInput(_("Two milestones are named %(label)s.") % {"label": label}, field="milestones")
            seen_labels.add(label)
            current = existing.get(planned.pk) if planned.pk else None
            if current is None:
                current = ProjectMilestone(project=locked, kind=planned.kind, label=label)
                changes.append({"milestone": label, "from": "", "to": planned.planned_date.isoformat()})
            elif current.planned_date != planned.planned_date or current.label != label:
                changes.append(
                    {
                        "milestone": label,
                        "from": current.planned_date.isoformat(),
                        "to": planned.planned_date.isoformat(),
                    }
                )
            current.label, current.planned_date, current.position = label, planned.planned_date, position * 10
            current.save()
        dates = {m.pk: m.planned_date for m in locked.milestones.all()}
        moved = []
        for obligation in Obligation.objects.filter(
            project_milestone__project=locked, kind=ObligationKind.PROJECT_MILESTONE
        ):
            planned_date = dates.get(obligation.project_milestone_id)
            if planned_date is not None and planned_date != obligation.due_date:
                obligation.due_date, obligation.cycle = planned_date, obligation.cycle + 1
                moved.append(obligation)
        Obligation.objects.bulk_update(moved, ["due_date", "cycle"])
        if changes:
            _event(locked, ProjectAction.MILESTONES_PLANNED, by, data={"changes": changes})
        projects_sync(library=locked.library, projects=[locked.pk])
    return list(locked.milestones.all())


def milestone_remove(*, milestone: ProjectMilestone | int, by: User) -> Project:
    """Remove one of the office's own milestones (not a standard one) that is not reached and whose obligation was
    not reported on: what it owed goes with it, and the timeline says so."""
    pk = milestone.pk if isinstance(milestone, ProjectMilestone) else milestone
    with transaction.atomic():
        found = ProjectMilestone.objects.filter(pk=pk).values_list("project_id", flat=True).first()
        if found is None:
            raise AlreadyHandled
        locked = _lock(found)
        if not may_plan_milestones(by, locked):
            raise NotAllowed(_("Only the office may change the milestones of a project in the library."))
        target = ProjectMilestone.objects.select_for_update().get(pk=pk)
        if target.kind != MilestoneKind.OTHER:
            raise InvalidInput(_("The four standard milestones stay; move their dates instead."), field="milestones")
        if target.actual_date is not None or target.obligations.exclude(state__in=OWED_STATES).exists():
            raise InvalidInput(
                _("%(label)s was reported reached: it cannot be removed.") % {"label": target.label},
                field="milestones",
            )
        if target.obligations.filter(
            Q(reports__isnull=False) | Q(transitions__isnull=False) | Q(fired__isnull=False)
        ).exists():
            raise InvalidInput(
                _("%(label)s has been reported on or warned about: move its date instead.") % {"label": target.label},
                field="milestones",
            )
        _event(
            locked,
            ProjectAction.MILESTONES_PLANNED,
            by,
            data={"changes": [{"milestone": target.label, "from": target.planned_date.isoformat(), "to": ""}]},
        )
        target.delete()
    return locked


# ---------------------------------------------------------------------------------------------------------------
# What projects owe: obligations of their region's item of the reporting task


def _asks_for_project_progress(tasks: QuerySet[Task]) -> Task | None:
    return (
        tasks.filter(text__contains="项目进展")
        .filter(Q(text__contains="上报") | Q(text__contains="报送"))
        .order_by("position")
        .first()
    )


def reporting_task(library: ProjectLibrary, year: int) -> Task | None:
    """The task of the office's plan of ``year`` that carries the projects: the library's 序号 when that plan has
    it, else the task that asks for the projects' progress (每两月及时上报各项目进展情况) — a new year's plan may number
    it differently. ``None``: the projects owe nothing on the ladder that year (the pages say so)."""
    tasks = Task.objects.filter(plan__issuer_id=library.office_id, plan__year=year)
    if library.task_number:
        task = tasks.filter(number=library.task_number).first()
        if task is not None:
            return task
    return _asks_for_project_progress(tasks)


def reporting_items(library: ProjectLibrary, year: int) -> dict[int, int]:
    """Region unit id → the id of its item (assignment) of the library's reporting task in the office's plan of
    ``year``; a unit without one reports through its nearest unit above that has one."""
    task = reporting_task(library, year)
    if task is None:
        return {}
    items = dict(Assignment.objects.filter(task=task).exclude(state__in=ENDED_STATES).values_list("unit_id", "pk"))
    if not items:
        return {}
    parents = dict(Unit.objects.values_list("pk", "parent_id"))
    found: dict[int, int] = {}
    for unit_id in parents:
        current: int | None = unit_id
        while current is not None and current not in items:
            current = parents.get(current)
        if current is not None:
            found[unit_id] = items[current]
    return found


def report_periods(library: ProjectLibrary, year: int) -> list[tuple[dt.date, dt.date, dt.date, str]]:
    """The library's report periods of ``year``: (start, end, due, label) — 1–2月 due on the 5th of March, or the
    next working day."""
    months = library.report_months
    periods = []
    for first in range(1, 13, months):
        last = first + months - 1
        start = dt.date(year, first, 1)
        end = dt.date(year, last, calendar.monthrange(year, last)[1])
        following = end + dt.timedelta(days=1)
        due = next_workday(following.replace(day=library.report_due_day))
        if months == 1:
            label = _("%(year)s年%(month)s月项目进展") % {"year": year, "month": first}
        elif months == 12:
            label = _("%(year)s年项目进展") % {"year": year}
        else:
            label = _("%(year)s年%(first)s—%(last)s月项目进展") % {"year": year, "first": first, "last": last}
        periods.append((start, end, due, label))
    return periods


def _admitted_on(project_ids: Iterable[int]) -> dict[int, dt.date]:
    admitted: dict[int, dt.date] = {}
    for project_id, at in (
        ProjectEvent.objects.filter(project_id__in=list(project_ids), action=ProjectAction.ADMITTED)
        .order_by("at")
        .values_list("project_id", "at")
    ):
        admitted.setdefault(project_id, timezone.localdate(at))
    return admitted


def projects_sync(
    *, library: ProjectLibrary, as_of: dt.date | None = None, projects: Iterable[int] | None = None
) -> int:
    """Give every project in the library (入库, not yet 建成投运) the obligations it owes on its region's item of the
    reporting task in the plan of ``as_of``'s year: each unreached milestone by its planned date, and a report for
    every period that ends after it was admitted. Idempotent; returns how many obligations were created."""
    as_of = as_of or timezone.localdate()
    items = reporting_items(library, as_of.year)
    if not items:
        return 0
    now = timezone.now()
    selected = Project.objects.filter(library=library, state__in=[ProjectState.ADMITTED, ProjectState.BUILDING])
    if projects is not None:
        selected = selected.filter(pk__in=list(projects))
    rows = list(selected.values_list("pk", "region_id", "name"))
    if not rows:
        return 0
    admitted = _admitted_on(pk for pk, _region, _name in rows)
    plan_start = (
        Plan.objects.filter(issuer_id=library.office_id, year=as_of.year).values_list("starts_on", flat=True).first()
    )
    # A milestone is owed once: again on this year's item only if what it owed sat on an item that has ended (closed
    # out or carried over) without being answered.
    have_milestones = set(
        Obligation.objects.filter(project_id__in=[pk for pk, _r, _n in rows], kind=ObligationKind.PROJECT_MILESTONE)
        .filter(~Q(assignment__state__in=ENDED_STATES) | ~Q(state__in=OWED_STATES))
        .values_list("project_milestone_id", flat=True)
    )
    have_reports = set(
        Obligation.objects.filter(
            project_id__in=[pk for pk, _r, _n in rows], kind=ObligationKind.PROJECT_REPORT
        ).values_list("project_id", "period_end")
    )
    milestones: dict[int, list[tuple[int, str, dt.date]]] = {}
    for pk, project_id, label, planned in ProjectMilestone.objects.filter(
        project_id__in=[pk for pk, _r, _n in rows], actual_date__isnull=True
    ).values_list("pk", "project_id", "label", "planned_date"):
        milestones.setdefault(project_id, []).append((pk, label, planned))
    periods = report_periods(library, as_of.year)
    new: list[Obligation] = []
    with translation.override(settings.LANGUAGE_CODE):
        for project_id, region_id, name in rows:
            item = items.get(region_id)
            if item is None:
                continue
            for milestone_id, label, planned in milestones.get(project_id, []):
                if milestone_id not in have_milestones and planned.year <= as_of.year:
                    new.append(
                        Obligation(
                            assignment_id=item,
                            kind=ObligationKind.PROJECT_MILESTONE,
                            project_id=project_id,
                            project_milestone_id=milestone_id,
                            label=_("%(project)s：%(milestone)s") % {"project": name[:60], "milestone": label},
                            due_date=planned,
                            created_at=now,
                        )
                    )
            since = max(filter(None, [admitted.get(project_id), plan_start]))
            for start, end, due, label in periods:
                if end >= since and (project_id, end) not in have_reports:
                    new.append(
                        Obligation(
                            assignment_id=item,
                            kind=ObligationKind.PROJECT_REPORT,
                            project_id=project_id,
                            label=_("%(project)s：%(period)s") % {"project": name[:60], "period": label},
                            period_start=start,
                            period_end=end,
                            due_date=due,
                            created_at=now,
                        )
                    )
    Obligation.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return len(new)


def projects_sync_for_plan(plan: Plan, as_of: dt.date) -> int:
    """The replay's daily step: the obligations of the library of the plan's office, if it has one."""
    library = ProjectLibrary.objects.filter(office_id=plan.issuer_id).first()
    return projects_sync(library=library, as_of=as_of) if library is not None else 0


def libraries_sync(as_of: dt.date | None = None) -> int:
    """What the daily job runs: every library's obligations for the day's year."""
    return sum(projects_sync(library=library, as_of=as_of) for library in ProjectLibrary.objects.all())


# ---------------------------------------------------------------------------------------------------------------
# Investment by the 序时进度


def planned_by(project: Project, day: dt.date, yearly: Mapping[int, Decimal] | None = None) -> Decimal:
    """The investment the project should have made by ``day`` (序时进度): the years before in full and the current
    year's planned amount in proportion to the days gone; without a yearly plan, the total spread evenly over the
    construction years."""
    yearly = dict(project.yearly.values_list("year", "amount")) if yearly is None else dict(yearly)
    years = range(project.start_year, project.end_year + 1)
    if not yearly:
        share = Decimal(project.planned_investment) / len(years)
        yearly = dict.fromkeys(years, share)
    total = Decimal(0)
    for year in years:
        value = Decimal(yearly.get(year, 0))
        if year < day.year:
            total += value
        elif year == day.year:
            days = 366 if calendar.isleap(year) else 365
            total += value * Decimal(day.timetuple().tm_yday) / Decimal(days)
    return amount(min(total, Decimal(project.planned_investment)))


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Lag:
    expected: Decimal
    invested: Decimal
    expected_percent: Decimal
    invested_percent: Decimal

    @property
    def points(self) -> Decimal:
        return self.expected_percent - self.invested_percent


def investment_lag(project: Project, invested_total: Decimal, day: dt.date) -> Lag | None:
    """The project's lag behind its 序时进度 on ``day``, if it is more than the library's threshold."""
    expected = planned_by(project, day)
    expected_percent = percent(expected, project.planned_investment)
    invested_percent = percent(invested_total, project.planned_investment)
    if expected_percent is None or invested_percent is None:
        return None
    lag = Lag(expected, amount(invested_total), expected_percent, invested_percent)
    return lag if lag.points > project.library.lag_threshold else None


def latest_progress(
    project_ids: Iterable[int], *, until: dt.datetime | None = None, before_period: dt.date | None = None
) -> dict[int, ProjectProgress]:
    """Each project's latest submitted (not returned) investment figures — of its latest period, the later report
    of a period winning — as they stood at ``until``; with ``before_period``, of the periods ending before it. A
    report for an earlier period resubmitted late does not hide a later period's figures."""
    progress = ProjectProgress.objects.filter(
        project_id__in=list(project_ids),
        report__status=ReportStatus.SUBMITTED,
        report__submitted_at__isnull=False,
        invested_total__isnull=False,
    ).exclude(report__obligation__state=ObligationState.RETURNED)
    if until is not None:
        progress = progress.filter(report__submitted_at__lt=until)
    progress = progress.annotate(period=Coalesce("report__obligation__period_end", "report__obligation__due_date"))
    if before_period is not None:
        progress = progress.filter(period__lt=before_period)
    latest: dict[int, ProjectProgress] = {}
    for row in progress.select_related("report").order_by("period", "report__submitted_at", "pk"):
        latest[row.project_id] = row
    return latest


# ---------------------------------------------------------------------------------------------------------------
# Bimonthly reports


def _project_obligation(obligation: Obligation | int) -> Obligation:
    pk = obligation.pk if isinstance(obligation, Obligation) else obligation
    found = Obligation.objects.select_related("project__library", "assignment").filter(pk=pk).first()
    if found is None or found.project_id is None or found.kind not in PROJECT_OBLIGATIONS:
        raise InvalidInput(_("This is not a project's report."))
    return found


def _project_of(obligation: Obligation) -> Project:
    if obligation.project is None:
        raise InvalidInput(_("This is not a project's report."))
    return obligation.project


def project_report_save(
    *,
    obligation: Obligation | int,
    by: User,
    invested_period: Decimal | None,
    invested_total: Decimal | None,
    image_progress: str,
    problems: str = "",
    coordination: str = "",
    milestones_reached: Mapping[int, dt.date] | None = None,
    files: Sequence[object] = (),
    submit: bool,
) -> Report:
    """A region's report on a project: for a period (or explaining a lag), 本期完成投资, 累计完成投资, 形象进度, the
    milestones reached with their dates, 难点堵点, 需协调事项 and photos; for a milestone owed, the day it was reached
    (the amounts are then optional). Saved as a draft or submitted; the report is the region item's progress report,
    so the same rules hold (who may, late marking, one draft)."""
    target = _project_obligation(obligation)
    project = _project_of(target)
    if project.state == ProjectState.WITHDRAWN:
        raise InvalidInput(_("The project has left the library (退库): nothing more is reported on it."))
    reached = dict(milestones_reached or {})
    if target.kind == ObligationKind.PROJECT_MILESTONE:
        if submit and target.project_milestone_id not in reached:
            raise InvalidInput(_("Give the day the milestone was reached."), field="milestones")
    elif invested_period is None or invested_total is None:
        raise InvalidInput(_("Give 本期完成投资 and 累计完成投资 (万元)."), field="invested_total")
    invested_period = None if invested_period is None else amount(invested_period)
    invested_total = None if invested_total is None else amount(invested_total)
    if (invested_period or 0) < 0 or (invested_total or 0) < 0:
        raise InvalidInput(_("An amount cannot be negative."), field="invested_total")
    if invested_period is not None and (invested_total is None or invested_total < invested_period):
        raise InvalidInput(
            _("累计完成投资 (%(total)s 万元) cannot be less than 本期完成投资 (%(period)s 万元).")
            % {"total": invested_total, "period": invested_period},
            field="invested_total",
        )
    # Compared with the periods before this one (an explanation of a lag: with its period's own report too).
    period = target.period_end or target.due_date
    if target.kind == ObligationKind.PROJECT_LAG:
        period += dt.timedelta(days=1)
    previous = latest_progress([project.pk], before_period=period).get(project.pk)
    if (
        submit
        and previous is not None
        and previous.invested_total is not None
        and invested_total is not None
        and previous.report.obligation_id != target.pk
        and invested_total < previous.invested_total
    ):
        raise InvalidInput(
            _("累计完成投资 (%(total)s 万元) is less than last reported (%(before)s 万元).")
            % {"total": invested_total, "before": previous.invested_total},
            field="invested_total",
        )
    own = {m.pk: m for m in project.milestones.all()}
    today = timezone.localdate()
    for milestone_id, day in reached.items():
        if milestone_id not in own:
            raise InvalidInput(_("That milestone is not this project's."), field="milestones")
        if day > today:
            raise InvalidInput(
                _("%(milestone)s cannot be reached on %(day)s, a day still to come.")
                % {"milestone": own[milestone_id].label, "day": day.isoformat()},
                field="milestones",
            )
    with transaction.atomic():
        report = progress_save(
            obligation=target,
            by=by,
            text=image_progress,
            problems=problems,
            next_steps=coordination,
            files=files,
            submit=submit,
        )
        period_end = target.period_end or target.due_date
        ProjectProgress.objects.update_or_create(
            report=report,
            defaults={
                "project": project,
                "invested_period": invested_period,
                "invested_total": invested_total,
                "coordination": (coordination or "").strip(),
                "milestones_reached": {str(pk): day.isoformat() for pk, day in reached.items()},
                "expected_percent": percent(planned_by(project, period_end), project.planned_investment),
            },
        )
        if submit:
            _milestones_reported(project, target, report, reached, by)
            _event(
                project,
                ProjectAction.REPORTED,
                by,
                comment=image_progress.strip(),
                data={
                    "obligation": target.pk,
                    "period": target.label,
                    "invested_period": str(invested_period),
                    "invested_total": str(invested_total),
                },
            )
    return report


def _milestones_reported(
    project: Project, target: Obligation, report: Report, reached: Mapping[int, dt.date], by: User
) -> None:
    """Record the dates the region gives; the milestones' own obligations are answered by this report."""
    if not reached:
        return
    now = timezone.now()
    for milestone in ProjectMilestone.objects.select_for_update().filter(pk__in=list(reached)):
        milestone.actual_date, milestone.confirmed = reached[milestone.pk], False
        milestone.save(update_fields=["actual_date", "confirmed"])
        for owed in Obligation.objects.select_for_update().filter(
            project_milestone=milestone, kind=ObligationKind.PROJECT_MILESTONE, state__in=OWED_STATES
        ):
            owed.submit()
            owed.submitted_at, owed.late = now, milestone.actual_date > owed.due_date
            owed.save()
            AssignmentTransition.objects.create(
                assignment_id=owed.assignment_id,
                action=TransitionAction.PROGRESS_SUBMITTED,
                source=target.assignment.state,
                target=target.assignment.state,
                by=by,
                at=now,
                comment=_("%(milestone)s reached on %(day)s")
                % {"milestone": milestone.label, "day": milestone.actual_date},
                report=report,
                obligation=owed,
            )


def _report_of(target: Obligation) -> Report:
    report = (
        Report.objects.filter(obligation=target, status=ReportStatus.SUBMITTED).order_by("-submitted_at", "-pk").first()
    )
    if report is None:
        raise NotAllowed(_("There is no submitted report to review."))
    return report


def may_review_project(user: User | Any, project: Project) -> bool:
    """A project's reports confirm its milestones and move it (在建, 建成投运): the library's office reviews them, not
    the region's own supervisors, as with its admission."""
    return manages_project_library(user, project.library)


def _office_reviews(project: Project, by: User) -> None:
    if not may_review_project(by, project):
        raise NotAllowed(_("The library's office reviews a project's reports."))


def project_report_accept(*, obligation: Obligation | int, by: User, expected: bool = True) -> Obligation:
    """The office accepts the report: the milestones it names are confirmed (开工 puts the project 在建, 竣工投运
    建成投运); figures behind the 序时进度 by more than the threshold leave an explanation owed from today."""
    target = _project_obligation(obligation)
    project = _project_of(target)
    _office_reviews(project, by)
    with transaction.atomic():
        accepted = progress_accept(obligation=target, by=by, expected=expected)
        report = _report_of(accepted)
        progress = ProjectProgress.objects.filter(report=report).first()
        locked = _lock(project)
        _event(locked, ProjectAction.REPORT_ACCEPTED, by, data={"obligation": target.pk, "period": target.label})
        if progress is not None:
            _milestones_confirm(locked, progress, by)
            _lag_check(locked, accepted, progress, by)
    return accepted


def _obligations_waive(
    project: Project, by: User | None, reason: str, *, reports_due_after: dt.date | None = None
) -> int:
    """What the project still owes is owed no more (退库: everything; 建成投运: its milestones, an explanation of a lag
    and the reports of periods still to come — a report missed before stays owed). Each waived obligation gets its
    history row, so that the item read as of an earlier day still shows it owed then."""
    owed = Obligation.objects.select_for_update().filter(project=project, state__in=OWED_STATES)
    if reports_due_after is not None:
        owed = owed.exclude(kind=ObligationKind.PROJECT_REPORT, due_date__lte=reports_due_after)
    now, count = timezone.now(), 0
    for obligation in owed.select_related("assignment"):
        obligation.waive()
        obligation.save()
        AssignmentTransition.objects.create(
            assignment=obligation.assignment,
            action=TransitionAction.WAIVED,
            source=obligation.assignment.state,
            target=obligation.assignment.state,
            by=by,
            at=now,
            comment=reason,
            obligation=obligation,
        )
        count += 1
    return count


def _milestones_confirm(project: Project, progress: ProjectProgress, by: User) -> None:
    reached = {int(pk): dt.date.fromisoformat(day) for pk, day in progress.milestones_reached.items()}
    if not reached:
        return
    for milestone in ProjectMilestone.objects.filter(pk__in=list(reached), project=project):
        milestone.actual_date, milestone.confirmed = reached[milestone.pk], True
        milestone.save(update_fields=["actual_date", "confirmed"])
        for owed in Obligation.objects.select_related("assignment").filter(
            project_milestone=milestone, kind=ObligationKind.PROJECT_MILESTONE, state=ObligationState.SUBMITTED
        ):
            owed.accept()
            owed.save()
            AssignmentTransition.objects.create(
                assignment=owed.assignment,
                action=TransitionAction.PROGRESS_ACCEPTED,
                source=owed.assignment.state,
                target=owed.assignment.state,
                by=by,
                at=timezone.now(),
                obligation=owed,
            )
        _event(
            project,
            ProjectAction.MILESTONE_REACHED,
            by,
            comment=milestone.label,
            data={
                "milestone": milestone.pk,
                "planned": milestone.planned_date.isoformat(),
                "actual": milestone.actual_date.isoformat(),
            },
        )
        if milestone.kind == MilestoneKind.GROUNDBREAKING and project.state == ProjectState.ADMITTED:
            source = project.state
            project.start()
            project.save()
            _event(project, ProjectAction.STARTED, by, source=source, target=project.state)
        if milestone.kind == MilestoneKind.OPERATION and project.state in (
            ProjectState.ADMITTED,
            ProjectState.BUILDING,
        ):
            source = project.state
            project.complete()
            project.save()
            _event(project, ProjectAction.COMPLETED, by, source=source, target=project.state)
            with translation.override(settings.LANGUAGE_CODE):
                reason = _("The project is in operation (建成投运).")
            _obligations_waive(project, by, reason, reports_due_after=timezone.localdate())


def _lag_check(project: Project, target: Obligation, progress: ProjectProgress, by: User) -> Obligation | None:
    """After an accepted period report: if 累计完成投资 is behind the 序时进度 at the period's end by more than the
    threshold, the region owes an explanation (due today: the ladder's warnings follow on the next working days)."""
    if (
        target.kind != ObligationKind.PROJECT_REPORT
        or project.state == ProjectState.COMPLETED
        or progress.invested_total is None
    ):
        return None
    period_end = target.period_end or target.due_date
    lag = investment_lag(project, progress.invested_total, period_end)
    if lag is None:
        return None
    today = timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        label = _("%(project)s：投资滞后序时进度%(points)s个百分点") % {
            "project": project.name[:60],
            "points": lag.points,
        }
    obligation, created = Obligation.objects.get_or_create(
        project=project,
        kind=ObligationKind.PROJECT_LAG,
        period_end=period_end,
        defaults={
            "assignment_id": target.assignment_id,
            "label": label,
            "period_start": target.period_start,
            "due_date": today,
            "created_at": timezone.now(),
        },
    )
    if created:
        _event(
            project,
            ProjectAction.LAGGING,
            by,
            comment=label,
            data={
                "expected": str(lag.expected),
                "invested": str(lag.invested),
                "expected_percent": str(lag.expected_percent),
                "invested_percent": str(lag.invested_percent),
            },
        )
    return obligation


def project_report_return(*, obligation: Obligation | int, by: User, reason: str, expected: bool = True) -> Obligation:
    """The office returns the report: the milestones it claimed are owed again."""
    target = _project_obligation(obligation)
    project = _project_of(target)
    _office_reviews(project, by)
    with transaction.atomic():
        returned = progress_return(obligation=target, by=by, reason=reason, expected=expected)
        report = Report.objects.filter(obligation=target).order_by("-submitted_at", "-pk").first()
        progress = ProjectProgress.objects.filter(report=report).first() if report else None
        if progress is not None and progress.milestones_reached:
            ids = [int(pk) for pk in progress.milestones_reached]
            ProjectMilestone.objects.filter(pk__in=ids, confirmed=False).update(actual_date=None)
            for owed in Obligation.objects.filter(
                project_milestone_id__in=ids, kind=ObligationKind.PROJECT_MILESTONE, state=ObligationState.SUBMITTED
            ):
                owed.return_report()
                owed.save()
                AssignmentTransition.objects.create(
                    assignment_id=owed.assignment_id,
                    action=TransitionAction.PROGRESS_RETURNED,
                    source=returned.assignment.state,
                    target=returned.assignment.state,
                    by=by,
                    at=timezone.now(),
                    comment=reason,
                    obligation=owed,
                )
        _event(project, ProjectAction.REPORT_RETURNED, by, comment=reason, data={"obligation": target.pk})
    return returned


def library_ensure(office: Unit) -> ProjectLibrary:
    """The office's project library, created the first time it is needed. Its reporting task is the task of the
    office's newest plan that asks for the projects' progress (每两月及时上报各项目进展情况); the admin may
    change it."""
    library = ProjectLibrary.objects.filter(office=office).first()
    if library is not None:
        return library
    task_number = ""
    plan = Plan.objects.filter(issuer=office).order_by("-year").first()
    if plan is not None:
        task = _asks_for_project_progress(plan.tasks.all())
        task_number = task.number if task is not None else ""
    place = office.short_name or office.name
    library, _created = ProjectLibrary.objects.get_or_create(
        office=office,
        defaults={"name": _("%(place)s“无废城市”建设项目库") % {"place": place}, "task_number": task_number},
    )
    return library


def projects_of(library: ProjectLibrary) -> QuerySet[Project]:
    return Project.objects.filter(library=library).select_related("region", "field", "responsible_unit")


def library_for(unit: Unit | None) -> ProjectLibrary | None:
    """The library a unit's projects go into: that of the nearest office above it (or its own), else the
    province's."""
    libraries = {library.office_id: library for library in ProjectLibrary.objects.select_related("office")}
    if not libraries:
        return None
    parents = dict(Unit.objects.values_list("pk", "parent_id"))
    current = unit.pk if unit is not None else None
    while current is not None:
        if current in libraries:
            return libraries[current]
        current = parents.get(current)
    provincial = [library for library in libraries.values() if library.office.level == "province"]
    return provincial[0] if provincial else None


def obligation_is_project(obligation: Obligation) -> bool:
    return obligation.kind in (
        ObligationKind.PROJECT_MILESTONE,
        ObligationKind.PROJECT_REPORT,
        ObligationKind.PROJECT_LAG,
    )


__all__ = [
    "Lag",
    "PlannedMilestone",
    "ProjectData",
    "amount",
    "default_milestone_dates",
    "investment_lag",
    "latest_progress",
    "libraries_sync",
    "library_for",
    "milestone_remove",
    "milestones_ensure",
    "milestones_plan",
    "obligation_is_project",
    "parse_amount",
    "percent",
    "planned_by",
    "project_admit",
    "project_check",
    "project_create",
    "project_propose",
    "project_report_accept",
    "project_report_return",
    "project_report_save",
    "project_send_back",
    "project_update",
    "project_withdraw_decide",
    "project_withdraw_request",
    "projects_of",
    "projects_sync",
    "report_periods",
    "reporting_items",
]
