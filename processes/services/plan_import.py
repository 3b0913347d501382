"""Importing a published task list into a plan: read, check every row, then apply all of it or nothing.

``plan_import`` is the one entry point for the command line and the web UI. It reads the file, resolves every
task's deadline and responsible units, compares the result with the plan already in the database (a re-import
updates tasks in place by 序号 and reports what changed), and — unless there is any error or it is a dry run —
writes the plan, its tasks, milestones and one assignment per task and unit in a single transaction.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, IntegrityError, models, transaction
from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from processes import workdays
from processes.importing.deadlines import Deadline, DeadlineError, parse_deadline
from processes.importing.problems import FileRefused, Problems
from processes.importing.readers import read_grids
from processes.importing.table import DOC_NO, ColumnRole, MilestoneCell, ParsedTable, ParsedTask, parse_grids
from processes.importing.units import GENERIC, UnitIndex
from processes.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    AssignmentTransition,
    DeadlineKind,
    Milestone,
    Obligation,
    Plan,
    PlanImport,
    Task,
    TransitionAction,
    Unit,
    UnitLevel,
    User,
)

from .bulk import insert_plain
from .carry_over import CARRIED_CATEGORY, CARRIED_TABLE
from .history import start_of_day
from .plans import PlanNotFound, issuing_office
from .refinement import refinements_apply, refinements_resolve
from .units import unit_index

if TYPE_CHECKING:
    from .refinement import Refinements

logger = logging.getLogger(__name__)

# Transitions written by imports; an assignment with any other has been worked on and is never removed.
IMPORT_ACTIONS = (TransitionAction.CREATED, TransitionAction.CREATED_DONE, TransitionAction.CLOSED_DONE)
# Below this similarity of old and new text, a re-imported task is taken for another task (see _guard_renumbering).
RENUMBERING_SIMILARITY = 0.5
CHILD_LEVEL = {UnitLevel.PROVINCE: UnitLevel.CITY, UnitLevel.CITY: UnitLevel.COUNTY, UnitLevel.COUNTY: UnitLevel.COUNTY}


@dataclass
class ResolvedTask:
    """A row of the file with its deadline understood and its units resolved to codes."""

    parsed: ParsedTask
    deadline: Deadline
    units: dict[str, str]  # unit code → AssignmentRole, in the order the row names them

    @property
    def number(self) -> str:
        return self.parsed.number

    def field_values(self, position: int) -> dict[str, Any]:
        return {
            "position": position,
            "category": self.parsed.category,
            "text": self.parsed.text,
            "units_text": self.parsed.units_text,
            "co_units_text": self.parsed.co_units_text,
            "deadline_text": self.parsed.deadline_text,
            "deadline_kind": self.deadline.kind,
            "due_date": self.deadline.due_date,
            "frequency": self.deadline.frequency or "",
            "recurring_day": self.deadline.day,
            "table": self.parsed.table,
            "extra": self.parsed.extra,
        }


class ChangeKind(models.TextChoices):
    TASK_CREATED = "task_created", gettext_lazy("new tasks")
    TASK_UPDATED = "task_updated", gettext_lazy("task changes")
    TASK_REMOVED = "task_removed", gettext_lazy("tasks removed")
    ASSIGNMENT_CREATED = "assignment_created", gettext_lazy("new assignments")
    ASSIGNMENT_UPDATED = "assignment_updated", gettext_lazy("assignments changing lead / co")
    ASSIGNMENT_REMOVED = "assignment_removed", gettext_lazy("assignments removed")
    ASSIGNMENT_CLOSED = "assignment_closed", gettext_lazy("assignments closed as completed")


@dataclass
class Change:
    kind: ChangeKind
    task: str
    detail: str

    @property
    def label(self) -> str:
        return str(self.kind.label)

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind.value, "task": self.task, "detail": self.detail}


@dataclass
class ImportReport:
    filename: str
    year: int
    dry_run: bool
    problems: Problems
    title: str = ""
    doc_no: str = ""
    tasks: list[ResolvedTask] = field(default_factory=list)
    new_units: dict[str, tuple[str, str]] = field(default_factory=dict)  # name → (code, parent code)
    new_unit_kinds: dict[str, tuple[str, str]] = field(default_factory=dict)  # name → (level, name as written)
    created_for: dict[str, str] = field(default_factory=dict)  # name as written → name of the unit created
    changes: list[Change] = field(default_factory=list)
    unit_names: dict[str, str] = field(default_factory=dict)
    applied: bool = False
    plan_id: int | None = None
    starts: dt.date | None = None
    issuer: Unit | None = None
    refinements: Refinements | None = None  # the provincial items the rows refine (细化), see refinement.py

    @property
    def errors(self) -> list[Any]:
        return self.problems.errors

    @property
    def warnings(self) -> list[Any]:
        return self.problems.warnings

    @property
    def ok(self) -> bool:
        return not self.problems.errors

    @property
    def assignment_count(self) -> int:
        return sum(len(task.units) for task in self.tasks)

    @property
    def closed_count(self) -> int:
        return sum(len(task.units) for task in self.tasks if task.deadline.kind == DeadlineKind.DONE)

    @property
    def milestone_count(self) -> int:
        return sum(len(task.parsed.milestones) for task in self.tasks)

    def change_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.kind.value] = counts.get(change.kind.value, 0) + 1
        return counts

    def change_summary(self) -> list[tuple[str, int]]:
        """(label, count) per kind of change, in the order of ``ChangeKind``."""
        counts = self.change_counts()
        return [(str(kind.label), counts[kind.value]) for kind in ChangeKind if kind.value in counts]

    def unit_label(self, code: str) -> str:
        return self.unit_names.get(code, code)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.filename,
            "issuer": self.issuer.code if self.issuer else None,
            "year": self.year,
            "title": self.title,
            "doc_no": self.doc_no,
            "starts": self.starts.isoformat() if self.starts else None,
            "calendar": workdays.calendar_status([self.year]),
            "dry_run": self.dry_run,
            "applied": self.applied,
            "plan": self.plan_id,
            "tasks": len(self.tasks),
            "assignments": self.assignment_count,
            "closed": self.closed_count,
            "milestones": self.milestone_count,
            # 细化: task 序号 → the 序号 of the provincial task it refines (from the file's column or the preview)
            "refines": {
                number: serves
                for number, serves in (self.refinements.shown if self.refinements else {}).items()
                if serves
            },
            "created_units": [
                {"name": name, "code": code, "parent": parent} for name, (code, parent) in self.new_units.items()
            ],
            "changed": self.change_counts(),
            "changes": [change.as_dict() for change in self.changes],
            "warnings": [problem.as_dict() for problem in self.warnings],
            "errors": [problem.as_dict() for problem in self.errors],
        }


class _Rollback(Exception):
    """Raised inside the transaction when checks made against the locked plan find an error."""


def plan_import(
    *,
    data: bytes,
    filename: str,
    year: int,
    max_bytes: int,
    title: str = "",
    doc_no: str = "",
    by: User | None = None,
    dry_run: bool = False,
    create_missing_units_under: str | None = None,
    starts: dt.date | None = None,
    stash: Path | None = None,
    issuer: str | None = None,
    serves: dict[str, str] | None = None,
) -> ImportReport:
    """Read ``data`` (the file called ``filename``) as the task list of ``year`` and, unless ``dry_run`` or any
    error, apply it. The report says what was read, what changed and every problem with its location.

    ``starts`` is the plan's 印发/实施 date (default: the import day; a plan already imported keeps its own): its
    items exist, and owe what periods end after it, from that day. A plan imported after its start records its
    items as assigned at the start.

    ``stash``: where the rows read from an upload are kept beside it (``StagedImport.stash``), so that its previews
    and its confirmation read the file once (see ``read_grids``).

    ``issuer``: the code of the office whose plan this is (default: the provincial programme office); a city's or
    a district's plan dispatches only to the units of its own subtree.

    ``serves``: the provincial task (序号, "" for none) each task (by 序号) refines, as chosen in the preview; over the
    file's column (对应省级任务). See ``refinement.refinements_resolve``."""
    report = ImportReport(filename=filename, year=year, dry_run=dry_run, problems=Problems(filename), starts=starts)
    try:
        report.issuer = issuing_office(issuer)
    except PlanNotFound as exc:
        report.problems.error(str(exc), field="issuer")
        return report
    if starts is not None and starts.year != year:
        report.problems.error(
            _("The plan of %(year)s cannot start on %(starts)s: the start must lie in the plan's year.")
            % {"year": year, "starts": starts.isoformat()},
            field="starts",
        )
        return report
    table = _read(report, data, max_bytes=max_bytes, stash=stash)
    if table is None:
        return report
    report.title = title or table.title
    report.doc_no = doc_no or table.doc_no
    _check_year(report, table, title_given=bool(title), doc_no_given=bool(doc_no))
    index = unit_index(within=report.issuer)
    parent = _missing_units_parent(report, create_missing_units_under)
    _resolve(report, table, index, parent)
    _within_issuer(report)
    refinements_resolve(report=report, chosen=serves)
    if not report.ok:
        return report
    if dry_run:
        plan = Plan.objects.filter(issuer=report.issuer, year=year).first()
        _keep_start(report, plan)
        _diff(report, plan)
        return report
    try:
        with transaction.atomic():
            _apply(report, data=data, by=by)
            if not report.ok:
                raise _Rollback
    except _Rollback:
        report.applied = False
        report.plan_id = None
    except IntegrityError as exc:
        # Checks above cover what the file can get wrong; what is left is another import of the same year
        # committing between our reads and our writes.
        _refused(
            report, _("Another import of this plan was saved at the same time; nothing was written, try again."), exc
        )
    except DatabaseError as exc:
        _refused(report, _("The database refused the import (%(error)s); nothing was written."), exc)
    return report


