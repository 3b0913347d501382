"""Dispatch rounds (调度) and what units owe in them.

- ``plan_round_schedule``: the rounds a plan's schedule calls for (monthly or bimonthly; due on a day of the month
  after the period, moved to the next working day of the official calendar);
- ``round_open``: opens a round — one progress obligation per open assignment — idempotently;
- ``obligations_sync``: the occurrences of recurring tasks and the milestones, as obligations with due dates;
- ``progress_save``: a unit's progress report on an obligation (draft or submitted; late ones marked late),
  optionally asking to close the item out (申请销号) at the same time;
- ``progress_accept`` / ``progress_return``: a supervisor's review.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_fsm import has_transition_perm

from processes.models import (
    OWED_STATES,
    Assignment,
    AssignmentState,
    AssignmentTransition,
    DeadlineKind,
    Evidence,
    Frequency,
    Milestone,
    Obligation,
    ObligationKind,
    ObligationState,
    Plan,
    Report,
    ReportKind,
    ReportStatus,
    Round,
    RoundFrequency,
    Task,
    TransitionAction,
    Unit,
    User,
)
from processes.rules import can_report
from processes.workdays import next_workday

from .bulk import insert_plain
from .history import ENDED_STATES
from .lifecycle import AlreadyHandled, InvalidInput, NotAllowed, assignment_report, evidence_check

MONTHS_PER_PERIOD = {
    Frequency.MONTHLY: 1,
    Frequency.BIMONTHLY: 2,
    Frequency.QUARTERLY: 3,
    Frequency.HALF_YEARLY: 6,
    Frequency.YEARLY: 12,
}


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _periods(year: int, months: int) -> list[tuple[dt.date, dt.date]]:
    return [(dt.date(year, first, 1), _month_end(year, first + months - 1)) for first in range(1, 13, months)]


@dataclass(frozen=True)
class RoundSpec:
    number: int
    title: str
    period_start: dt.date
    period_end: dt.date
    due_date: dt.date


def round_title(plan: Plan, period_start: dt.date, period_end: dt.date) -> str:
    if period_start.month == period_end.month:
        return _("%(year)s年%(month)s月调度") % {"year": period_start.year, "month": period_start.month}
    return _("%(year)s年%(first)s—%(last)s月调度") % {
        "year": period_start.year,
        "first": period_start.month,
        "last": period_end.month,
    }


def plan_round_schedule(plan: Plan) -> list[RoundSpec]:
    """The rounds of the plan's year by its schedule: each period's reports due on ``round_due_day`` of the month
    after it, or the next working day."""
    months = 1 if plan.round_frequency == RoundFrequency.MONTHLY else 2
    specs = []
    for number, (start, end) in enumerate(_periods(plan.year, months), start=1):
        following = end + dt.timedelta(days=1)
        due = next_workday(following.replace(day=plan.round_due_day))
        specs.append(RoundSpec(number, round_title(plan, start, end), start, end, due))
    return specs


def round_open(
    *,
    plan: Plan,
    period_start: dt.date,
    period_end: dt.date,
    due_date: dt.date,
    by: User | None,
    title: str = "",
    number: int | None = None,
) -> tuple[Round, int]:
    """Open the round for a period — or find it open — and give every open assignment its progress obligation.
    Returns the round and how many obligations were created (0 when the round was already complete)."""
    if period_end < period_start:
        raise InvalidInput(_("The period ends before it starts."), field="period_end")
    if due_date < period_start:
        raise InvalidInput(_("Reports cannot be due before the period starts."), field="due_date")
    if period_end < plan.starts_on:
        raise InvalidInput(
            _("The plan took effect on %(start)s; nothing is owed for a period that ended before it.")
            % {"start": plan.starts_on.isoformat()},
            field="period_end",
        )
    with transaction.atomic():
        Plan.objects.select_for_update().get(pk=plan.pk)  # two people opening rounds: one after the other
        round_, _created = Round.objects.get_or_create(
            plan=plan,
            period_start=period_start,
            period_end=period_end,
            defaults={
                "number": number or _scheduled_number(plan, period_start, period_end),
                "title": title or round_title(plan, period_start, period_end),
                "due_date": due_date,
                "opened_at": timezone.now(),
                "opened_by": by,
            },
        )
        if not round_.is_open:
            return round_, 0
        owing = Assignment.objects.filter(task__plan=plan).exclude(state__in=ENDED_STATES)
        have = set(Obligation.objects.filter(round=round_).values_list("assignment_id", flat=True))
        new = [
            Obligation(
                assignment_id=assignment_id,
                kind=ObligationKind.ROUND,
                round=round_,
                label=round_.title,
                period_start=round_.period_start,
                period_end=round_.period_end,
                due_date=round_.due_date,
            )
            for assignment_id in owing.values_list("pk", flat=True)
            if assignment_id not in have
        ]
        Obligation.objects.bulk_create(new, batch_size=1000)
    return round_, len(new)


def _scheduled_number(plan: Plan, period_start: dt.date, period_end: dt.date) -> int:
    """The round's place in the plan's schedule; a round opened by hand for another period comes after them."""
    for spec in plan_round_schedule(plan):
        if (spec.period_start, spec.period_end) == (period_start, period_end):
            return spec.number
    return max(len(plan_round_schedule(plan)), plan.rounds.aggregate(n=Max("number"))["n"] or 0) + 1


def rounds_open_due(*, plan: Plan, as_of: dt.date, by: User | None = None) -> list[Round]:
    """Open every scheduled round whose period has ended by ``as_of`` (the daily job; idempotent)."""
    opened = []
    for spec in plan_round_schedule(plan):
        if plan.starts_on <= spec.period_end < as_of:
            round_, created = round_open(
                plan=plan,
                period_start=spec.period_start,
                period_end=spec.period_end,
                due_date=spec.due_date,
                by=by,
                title=spec.title,
                number=spec.number,
            )
            if created:
                opened.append(round_)
    return opened


def round_close(*, round_: Round, by: User) -> Round:
    """No more reports are taken for the round."""
    if round_.closed_at is None:
        Round.objects.filter(pk=round_.pk, closed_at__isnull=True).update(closed_at=timezone.now())
        round_.refresh_from_db()
    return round_


def _occurrence_due(end: dt.date, day: int | None) -> dt.date:
    """An occurrence is due at its period's end, or on the task's day of the period's last month (每月25日前)."""
    if day is None:
        return end
    return end.replace(day=min(day, end.day))


