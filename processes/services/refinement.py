"""细化: a city's (or a district's) plan refines the province's.

A task of a city's plan may name the provincial task it serves — in the file, a column such as 对应省级任务 holding
the provincial 序号, or chosen in the import preview. The link (``Task.serves``) goes to the provincial task's item
(assignment) of the issuing office's unit, or of the nearest unit above it below the province (a district's office
under a city refines the city's item). The provincial plan is the plan of the same year issued by the provincial
programme office.

What the province then sees: on a provincial item, the city tasks that refine it with their states and counts
(:func:`refinement_progress`), from which the city fills its report (:func:`refinement_report_text`); on the
provincial ledger, how far each city's own plan has got (:func:`city_plans_progress`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from processes.importing.table import ROLE_NAMES, ColumnRole
from processes.models import Assignment, AssignmentState, Obligation, Plan, Task, Unit, UnitLevel
from processes.rules import Viewer, assignments_in_scope, plans_in_scope, supervises_items

from .history import obligations_owed_as_of
from .plans import PlanNotFound, programme_office

if TYPE_CHECKING:
    from .plan_import import ImportReport

SERVES_FIELD = ROLE_NAMES[ColumnRole.SERVES]


# The import: which provincial item each row refines.


@dataclass
class Refinements:
    """What an import links: for the rows the file or the preview decides, the provincial item each refines."""

    provincial: Plan | None = None
    options: list[tuple[str, str]] = field(default_factory=list)  # (provincial 序号, label) the preview offers
    links: dict[str, int | None] = field(default_factory=dict)  # task 序号 → provincial assignment id (None: no link)
    shown: dict[str, str] = field(default_factory=dict)  # task 序号 → provincial 序号 the preview shows chosen

    def value_of(self, number: str) -> str:
        return self.shown.get(number, "")


def provincial_items(*, issuer: Unit, year: int) -> tuple[Plan | None, dict[str, Assignment]]:
    """The provincial plan of ``year`` and, by provincial 序号, the item a plan of ``issuer`` refines: the provincial
    task's assignment of the issuer's unit, or of its nearest ancestor that has one (never a provincial unit's).
    ``(None, {})`` for the province's own plan, or when the province has no plan that year."""
    try:
        office = programme_office()
    except PlanNotFound:
        return None, {}
    if issuer.pk == office.pk or issuer.level == UnitLevel.PROVINCE:
        return None, {}
    plan = Plan.objects.select_related("issuer").filter(issuer=office, year=year).first()
    if plan is None:
        return None, {}
    chain: list[int] = []
    unit: Unit | None = issuer
    while unit is not None and unit.level != UnitLevel.PROVINCE:
        chain.append(unit.pk)
        unit = unit.parent
    rank = {unit_id: index for index, unit_id in enumerate(chain)}
    found: dict[str, Assignment] = {}
    for item in (
        Assignment.objects.filter(task__plan=plan, unit_id__in=chain)
        .select_related("task", "unit")
        .order_by("task__position")
    ):
        best = found.get(item.task.number)
        if best is None or rank[item.unit_id] < rank[best.unit_id]:
            found[item.task.number] = item
    return plan, found


def refinements_resolve(*, report: ImportReport, chosen: Mapping[str, str] | None = None) -> Refinements:
    """Read each row's provincial task — the preview's choice (``chosen``: task 序号 → provincial 序号, "" for none)
    over the file's column — into ``report.refinements``. A provincial 序号 the province's plan lacks, or whose task
    has no item of the issuer, is a warning naming the file, row and column; the row is then not linked. A row the
    file leaves empty and the preview does not decide keeps the link it has."""
    from .plan_import import Change, ChangeKind

    refinements = Refinements()
    report.refinements = refinements
    chosen = chosen or {}
    issuer = report.issuer
    if issuer is None:
        return refinements
    wanted = [task for task in report.tasks if task.parsed.serves or chosen.get(task.number)]
    plan, items = provincial_items(issuer=issuer, year=report.year)
    if plan is None:
        if wanted:
            first = wanted[0].parsed
            message = (
                _("This is the provincial plan: it refines no other plan, so the column %(column)s is ignored.")
                if issuer.level == UnitLevel.PROVINCE
                else _(
                    "The provincial office has no plan for %(year)s, so no row can be linked to a provincial task "
                    "yet: import the provincial plan first, then this file again."
                )
            )
            report.problems.warning(
                message % {"column": SERVES_FIELD, "year": report.year},
                row=first.row,
                **first.layout.where(ColumnRole.SERVES),
            )
        return refinements
    refinements.provincial = plan
    refinements.options = [
        (number, f"{number}. {_short(item.task.text, 18)}（{item.unit.display_name}）")
        for number, item in items.items()
    ]
    existing = {
        number: (serves_id, serves_number)
        for number, serves_id, serves_number in Task.objects.filter(
            plan__issuer=issuer, plan__year=report.year
        ).values_list("number", "serves_id", "serves__task__number")
    }
    for task in report.tasks:
        number, parsed = task.number, task.parsed
        old_id, old_number = existing.get(number, (None, None))
        if number in chosen:
            written = chosen[number].strip()
            where = {"field": SERVES_FIELD, "sheet": parsed.layout.sheet}
        elif parsed.serves:
            written = parsed.serves
            where = parsed.layout.where(ColumnRole.SERVES)
        else:
            refinements.shown[number] = old_number or ""
            continue
        item = items.get(written) if written else None
        if written and item is None:
            known = Task.objects.filter(plan=plan, number=written).exists()
            report.problems.warning(
                (
                    _(
                        "Provincial task %(number)s has no item of %(office)s (nor of a unit above it): the task is "
                        "not linked to it."
                    )
                    if known
                    else _("The provincial plan %(plan)s has no task %(number)s: the task is not linked to it.")
                )
                % {"number": written, "office": issuer.name, "plan": plan.key},
                row=parsed.row,
                **where,
            )
        refinements.links[number] = item.pk if item else None
        refinements.shown[number] = written if item else ""
        if number in existing and old_id != refinements.links[number]:
            report.changes.append(
                Change(
                    ChangeKind.TASK_UPDATED,
                    number,
                    _("%(field)s: “%(old)s” → “%(new)s”")
                    % {"field": SERVES_FIELD, "old": old_number or "", "new": refinements.shown[number]},
                )
            )
    return refinements


def refinements_apply(*, report: ImportReport, tasks: Mapping[str, Task]) -> None:
    """Store the links ``refinements_resolve`` decided on the plan's tasks (inside the import's transaction)."""
    refinements: Refinements | None = getattr(report, "refinements", None)
    if refinements is None:
        return
    changed = []
    for number, serves_id in refinements.links.items():
        task = tasks.get(number)
        if task is not None and task.serves_id != serves_id:
            task.serves_id = serves_id
            changed.append(task)
    Task.objects.bulk_update(changed, ["serves"], batch_size=500)


def _short(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


# A provincial item: the city tasks that refine it.


@dataclass
class RefiningItem:
    assignment: Assignment
    late: bool
    visible: bool  # the viewer may open the city item


@dataclass
class RefiningTask:
    task: Task
    items: list[RefiningItem]

    @property
    def closed(self) -> int:
        return sum(item.assignment.state == AssignmentState.CLOSED for item in self.items)


@dataclass
class RefinementProgress:
    """The city tasks refining one provincial item, and the counts of their items as of ``as_of``."""

    as_of: dt.date
    tasks: list[RefiningTask] = field(default_factory=list)
    total: int = 0
    closed: int = 0
    carried: int = 0
    late: int = 0

    @property
    def open(self) -> int:
        return self.total - self.closed - self.carried

    @property
    def offices(self) -> list[Unit]:
        return list({task.task.plan.issuer_id: task.task.plan.issuer for task in self.tasks}.values())


def refinement_progress(*, assignment: Assignment, viewer: Viewer) -> RefinementProgress:
    """The tasks of the city (or district) plans that refine ``assignment``, each with its items and their states,
    and the counts: items in all, closed, open, late (still owing something past its due date, as the dashboard
    counts it). Whoever may see the provincial item sees them; a city item is linked only for those who may open
    it."""
    today = timezone.localdate()
    progress = RefinementProgress(as_of=today)
    tasks = list(
        Task.objects.filter(serves=assignment)
        .select_related("plan__issuer")
        .order_by("plan__issuer__level", "plan__issuer__position", "plan__issuer__code", "position")
    )
    if not tasks:
        return progress
    items = Assignment.objects.filter(task__in=tasks).select_related("unit")
    owed = Obligation.objects.filter(assignment__in=items.values("pk"), due_date__lt=today)
    late = set(obligations_owed_as_of(owed, today).order_by().values_list("assignment_id", flat=True).distinct())
    visible = set(assignments_in_scope(viewer, items).values_list("pk", flat=True))
    by_task: dict[int, list[RefiningItem]] = {}
    for item in items.order_by("unit__position", "unit__code"):
        by_task.setdefault(item.task_id, []).append(
            RefiningItem(assignment=item, late=item.pk in late, visible=item.pk in visible)
        )
        progress.total += 1
        progress.closed += item.state == AssignmentState.CLOSED
        progress.carried += item.state == AssignmentState.CARRIED
        progress.late += item.pk in late
    progress.tasks = [RefiningTask(task=task, items=by_task.get(task.pk, [])) for task in tasks]
    return progress


def refinement_report_text(*, assignment: Assignment, progress: RefinementProgress) -> str:
    """A report's text summarising the city tasks refining ``assignment`` and their states, for the unit to review
    and complete before it submits."""
    lines = [
        _(
            "Progress of the tasks refining this item in our own plan (as of %(date)s): %(tasks)s tasks with "
            "%(total)s items, %(closed)s closed out, %(open)s open, of which %(late)s late."
        )
        % {
            "date": progress.as_of.isoformat(),
            "tasks": len(progress.tasks),
            "total": progress.total,
            "closed": progress.closed,
            "open": progress.open,
            "late": progress.late,
        }
    ]
    for index, refining in enumerate(progress.tasks, start=1):
        states = "；".join(
            _("%(unit)s: %(state)s") % {"unit": item.assignment.unit.name, "state": _state_label(item)}
            for item in refining.items
        )
        lines.append(
            _("%(index)s. Task %(number)s of %(plan)s, “%(text)s” — %(states)s")
            % {
                "index": index,
                "number": refining.task.number,
                "plan": refining.task.plan.issuer.name,
                "text": _short(refining.task.text, 60),
                "states": states or "—",
            }
        )
    return "\n".join(lines)


def _state_label(item: RefiningItem) -> str:
    label = str(item.assignment.get_state_display())
    return _("%(state)s, late") % {"state": label} if item.late else label


# The provincial ledger: how far each city's own plan has got.


@dataclass
class CityPlanProgress:
    plan: Plan
    tasks: int = 0
    refining: int = 0  # tasks linked to a provincial item
    total: int = 0
    closed: int = 0
    carried: int = 0
    late: int = 0
    visible: bool = False  # the viewer may open the plan

    @property
    def open(self) -> int:
        return self.total - self.closed - self.carried

    @property
    def closed_percent(self) -> int:
        return round(self.closed * 100 / self.total) if self.total else 0


def watches_city_plans(viewer: Viewer) -> bool:
    """Who sees the panel of the cities' plans on the provincial ledger: the supervisors and admins (and superusers);
    a unit's reporters and leaders see their own items only."""
    return supervises_items(viewer)


def city_plans_progress(*, plan: Plan, viewer: Viewer) -> list[CityPlanProgress]:
    """For the provincial plan ``plan``: each other office's plan of its year (the cities' and districts' 细化),
    with its tasks, how many refine a provincial item, its items closed, open and late, and whether ``viewer`` may
    open it. Empty for another office's plan and for viewers who do not watch the ledger. A fixed number of
    queries however many plans."""
    if not watches_city_plans(viewer):
        return []
    try:
        office = programme_office()
    except PlanNotFound:
        return []
    if plan.issuer_id != office.pk:
        return []
    today = timezone.localdate()
    plans = list(
        plans_in_scope(viewer)
        .filter(year=plan.year)
        .exclude(issuer=office)
        .select_related("issuer")
        .annotate(
            task_count=Count("tasks", distinct=True),
            refining_count=Count("tasks", filter=Q(tasks__serves__isnull=False), distinct=True),
        )
        .order_by("issuer__level", "issuer__position", "issuer__code")
    )
    if not plans:
        return []
    rows = {p.pk: CityPlanProgress(plan=p, tasks=p.task_count, refining=p.refining_count) for p in plans}
    items = Assignment.objects.filter(task__plan__in=plans)
    for plan_id, state, count in (
        items.order_by()
        .values("task__plan_id", "state")
        .annotate(n=Count("pk"))
        .values_list("task__plan_id", "state", "n")
    ):
        row = rows[plan_id]
        row.total += count
        row.closed += count if state == AssignmentState.CLOSED else 0
        row.carried += count if state == AssignmentState.CARRIED else 0
    owed = Obligation.objects.filter(assignment__in=items.values("pk"), due_date__lt=today)
    for _item, plan_id in set(
        obligations_owed_as_of(owed, today).order_by().values_list("assignment_id", "assignment__task__plan_id")
    ):
        rows[plan_id].late += 1
    visible = set(plans_in_scope(viewer).filter(pk__in=rows).values_list("pk", flat=True))
    for plan_id, row in rows.items():
        row.visible = plan_id in visible
    return list(rows.values())
