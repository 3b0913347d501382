"""The escalation ladder and its sweep: every obligation a unit still owes climbs the rungs of its plan's ladder on
working days counted from its due date, each rung firing once per obligation and deadline.

The sweep is state-based and idempotent: for a day it selects what is owed and due to fire that day, records each
firing (unique per obligation, rung and deadline cycle) with its messages and documents in one transaction, and
finds nothing more to do when run again. ``sweep_range`` replays days in order (catch-up, simulation);
``sweep_scheduled`` is what beat runs: every day since the last one it covered, up to today.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from processes import workdays
from processes.models import (
    OWED_STATES,
    AssignmentState,
    AssignmentTransition,
    DocumentKind,
    DocumentSequence,
    FiredRung,
    LadderRung,
    Light,
    Notice,
    Obligation,
    ObligationKind,
    Plan,
    Recipient,
    Role,
    SweepState,
    TransitionAction,
    Unit,
    User,
)

logger = logging.getLogger(__name__)

# The default ladder (DESIGN.md “Deadlines and escalation”); each plan gets its own copy, editable in the admin.
DEFAULT_LADDER: tuple[dict[str, Any], ...] = (
    {"code": "reminder", "name": "提醒", "offset_workdays": -3, "recipients": ["reporters"], "light": "green"},
    {"code": "due", "name": "到期催办", "offset_workdays": 0, "recipients": ["reporters", "leader"], "light": "green"},
    {
        "code": "yellow",
        "name": "黄色预警",
        "offset_workdays": 1,
        "recipients": ["leader", "supervisors"],
        "light": "yellow",
    },
    {
        "code": "red",
        "name": "红色预警",
        "offset_workdays": 5,
        "recipients": ["leader", "office"],
        "light": "red",
        "document": DocumentKind.WARNING_LETTER,
    },
    {
        "code": "supervision",
        "name": "督办",
        "offset_workdays": 10,
        "recipients": ["reporters", "leader", "upper"],
        "light": "red",
        "document": DocumentKind.SUPERVISION_NOTICE,
        "response_workdays": 5,
    },
)
# How far back a due date can lie and still have a rung to fire (ten working days after it, holidays included).
LOOKBACK_DAYS = 45
LOOKAHEAD_DAYS = 15
MAX_CATCH_UP_DAYS = 62


def ladder_ensure(plan: Plan) -> list[LadderRung]:
    """The plan's ladder, created from the default the first time it is needed."""
    rungs = list(LadderRung.objects.filter(plan=plan).order_by("position"))
    if not rungs:
        LadderRung.objects.bulk_create(
            [LadderRung(plan=plan, position=index, **rung) for index, rung in enumerate(DEFAULT_LADDER, start=1)],
            ignore_conflicts=True,
        )
        rungs = list(LadderRung.objects.filter(plan=plan).order_by("position"))
    return rungs


def fire_date(due: dt.date, offset: int) -> dt.date:
    """The day a rung fires: the |offset|-th working day before (offset < 0) or after (offset > 0) the due date;
    for offset 0 the due date itself if it is a working day, else the last working day before it."""
    if offset == 0:
        return workdays.previous_workday(due)
    return workdays.add_workdays(due, offset)


def owed_now() -> Q:
    """What a unit still owes: not closed out, not suspended; a deadline until the item is reported, any other
    obligation until its report is submitted (and its round, if any, is still open)."""
    deadline = Q(kind=ObligationKind.DEADLINE) & Q(
        assignment__state__in=[AssignmentState.ASSIGNED, AssignmentState.RETURNED]
    )
    reports = (
        ~Q(kind=ObligationKind.DEADLINE)
        & Q(state__in=OWED_STATES)
        & (Q(round__isnull=True) | Q(round__closed_at__isnull=True))
    )
    return (
        Q(assignment__suspended_at__isnull=True) & ~Q(assignment__state=AssignmentState.CLOSED) & (deadline | reports)
    )