def _refused(report: ImportReport, message: str, exc: Exception) -> None:
    logger.warning("plan import of %s for %s refused by the database", report.filename, report.year, exc_info=exc)
    report.applied = False
    report.plan_id = None
    report.problems.error(message % {"error": str(exc).strip().splitlines()[0] if str(exc).strip() else exc})


def _read(report: ImportReport, data: bytes, *, max_bytes: int, stash: Path | None) -> ParsedTable | None:
    try:
        grids = read_grids(data, report.filename, max_bytes=max_bytes, stash=stash)
    except FileRefused as refused:
        report.problems.errors.append(refused.problem)
        return None
    table = parse_grids(grids, year=report.year, problems=report.problems)
    if table is not None and not table.tasks and report.ok:
        layout = table.layouts[0]
        report.problems.error(
            _("No task rows below the header row (row %(row)s).") % {"row": layout.header_line}, sheet=layout.sheet
        )
    return table


_TITLE_YEAR = re.compile(r"(?<![\d\-—–~至到])(\d{4})年度?(?![\d\-—–~至到])")


def _check_year(report: ImportReport, table: ParsedTable, *, title_given: bool, doc_no_given: bool) -> None:
    """A 文号 or a title (“2023年度工作要点”) of another year than the one the plan is imported as: every deadline
    written without a year would be read in the wrong year, so say so (a plan issued late in the year before is
    fine, hence a warning)."""
    if report.doc_no and (match := DOC_NO.search(re.sub(r"\s+", "", report.doc_no))) and int(match[1]) != report.year:
        report.problems.warning(
            _(
                "The 文号 %(doc_no)s%(source)s is of %(found)s, but the plan is imported as the plan of %(year)s: "
                "deadlines written without a year are read in %(year)s. Check the year."
            )
            % {
                "doc_no": report.doc_no,
                "source": "" if doc_no_given else _(" (read from the file)"),
                "found": match[1],
                "year": report.year,
            },
            field="文号",
        )
    if report.title and (match := _TITLE_YEAR.search(report.title)) and int(match[1]) != report.year:
        report.problems.warning(
            _(
                "The title “%(title)s”%(source)s names the year %(found)s, but the plan is imported as the plan of "
                "%(year)s: deadlines written without a year are read in %(year)s. Check the year."
            )
            % {
                "title": report.title,
                "source": "" if title_given else _(" (read from %(where)s)") % {"where": table.title_from},
                "found": match[1],
                "year": report.year,
            },
            field=_("title"),
        )


