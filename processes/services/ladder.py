"""The escalation ladder and its sweep: every obligation a unit still owes climbs the rungs of its plan's ladder on
working days counted from its due date, each rung firing once per obligation and deadline.

The sweep is state-based and idempotent: for a day it selects what is owed and due to fire that day, records each
firing (unique per obligation, rung and deadline cycle) with its messages and documents in one transaction, and
finds nothing more to do when run again. ``sweep_range`` replays days in order (catch-up, simulation);
``sweep_scheduled`` is what beat runs: every day since the last one it covered, up to today.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connections, models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.models import Message
from processes import workdays
from processes.models import (
    OWED_STATES,
    AssignmentState,
    DocumentKind,
    DocumentSequence,
    DocumentSettings,
    FiredRung,
    LadderRung,
    Light,
    Notice,
    NoticeState,
    Obligation,
    ObligationKind,
    Pairing,
    Plan,
    Recipient,
    Role,
    Sweep,
    SweepState,
    Unit,
    UnitLevel,
    User,
)
from processes.services.history import ENDED_STATES, end_of_day, obligations_owed_as_of, start_of_day
from processes.services.lifecycle import InvalidInput
from processes.services.offices import plan_area
from processes.services.signing import signers_remind

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
        "recipients": ["leader", "paired", "office"],
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
    """What a unit still owes: not closed out nor carried over, not suspended; a deadline until the item is
    reported, any other obligation until its report is submitted (and its round, if any, is still open)."""
    deadline = Q(kind=ObligationKind.DEADLINE) & Q(
        assignment__state__in=[AssignmentState.ASSIGNED, AssignmentState.RETURNED]
    )
    reports = (
        ~Q(kind=ObligationKind.DEADLINE)
        & Q(state__in=OWED_STATES)
        & (Q(round__isnull=True) | Q(round__closed_at__isnull=True))
    )
    return Q(assignment__suspended_at__isnull=True) & ~Q(assignment__state__in=ENDED_STATES) & (deadline | reports)


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


class People:
    """Who to tell, for every unit, read once per sweep: the unit tree and the active people with a role. "The office"
    of a plan is its issuer: the province's plan's is the programme office, a city's plan's is the city's office."""

    def __init__(self, day: dt.date) -> None:
        self.parent = dict(Unit.objects.values_list("pk", "parent_id"))
        self.by_unit: dict[int, list[User]] = defaultdict(list)
        for user in User.objects.filter(is_active=True, unit__isnull=False).select_related("unit"):
            self.by_unit[user.unit_id].append(user)  # type: ignore[index]
        # The 包保 leaders of each plan's regions on that day: the pairing's leader, or else its unit's leaders.
        self.paired: dict[tuple[int, int], list[User]] = defaultdict(list)
        users = {user.pk: user for people in self.by_unit.values() for user in people}
        for region_id, plan_id, leader_id, unit_id in Pairing.regions.through.objects.filter(
            pairing__start__lte=day, pairing__end__gte=day
        ).values_list("unit_id", "pairing__plan_id", "pairing__leader_id", "pairing__unit_id"):
            if leader_id is not None:
                self.paired[plan_id, region_id] += [users[leader_id]] if leader_id in users else []
            else:
                self.paired[plan_id, region_id] += self._with_role(unit_id, Role.LEADER)

    def _with_role(self, unit_id: int | None, *roles: str) -> list[User]:
        return [user for user in self.by_unit.get(unit_id or 0, []) if user.role in roles]

    def ancestors(self, unit_id: int, up_to: int | None = None) -> list[int]:
        """The units above ``unit_id``, nearest first; with ``up_to``, none above that one."""
        found: list[int] = []
        current = self.parent.get(unit_id) if unit_id != up_to else None
        while current is not None and current not in found:
            found.append(current)
            current = self.parent.get(current) if current != up_to else None
        return found

    def recipients(self, unit_id: int, kinds: Iterable[str], plan: Plan) -> list[User]:
        """Who ``kinds`` name for an item of ``plan`` at ``unit_id``: the supervisors over the unit within the plan's
        office (up to the province for the province's plan, up to the city's office for a city's), the office's
        own supervisors and admins, the 包保 leaders of the plan's pairings."""
        office = plan.issuer_id
        within = None if plan.issuer.level == UnitLevel.PROVINCE else office
        people: dict[int, User] = {}
        for kind in kinds:
            if kind == Recipient.REPORTERS:
                chosen = self._with_role(unit_id, Role.REPORTER)
            elif kind == Recipient.LEADER:
                chosen = self._with_role(unit_id, Role.LEADER)
            elif kind == Recipient.SUPERVISORS:
                over = [unit_id, *self.ancestors(unit_id, up_to=within)]
                chosen = [u for uid in over for u in self._with_role(uid, Role.SUPERVISOR)]
                chosen += self._with_role(office, Role.SUPERVISOR)
            elif kind == Recipient.OFFICE:
                chosen = self._with_role(office, Role.ADMIN)
            elif kind == Recipient.PAIRED:
                over = [unit_id, *self.ancestors(unit_id, up_to=within)]
                chosen = [u for uid in over for u in self.paired.get((plan.pk, uid), [])]
            elif kind == Recipient.UPPER:
                parent = self.parent.get(unit_id)
                chosen = self._with_role(parent, Role.LEADER, Role.SUPERVISOR) if parent else []
            else:
                chosen = []
            for user in chosen:
                people[user.pk] = user
        return list(people.values())