@dataclass(frozen=True)
class Fired:
    date: dt.date
    task: str
    unit: str
    rung: str
    obligation: int
    kind: str
    due_date: dt.date
    notice: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "task": self.task,
            "unit": self.unit,
            "rung": self.rung,
            "obligation": self.obligation,
            "kind": self.kind,
            "due_date": self.due_date.isoformat(),
            "notice": self.notice,
        }


def _due_dates_firing_on(day: dt.date, offset: int) -> list[dt.date]:
    """Every due date for which a rung of this offset fires on ``day``."""
    return [
        candidate
        for delta in range(-LOOKAHEAD_DAYS, LOOKBACK_DAYS + 1)
        if fire_date(candidate := day - dt.timedelta(days=delta), offset) == day
    ]


class _People:
    """Who to tell, for every unit, read once per sweep: the unit tree and the active people with a role."""

    def __init__(self) -> None:
        self.parent = dict(Unit.objects.values_list("pk", "parent_id"))
        self.office_units = set(Unit.objects.filter(is_office=True).values_list("pk", flat=True))
        self.by_unit: dict[int, list[User]] = defaultdict(list)
        for user in User.objects.filter(is_active=True, unit__isnull=False):
            self.by_unit[user.unit_id].append(user)  # type: ignore[index]

    def _with_role(self, unit_id: int | None, *roles: str) -> list[User]:
        return [user for user in self.by_unit.get(unit_id or 0, []) if user.role in roles]

    def ancestors(self, unit_id: int) -> list[int]:
        found, current = [], self.parent.get(unit_id)
        while current is not None and current not in found:
            found.append(current)
            current = self.parent.get(current)
        return found

    def recipients(self, unit_id: int, kinds: Iterable[str]) -> list[User]:
        people: dict[int, User] = {}
        for kind in kinds:
            if kind == Recipient.REPORTERS:
                chosen = self._with_role(unit_id, Role.REPORTER)
            elif kind == Recipient.LEADER:
                chosen = self._with_role(unit_id, Role.LEADER)
            elif kind == Recipient.SUPERVISORS:
                chosen = [
                    u for uid in [unit_id, *self.ancestors(unit_id)] for u in self._with_role(uid, Role.SUPERVISOR)
                ]
                chosen += [u for uid in self.office_units for u in self._with_role(uid, Role.SUPERVISOR)]
            elif kind == Recipient.OFFICE:
                chosen = [u for uid in self.office_units for u in self._with_role(uid, Role.ADMIN)]
            elif kind == Recipient.UPPER:
                parent = self.parent.get(unit_id)
                chosen = self._with_role(parent, Role.LEADER, Role.SUPERVISOR) if parent else []
            else:
                chosen = []
            for user in chosen:
                people[user.pk] = user
        return list(people.values())


def _issuer() -> str:
    office = Unit.objects.filter(is_office=True, level="province").order_by("position").first()
    return office.name if office else str(settings.NOTICE_ISSUER)