def _within_issuer(report: ImportReport) -> None:
    """A city's or a district's plan dispatches to the units under its office, never to another region's."""
    issuer = report.issuer
    if issuer is None or issuer.level == UnitLevel.PROVINCE:
        return
    from processes.rules import unit_subtree

    inside = {code for (code,) in Unit.objects.filter(pk__in=unit_subtree(issuer.pk)).values_list("code")}
    inside.update(code for code, parent in report.new_units.values() if parent in inside)
    for task in report.tasks:
        for code in task.units:
            if code not in inside:
                report.problems.error(
                    _("%(unit)s is not under %(office)s: its plan can dispatch only to the units under it.")
                    % {"unit": report.unit_label(code), "office": issuer.name},
                    row=task.parsed.row,
                    **task.parsed.layout.where(ColumnRole.UNITS),
                )


def _missing_units_parent(report: ImportReport, code: str | None) -> Unit | None:
    if not code:
        return None
    parent = Unit.objects.filter(code=code).first()
    if parent is None:
        report.problems.error(
            _("--create-missing-units-under names unit code %(code)s, which does not exist.") % {"code": code}
        )
    return parent


def _resolve(report: ImportReport, table: ParsedTable, index: UnitIndex, parent: Unit | None) -> None:
    taken_codes = set(Unit.objects.values_list("code", flat=True))
    for parsed in table.tasks:
        row, where = parsed.row, parsed.layout.where
        if not parsed.text:
            report.problems.error(_("The task text is empty."), row=row, **where(ColumnRole.TASK))
        deadline = _deadline(report, parsed, where(ColumnRole.DEADLINE))
        units: dict[str, str] = {}
        cells = [(row, parsed.units_text, parsed.co_units_text), *parsed.continuation_rows]
        for cell_row, lead_text, co_text in cells:
            for text, role, location in (
                (lead_text, AssignmentRole.LEAD, where(ColumnRole.UNITS)),
                (co_text, AssignmentRole.CO, where(ColumnRole.CO_UNITS)),
            ):
                for code in _units(report, index, text, cell_row, location, parent, taken_codes):
                    if code in units:
                        if units[code] != role:
                            units[code] = AssignmentRole.LEAD
                            report.problems.warning(
                                _("%(unit)s is named both as lead and as cooperating unit; it leads.")
                                % {"unit": report.unit_label(code)},
                                row=cell_row,
                                **location,
                            )
                        continue
                    units[code] = role
        if not parsed.units_text and not any(lead for _r, lead, _c in parsed.continuation_rows):
            report.problems.error(_("No responsible unit is named."), row=row, **where(ColumnRole.UNITS))
        if deadline is not None:
            report.tasks.append(ResolvedTask(parsed=parsed, deadline=deadline, units=units))
    report.unit_names.update({code: index.name_of(code) for task in report.tasks for code in task.units})
    for name, (code, _parent) in report.new_units.items():
        report.unit_names[code] = name


