"""年底挂账结转: the office carries the items of a plan still open at the year's end into a plan of a later year.

In one transaction, every chosen item of the old plan is locked and its state checked again; the old item takes
the state machine's ``carry_over`` (已结转: neither open nor closed; it owes nothing from then on, its history
stays on it, and its open inbox steps and pending extension request end), and a new item is created on the new
plan, linked to it (``Assignment.carried_from``), open, with the deadline the office sets and a first line of
history (上年结转). The new item hangs on the task of the new plan the office picks for the old task, or on a
task made for it: the old task's text, numbered ``结转-<old number>``, in the category and table 上年结转.

One item changed since the preview, out of scope, or not open refuses the whole step; nothing is written then.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import has_transition_perm

from processes.models import (
    Assignment,
    AssignmentState,
    AssignmentTransition,
    CompletionProcess,
    DeadlineKind,
    EscalationProcess,
    ExtensionProcess,
    ExtensionRequest,
    ExtensionState,
    Plan,
    Task,
    TransitionAction,
    User,
)
from processes.rules import manages_plan

from .history import ENDED_STATES
from .lifecycle import LifecycleError, NotAllowed

logger = logging.getLogger(__name__)

# What a task made for carried items is filed under, and how it is numbered.
CARRIED_CATEGORY = "上年结转"
CARRIED_TABLE = "上年结转"
CARRIED_PREFIX = "结转-"


class CarryOverRefused(LifecycleError):
    """The step was refused as a whole; ``problems`` lists every reason, each naming the item."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = list(problems)


@dataclass
class CarryLine:
    """One item of the preview or the result: the old item, the deadline it gets, the task of the new plan it goes
    to (``into`` an existing one, or ``number`` of the one made for it) and, once carried, the new item."""

    item: Assignment
    due_date: dt.date | None
    into: Task | None
    number: str
    creates_task: bool = False  # the task ``number`` is made by this carry-over
    new: Assignment | None = None


@dataclass
class CarryOverResult:
    source: Plan
    target: Plan
    lines: list[CarryLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def carried(self) -> int:
        return len(self.lines) if self.applied else 0

    @property
    def tasks_created(self) -> int:
        return len({line.number for line in self.lines if line.creates_task})

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.source.key,
            "to": self.target.key,
            "applied": self.applied,
            "carried": self.carried,
            "tasks_created": self.tasks_created if self.applied else 0,
            "items": [
                {
                    "id": line.item.pk,
                    "number": line.item.task.number,
                    "unit": line.item.unit.code,
                    "unit_name": line.item.unit.name,
                    "state": line.item.state,
                    "due_date": line.due_date.isoformat() if line.due_date else None,
                    "task": line.number,
                    "new_task": line.creates_task,
                    "new_id": line.new.pk if line.new is not None else None,
                }
                for line in self.lines
            ],
            "errors": self.errors,
        }


def carried_task_number(old_number: str) -> str:
    """``结转-5`` for task 5; an item carried a second time keeps one prefix (``结转-5`` again)."""
    return old_number if old_number.startswith(CARRIED_PREFIX) else f"{CARRIED_PREFIX}{old_number}"


def carry_over_open_items(plan: Plan) -> QuerySet[Assignment]:
    """The items of ``plan`` a carry-over takes: every one neither closed out nor already carried."""
    return (
        Assignment.objects.filter(task__plan=plan)
        .exclude(state__in=ENDED_STATES)
        .select_related("task", "unit")
        .order_by("task__position", "unit__position", "unit__code")
    )


def carry_over_targets(plan: Plan) -> QuerySet[Plan]:
    """The plans ``plan``'s items may be carried into: the same office's, of a later year, nearest first."""
    return Plan.objects.filter(issuer_id=plan.issuer_id, year__gt=plan.year).select_related("issuer").order_by("year")


def _label(item: Assignment) -> str:
    return _("task %(number)s · %(unit)s (item #%(id)s)") % {
        "number": item.task.number,
        "unit": item.unit.name,
        "id": item.pk,
    }


def _plans_check(source: Plan, target: Plan, by: User | None, problems: list[str]) -> None:
    if by is not None and not (manages_plan(by, source) and manages_plan(by, target)):
        raise NotAllowed(_("Only the office that issues the plan carries its items over."))
    if target.issuer_id != source.issuer_id:
        problems.append(
            _("%(target)s is another office's plan; items are carried into a plan of the same office (%(office)s).")
            % {"target": target.key, "office": source.issuer.name}
        )
    if target.year <= source.year:
        problems.append(
            _("Items of %(source)s are carried into a plan of a later year, not %(target)s.")
            % {"source": source.key, "target": target.key}
        )