def _next_number(kind: str, year: int) -> int:
    sequence, _created = DocumentSequence.objects.select_for_update().get_or_create(kind=kind, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return sequence.last


def notice_doc_no(kind: str, year: int, number: int) -> str:
    prefix = settings.DOCUMENT_NUMBER_PREFIXES[kind]
    return f"{prefix}〔{year}〕{number}号"


def _answer_label(notice: Notice) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Answer to %(doc_no)s") % {"doc_no": notice.doc_no}


def _issue_notices(day: dt.date, rung: LadderRung, fired: list[tuple[Obligation, FiredRung]]) -> dict[int, Notice]:
    """One notice per unit for the obligations that reached a document rung today, with an answer owed on each."""
    by_unit: dict[int, list[tuple[Obligation, FiredRung]]] = defaultdict(list)
    for obligation, record in fired:
        by_unit[obligation.assignment.unit_id].append((obligation, record))
    notices: dict[int, Notice] = {}
    issuer = _issuer()
    response_due = workdays.add_workdays(day, rung.response_workdays)
    for unit_id, items in by_unit.items():
        number = _next_number(rung.document, day.year)
        notice = Notice.objects.create(
            kind=rung.document,
            year=day.year,
            number=number,
            doc_no=notice_doc_no(rung.document, day.year, number),
            unit_id=unit_id,
            issuer=issuer,
            rung=rung,
            issued_on=day,
            response_due=response_due,
        )
        notice.items.set([obligation for obligation, _record in items])
        FiredRung.objects.filter(pk__in=[record.pk for _o, record in items]).update(notice=notice)
        Obligation.objects.bulk_create(
            [
                Obligation(
                    assignment=obligation.assignment,
                    kind=ObligationKind.NOTICE_RESPONSE,
                    notice=notice,
                    label=_answer_label(notice),
                    due_date=response_due,
                )
                for obligation in {o.assignment_id: o for o, _r in items}.values()
            ]
        )
        notices[unit_id] = notice
        with translation.override(settings.LANGUAGE_CODE):
            issued = _("%(kind)s %(doc_no)s, answer due %(due)s") % {
                "kind": notice.get_kind_display(),
                "doc_no": notice.doc_no,
                "due": response_due.isoformat(),
            }
        for obligation, _record in items:
            AssignmentTransition.objects.create(
                assignment=obligation.assignment,
                action=TransitionAction.NOTICE_ISSUED,
                source=obligation.assignment.state,
                target=obligation.assignment.state,
                at=timezone.now(),
                comment=issued,
            )
    return notices


def _message_text(day: dt.date, rung: LadderRung, obligation: Obligation, notice: Notice | None) -> tuple[str, str]:
    assignment = obligation.assignment
    late = workdays.workdays_between(obligation.due_date, day)
    context = {
        "day": day,
        "rung": rung,
        "obligation": obligation,
        "assignment": assignment,
        "task": assignment.task,
        "unit": assignment.unit,
        "late": max(late, 0),
        "ahead": max(-late, 0),
        "notice": notice,
        "link": settings.SITE_URL.rstrip("/")
        + (
            obligation.get_absolute_url()
            if obligation.kind != ObligationKind.DEADLINE
            else assignment.get_absolute_url()
        ),
    }
    subject = render_to_string("notifications/rung_subject.txt", context).strip()
    body = render_to_string("notifications/rung_body.txt", context)
    return subject, body


def _write_messages(
    day: dt.date,
    rung: LadderRung,
    fired: list[tuple[Obligation, FiredRung]],
    notices: dict[int, Notice],
    people: _People,
) -> list[int]:
    from notifications.models import Message

    messages = []
    with translation.override(settings.LANGUAGE_CODE):  # the messages speak the office's language
        for obligation, record in fired:
            notice = notices.get(obligation.assignment.unit_id)
            recipients = people.recipients(obligation.assignment.unit_id, rung.recipients)
            if not recipients:
                continue
            subject, body = _message_text(day, rung, obligation, notice)
            link = (
                obligation.get_absolute_url()
                if obligation.kind != ObligationKind.DEADLINE
                else obligation.assignment.get_absolute_url()
            )
            for user in recipients:
                messages.append(
                    Message(
                        recipient=user,
                        dedupe_key=f"rung:{obligation.pk}:{rung.pk}:{record.cycle}:{user.pk}",
                        subject=subject,
                        body=body,
                        link=link,
                        obligation=obligation,
                        notice=notice,
                    )
                )
    created = Message.objects.bulk_create(messages, batch_size=2000)
    return [message.pk for message in created]


def sweep_day(day: dt.date, *, plans: QuerySet[Plan] | None = None) -> list[Fired]:
    """Fire every rung due on ``day``, once. Returns what fired."""
    workdays.refresh()
    results: list[Fired] = []
    message_ids: list[int] = []
    notice_ids: list[int] = []
    with transaction.atomic():
        # Two sweeps of one day at once: the second waits here, then finds everything already fired.
        SweepState.objects.select_for_update().get_or_create(name="lock")
        people: _People | None = None
        for plan in plans if plans is not None else Plan.objects.all():
            for rung in ladder_ensure(plan):
                dues = _due_dates_firing_on(day, rung.offset_workdays)
                if not dues:
                    continue
                already = FiredRung.objects.filter(obligation=OuterRef("pk"), rung=rung, cycle=OuterRef("cycle"))
                owed = list(
                    Obligation.objects.filter(owed_now(), assignment__task__plan=plan, due_date__in=dues)
                    .exclude(Exists(already))
                    .select_related("assignment__unit", "assignment__task", "round", "notice")
                    .order_by("pk")
                )
                if not owed:
                    continue
                records = FiredRung.objects.bulk_create(
                    [
                        FiredRung(obligation=o, rung=rung, cycle=o.cycle, fired_on=day, due_date=o.due_date)
                        for o in owed
                    ],
                    batch_size=5000,
                )
                fired = list(zip(owed, records, strict=True))
                notices = _issue_notices(day, rung, fired) if rung.document else {}
                notice_ids += [notice.pk for notice in notices.values()]
                people = people or _People()
                message_ids += _write_messages(day, rung, fired, notices, people)
                results += [
                    Fired(
                        date=day,
                        # An answer owed to a notice is the notice's, whatever tasks it lists: named by its number.
                        task=o.notice.doc_no if o.notice_id else o.assignment.task.number,
                        unit=o.assignment.unit.code,
                        rung=rung.code,
                        obligation=o.pk,
                        kind=o.kind,
                        due_date=o.due_date,
                        notice=notices[o.assignment.unit_id].doc_no if o.assignment.unit_id in notices else "",
                    )
                    for o in owed
                ]
        transaction.on_commit(lambda: _after_commit(notice_ids, message_ids))
    return results


def _after_commit(notice_ids: list[int], message_ids: list[int]) -> None:
    from notifications.tasks import enqueue
    from processes.tasks import render_notice

    for notice_id in notice_ids:
        render_notice.delay(notice_id)
    enqueue(message_ids)


def sweep_range(since: dt.date, until: dt.date) -> list[Fired]:
    """Sweep every day from ``since`` to ``until`` in order (catch-up after an outage, or a simulation)."""
    if until < since:
        raise ValueError(_("The last day comes before the first."))
    fired: list[Fired] = []
    day = since
    while day <= until:
        fired += sweep_day(day)
        day += dt.timedelta(days=1)
    return fired


def sweep_scheduled(today: dt.date | None = None) -> list[Fired]:
    """What beat runs: every day after the last one swept, up to today (at most two months back), in order."""
    today = today or timezone.localdate()
    state, _created = SweepState.objects.get_or_create(name="daily")
    start = state.last_swept + dt.timedelta(days=1) if state.last_swept else today
    earliest = today - dt.timedelta(days=MAX_CATCH_UP_DAYS)
    if start < earliest:
        logger.warning("the deadline sweep last ran on %s; catching up from %s only", state.last_swept, earliest)
        start = earliest
    fired: list[Fired] = []
    day = start
    while day <= today:
        fired += sweep_day(day)
        SweepState.objects.filter(pk=state.pk).update(last_swept=day)
        day += dt.timedelta(days=1)
    return fired


def obligation_light(obligation: Obligation, fired_lights: Iterable[str], as_of: dt.date) -> Light:
    """One obligation's light: red from 5 working days late or a red rung, yellow from 1 or a yellow rung."""
    late = workdays.workdays_between(obligation.due_date, as_of)
    worst = Light.GREEN
    if late >= 5 or Light.RED in fired_lights:
        worst = Light.RED
    elif late >= 1 or Light.YELLOW in fired_lights:
        worst = Light.YELLOW
    return worst