def _deadline(report: ImportReport, parsed: ParsedTask, location: dict[str, str]) -> Deadline | None:
    if parsed.milestones:
        return Deadline(DeadlineKind.MILESTONES, max(milestone.due_date for milestone in parsed.milestones))
    try:
        deadline = parse_deadline(parsed.deadline_text, year=report.year, task_text=parsed.text)
    except DeadlineError as exc:
        report.problems.error(str(exc), row=parsed.row, **location)
        return None
    if deadline.warning:
        report.problems.warning(deadline.warning, row=parsed.row, **location)
    # “2024年底前完成，2025年巩固提升”: the later stages are the task's milestones.
    parsed.milestones.extend(
        MilestoneCell(label=stage.label, due_date=stage.due_date, outcome=stage.outcome)
        for stage in deadline.stages
        if all(stage.label != milestone.label for milestone in parsed.milestones)
    )
    return deadline


def _units(
    report: ImportReport,
    index: UnitIndex,
    text: str,
    row: int,
    location: dict[str, str],
    parent: Unit | None,
    taken_codes: set[str],
) -> list[str]:
    if not text:
        return []
    resolution = index.resolve(text)
    for warning in resolution.warnings:
        report.problems.warning(warning, row=row, **location)
    if parent is None:
        for error in resolution.errors:
            report.problems.error(error, row=row, **location)
        return resolution.codes
    codes = list(resolution.codes)
    unknown = set(resolution.unknown)
    for error in resolution.errors:
        if not any(f"“{name}”" in error for name in unknown):
            report.problems.error(error, row=row, **location)
    for written in resolution.unknown:
        if written not in report.created_for:
            _plan_new_unit(report, index, written, parent, taken_codes, row=row, location=location)
        name = report.created_for[written]
        codes.append(report.new_units[name][0] if name in report.new_units else name)
    return codes


_COUNTY_WORDS = re.compile(r"^(?:区|县|旗)|(?:区|县|旗)(?:人民)?政府$")
_CITY_WORDS = re.compile(r"^市(?!场)|市(?:人民)?政府$")
_PLACE = {
    UnitLevel.COUNTY: re.compile(r"^.*?[区县旗]"),
    UnitLevel.CITY: re.compile(r"^.*?[市州盟]"),
    UnitLevel.PROVINCE: re.compile(r"^.*?省"),
}


def _level_named(name: str) -> UnitLevel | None:
    """The level a unit's name says it is of: 区…/县… (or …区政府) a district's, 市… (or …市政府) a city's."""
    if _COUNTY_WORDS.search(name):
        return UnitLevel.COUNTY
    if _CITY_WORDS.search(name):
        return UnitLevel.CITY
    if name.startswith("省"):
        return UnitLevel.PROVINCE
    return None


def _place_of(unit: Unit) -> str:
    for text in (unit.short_name, unit.name):
        if text and (match := _PLACE[UnitLevel(unit.level)].match(text)):
            return match[0]
    return unit.display_name