def plan_carry_over(
    *,
    source: Plan,
    target: Plan,
    by: User | None,
    due: dt.date | None = None,
    items: Iterable[int] | None = None,
    dues: Mapping[int, dt.date] | None = None,
    into: Mapping[int, Task] | None = None,
    seen: Mapping[int, str] | None = None,
    dry_run: bool = False,
) -> CarryOverResult:
    """Carry the open items of ``source`` (all, or the ids in ``items``) into ``target``.

    ``due``: the deadline of every carried item; ``dues``: an item's own deadline (by old item id), which wins.
    ``into``: the task of ``target`` an old task's items go to (by old task id); a task is made for the others.
    ``seen``: the state each item had in the preview the office confirmed; one that differs now refuses the step.
    ``dry_run``: the preview: what would be carried and every problem, in ``errors``, nothing written.
    ``by`` ``None`` is the command line (the installation's own hand); a person must manage both plans.
    Raises :class:`CarryOverRefused` (nothing written) when anything is wrong, unless ``dry_run``."""
    problems: list[str] = []
    _plans_check(source, target, by, problems)
    result = CarryOverResult(source=source, target=target, errors=problems)
    dues = dues or {}
    into = into or {}
    candidates = list(
        Assignment.objects.filter(task__plan=source)
        .select_related("task", "unit")
        .order_by("task__position", "unit__position", "unit__code")
    )
    by_id = {item.pk: item for item in candidates}
    if items is None:
        chosen = [item for item in candidates if item.state not in ENDED_STATES]
    else:
        wanted = list(dict.fromkeys(items))
        for pk in wanted:
            item = by_id.get(pk)
            if item is None:
                problems.append(_("Item #%(id)s is not an item of %(plan)s.") % {"id": pk, "plan": source.key})
            elif item.state in ENDED_STATES:
                problems.append(
                    _("%(item)s is “%(state)s”, not open: only open items are carried over.")
                    % {"item": _label(item), "state": AssignmentState(item.state).label}
                )
        chosen_ids = set(wanted)
        chosen = [item for item in candidates if item.pk in chosen_ids and item.state not in ENDED_STATES]
    if not chosen and not problems:
        problems.append(_("%(plan)s has no open item to carry over.") % {"plan": source.key})
    numbers_taken = set(Task.objects.filter(plan=target).values_list("number", flat=True))
    existing_units: dict[int, set[int]] = {}
    for task_id, unit_id in Assignment.objects.filter(task__plan=target).values_list("task_id", "unit_id"):
        existing_units.setdefault(task_id, set()).add(unit_id)
    made = {
        task.number: task
        for task in Task.objects.filter(plan=target, number__startswith=CARRIED_PREFIX, category=CARRIED_CATEGORY)
    }
    placed: set[tuple[str, int]] = set()
    for item in chosen:
        item_due = dues.get(item.pk) or due
        task = into.get(item.task_id)
        number = task.number if task is not None else carried_task_number(item.task.number)
        if task is None and number in numbers_taken and number not in made:
            problems.append(
                _(
                    "%(plan)s already has a task %(number)s that was not made by a carry-over; pick the task of "
                    "%(plan)s that %(item)s goes to."
                )
                % {"plan": target.key, "number": number, "item": _label(item)}
            )
        if task is not None and task.plan_id != target.pk:
            problems.append(
                _("Task %(number)s is not a task of %(plan)s.") % {"number": task.number, "plan": target.key}
            )
        existing = task if task is not None else made.get(number)
        if (existing is not None and item.unit_id in existing_units.get(existing.pk, set())) or (
            number,
            item.unit_id,
        ) in placed:
            problems.append(
                _("Task %(number)s of %(plan)s already has an item of %(unit)s; %(item)s cannot go there too.")
                % {"number": number, "plan": target.key, "unit": item.unit.name, "item": _label(item)}
            )
        placed.add((number, item.unit_id))
        if item_due is None:
            problems.append(_("%(item)s has no deadline: set one for all or for it.") % {"item": _label(item)})
        elif item_due < target.starts_on:
            problems.append(
                _("%(item)s: the deadline %(due)s is before %(plan)s takes effect (%(start)s).")
                % {
                    "item": _label(item),
                    "due": item_due.isoformat(),
                    "plan": target.key,
                    "start": target.starts_on.isoformat(),
                }
            )
        result.lines.append(
            CarryLine(
                item=item, due_date=item_due, into=task, number=number, creates_task=task is None and existing is None
            )
        )
    if dry_run:
        return result
    if problems:
        raise CarryOverRefused(problems)
    with transaction.atomic():
        _apply(result, by=by, seen=seen or {}, made=made)
    result.applied = True
    return result