def _office(office: Unit | None) -> Unit:
    if office is not None:
        return office
    from .plans import programme_office

    return programme_office()


def issuer_name(office: Unit | None = None) -> str:
    """The issuing office's full name, as set in the admin (official document settings of that office; of the
    provincial programme office when none is named)."""
    return DocumentSettings.for_office(_office(office)).issuer


def reserve_numbers(kind: str, year: int, count: int, *, office: Unit | None = None) -> int:
    """Take ``count`` consecutive numbers of a kind of document for a year, in the sequence of ``office`` (the
    provincial programme office when none is named); returns the first."""
    sequence, _created = DocumentSequence.objects.select_for_update().get_or_create(
        office=_office(office), kind=kind, year=year
    )
    first = sequence.last + 1
    sequence.last += count
    sequence.save(update_fields=["last"])
    return first


def notice_doc_no(kind: str, year: int, number: int, *, office: Unit | None = None) -> str:
    """吉无废督〔2023〕7号: the office's 代字 of the kind (admin), the year in 六角括号, the number."""
    return f"{DocumentSettings.for_office(_office(office)).code(kind)}〔{year}〕{number}号"


def _insert_from(model: type[models.Model], columns: Sequence[str], rows: QuerySet[Any]) -> int:
    """``INSERT INTO <model> (columns) SELECT …``: the database writes every row of ``rows`` (a ``values_list`` in
    the order of ``columns``) in one statement, however many there are. Returns how many it wrote."""
    connection = connections[rows.db]
    select, params = rows.order_by().query.sql_with_params()
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(column) for column in columns]
    names = [quote(field.column) for field in fields if isinstance(field, models.Field) and field.column]
    if len(names) != len(columns):
        raise ValueError(f"{model.__name__} has no column for one of {columns}")
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(names)}) {select}", params)
        return cursor.rowcount


class _Row(NamedTuple):
    """One firing of a run, with what its messages and the printout say about it (read in one query)."""

    obligation: int
    kind: str
    label: str
    due_date: dt.date
    assignment: int
    assignment_state: str
    unit: int
    unit_code: str
    unit_name: str
    task_number: str
    task_text: str
    answers: str | None  # the number of the notice an answer is owed to


_ROW_FIELDS = (
    "obligation_id",
    "obligation__kind",
    "obligation__label",
    "obligation__due_date",
    "obligation__assignment_id",
    "obligation__assignment__state",
    "obligation__assignment__unit_id",
    "obligation__assignment__unit__code",
    "obligation__assignment__unit__name",
    "obligation__assignment__task__number",
    "obligation__assignment__task__text",
    "obligation__notice__doc_no",
)


# A unit under an open notice of one of these kinds is not issued another of the rung's kind.
NO_SECOND = {
    DocumentKind.WARNING_LETTER: (DocumentKind.WARNING_LETTER, DocumentKind.SUPERVISION_NOTICE),
    DocumentKind.SUPERVISION_NOTICE: (DocumentKind.SUPERVISION_NOTICE,),
}