def _occurrences(year: int, frequency: str) -> list[tuple[dt.date, dt.date, str]]:
    months = MONTHS_PER_PERIOD[Frequency(frequency)]
    labels = {
        1: lambda s, e: _("%(month)s月") % {"month": s.month},
        2: lambda s, e: _("%(first)s—%(last)s月") % {"first": s.month, "last": e.month},
        3: lambda s, e: _("第%(quarter)s季度") % {"quarter": (s.month - 1) // 3 + 1},
        6: lambda s, e: _("上半年") if s.month == 1 else _("下半年"),
        12: lambda s, e: _("全年"),
    }
    return [(start, end, f"{year}年{labels[months](start, end)}") for start, end in _periods(year, months)]


def obligations_sync(*, plan: Plan, at: dt.datetime | None = None) -> int:
    """Create, for every assignment still open, the obligations the plan gives it: its deadline, the occurrences
    of a recurring task and its milestones — those of periods ending after the plan's start; idempotent. ``at``
    is when they come to exist (a plan imported after its start: the start). Returns how many were created."""
    with translation.override(settings.LANGUAGE_CODE):  # labels are stored, in the office's language
        return _obligations_sync(plan, at or timezone.now())


def _obligations_sync(plan: Plan, at: dt.datetime) -> int:
    # Read as plain rows: a large plan has tens of thousands of assignments and obligations.
    tasks = {
        pk: (deadline_kind, frequency)
        for pk, deadline_kind, frequency in Task.objects.filter(plan=plan).values_list(
            "pk", "deadline_kind", "frequency"
        )
    }
    days = dict(Task.objects.filter(plan=plan, recurring_day__isnull=False).values_list("pk", "recurring_day"))
    milestones: dict[int, list[tuple[int, str, dt.date]]] = {}
    for pk, task_id, label, due in Milestone.objects.filter(task__plan=plan).values_list(
        "pk", "task_id", "label", "due_date"
    ):
        if due >= plan.starts_on:  # a stage that ended before the plan took effect is not owed
            milestones.setdefault(task_id, []).append((pk, label, due))
    assignments = (
        Assignment.objects.filter(task__plan=plan)
        .exclude(state__in=ENDED_STATES)
        .order_by("pk")
        .values_list("pk", "task_id", "due_date")
    )
    existing_occurrences = set(
        Obligation.objects.filter(assignment__task__plan=plan, kind=ObligationKind.OCCURRENCE).values_list(
            "assignment_id", "period_end"
        )
    )
    deadlines = {
        assignment_id: (pk, due, cycle)
        for pk, assignment_id, due, cycle in Obligation.objects.filter(
            assignment__task__plan=plan, kind=ObligationKind.DEADLINE
        ).values_list("pk", "assignment_id", "due_date", "cycle")
    }
    moved: list[Obligation] = []
    existing_milestones = set(
        Obligation.objects.filter(assignment__task__plan=plan, kind=ObligationKind.MILESTONE).values_list(
            "assignment_id", "milestone_id"
        )
    )
    occurrences = {
        frequency: [occurrence for occurrence in _occurrences(plan.year, frequency) if occurrence[1] >= plan.starts_on]
        for deadline_kind, frequency in set(tasks.values())
        if deadline_kind == DeadlineKind.RECURRING and frequency
    }
    deadline_label = _("Deadline (完成时限)")
    new: list[dict[str, Any]] = []
    for assignment_id, task_id, due_date in assignments:
        deadline_kind, frequency = tasks[task_id]
        deadline = deadlines.get(assignment_id)
        if due_date is not None and deadline is None:
            new.append(
                {
                    "assignment_id": assignment_id,
                    "kind": ObligationKind.DEADLINE,
                    "label": deadline_label,
                    "due_date": due_date,
                    "created_at": at,
                }
            )
        elif deadline is not None and due_date is not None and deadline[1] != due_date:
            # The deadline moved (a corrected plan): the ladder starts again for the new date.
            moved.append(Obligation(pk=deadline[0], due_date=due_date, cycle=deadline[2] + 1))
        if deadline_kind == DeadlineKind.RECURRING and frequency:
            for start, end, label in occurrences[frequency]:
                if (assignment_id, end) not in existing_occurrences:
                    new.append(
                        {
                            "assignment_id": assignment_id,
                            "kind": ObligationKind.OCCURRENCE,
                            "label": label,
                            "period_start": start,
                            "period_end": end,
                            "due_date": _occurrence_due(end, days.get(task_id)),
                            "created_at": at,
                        }
                    )
        for milestone_id, label, milestone_due in milestones.get(task_id, []):
            if (assignment_id, milestone_id) not in existing_milestones:
                new.append(
                    {
                        "assignment_id": assignment_id,
                        "kind": ObligationKind.MILESTONE,
                        "milestone_id": milestone_id,
                        "label": label,
                        "due_date": milestone_due,
                        "created_at": at,
                    }
                )
    insert_plain(Obligation, new)  # tens of thousands for a large plan: no model instance per row
    Obligation.objects.bulk_update(moved, ["due_date", "cycle"], batch_size=1000)
    return len(new)


def _lock(obligation: Obligation | int) -> Obligation:
    pk = obligation.pk if isinstance(obligation, Obligation) else obligation
    return (
        Obligation.objects.select_for_update(of=("self",))
        .select_related("assignment__unit", "assignment__task__plan", "round")
        .get(pk=pk)
    )


def last_percent(assignment: Assignment, *, before: Report | None = None) -> int | None:
    """The progress the unit last reported for the assignment, if it gave one."""
    reports = Report.objects.filter(
        assignment=assignment, kind=ReportKind.PROGRESS, status=ReportStatus.SUBMITTED, percent__isnull=False
    )
    if before is not None and before.pk:
        reports = reports.exclude(pk=before.pk)
    last = reports.order_by("-submitted_at", "-pk").values_list("percent", flat=True).first()
    return last


def progress_save(
    *,
    obligation: Obligation | int,
    by: User,
    text: str,
    percent: int | None = None,
    problems: str = "",
    next_steps: str = "",
    files: Sequence[object] = (),
    submit: bool,
    request_completion: bool = False,
) -> Report:
    """Save the unit's progress report on ``obligation`` as a draft, or submit it. Submitting after the due date is
    accepted and marked late. With ``request_completion`` the item is also reported done (申请销号)."""
    text = (text or "").strip()
    problems, next_steps = (problems or "").strip(), (next_steps or "").strip()
    if submit and not text:
        raise InvalidInput(_("Describe the progress (进展情况): it cannot be empty."), field="text")
    if percent is not None and not 0 <= percent <= 100:
        raise InvalidInput(_("The progress must be between 0 and 100 %."), field="percent")
    checked = evidence_check(files)  # type: ignore[arg-type]
    with transaction.atomic():
        locked = _lock(obligation)
        assignment = locked.assignment
        if not can_report(locked, by):
            raise NotAllowed(_("You may not report on this item."))
        if locked.state not in OWED_STATES:
            raise AlreadyHandled
        if assignment.state == AssignmentState.CARRIED:
            raise InvalidInput(_("The item was carried over into next year's plan (已结转): report on the new item."))
        if locked.round is not None and not locked.round.is_open:
            raise InvalidInput(_("The round %(round)s is closed: it takes no more reports.") % {"round": locked.round})
        draft = Report.objects.filter(obligation=locked, status=ReportStatus.DRAFT).first()
        if percent is not None and submit:
            previous = last_percent(assignment, before=draft)
            if previous is not None and percent < previous and not problems:
                raise InvalidInput(
                    _(
                        "The progress (%(now)s %%) is below what was last reported (%(before)s %%): say why under "
                        "problems (存在问题)."
                    )
                    % {"now": percent, "before": previous},
                    field="problems",
                )
        now = timezone.now()
        late = submit and timezone.localdate(now) > locked.due_date
        report = draft or Report(assignment=assignment, obligation=locked, kind=ReportKind.PROGRESS, submitted_by=by)
        report.text, report.percent, report.problems, report.next_steps = text, percent, problems, next_steps
        report.submitted_by = by
        if submit:
            report.status, report.submitted_at, report.late = ReportStatus.SUBMITTED, now, late
        else:
            report.status = ReportStatus.DRAFT
        report.save()
        for item in checked:
            evidence = Evidence(
                report=report, original_name=item.name, content_type=item.kind, size=item.size, sha256=item.sha256
            )
            evidence.file.save(item.name, item.upload, save=False)
            evidence.save()
        if submit:
            locked.submit()
            locked.submitted_at, locked.late = now, late
            locked.save()
            AssignmentTransition.objects.create(
                assignment=assignment,
                action=TransitionAction.PROGRESS_SUBMITTED,
                source=assignment.state,
                target=assignment.state,
                by=by,
                at=now,
                comment=text,
                report=report,
                obligation=locked,
            )
        if submit and request_completion:
            # 申请销号 from the same screen: the completion flow starts in the same transaction, or nothing does.
            assignment_report(assignment=assignment, by=by, text=text, files=())
    return report


def _review(obligation: Obligation | int, *, by: User, accept: bool, reason: str, expected: bool) -> Obligation:
    with transaction.atomic():
        locked = _lock(obligation)
        step = locked.accept if accept else locked.return_report
        if locked.state != ObligationState.SUBMITTED:
            if expected:
                raise AlreadyHandled
            raise NotAllowed(_("There is no submitted report to review."))
        if not has_transition_perm(step, by):
            raise NotAllowed(_("You may not take this step on this item."))
        step()
        locked.save()
        assignment = locked.assignment
        AssignmentTransition.objects.create(
            assignment=assignment,
            action=TransitionAction.PROGRESS_ACCEPTED if accept else TransitionAction.PROGRESS_RETURNED,
            source=assignment.state,
            target=assignment.state,
            by=by,
            at=timezone.now(),
            comment=reason,
            obligation=locked,
        )
    return locked


def progress_accept(*, obligation: Obligation | int, by: User, expected: bool = True) -> Obligation:
    return _review(obligation, by=by, accept=True, reason="", expected=expected)


def progress_return(*, obligation: Obligation | int, by: User, reason: str, expected: bool = True) -> Obligation:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("A return needs a reason the unit can act on."), field="reason")
    return _review(obligation, by=by, accept=False, reason=reason, expected=expected)


def round_missing_units(round_: Round, units: Iterable[int] | None = None) -> list[Unit]:
    """The units with at least one obligation in the round they have not reported on (optionally within scope)."""
    owing = (
        Obligation.objects.filter(round=round_)
        .filter(Q(state=ObligationState.OPEN) | Q(state=ObligationState.RETURNED))
        .exclude(assignment__state=AssignmentState.CARRIED)  # carried into next year's plan: it owes nothing here
    )
    if units is not None:
        owing = owing.filter(assignment__unit_id__in=list(units))
    return list(Unit.objects.filter(assignments__obligations__in=owing).distinct().order_by("position", "code"))