def _apply(result: CarryOverResult, *, by: User | None, seen: Mapping[int, str], made: dict[str, Task]) -> None:
    source, target = result.source, result.target
    locked = {
        item.pk: item
        for item in Assignment.objects.select_for_update(of=("self",))
        .select_related("task", "unit")
        .filter(pk__in=[line.item.pk for line in result.lines])
        .order_by("pk")
    }
    problems: list[str] = []
    for line in result.lines:
        item = locked[line.item.pk]
        expected = seen.get(item.pk, line.item.state)
        if item.state in ENDED_STATES or item.state != expected:
            problems.append(
                _("%(item)s has changed since the preview (now “%(state)s”).")
                % {"item": _label(item), "state": AssignmentState(item.state).label}
            )
        elif by is not None and not has_transition_perm(item.carry_over, by):
            problems.append(_("You may not carry %(item)s over.") % {"item": _label(item)})
        line.item = item
    if problems:
        problems.append(_("Nothing was carried over; look at the preview again."))
        raise CarryOverRefused(problems)
    now = timezone.now()
    position = (Task.objects.filter(plan=target).aggregate(last=Max("position"))["last"] or 0) + 1
    for line in result.lines:
        if line.into is not None:
            continue
        task = made.get(line.number)
        due_dates = [other.due_date for other in result.lines if other.number == line.number]
        latest = max(d for d in due_dates if d is not None)
        if task is None:
            old = line.item.task
            task = made[line.number] = Task.objects.create(
                plan=target,
                number=line.number,
                table=CARRIED_TABLE,
                position=position,
                category=CARRIED_CATEGORY,
                text=old.text,
                units_text=old.units_text,
                co_units_text=old.co_units_text,
                deadline_text=latest.isoformat(),
                deadline_kind=DeadlineKind.DATE,
                due_date=latest,
                extra={"上年结转": f"{source.key} {old.number}"},
            )
            position += 1
        elif task.due_date is None or task.due_date < latest:
            task.due_date, task.deadline_text = latest, latest.isoformat()
            task.save(update_fields=["due_date", "deadline_text"])
        line.into = task
    for line in result.lines:
        _carry_one(line, source=source, target=target, by=by, now=now)
    from .rounds import obligations_sync

    obligations_sync(plan=target, at=now)  # the new items' deadlines (and a picked task's occurrences, milestones)


def _carry_one(line: CarryLine, *, source: Plan, target: Plan, by: User | None, now: dt.datetime) -> None:
    item = line.item
    assert line.into is not None and line.due_date is not None  # noqa: S101 - set by plan_carry_over and _apply
    new = Assignment.objects.create(
        task=line.into, unit=item.unit, role=item.role, due_date=line.due_date, carried_from=item
    )
    source_state = item.state
    item.carry_over()
    item.save()
    if item.escalated_at is not None:  # the supervision ends with the item's year; the new item starts afresh
        Assignment.objects.filter(pk=item.pk).update(escalated_at=None)
        item.escalated_at = None
    AssignmentTransition.objects.create(
        assignment=item,
        action=TransitionAction.CARRIED_OVER,
        source=source_state,
        target=item.state,
        by=by,
        at=now,
        comment=_("Carried into %(plan)s as task %(number)s, item #%(id)s, due %(due)s.")
        % {"plan": target.key, "number": line.into.number, "id": new.pk, "due": line.due_date.isoformat()},
    )
    AssignmentTransition.objects.create(
        assignment=new,
        action=TransitionAction.CARRIED_IN,
        source="",
        target=new.state,
        by=by,
        at=now,
        comment=_("Carried over from %(plan)s, task %(number)s (item #%(id)s, “%(state)s” then).")
        % {
            "plan": source.key,
            "number": item.task.number,
            "id": item.pk,
            "state": AssignmentState(source_state).label,
        },
    )
    line.new = new
    _end_waiting(item, by=by, now=now)


def _end_waiting(item: Assignment, *, by: User | None, now: dt.datetime) -> None:
    """What still waited on the old item ends: its inbox steps (report to verify, close-out, supervision to
    handle, extension to decide) and a pending extension request, which the new deadline answers."""
    from viewflow.workflow.exceptions import FlowRuntimeError
    from viewflow.workflow.status import PROCESS

    ExtensionRequest.objects.filter(assignment=item, state=ExtensionState.PENDING).update(
        state=ExtensionState.REFUSED,
        decided_by=by,
        decided_at=now,
        decision_comment=_("The item was carried over into next year's plan, with a new deadline."),
    )
    waiting = [
        *CompletionProcess.objects.filter(assignment=item),
        *EscalationProcess.objects.filter(assignment=item),
        *ExtensionProcess.objects.filter(request__assignment=item),
    ]
    for process in waiting:
        if process.status not in (PROCESS.DONE, PROCESS.CANCELED):
            try:
                process.flow_class.instance.cancel(process)
            except FlowRuntimeError:  # a step someone has open this instant: it can no longer be taken anyway
                logger.warning("carry-over: process %s of item %s left open", process.pk, item.pk)