def _units_under_open_notice(units: Iterable[int], kinds: Sequence[str], day: dt.date, office: Unit) -> set[int]:
    """The units among ``units`` with a notice of ``office`` of one of ``kinds`` waiting for signature, or issued by
    ``day`` and not answered by then (another office's notices are that office's affair)."""
    waiting = Q(state=NoticeState.DRAFT, drafted_on__lte=day)
    issued = Q(state=NoticeState.ISSUED, issued_on__lte=day) & (
        Q(answered_at__isnull=True) | Q(answered_at__gte=end_of_day(day))
    )
    return set(
        Notice.objects.filter(waiting | issued, office=office, unit_id__in=list(units), kind__in=kinds).values_list(
            "unit_id", flat=True
        )
    )


def _eligible(rung: LadderRung, first_overdue: bool) -> Q:
    """Which owed obligations this rung may fire for. The answer a notice asks for is reminded of, and raised once to
    the supervisors (on the first rung after its due date), but never put on another numbered document."""
    answer = Q(kind=ObligationKind.NOTICE_RESPONSE)
    if rung.document or (rung.offset_workdays > 0 and not first_overdue):
        return ~answer
    return Q()


def _fire(
    day: dt.date, rung: LadderRung, plan: Plan, run: Sweep, dues: list[dt.date], eligible: Q | None = None
) -> list[_Row]:
    """Record the rung for every obligation of the plan that was owed on ``day`` (read from the history, so a
    replayed day sees that day), due on one of ``dues``, ``eligible``, and not yet fired in its current deadline
    cycle: one INSERT … SELECT, then one read of what it wrote."""
    already = FiredRung.objects.filter(obligation=OuterRef("pk"), rung=rung, cycle=OuterRef("cycle"))
    candidates = Obligation.objects.filter(assignment__task__plan=plan, due_date__in=dues)
    owed = (
        obligations_owed_as_of(candidates.filter(eligible or Q()), day)
        .exclude(Exists(already))
        .annotate(
            fire_rung=Value(rung.pk, output_field=models.IntegerField()),
            fire_day=Value(day, output_field=models.DateField()),
            fire_sweep=Value(run.pk, output_field=models.IntegerField()),
            fire_at=Value(run.started_at, output_field=models.DateTimeField()),
        )
        .values_list("pk", "fire_rung", "cycle", "fire_day", "due_date", "fire_sweep", "fire_at")
    )
    columns = ("obligation", "rung", "cycle", "fired_on", "due_date", "sweep", "created_at")
    if not _insert_from(FiredRung, columns, owed):
        return []
    return [
        _Row._make(values)
        for values in FiredRung.objects.filter(sweep=run, rung=rung)
        .order_by(
            "obligation__assignment__unit__position",
            "obligation__assignment__unit__code",
            "obligation__assignment__task__position",
            "obligation__due_date",
            "obligation_id",
        )
        .values_list(*_ROW_FIELDS)
    ]


