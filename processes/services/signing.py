"""签发: no numbered document leaves the office unsigned.

Whatever issues a 预警函, 督办通知单 or 通报 (a ladder rung, a 包保 visit's outcome, the office's 通报) makes a draft.
The office's 签发人 (a person marked as signer in the admin) reads it, may edit its title, text and 抄送, and signs
it — one or many at once — or withdraws it with a reason. Signing is the moment the document exists: it takes the
next number of its kind in the signing year (a withdrawn draft takes none, so the sequence has no gaps), is dated
that day (成文日期), its PDF is made and kept as issued (a PDF that cannot be made stops the signing: nothing is
numbered, nothing sent), the answer it asks for falls due counted from that day, and only then are its messages
written. A rung set to issue without signature signs its drafts itself, in the sweep that drafts them.

Drafts that wait more than the office's N working days are reminded to the signers, once per N working days."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from processes import workdays
from processes.formats import chinese_date
from processes.models import (
    AssignmentTransition,
    DocumentKind,
    Notice,
    NoticeState,
    Obligation,
    ObligationKind,
    Pairing,
    Recipient,
    Role,
    TransitionAction,
    Unit,
    User,
    Visit,
)
from processes.rules import office_staff

from .history import end_of_day
from .lifecycle import AlreadyHandled, InvalidInput, LifecycleError, NotAllowed
from .plans import PlanNotFound, programme_office

# Where the drafted text names the answer's deadline, unknown until the document is signed.
DUE_MARK = "〔答复期限〕"


def can_sign(user: object, office: Unit | int | None = None) -> bool:
    """A signer is a person of an office marked as such (the mark on anyone else signs nothing); with ``office``,
    a signer of that office: each office's documents are signed by its own 签发人."""
    if not (
        isinstance(user, User) and user.is_active and user.is_signer and user.unit is not None and user.unit.is_office
    ):
        return False
    return office is None or user.unit_id == (office.pk if isinstance(office, Unit) else office)


def signers(office: Unit | int | None = None) -> QuerySet[User]:
    """The signers of ``office`` (of every office when ``None``)."""
    found = User.objects.filter(is_active=True, is_signer=True, unit__is_office=True).order_by("pk")
    return found if office is None else found.filter(unit=office)


def can_prepare(user: object, office: Unit | int | None = None) -> bool:
    """Who reads and edits drafts: the signers and the admins and supervisors of an office (with ``office``: of that
    office; the provincial office's read every office's drafts, but sign and edit only their own)."""
    if can_sign(user, office):
        return True
    return (
        isinstance(user, User)
        and office_staff(user)
        and (office is None or user.unit_id == (office.pk if isinstance(office, Unit) else office))
    )


def notice_office_id(notice: Notice) -> int | None:
    """The office a document is of: the one it was drafted for, else its plan's issuer, else (a document made before
    offices had their own, or by hand in the admin) the provincial programme office — as signing numbers it."""
    if notice.office_id is not None:
        return notice.office_id
    if notice.plan_id is not None and notice.plan is not None:
        return notice.plan.issuer_id
    try:
        return programme_office().pk
    except PlanNotFound:
        return None


def drafts(office: Unit | int | None = None) -> QuerySet[Notice]:
    """The drafts waiting for signature (of ``office`` when given)."""
    waiting = Notice.objects.filter(state=NoticeState.DRAFT).select_related("unit", "rung").order_by("drafted_on", "pk")
    return waiting if office is None else waiting.filter(office=office)


def drafts_for(user: object) -> QuerySet[Notice]:
    """The drafts a person of an office reads: their own office's."""
    if not isinstance(user, User) or user.unit_id is None:
        return Notice.objects.none()
    return drafts(user.unit_id)


# --- Drafting -------------------------------------------------------------------------------------------------