def _plan_new_unit(
    report: ImportReport,
    index: UnitIndex,
    written: str,
    parent: Unit,
    taken_codes: set[str],
    *,
    row: int,
    location: dict[str, str],
) -> None:
    """Where a unit the file names but the table lacks is created: under the unit of the level its name says
    (区… under the district, 市… under the city, walking up from ``parent``), and a name that says its level but
    not its place (区政府) qualified by its parent's place (朝阳区区政府), so that two districts' never meet."""
    level = _level_named(written)
    found: Unit | None = parent
    while level is not None and found is not None and found.level != level:
        found = found.parent
    placed = found or parent
    if found is None:
        report.problems.warning(
            _("“%(name)s” names a unit of a %(level)s, but no such unit is above %(parent)s; it is placed under it.")
            % {"name": written, "level": UnitLevel(level).label if level else "", "parent": parent.name},
            row=row,
            **location,
        )
        level = None
    name = f"{_place_of(placed)}{written}" if GENERIC.match(written) else written
    report.created_for[written] = name
    existing = index.lookup(name)
    if existing is not None and len(existing.codes) == 1:
        report.created_for[written] = existing.codes[0]  # 朝阳区区政府 is there already: that is the one meant
        report.problems.warning(
            _("“%(written)s” is read as %(name)s.") % {"written": written, "name": index.name_of(existing.codes[0])},
            row=row,
            **location,
        )
        return
    if name in report.new_units:
        return
    code = _new_code(placed.code, taken_codes)
    report.new_units[name] = (code, placed.code)
    unit_level = level or CHILD_LEVEL[UnitLevel(placed.level)]
    report.new_unit_kinds[name] = (unit_level, written if name != written else "")
    report.problems.warning(
        _("Unknown unit “%(name)s” will be created under %(parent)s as %(code)s.")
        % {"name": name if name == written else f"{written}” → “{name}", "parent": placed.name, "code": code},
        row=row,
        **location,
    )


def _new_code(parent_code: str, taken: set[str]) -> str:
    number = 1
    while f"{parent_code}-{number:02d}" in taken:
        number += 1
    code = f"{parent_code}-{number:02d}"
    taken.add(code)
    return code


def _existing_tasks(plan: Plan | None) -> dict[str, Task]:
    if plan is None:
        return {}
    assignments = Assignment.objects.select_related("unit").annotate(
        worked_on=Count("transitions", filter=~Q(transitions__action__in=IMPORT_ACTIONS))
    )
    tasks = Task.objects.filter(plan=plan).prefetch_related(Prefetch("assignments", queryset=assignments), "milestones")
    # The tasks a year-end carry-over made (结转-N, table 上年结转) are not the file's: a re-import leaves them be.
    return {task.number: task for task in tasks.exclude(table=CARRIED_TABLE, category=CARRIED_CATEGORY)}


TRACKED_FIELDS = {
    "text": gettext_lazy("task"),
    "category": gettext_lazy("category"),
    "units_text": gettext_lazy("responsible units"),
    "co_units_text": gettext_lazy("cooperating units"),
    "deadline_text": gettext_lazy("deadline"),
    "frequency": gettext_lazy("frequency"),
    "recurring_day": gettext_lazy("due on day"),
    "table": gettext_lazy("table"),
    "extra": gettext_lazy("other columns"),
}


def _diff(report: ImportReport, plan: Plan | None, existing: dict[str, Task] | None = None) -> None:
    """Record what applying the report would change, and refuse to drop anything that has been worked on."""
    if existing is None:
        existing = _existing_tasks(plan)
    wanted = {task.number for task in report.tasks}
    for position, resolved in enumerate(report.tasks, start=1):
        task = existing.get(resolved.number)
        if task is None:
            report.changes.append(Change(ChangeKind.TASK_CREATED, resolved.number, resolved.parsed.text[:60]))
            continue
        values = resolved.field_values(position)
        _guard_renumbering(report, resolved, task)
        for name, label in TRACKED_FIELDS.items():
            old, new = getattr(task, name), values[name]
            if old != new:
                report.changes.append(
                    Change(
                        ChangeKind.TASK_UPDATED,
                        resolved.number,
                        _("%(field)s: “%(old)s” → “%(new)s”")
                        % {"field": label, "old": _short(old), "new": _short(new)},
                    )
                )
        if _milestones_differ(resolved, task):
            report.changes.append(Change(ChangeKind.TASK_UPDATED, resolved.number, _("milestones changed")))
        current = {assignment.unit.code: assignment for assignment in task.assignments.all()}
        for code, role in resolved.units.items():
            assignment = current.get(code)
            if assignment is None:
                report.changes.append(Change(ChangeKind.ASSIGNMENT_CREATED, resolved.number, report.unit_label(code)))
            elif assignment.role != role:
                report.changes.append(
                    Change(
                        ChangeKind.ASSIGNMENT_UPDATED,
                        resolved.number,
                        _("%(unit)s: %(old)s → %(new)s")
                        % {
                            "unit": report.unit_label(code),
                            "old": AssignmentRole(assignment.role).label,
                            "new": AssignmentRole(role).label,
                        },
                    )
                )
        for code, assignment in current.items():
            if code not in resolved.units:
                _removal(report, resolved.number, assignment)
        if resolved.deadline.kind == DeadlineKind.DONE and task.deadline_kind != DeadlineKind.DONE:
            for assignment in current.values():
                if assignment.state == AssignmentState.ASSIGNED:
                    report.changes.append(Change(ChangeKind.ASSIGNMENT_CLOSED, resolved.number, assignment.unit.name))
        elif task.deadline_kind == DeadlineKind.DONE and resolved.deadline.kind != DeadlineKind.DONE:
            report.problems.warning(
                _(
                    "Task %(number)s is no longer marked 已完成; its closed assignments stay closed until the office "
                    "reopens them."
                )
                % {"number": resolved.number}
            )
    for number, task in existing.items():
        if number not in wanted:
            report.changes.append(Change(ChangeKind.TASK_REMOVED, number, task.text[:60]))
            for assignment in task.assignments.all():
                _removal(report, number, assignment, task_removed=True)