def _issue_notices(day: dt.date, rung: LadderRung, run: Sweep, rows: list[_Row], plan: Plan) -> dict[int, Notice]:
    """One draft per unit listing the obligations that reached a document rung today, in a fixed number of queries
    whatever the number of units and items. The drafts wait for the office's 签发人 (``services.signing``), unless
    the rung issues without signature: then they are signed at once, dated the day swept.

    A unit already under an open notice of this kind (or, for a 预警函, under an open 督办通知单), drafted or issued,
    gets none: its items still climb the rung and its people are told, but escalation goes on through people, not
    more paper."""
    from .signing import draft_text, issue_unsigned

    units = list(dict.fromkeys(row.unit for row in rows))
    under = _units_under_open_notice(units, NO_SECOND[DocumentKind(rung.document)], day, plan.issuer)
    units = [unit_id for unit_id in units if unit_id not in under]
    rows = [row for row in rows if row.unit not in under]
    if not units:
        return {}
    issuer = issuer_name(plan.issuer)
    names = {row.unit: row.unit_name for row in rows}
    items = {unit_id: len({row.assignment for row in rows if row.unit == unit_id}) for unit_id in units}
    copy_to = _copy_to(rung, units)
    drafted_at = min(timezone.now(), start_of_day(day))
    drafts = []
    for unit_id in units:
        title, body = draft_text(
            rung.document,
            addressee=names[unit_id],
            day=day,
            items=items[unit_id],
            response_workdays=rung.response_workdays,
            area=plan_area(plan),
        )
        drafts.append(
            Notice(
                kind=rung.document,
                state=NoticeState.DRAFT,
                unit_id=unit_id,
                plan=plan,
                issuer=issuer,
                office=plan.issuer,
                rung=rung,
                title=title,
                body=body,
                copy_to=copy_to[unit_id],
                drafted_on=day,
                drafted_at=drafted_at,
                response_workdays=rung.response_workdays,
            )
        )
    created = Notice.objects.bulk_create(drafts)
    notices = {notice.unit_id: notice for notice in created}
    listed = Notice.items.through
    listed.objects.bulk_create([listed(notice_id=notices[row.unit].pk, obligation_id=row.obligation) for row in rows])
    # Each firing points to the notice that lists its obligation: one UPDATE for all the units.
    FiredRung.objects.filter(sweep=run, rung=rung).update(
        notice=Subquery(
            listed.objects.filter(
                obligation_id=OuterRef("obligation_id"), notice_id__in=[notice.pk for notice in created]
            ).values("notice_id")[:1]
        )
    )
    if rung.issue_unsigned:
        # Issued at once; a document that cannot be printed stays a draft for the signer (and the sweep goes on).
        try:
            with transaction.atomic():
                return {notice.unit_id: notice for notice in issue_unsigned(created, day)}  # type: ignore[misc]
        except InvalidInput as refused:
            logger.error("rung %s could not issue its documents of %s: %s", rung.pk, day, refused.message)
    return notices  # type: ignore[return-value]


def _copy_to(rung: LadderRung, units: list[int]) -> dict[int, str]:
    """抄送 of each unit's document: the unit one level up when the rung tells it, the region's 包保 unit when the
    rung tells the 包保 leader, then the rung's own copy list."""
    parents = dict(Unit.objects.filter(pk__in=units).values_list("pk", "parent__name"))
    paired: dict[int, list[str]] = defaultdict(list)
    if Recipient.PAIRED in rung.recipients:
        for region_id, name in Pairing.regions.through.objects.filter(
            unit_id__in=units, pairing__plan=rung.plan
        ).values_list("unit_id", "pairing__unit__name"):
            paired[region_id].append(name)
    extra = [name.strip() for name in rung.copy_to.replace("，", "、").split("、") if name.strip()]
    copied = {}
    for unit_id in units:
        names = [parents[unit_id]] if Recipient.UPPER in rung.recipients and parents.get(unit_id) else []
        names += paired.get(unit_id, []) + extra
        copied[unit_id] = "、".join(dict.fromkeys(name for name in names if name))
    return copied


# A digest lists this many items; the rest are counted, and found under “My work”.
DIGEST_LISTS = 30


def _item_context(day: dt.date, row: _Row) -> dict[str, Any]:
    late = workdays.workdays_between(row.due_date, day)
    if row.kind == ObligationKind.DEADLINE:
        path = reverse("plans:item", kwargs={"pk": row.assignment})
    else:
        path = reverse("plans:obligation", kwargs={"pk": row.obligation})
    return {
        **row._asdict(),
        "late": max(late, 0),
        "ahead": max(-late, 0),
        "path": path,
        "link": settings.SITE_URL.rstrip("/") + path,
    }


# Who hears of an unanswered notice on the one rung it climbs after its due date.
ANSWER_ESCALATION_RECIPIENTS = (Recipient.SUPERVISORS,)


def _of_office(user: User, plan: Plan) -> bool:
    """Whether ``user`` is of the office that issues ``plan`` (its drafts are that office's)."""
    return user.unit_id is not None and user.unit_id == plan.issuer_id


@dataclass
class _Told:
    """What one rung of a run fired, to be told: its rows and the documents it drafted (by unit)."""

    rung: LadderRung
    rows: list[_Row]
    notices: dict[int, Notice]
    plan: Plan