def draft_text(
    kind: str,
    *,
    addressee: str,
    day: dt.date,
    items: int,
    visit: Visit | None = None,
    response_workdays: int = 5,
    area: str = "全省",
) -> tuple[str, str]:
    """The title and body a draft starts with, in the office's language; the signer may rewrite both."""
    context = {
        "kind": kind,
        "addressee": addressee,
        "day": chinese_date(day),
        "items": items,
        "visit": visit,
        "visited_on": chinese_date(visit.visited_on) if visit else "",
        "due_mark": DUE_MARK,
        "response_workdays": response_workdays,
        "area": area,  # where a 督办通知单 threatens to make it known: 全省, 全市, 全区（县）
    }
    with translation.override("zh-hans"):
        title = render_to_string("documents/notice_title.txt", context).strip()
        body = render_to_string("documents/notice_body.txt", context).strip()
    return title, "\n".join(line.strip() for line in body.splitlines() if line.strip())


def body_as_issued(notice: Notice) -> list[str]:
    """The paragraphs of the body, the answer's deadline written in (or, on a draft, how it will be counted)."""
    # In the document's own language, whatever the reader's.
    pending = f"签发后{notice.response_workdays}个工作日"
    due = chinese_date(notice.response_due) if notice.response_due else pending
    return [paragraph.replace(DUE_MARK, due) for paragraph in notice.paragraphs()]


# --- Editing, withdrawing --------------------------------------------------------------------------------------


def _locked_draft(notice: Notice) -> Notice:
    locked = Notice.objects.select_for_update().get(pk=notice.pk)
    if not locked.is_draft:
        raise AlreadyHandled
    return locked


def notice_edit(*, notice: Notice, by: User, title: str, body: str, copy_to: str) -> Notice:
    if not can_prepare(by, notice_office_id(notice)):
        raise NotAllowed(_("Only the signers and the programme office edit a draft."))
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise InvalidInput(_("The document needs a title."), field="title")
    if not body:
        raise InvalidInput(_("The document needs its text."), field="body")
    with transaction.atomic():
        locked = _locked_draft(notice)
        locked.title, locked.body, locked.copy_to = title, body, (copy_to or "").strip()
        locked.edited_by, locked.edited_at = by, timezone.now()
        locked.save(update_fields=["title", "body", "copy_to", "edited_by", "edited_at"])
    return locked