def _guard_renumbering(report: ImportReport, resolved: ResolvedTask, task: Task) -> None:
    """Tasks are matched by 序号. If a task someone has already worked on now carries a wholly different text, the
    file has most likely been renumbered, and matching by 序号 would move that work onto another task: refuse."""
    worked_on = [a for a in task.assignments.all() if getattr(a, "worked_on", 0)]
    if not worked_on or not task.text or not resolved.parsed.text:
        return
    similarity = difflib.SequenceMatcher(None, task.text, resolved.parsed.text, autojunk=False).ratio()
    if similarity < RENUMBERING_SIMILARITY:
        report.problems.error(
            _(
                "Task %(number)s has already been worked on (%(units)s) but the file gives it a different task "
                "(“%(new)s” instead of “%(old)s”). Were the tasks renumbered? Keep each task's 序号."
            )
            % {
                "number": resolved.number,
                "units": "、".join(a.unit.name for a in worked_on),
                "new": _short(resolved.parsed.text, 30),
                "old": _short(task.text, 30),
            },
            row=resolved.parsed.row,
            **resolved.parsed.layout.where(ColumnRole.TASK),
        )


def _removal(report: ImportReport, number: str, assignment: Assignment, *, task_removed: bool = False) -> None:
    if getattr(assignment, "worked_on", 0):
        report.problems.error(
            _(
                "Task %(number)s: %(unit)s has already reported or been acted on, so the file cannot drop it; "
                "keep it in the file."
            )
            % {"number": number, "unit": assignment.unit.name}
        )
    elif not task_removed:
        report.changes.append(Change(ChangeKind.ASSIGNMENT_REMOVED, number, assignment.unit.name))


def _short(value: object, length: int = 40) -> str:
    text = str(value if value not in (None, {}) else "")
    return text if len(text) <= length else text[: length - 1] + "…"


def _keep_start(report: ImportReport, plan: Plan | None) -> None:
    """A plan keeps the start it was imported with: its items' history counts from it."""
    if plan is None:
        if report.starts is None:
            today = timezone.localdate()
            # The import day, when it lies in the plan's year; a plan of another year is taken from its 1 January.
            report.starts = today if today.year == report.year else dt.date(report.year, 1, 1)
            if today.year != report.year:
                report.problems.warning(
                    _("No start was given: the plan of %(year)s is taken to start on %(start)s.")
                    % {"year": report.year, "start": report.starts.isoformat()},
                    field="starts",
                )
        return
    if report.starts is not None and report.starts != plan.starts_on:
        report.problems.warning(
            _("The plan of %(year)s started on %(start)s; it keeps that start (not %(given)s).")
            % {"year": plan.year, "start": plan.starts_on.isoformat(), "given": report.starts.isoformat()},
            field="starts",
        )
    report.starts = plan.starts_on