def _write_messages(day: dt.date, run: Sweep, told: list[_Told], people: People) -> list[int]:
    """One message per person per run of the sweep: a digest of every item any rung of the run tells them about, by
    rung (lowest first), written in the sweep's transaction, naming the documents drafted for those units. An answer
    owed to a notice that is overdue is told to the supervisors only. (Before, a person got one message per rung:
    a leader could get a 黄色预警, a 红色预警 and a 督办 digest on one morning.)"""

    sections: dict[int, dict[int, list[_Row]]] = defaultdict(dict)
    users: dict[int, User] = {}
    rungs = {batch.rung.pk: batch.rung for batch in told}
    drafted = {(batch.plan.pk, unit_id): notice for batch in told for unit_id, notice in batch.notices.items()}
    plans = {batch.plan.pk: batch.plan for batch in told}
    plan_of_rung = {batch.rung.pk: batch.plan.pk for batch in told}
    for batch in told:
        overdue_answers = batch.rung.offset_workdays > 0
        for (unit_id, answer), group in itertools.groupby(batch.rows, key=lambda r: (r.unit, r.answers is not None)):
            kinds = ANSWER_ESCALATION_RECIPIENTS if answer and overdue_answers else batch.rung.recipients
            group_rows = list(group)
            for user in people.recipients(unit_id, kinds, batch.plan):
                sections[user.pk].setdefault(batch.rung.pk, []).extend(group_rows)
                users[user.pk] = user
    work = reverse("plans:work")
    messages: list[Message] = []
    units_of: dict[int, list[int]] = {}
    with translation.override(settings.LANGUAGE_CODE):  # the messages speak the office's language
        for user_id, by_rung in sections.items():
            user = users[user_id]
            ordered = sorted((rungs[pk] for pk in by_rung), key=lambda r: r.position)
            rows = [row for rung in ordered for row in by_rung[rung.pk]]
            unit_ids = list(dict.fromkeys(row.unit for row in rows))
            units_of[user_id] = unit_ids
            total, room = len(rows), DIGEST_LISTS
            parts: list[dict[str, Any]] = []
            for rung in ordered:
                listed = [_item_context(day, row) for row in by_rung[rung.pk][:room]]
                for offset, item in enumerate(listed, start=DIGEST_LISTS - room + 1):
                    item["number"] = offset
                room -= len(listed)
                if listed:
                    parts.append({"rung": rung, "items": listed})
            first = parts[0]["items"][0]
            path = first["path"] if total == 1 else work
            context = {
                "day": day,
                "rung": ordered[-1],
                "rungs": ordered,
                "sections": parts,
                "items": [item for part in parts for item in part["items"]],
                "first": first,
                "total": total,
                "more": total - (DIGEST_LISTS - room),
                "unit_count": len(unit_ids),
                "greeting": first["unit_name"] if len(unit_ids) == 1 else user.unit.name if user.unit else "",
                # Drafts are the office's: only its people hear of them before they are signed.
                "notices": [
                    drafted[plan_id, unit_id]
                    for plan_id in dict.fromkeys(plan_of_rung[rung.pk] for rung in ordered)
                    for unit_id in unit_ids
                    if (plan_id, unit_id) in drafted and _of_office(user, plans[plan_id])
                ],
                "link": settings.SITE_URL.rstrip("/") + path,
            }
            messages.append(
                Message(
                    recipient=user,
                    dedupe_key=f"sweep:{run.pk}:{user_id}",
                    subject=render_to_string("notifications/rung_subject.txt", context).strip()[:300],
                    body=render_to_string("notifications/rung_body.txt", context),
                    link=path,
                    sweep=run,
                    rung=ordered[-1],
                    told={str(pk): list(dict.fromkeys(row.unit for row in rows_of)) for pk, rows_of in by_rung.items()},
                    items=total,
                )
            )
    created = Message.objects.bulk_create(messages)
    Message.units.through.objects.bulk_create(
        [
            Message.units.through(message_id=message.pk, unit_id=unit_id)
            for message in created
            for unit_id in units_of[message.recipient_id or 0]
        ]
    )
    return [message.pk for message in created]