def notice_withdraw(*, notice: Notice, by: User, reason: str) -> Notice:
    if not can_sign(by, notice_office_id(notice)):
        raise NotAllowed(_("Only a signer (签发人) withdraws a draft."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the draft is withdrawn."), field="reason")
    with transaction.atomic():
        locked = _locked_draft(notice)
        locked.state, locked.withdrawn_by, locked.withdrawn_at = NoticeState.WITHDRAWN, by, timezone.now()
        locked.withdraw_reason = reason
        locked.save(update_fields=["state", "withdrawn_by", "withdrawn_at", "withdraw_reason"])
    return locked


# --- Signing ---------------------------------------------------------------------------------------------------


def _moment(day: dt.date) -> dt.datetime:
    """When something signed ``day`` happened: now, or — signing a past day (a catch-up, a replay) — that day."""
    return min(timezone.now(), end_of_day(day) - dt.timedelta(seconds=1))


def _answers_owed(notice: Notice, visit: Visit | None, by: User | None, at: dt.datetime) -> None:
    """The answer the document asks for, owed on each item it lists (or, for a visit's, on the region's assignment
    of the visits' task), with a line in each item's history."""
    if notice.kind == DocumentKind.CIRCULAR:
        return
    if visit is not None:
        from .pairings import ensure_assignment

        with translation.override(settings.LANGUAGE_CODE):
            targets = [ensure_assignment(visit.pairing.task, visit.region, by=by, comment=str(notice))]
    else:
        targets = list(
            {o.assignment_id: o.assignment for o in notice.items.select_related("assignment").order_by("pk")}.values()
        )
    with translation.override(settings.LANGUAGE_CODE):
        label = _("Answer to %(doc_no)s") % {"doc_no": notice.doc_no}
        issued = _("%(kind)s %(doc_no)s, answer due %(due)s") % {
            "kind": notice.get_kind_display(),
            "doc_no": notice.doc_no,
            "due": chinese_date(notice.response_due),
        }
    if visit is not None:
        issued = f"{issued}（{visit.get_reason_display()}）"
    Obligation.objects.bulk_create(
        Obligation(
            assignment=target,
            kind=ObligationKind.NOTICE_RESPONSE,
            notice=notice,
            label=label,
            due_date=notice.response_due,
            created_at=at,
        )
        for target in targets
    )
    AssignmentTransition.objects.bulk_create(
        AssignmentTransition(
            assignment=target,
            action=TransitionAction.NOTICE_ISSUED,
            source=target.state,
            target=target.state,
            by=by,
            at=at,
            comment=issued,
        )
        for target in targets
    )


def _recipients(notice: Notice, visit: Visit | None) -> list[User]:
    """Who receives the signed document: the addressee's reporters and leaders and the people its 抄送 names; for a
    通报, those of every region it names, and the 包保 leaders it is copied to."""
    if notice.kind == DocumentKind.CIRCULAR:
        from .circulars import circular_copied_people

        unit_ids = list(notice.sent_to.values_list("pk", flat=True))
        named = User.objects.filter(is_active=True, unit_id__in=unit_ids, role__in=[Role.REPORTER, Role.LEADER])
        return list({user.pk: user for user in [*named.order_by("pk"), *circular_copied_people(notice)]}.values())
    addressed = User.objects.filter(is_active=True, unit=notice.unit, role__in=[Role.REPORTER, Role.LEADER])
    return list({user.pk: user for user in [*addressed.order_by("pk"), *_copied_people(notice, visit)]}.values())


def _copied_people(notice: Notice, visit: Visit | None) -> list[User]:
    """Who the 抄送 names receives the document too: for a visit's, the 包保 leader who made the visit; for a rung's,
    the leaders of the unit one level up when the rung tells it, and the 包保 leaders of the region when it tells
    them."""
    if visit is not None:
        leader = visit.pairing.leader
        return [leader] if leader is not None and leader.is_active else []
    rung, unit = notice.rung, notice.unit
    if rung is None or unit is None:
        return []
    people: list[User] = []
    if Recipient.UPPER in rung.recipients and unit.parent_id is not None:
        people += User.objects.filter(is_active=True, unit_id=unit.parent_id, role=Role.LEADER).order_by("pk")
    if Recipient.PAIRED in rung.recipients and notice.issued_on is not None:
        leaders = Pairing.objects.filter(
            plan_id=rung.plan_id, regions=unit, start__lte=notice.issued_on, end__gte=notice.issued_on
        ).values("leader_id")
        people += User.objects.filter(is_active=True, pk__in=leaders).order_by("pk")
    return people


def _messages(issued: list[tuple[Notice, Visit | None]]) -> list[int]:
    """One message per person for what one signing issued: the document, or — a person several of them reach (the
    leader above many units, a 包保 leader of many regions) — a list of them, every PDF attached."""
    from notifications.models import Message

    reach: dict[int, list[tuple[Notice, Visit | None]]] = defaultdict(list)
    people: dict[int, User] = {}
    for notice, visit in issued:
        for user in _recipients(notice, visit):
            reach[user.pk].append((notice, visit))
            people[user.pk] = user
    messages: list[Message] = []
    with translation.override(settings.LANGUAGE_CODE):
        for user_id, documents in reach.items():
            notice, visit = documents[0]
            if len(documents) == 1:
                context: dict[str, Any] = {
                    "notice": notice,
                    "visit": visit,
                    "region": notice.unit,
                    "late": notice.items.count(),
                    "link": settings.SITE_URL.rstrip("/") + notice.get_absolute_url(),
                }
                template = "visit_notice" if visit is not None else "notice_issued"
                link = notice.get_absolute_url()
            else:
                context = {
                    "notices": [document for document, _visit in documents],
                    "site": settings.SITE_URL.rstrip("/"),
                }
                template, link = "notices_issued", ""
            messages.append(
                Message(
                    recipient=people[user_id],
                    dedupe_key=f"notice:{notice.pk}:{user_id}",
                    subject=render_to_string(f"notifications/{template}_subject.txt", context).strip()[:300],
                    body=render_to_string(f"notifications/{template}_body.txt", context),
                    link=link,
                    items=len(documents),
                )
            )
    created = Message.objects.bulk_create(messages)
    for message in created:
        documents = reach[message.recipient_id or 0]
        Message.notices.through.objects.bulk_create(
            Message.notices.through(message_id=message.pk, notice_id=notice.pk) for notice, _visit in documents
        )
        units = {notice.unit_id for notice, _visit in documents if notice.unit_id}
        Message.units.through.objects.bulk_create(
            Message.units.through(message_id=message.pk, unit_id=unit_id) for unit_id in units
        )
    return [message.pk for message in created]


class ChangedSinceRead(AlreadyHandled):
    """The draft was edited after the signer opened it: they sign what they read, or nothing."""

    def __init__(self, message: str) -> None:
        LifecycleError.__init__(self, message)


def notices_sign(
    *, notices: Iterable[Notice | int], by: User, on: dt.date | None = None, read: str | None = None
) -> list[Notice]:
    """The signer signs drafts, dated ``on`` (default today). All or nothing: a draft already handled, a date before a
    draft's, after today or before a document of its kind already issued that year, or a PDF that cannot be made
    signs none. A rung's draft whose items were all settled since it was drafted is withdrawn, not signed; the
    others list only what is still owed on the signing day."""
    if not can_sign(by):
        raise NotAllowed(_("Only a signer (签发人) signs the office's documents."))
    return _sign(notices, by=by, on=on or timezone.localdate(), read=read)


def issue_unsigned(notices: Iterable[Notice], on: dt.date) -> list[Notice]:
    """What a rung set to issue without signature does with the drafts it makes: sign them itself, dated ``on``."""
    return _sign(notices, by=None, on=on)


SETTLED = "签发时所列事项均已报送或办结，无需发文。"  # the reason a draft with nothing left to ask is withdrawn


class _Rehearsed(Exception):
    """Not an error: how a rehearsal of a signing hands back its documents and rolls itself back."""

    def __init__(self, html: list[str]) -> None:
        super().__init__()
        self.html = html


def _sign(notices: Iterable[Notice | int], *, by: User | None, on: dt.date, read: str | None = None) -> list[Notice]:
    """Sign the drafts, all or nothing. A PDF takes a quarter of a second or more to make: outside a transaction, the
    signing is first rehearsed (rolled back) to lay the documents out as they will be issued, their PDFs are made
    with no transaction open, and the signing itself then holds its locks for milliseconds, not seconds. A document
    that comes out different in the signing (another signing took its number meanwhile) is made there again; one
    that cannot be made (``MissingGlyphs``) signs none, as before."""
    from .pdf import render_pdf

    if on > timezone.localdate():
        raise InvalidInput(
            _("A document cannot be signed on a day still to come (%(day)s).") % {"day": chinese_date(on)}
        )
    ids = [n.pk if isinstance(n, Notice) else int(n) for n in notices]
    at = _moment(on)
    made: dict[str, bytes] = {}
    if not transaction.get_connection().in_atomic_block:  # inside a caller's transaction, a rehearsal gains nothing
        try:
            _signed(ids, by=by, on=on, at=at, read=read, made=None)
        except _Rehearsed as rehearsal:
            made = {html: render_pdf(html) for html in dict.fromkeys(rehearsal.html)}
    return _signed(ids, by=by, on=on, at=at, read=read, made=made)


def _signed(
    ids: list[int], *, by: User | None, on: dt.date, at: dt.datetime, read: str | None, made: dict[str, bytes] | None
) -> list[Notice]:
    """The signing in one transaction; with ``made`` None, a rehearsal: raises ``_Rehearsed`` with the documents'
    HTML, which rolls it back."""
    from .history import obligations_owed_as_of
    from .ladder import messages_send, notice_doc_no, reserve_numbers
    from .notices import notice_html
    from .pdf import render_pdf

    rehearsed: list[str] = []
    signed: list[Notice] = []
    issued: list[tuple[Notice, Visit | None]] = []
    with transaction.atomic():
        locked = list(Notice.objects.select_for_update().filter(pk__in=ids).order_by("drafted_on", "drafted_at", "pk"))
        if len(locked) != len(set(ids)):
            raise AlreadyHandled
        by_kind: dict[tuple[int, str], list[Notice]] = defaultdict(list)
        for notice in locked:
            if not notice.is_draft:
                raise AlreadyHandled
            office_id = notice_office_id(notice) or programme_office().pk
            if by is not None and not can_sign(by, office_id):
                raise NotAllowed(
                    _("%(doc)s is %(office)s's: only its own signer (签发人) signs it.")
                    % {"doc": notice, "office": Unit.objects.get(pk=office_id).name}
                )
            if read is not None and notice.version != read:
                raise ChangedSinceRead(
                    _("%(who)s changed the draft after you opened it: read it again before signing.")
                    % {"who": notice.edited_by or _("Someone")}
                )
            if notice.drafted_on and on < notice.drafted_on:
                raise InvalidInput(
                    _("%(doc)s was drafted on %(drafted)s: it cannot be signed on an earlier day.")
                    % {"doc": notice, "drafted": chinese_date(notice.drafted_on)}
                )
            if notice.rung_id is not None:
                # A rung's document asks about late items: only those still owed on the signing day stay on it.
                listed = notice.items.all()
                still = list(obligations_owed_as_of(listed, on).values_list("pk", flat=True))
                if not still:
                    notice.state, notice.withdrawn_by, notice.withdrawn_at = NoticeState.WITHDRAWN, by, at
                    notice.withdraw_reason = SETTLED
                    notice.save(update_fields=["state", "withdrawn_by", "withdrawn_at", "withdraw_reason"])
                    continue
                if len(still) != listed.count():
                    notice.items.set(still)
            by_kind[office_id, notice.kind].append(notice)
        # Sequences locked in one order, so that two signings never wait on each other; each office numbers its own.
        for office_id, kind in sorted(by_kind):
            group = by_kind[office_id, kind]
            office = Unit.objects.get(pk=office_id)
            last_issued = (
                Notice.objects.filter(office_id=office_id, kind=kind, year=on.year, state=NoticeState.ISSUED)
                .order_by("-issued_on")
                .values_list("issued_on", flat=True)
                .first()
            )
            if last_issued is not None and on < last_issued:
                raise InvalidInput(
                    _("A %(kind)s was issued on %(last)s: a later number cannot be dated %(day)s.")
                    % {"kind": group[0].get_kind_display(), "last": chinese_date(last_issued), "day": chinese_date(on)}
                )
            first = reserve_numbers(kind, on.year, len(group), office=office)
            for offset, notice in enumerate(group):
                notice.state, notice.year, notice.number = NoticeState.ISSUED, on.year, first + offset
                notice.office = office
                notice.doc_no = notice_doc_no(kind, on.year, notice.number, office=office)
                notice.issued_on, notice.signed_by, notice.signed_at = on, by, at
                if kind != DocumentKind.CIRCULAR:
                    notice.response_due = workdays.add_workdays(on, notice.response_workdays)
                visit = Visit.objects.filter(notice=notice).select_related("pairing__task", "region").first()
                html = notice_html(notice)
                if made is None:
                    rehearsed.append(html)
                else:
                    pdf = made.get(html) or render_pdf(html)
                    notice.pdf.save(f"{on.year}-{kind}-{notice.number}.pdf", ContentFile(pdf), save=False)
                notice.save()
                _answers_owed(notice, visit, by, at)
                issued.append((notice, visit))
                signed.append(notice)
        if made is None:
            raise _Rehearsed(rehearsed)
        message_ids = _messages(issued)
        transaction.on_commit(lambda: messages_send(message_ids))
    return signed


def sign_waiting(
    *,
    by: User,
    year: int | None = None,
    kind: str | None = None,
    as_of: dt.date | None = None,
    office: Unit | None = None,
) -> list[Notice]:
    """Sign every draft of ``office`` (default: the signer's own) waiting (of ``year`` and ``kind``, drafted by
    ``as_of``), on ``as_of`` (default today). Only the office's own signer signs its drafts."""
    on = as_of or timezone.localdate()
    if office is not None and not can_sign(by, office):
        raise NotAllowed(_("Only a signer (签发人) of %(office)s signs its documents.") % {"office": office.name})
    waiting = (drafts(office) if office is not None else drafts_for(by)).filter(drafted_on__lte=on)
    if year is not None:
        waiting = waiting.filter(drafted_on__year=year)
    if kind:
        waiting = waiting.filter(kind=kind)
    return notices_sign(notices=list(waiting), by=by, on=on)


# --- Reminding the signers -------------------------------------------------------------------------------------


def signers_remind(day: dt.date) -> list[int]:
    """On a working day, one message to each signer listing the drafts of their office that have waited the office's
    number of working days (and were not reminded in that many working days). Returns the messages written."""
    if not workdays.is_workday(day):
        return []
    offices = Unit.objects.filter(pk__in=Notice.objects.filter(state=NoticeState.DRAFT).values("office_id")).order_by(
        "level", "position", "code"
    )
    created: list[int] = []
    for office in offices:
        created += _remind_office(day, office)
    return created


def _remind_office(day: dt.date, office: Unit) -> list[int]:
    from notifications.models import Message

    from .offices import office_settings

    threshold = workdays.add_workdays(day, -office_settings(office).remind_after_workdays)
    # Counted from when the draft was made (a visit recorded late is drafted with the visit's day, but waits from now).
    waiting = list(
        drafts(office)
        .filter(drafted_at__lt=end_of_day(threshold))
        .exclude(reminded_on__gt=threshold)
        .exclude(reminded_on=day)
    )
    reminded = set(
        Message.objects.filter(dedupe_key__startswith=f"sign:{day.isoformat()}:").values_list("recipient_id", flat=True)
    )
    people = [person for person in signers(office) if person.pk not in reminded]  # once a day, however often swept
    if not waiting or not people:
        return []
    path = _work_path()
    context: dict[str, Any] = {"drafts": waiting, "day": day, "link": settings.SITE_URL.rstrip("/") + path}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("notifications/sign_reminder_subject.txt", context).strip()[:300]
        body = render_to_string("notifications/sign_reminder_body.txt", context)
    created = Message.objects.bulk_create(
        Message(recipient=user, dedupe_key=f"sign:{day.isoformat()}:{user.pk}", subject=subject, body=body, link=path)
        for user in people
    )
    Notice.objects.filter(pk__in=[n.pk for n in waiting]).update(reminded_on=day)
    return [message.pk for message in created]


def _work_path() -> str:
    from django.urls import reverse

    return reverse("plans:work") + "#signing"


def drafted_waiting_since(notices: Sequence[Notice], day: dt.date) -> dict[int, int]:
    """How many working days each draft has waited on ``day``."""
    return {n.pk: workdays.workdays_between(n.drafted_on, day) for n in notices if n.drafted_on}