def _apply(report: ImportReport, *, data: bytes, by: User | None) -> None:
    plan = Plan.objects.select_for_update().filter(issuer=report.issuer, year=report.year).first()
    _keep_start(report, plan)
    assert report.starts is not None  # noqa: S101 - set by _keep_start
    plan, created = Plan.objects.select_for_update().get_or_create(
        issuer=report.issuer,
        year=report.year,
        defaults={
            "title": report.title or _("%(year)s task list") % {"year": report.year},
            "doc_no": report.doc_no,
            "starts_on": report.starts,
        },
    )
    if not created:
        updates = {}
        if report.title and report.title != plan.title:
            updates["title"] = report.title
        if report.doc_no and report.doc_no != plan.doc_no:
            updates["doc_no"] = report.doc_no
        for name, value in updates.items():
            setattr(plan, name, value)
        if updates:
            plan.save(update_fields=[*updates, "updated_at"])
    report.title, report.doc_no = plan.title, plan.doc_no
    existing = _existing_tasks(plan)
    before = {number: (task.due_date, task.deadline_kind) for number, task in existing.items()}
    _diff(report, plan, existing)
    if not report.ok:
        return
    units = _create_units(report)
    now = timezone.now()
    # Items exist from the plan's start: one imported after it records them as assigned then, and says so.
    since = min(now, start_of_day(plan.starts_on))
    tasks: dict[str, Task] = {}
    to_create: list[Task] = []
    to_update: list[Task] = []
    changed_fields: set[str] = set()
    for position, resolved in enumerate(report.tasks, start=1):
        values = resolved.field_values(position)
        values["source_row"] = resolved.parsed.row
        task = existing.get(resolved.number)
        if task is None:
            task = Task(plan=plan, number=resolved.number, **values)
            to_create.append(task)
        else:
            changed = {name for name, value in values.items() if getattr(task, name) != value}
            for name in changed:
                setattr(task, name, values[name])
            if changed:
                to_update.append(task)
                changed_fields.update(changed)
        tasks[resolved.number] = task
    Task.objects.bulk_create(to_create, batch_size=500)
    # Only the tasks and the columns that differ: an unchanged re-import writes no task at all.
    if to_update:
        Task.objects.bulk_update(to_update, sorted(changed_fields), batch_size=500)
    removed = [task.pk for number, task in existing.items() if number not in tasks]
    # Assignments first, as whole rows: a cascade from the tasks would fetch each one's state on its own.
    Obligation.objects.filter(assignment__task__in=removed).delete()
    Assignment.objects.filter(task__in=removed).delete()
    Task.objects.filter(pk__in=removed).delete()
    _sync_milestones(report, tasks, existing)
    _sync_assignments(report, tasks, existing, before, units, by=by, now=now, since=since if created else now)
    refinements_apply(report=report, tasks=tasks)
    PlanImport.objects.create(
        plan=plan,
        filename=report.filename,
        sha256=hashlib.sha256(data).hexdigest(),
        imported_by=by,
        summary=_summary_for_the_record(report),
    )
    from .ladder import ladder_ensure
    from .rounds import obligations_sync

    obligations_sync(
        plan=plan, at=since if created else now
    )  # the deadlines, recurring occurrences and milestones the plan now owes
    ladder_ensure(plan)
    report.applied = True
    report.plan_id = plan.pk


def _summary_for_the_record(report: ImportReport) -> dict[str, Any]:
    """What the import record keeps: the counts, and each change except the creations a first import is made of."""
    summary = report.as_dict()
    del summary["warnings"], summary["errors"]
    summary["changes"] = [
        change
        for change in summary["changes"]
        if change["kind"] not in (ChangeKind.TASK_CREATED, ChangeKind.ASSIGNMENT_CREATED)
    ]
    summary["warning_count"] = len(report.warnings)
    return summary


def _create_units(report: ImportReport) -> dict[str, Unit]:
    units = {unit.code: unit for unit in Unit.objects.filter(code__in={c for t in report.tasks for c in t.units})}
    for name, (code, parent_code) in report.new_units.items():
        parent = Unit.objects.get(code=parent_code)
        level, short_name = report.new_unit_kinds.get(name, (CHILD_LEVEL[UnitLevel(parent.level)], ""))
        units[code] = Unit.objects.create(
            code=code, name=name, short_name=short_name, level=level, parent=parent, position=10_000
        )
    return units


def _sync_milestones(report: ImportReport, tasks: dict[str, Task], existing: dict[str, Task]) -> None:
    changed = [r for r in report.tasks if r.number not in existing or _milestones_differ(r, existing[r.number])]
    Milestone.objects.filter(task__in=[tasks[r.number] for r in changed if r.number in existing]).delete()
    Milestone.objects.bulk_create(
        [
            Milestone(task=tasks[r.number], label=m.label, due_date=m.due_date, expected_outcome=m.outcome, position=i)
            for r in changed
            for i, m in enumerate(r.parsed.milestones)
        ],
        batch_size=500,
    )


def _milestones_differ(resolved: ResolvedTask, task: Task) -> bool:
    old = [(m.label, m.due_date, m.expected_outcome) for m in task.milestones.all()]
    return old != [(m.label, m.due_date, m.outcome) for m in resolved.parsed.milestones]