def sweep_day(day: dt.date, *, plans: QuerySet[Plan] | None = None) -> list[Fired]:
    """Fire every rung due on ``day``, once. Returns what fired.

    The number of queries depends on the plans, their rungs and the units concerned, not on the number of
    obligations: each rung's firings are written by one INSERT … SELECT and read back by one query, and each
    person gets one message per rung listing their items."""
    workdays.refresh()
    results: list[Fired] = []
    message_ids: list[int] = []
    with transaction.atomic():
        # Two sweeps of one day at once: the second waits here, then finds everything already fired.
        SweepState.objects.select_for_update().get_or_create(name="lock")
        run = Sweep.objects.create(day=day, started_at=timezone.now())
        told: list[_Told] = []
        for plan in (plans if plans is not None else Plan.objects.all()).select_related("issuer"):
            rungs = ladder_ensure(plan)
            first_overdue = min((r.offset_workdays for r in rungs if r.offset_workdays > 0), default=None)
            for rung in rungs:
                dues = _due_dates_firing_on(day, rung.offset_workdays)
                eligible = _eligible(rung, rung.offset_workdays == first_overdue)
                rows = _fire(day, rung, plan, run, dues, eligible) if dues else []
                if not rows:
                    continue
                notices = _issue_notices(day, rung, run, rows, plan) if rung.document else {}
                told.append(_Told(rung, rows, notices, plan))
                results += [
                    Fired(
                        date=day,
                        # An answer owed to a notice is the notice's, whatever tasks it lists: named by its number.
                        task=row.answers or row.task_number,
                        unit=row.unit_code,
                        rung=rung.code,
                        obligation=row.obligation,
                        kind=row.kind,
                        due_date=row.due_date,
                        notice=(notices[row.unit].doc_no or "") if row.unit in notices else "",
                    )
                    for row in rows
                ]
        if told:
            message_ids += _write_messages(day, run, told, People(day))
        # Drafts waiting too long for signature are reminded to the signers, on this day's sweep.
        message_ids += signers_remind(day)
        if results:
            Sweep.objects.filter(pk=run.pk).update(fired=len(results), messages=len(message_ids))
        transaction.on_commit(lambda: messages_send(message_ids))
    return results


def message_fired(message: Message) -> QuerySet[FiredRung]:
    """The firings ``message`` told its recipient about: those of its sweep run at the rungs and for the units its
    ``told`` names (none for a message the sweep did not write)."""
    if message.sweep_id is None:
        return FiredRung.objects.none()
    if message.told:
        told = Q()
        for rung_id, unit_ids in message.told.items():
            told |= Q(rung_id=int(rung_id), obligation__assignment__unit_id__in=unit_ids)
        return FiredRung.objects.filter(told, sweep_id=message.sweep_id)
    return FiredRung.objects.filter(
        sweep_id=message.sweep_id, rung_id=message.rung_id, obligation__assignment__unit__in=message.units.all()
    )


def messages_send(message_ids: list[int]) -> None:
    """Hand the messages a commit wrote to the outbox's workers (a document's PDF is made when it is signed)."""
    from notifications.tasks import enqueue

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
        if day <= today:
            _let_others_write()
    return fired


# SQLite has one write lock for the whole file, and a writer waiting for it polls, at most every 100 ms: a catch-up
# whose days commit one right after the other would keep every page from saving until it is over.
SQLITE_PAUSE_SECONDS = 0.15


def _let_others_write() -> None:
    """Between two days of a catch-up on SQLite, a pause long enough for a waiting writer's next try."""
    if connections["default"].vendor == "sqlite":
        time.sleep(SQLITE_PAUSE_SECONDS)


def obligation_light(obligation: Obligation, fired_lights: Iterable[str], as_of: dt.date) -> Light:
    """One obligation's light: red from 5 working days late or a red rung, yellow from 1 or a yellow rung."""
    late = workdays.workdays_between(obligation.due_date, as_of)
    worst = Light.GREEN
    if late >= 5 or Light.RED in fired_lights:
        worst = Light.RED
    elif late >= 1 or Light.YELLOW in fired_lights:
        worst = Light.YELLOW
    return worst