def _sync_assignments(
    report: ImportReport,
    tasks: dict[str, Task],
    existing: dict[str, Task],
    before: dict[str, tuple[dt.date | None, str]],
    units: dict[str, Unit],
    *,
    by: User | None,
    now: dt.datetime,
    since: dt.datetime,
) -> None:
    new_assignments: list[Assignment] = []
    role_updates: list[Assignment] = []
    due_updates: list[Assignment] = []
    to_close: list[Assignment] = []
    to_delete: list[int] = []
    for resolved in report.tasks:
        task = tasks[resolved.number]
        old_task = existing.get(resolved.number)
        current = {a.unit.code: a for a in old_task.assignments.all()} if old_task else {}
        done = resolved.deadline.kind == DeadlineKind.DONE
        for code, role in resolved.units.items():
            assignment = current.get(code)
            if assignment is None:
                new_assignments.append(
                    Assignment(
                        task=task,
                        unit=units[code],
                        role=role,
                        state=AssignmentState.CLOSED if done else AssignmentState.ASSIGNED,
                        due_date=task.due_date,
                    )
                )
                continue
            if assignment.role != role:
                assignment.role = role
                role_updates.append(assignment)
            # An assignment still on the task's deadline follows it; one moved on its own (an extension) stays.
            old_due, old_kind = before[resolved.number]
            if assignment.due_date == old_due and assignment.due_date != task.due_date:
                assignment.due_date = task.due_date
                due_updates.append(assignment)
            # Newly marked 已完成: open assignments close. One the office reopened since stays open.
            if done and old_kind != DeadlineKind.DONE and assignment.state == AssignmentState.ASSIGNED:
                to_close.append(assignment)
        to_delete.extend(a.pk for code, a in current.items() if code not in resolved.units)
    Obligation.objects.filter(assignment__in=to_delete).delete()  # whole rows: see the deletion of tasks above
    Assignment.objects.filter(pk__in=to_delete).delete()
    Assignment.objects.bulk_create(new_assignments, batch_size=1000)
    Assignment.objects.bulk_update(role_updates, ["role"], batch_size=1000)
    Assignment.objects.bulk_update(due_updates, ["due_date"], batch_size=1000)
    by_id = by.pk if by is not None else None
    history = [_creation_row(assignment, by_id=by_id, now=now, since=since) for assignment in new_assignments]
    for assignment in to_close:
        assignment.close_as_done()
        assignment.save()
        history.append(
            {
                "assignment_id": assignment.pk,
                "action": TransitionAction.CLOSED_DONE,
                "source": AssignmentState.ASSIGNED,
                "target": AssignmentState.CLOSED,
                "by_id": by_id,
                "at": now,
                "comment": _("The re-imported plan marks task %(number)s as 已完成.")
                % {"number": assignment.task.number},
            }
        )
    insert_plain(AssignmentTransition, history)  # one line of history per new item: plain rows


def _creation_row(assignment: Assignment, *, by_id: int | None, now: dt.datetime, since: dt.datetime) -> dict[str, Any]:
    """The first line of an item's history: at the plan's start, saying when it was imported if that was later."""
    row = {"assignment_id": assignment.pk, "source": "", "by_id": by_id, "at": since}
    late_entry = (
        _("The plan took effect on %(start)s and was entered on %(imported)s; the item counts from its start.")
        % {"start": timezone.localdate(since).isoformat(), "imported": timezone.localdate(now).isoformat()}
        if timezone.localdate(since) < timezone.localdate(now)
        else ""
    )
    if assignment.state == AssignmentState.CLOSED:
        done = _("The published plan gives the deadline of task %(number)s as “%(deadline)s”.") % {
            "number": assignment.task.number,
            "deadline": assignment.task.deadline_text,
        }
        return {
            **row,
            "action": TransitionAction.CREATED_DONE,
            "target": AssignmentState.CLOSED,
            "comment": f"{done} {late_entry}".strip(),
        }
    return {**row, "action": TransitionAction.CREATED, "target": assignment.state, "comment": late_entry}


def report_lines(report: ImportReport) -> Iterable[str]:
    """The report as lines of text for the command line."""
    yield _(
        "%(file)s: %(tasks)s tasks, %(assignments)s assignments (%(closed)s closed at publication), "
        "%(milestones)s milestones."
    ) % {
        "file": report.filename,
        "tasks": len(report.tasks),
        "assignments": report.assignment_count,
        "closed": report.closed_count,
        "milestones": report.milestone_count,
    }
    for label, count in report.change_summary():
        yield _("%(label)s: %(count)s") % {"label": label, "count": count}
    if any(change.kind != ChangeKind.TASK_CREATED for change in report.changes):
        for change in report.changes:
            yield _("  task %(task)s: %(label)s — %(detail)s") % {
                "task": change.task,
                "label": change.label,
                "detail": change.detail,
            }
    for problem in report.warnings:
        yield _("warning: %(problem)s") % {"problem": problem}
    for problem in report.errors:
        yield _("error: %(problem)s") % {"problem": problem}
