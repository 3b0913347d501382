"""工作简报: draft a period's bulletin, let the office edit its pieces and pick highlights from the units' reports,
then publish it after confirming to whom it goes: numbered in the year of its period (2023年第N期（总第M期）),
rendered as a PDF in the form of the seed bulletins, and emailed to the distribution list, all in one transaction.

A bulletin is a list of pieces, each a headline and its text; its 本期要目 are their headlines, read when it is
rendered, so that it never lists what it does not carry. The draft starts with one piece, the office's account of
the period's progress written from the figures as of the period's end (or today, for a period not yet over); the
highlights are the units' reports the office picks. It names no region as lagging and ranks none: that is a 通报's
business (see ``late_items``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from processes.formats import chinese_date
from processes.models import (
    Assignment,
    AssignmentState,
    Bulletin,
    BulletinPiece,
    BulletinState,
    Distribution,
    DistributionLine,
    DocumentSettings,
    Plan,
    Report,
    ReportStatus,
    Task,
    Unit,
    UnitLevel,
    User,
)
from processes.models.bulletins import LINE_ORDER
from processes.rules import Viewer, administers_installation, manages_plan, office_staff, sees_everything

from .assessment import period_check
from .dashboard import progress_by_region, projects_summary
from .history import end_of_day, state_at
from .ladder import issuer_name, reserve_numbers
from .lifecycle import AlreadyHandled, InvalidInput, NotAllowed
from .pdf import render_pdf
from .project_ledger import figures_sentence

EDITABLE = ("masthead", "issuer", "issued_on", "report_to", "send_to", "issue_to")
HEADLINE_MAX = 200
# A highlight's headline by default: the unit's name and the first clause of its report, cut to this many characters.
CLAUSE_MAX = 40
CLAUSE_END = re.compile(r"[，。；！？;!?\n]")


def can_edit_bulletins(user: Viewer, plan: Plan | None = None) -> bool:
    """The admins of the office that issues ``plan`` prepare its bulletins (without a plan: the provincial office's
    admins)."""
    if plan is not None:
        return manages_plan(user, plan)
    return administers_installation(user)


def can_read_bulletin(bulletin: Bulletin, user: Viewer) -> bool:
    """A published bulletin is for everyone signed in; a draft for the provincial office and the office whose
    bulletin it is."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        not bulletin.is_draft
        or sees_everything(user)
        or (office_staff(user) and getattr(user, "unit_id", None) == bulletin_office(bulletin).pk)
    )


def bulletin_office(bulletin: Bulletin) -> Unit:
    """The office whose bulletin it is: its plan's issuer."""
    return bulletin.office or bulletin.plan.issuer


def _distribution_list(office: Unit) -> QuerySet[Distribution]:
    """The office's distribution list; the provincial programme office's also holds the rows without an office
    (the list kept before each office had its own)."""
    entries = Distribution.objects.filter(active=True)
    if office.level == UnitLevel.PROVINCE:
        return entries.filter(Q(office=office) | Q(office__isnull=True))
    return entries.filter(office=office)


def _distribution(line: str, office: Unit) -> str:
    names = _distribution_list(office).filter(line=line).values_list("name", flat=True)
    return "，".join(names) + ("。" if names else "")


def bulletin_figures(plan: Plan, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The province's figures the progress piece is written from, as of the period's end (or today), from the
    history: the items then, closed and open; those whose deadline had come, and how many of them were closed; and
    how many were behind on something they owed. No region is ranked or named."""
    as_of = min(end, timezone.localdate())
    total = progress_by_region(plan, None, as_of).total
    due = list(
        Assignment.objects.filter(task__plan=plan, due_date__lte=as_of)
        .annotate(state_then=state_at(end_of_day(as_of)))
        .filter(state_then__isnull=False)
        .exclude(state_then=AssignmentState.CARRIED)  # its deadline is next year's plan's now
        .values_list("state_then", flat=True)
    )
    due_closed = sum(state == AssignmentState.CLOSED for state in due)
    projects = projects_summary(plan, None, as_of)  # 项目库: only when the office's library holds projects
    return {
        "as_of": as_of.isoformat(),
        "tasks": Task.objects.filter(plan=plan).count(),
        "items": total.total,
        "closed": total.closed,
        "open": total.open,
        "carried": total.carried,
        "late": total.late,
        "due": len(due),
        "due_closed": due_closed,
        "due_closed_percent": round(due_closed * 100 / len(due)) if due else None,
        "projects": projects.as_json() if projects is not None else None,
    }


def progress_headline(plan: Plan) -> str:
    """The progress piece's headline, for the whole of the plan's area: 全省, 全市 or 全区（县）."""
    level = plan.issuer.level
    if level == UnitLevel.PROVINCE:
        return _("Progress of the year's tasks of building a “zero-waste” province")
    if level == UnitLevel.CITY:
        return _("Progress of the city's tasks of the year of building a “zero-waste city”")
    return _("Progress of the district's (county's) tasks of the year of building a “zero-waste city”")


def progress_text(plan: Plan, figures: Mapping[str, Any]) -> str:
    """The office's account of the progress, in words: a share closed out only of items that were due, and only when
    some were closed (never a “销号率0%”)."""
    lines = [
        _(
            "As of %(date)s, the %(tasks)s tasks of %(plan)s are broken down into %(items)s items for their "
            "responsible units; %(closed)s of them have been closed out and %(open)s remain open."
        )
        % {
            "date": chinese_date(dt.date.fromisoformat(figures["as_of"])),
            "tasks": figures["tasks"],
            "plan": plan.title,
            "items": figures["items"],
            "closed": figures["closed"],
            "open": figures["open"],
        }
    ]
    if not figures["due"]:
        lines.append(_("No item had reached its deadline yet; the work is going on as planned."))
    elif not figures["due_closed"]:
        lines.append(
            _("%(due)s items had reached their deadline; none of them has been closed out yet.")
            % {"due": figures["due"]}
        )
    else:
        lines.append(
            _("Of the %(due)s items whose deadline had come, %(closed)s have been closed out (%(percent)s percent).")
            % {"due": figures["due"], "closed": figures["due_closed"], "percent": figures["due_closed_percent"]}
        )
    if figures["late"]:
        lines.append(
            _("%(late)s items are behind on what they owe; the office is following them up through the dispatch.")
            % {"late": figures["late"]}
        )
    else:
        lines.append(_("No item is behind on what it owes."))
    if figures.get("projects"):  # 项目库, in the seed bulletins' words
        lines.append(figures_sentence(figures["projects"]))
    return "\n".join(lines)


def bulletin_draft(
    *, plan: Plan, by: User, period_start: dt.date, period_end: dt.date, issued_on: dt.date | None = None
) -> Bulletin:
    """A draft bulletin on the period, numbered in the year of its period when published and dated ``issued_on``
    (default: the day it is drafted), carrying one piece: the progress, written from the figures, to edit."""
    _check_editor(by, plan)
    period_check(period_start, period_end, plan=plan, fields=("period_start", "period_end"))
    office = plan.issuer
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():  # written in the office's language
        figures = bulletin_figures(plan, period_start, period_end)
        bulletin = Bulletin.objects.create(
            plan=plan,
            office=office,
            year=period_end.year,
            masthead=DocumentSettings.for_office(office).masthead,
            issuer=issuer_name(office),
            issued_on=issued_on or timezone.localdate(),
            period_start=period_start,
            period_end=period_end,
            report_to=_distribution(DistributionLine.REPORT_TO, office),
            send_to=_distribution(DistributionLine.SEND_TO, office),
            issue_to=_distribution(DistributionLine.ISSUE_TO, office),
            figures=figures,
            created_by=by,
        )
        BulletinPiece.objects.create(
            bulletin=bulletin, position=1, headline=progress_headline(plan), text=progress_text(plan, figures)
        )
    return bulletin


def _check_editor(by: User, plan: Plan) -> None:
    if not can_edit_bulletins(by, plan):
        raise NotAllowed(_("Only the admins of the plan's own office prepare its bulletins."))


def _locked_draft(bulletin: Bulletin, by: User) -> Bulletin:
    _check_editor(by, bulletin.plan)
    locked = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if not locked.is_draft:
        raise AlreadyHandled
    return locked


def bulletin_update(*, bulletin: Bulletin, by: User, changes: Mapping[str, Any]) -> Bulletin:
    """Change a draft's masthead, issuer, date or distribution lines; a published bulletin stays as it went out.
    Its number stays that of its period's year whatever its date."""
    _check_editor(by, bulletin.plan)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(_("These cannot be edited: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    required = {
        "masthead": _("The masthead cannot be empty."),
        "issuer": _("The issuing office cannot be empty."),
        "issued_on": _("The bulletin needs a date."),
    }
    for name, message in required.items():
        if name in changes and not str(changes[name] or "").strip():
            raise InvalidInput(message, field=name)
    with transaction.atomic():
        locked = _locked_draft(bulletin, by)
        for name, value in changes.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        locked.save()
    return locked


def _piece_checked(headline: str, text: str) -> tuple[str, str]:
    headline, text = " ".join(headline.split()), text.strip()
    if not headline:
        raise InvalidInput(_("A piece needs a headline."), field="headline")
    if len(headline) > HEADLINE_MAX:
        raise InvalidInput(_("A headline has at most %(max)s characters.") % {"max": HEADLINE_MAX}, field="headline")
    if not text:
        raise InvalidInput(_("A piece needs its text."), field="text")
    return headline, text


def _next_position(bulletin: Bulletin) -> int:
    return (bulletin.pieces.aggregate(last=Max("position"))["last"] or 0) + 1


def _locked_piece(piece: BulletinPiece, by: User) -> tuple[Bulletin, BulletinPiece]:
    locked = _locked_draft(piece.bulletin, by)
    try:
        return locked, BulletinPiece.objects.get(pk=piece.pk, bulletin=locked)
    except BulletinPiece.DoesNotExist:
        raise AlreadyHandled from None


def bulletin_piece_add(*, bulletin: Bulletin, by: User, headline: str, text: str) -> BulletinPiece:
    """A piece of the office's own, after the others."""
    _check_editor(by, bulletin.plan)
    headline, text = _piece_checked(headline, text)
    with transaction.atomic():
        locked = _locked_draft(bulletin, by)
        return BulletinPiece.objects.create(
            bulletin=locked, position=_next_position(locked), headline=headline, text=text
        )


def bulletin_piece_update(*, piece: BulletinPiece, by: User, headline: str, text: str) -> BulletinPiece:
    _check_editor(by, piece.bulletin.plan)
    headline, text = _piece_checked(headline, text)
    with transaction.atomic():
        _bulletin, locked = _locked_piece(piece, by)
        locked.headline, locked.text = headline, text
        locked.save(update_fields=["headline", "text"])
    return locked


def bulletin_piece_remove(*, piece: BulletinPiece, by: User) -> None:
    """Take a piece out (its report may be picked again); the others close up."""
    with transaction.atomic():
        bulletin, locked = _locked_piece(piece, by)
        locked.delete()
        _renumber(list(bulletin.pieces.all()))


def bulletin_piece_move(*, piece: BulletinPiece, by: User, to: int) -> BulletinPiece:
    """Put a piece at place ``to`` (1 the first; beyond the ends, at the end), the others keeping their order."""
    with transaction.atomic():
        bulletin, locked = _locked_piece(piece, by)
        others = [p for p in bulletin.pieces.all() if p.pk != locked.pk]
        index = min(max(to, 1), len(others) + 1) - 1
        _renumber([*others[:index], locked, *others[index:]])
    locked.refresh_from_db()
    return locked


def _renumber(pieces: Sequence[BulletinPiece]) -> None:
    for position, piece in enumerate(pieces, start=1):
        if piece.position != position:
            piece.position = position
            piece.save(update_fields=["position"])


def highlight_candidates(bulletin: Bulletin) -> QuerySet[Report]:
    """The units' reports submitted in the period and not yet in the bulletin, newest first: what the office may
    pick highlights from."""
    start = timezone.make_aware(dt.datetime.combine(bulletin.period_start, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(bulletin.period_end + dt.timedelta(days=1), dt.time.min))
    picked = BulletinPiece.objects.filter(bulletin=bulletin, report__isnull=False).values("report_id")
    return (
        Report.objects.filter(
            assignment__task__plan=bulletin.plan,
            status=ReportStatus.SUBMITTED,
            submitted_at__gte=start,
            submitted_at__lt=end,
        )
        .exclude(text="")
        .exclude(pk__in=picked)
        .select_related("assignment__unit", "assignment__task")
        .order_by("-submitted_at", "-pk")
    )


def highlight_headline(report: Report) -> str:
    """A highlight's headline until the office writes its own: “<unit>：<the first clause of its report>”."""
    clause = CLAUSE_END.split(report.text.strip(), maxsplit=1)[0].strip()
    if len(clause) > CLAUSE_MAX:
        clause = clause[: CLAUSE_MAX - 1] + "…"
    return f"{report.assignment.unit.name}：{clause}"


def bulletin_pick_highlights(*, bulletin: Bulletin, by: User, reports: Sequence[int]) -> list[BulletinPiece]:
    """Each chosen report becomes a piece after the others: a headline to edit (``highlight_headline``) and the
    report's text."""
    _check_editor(by, bulletin.plan)
    chosen = list(highlight_candidates(bulletin).filter(pk__in=list(reports)).order_by("submitted_at", "pk"))
    if not chosen or len(chosen) != len(set(reports)):
        raise InvalidInput(_("Choose reports of the period that the bulletin does not carry yet."), field="reports")
    with transaction.atomic():
        locked = _locked_draft(bulletin, by)
        first = _next_position(locked)
        return [
            BulletinPiece.objects.create(
                bulletin=locked,
                position=first + offset,
                headline=highlight_headline(report),
                text=report.text.strip(),
                report=report,
            )
            for offset, report in enumerate(chosen)
        ]


def bulletin_render(bulletin: Bulletin) -> bytes:
    """The bulletin as the seed bulletins print it: red masthead, 期号, issuer and date, 本期要目 (the pieces'
    headlines), the pieces, then the 版记 — 报 / 送 / 发 and the 印发 line between rules. ``MissingGlyphs`` when a
    character of it has no font."""
    document = DocumentSettings.for_office(bulletin_office(bulletin))
    pieces = list(bulletin.pieces.all())
    with translation.override("zh-hans"):
        html = render_to_string(
            "documents/bulletin.html",
            {
                "bulletin": bulletin,
                "masthead": bulletin.masthead.split(),  # a line per part, as the seed bulletins print it
                "pieces": pieces,
                "fonts": document.css_families(),
                "printer": document.printer,
                "lines": bulletin.distribution_lines(),
            },
        )
    return render_pdf(html)


def bulletin_pdf(bulletin: Bulletin) -> bytes:
    """A published bulletin as it went out (stored); a draft as it would look now."""
    if bulletin.pdf:
        with bulletin.pdf.open("rb") as handle:
            return handle.read()
    return bulletin_render(bulletin)


@dataclass(frozen=True)
class PublishPreview:
    """What publishing a draft now does: the numbers it takes and to whom it is emailed, line by line."""

    year: int
    number: int
    overall: int
    lines: list[tuple[str, list[Distribution]]]

    @property
    def issue_label(self) -> str:
        return f"{self.year}年第{self.number}期（总第{self.overall}期）"

    @property
    def recipients(self) -> list[Distribution]:
        return [entry for _label, entries in self.lines for entry in entries]

    @property
    def fingerprint(self) -> str:
        """Changes when the numbers or the addresses do: a confirmation holds only for what it showed."""
        shown = f"{self.year}/{self.number}/{self.overall}/" + ",".join(
            f"{entry.pk}:{entry.email}" for entry in self.recipients
        )
        return hashlib.sha256(shown.encode()).hexdigest()[:16]


def _recipients(office: Unit) -> list[tuple[str, list[Distribution]]]:
    entries = list(_distribution_list(office).order_by("position", "pk"))
    labels = dict(DistributionLine.choices)
    return [(str(labels[line]), [e for e in entries if e.line == line]) for line in LINE_ORDER]


def _reserve_overall(office: Unit) -> int:
    """The office's next 总第M期, taken under the lock of its own sequence row (year 0), so that two issues published
    at once, of different years, never take the same one; the row starts from the office's issues already
    published."""
    from processes.models import DocumentSequence

    sequence, _created = DocumentSequence.objects.select_for_update().get_or_create(
        office=office, kind="bulletin", year=0
    )
    published = Bulletin.objects.filter(office=office).aggregate(last=Max("total_number"))["last"] or 0
    sequence.last = max(sequence.last, published) + 1
    sequence.save(update_fields=["last"])
    return sequence.last


def next_numbers(year: int, office: Unit | None = None) -> tuple[int, int]:
    """The numbers the office's next bulletin of the year would take (for the draft's preview); the provincial
    programme office's when no office is named."""
    from processes.models import DocumentSequence

    from .plans import programme_office

    office = office or programme_office()
    sequence = DocumentSequence.objects.filter(office=office, kind="bulletin", year=year)
    last = sequence.values_list("last", flat=True).first() or 0
    overall = (Bulletin.objects.filter(office=office).aggregate(last=Max("total_number"))["last"] or 0) + 1
    return last + 1, overall


def bulletin_publish_preview(bulletin: Bulletin) -> PublishPreview:
    """What the office confirms before 印发: the issue's numbers and its recipients."""
    office = bulletin_office(bulletin)
    number, overall = next_numbers(bulletin.year, office)
    return PublishPreview(year=bulletin.year, number=number, overall=overall, lines=_recipients(office))


def bulletin_publish(*, bulletin: Bulletin, by: User, confirmed: str | None = None) -> Bulletin:
    """Number the bulletin (its period's year's next issue, and the next overall), render and keep its PDF, and email
    it to the distribution list; all or nothing, and only once. ``confirmed``: the fingerprint of the preview the
    office confirmed; refused when the numbers or the recipients are no longer those. The PDF is made before
    anything is written: a bulletin that cannot be printed stays a draft and nothing is sent."""
    from notifications.models import Message

    from .ladder import messages_send

    with transaction.atomic():
        locked = _locked_draft(bulletin, by)
        if not locked.pieces.exists():
            raise InvalidInput(_("The bulletin carries no piece yet."))
        office = bulletin_office(locked)
        number = reserve_numbers("bulletin", locked.year, 1, office=office)
        overall = _reserve_overall(office)
        preview = PublishPreview(year=locked.year, number=number, overall=overall, lines=_recipients(office))
        if confirmed is not None and confirmed != preview.fingerprint:
            raise InvalidInput(
                _("The issue's number or its distribution has changed since you confirmed; read it again and confirm.")
            )
        locked.number, locked.total_number, locked.office = number, overall, office
        locked.state, locked.published_at, locked.published_by = BulletinState.PUBLISHED, timezone.now(), by
        pdf = bulletin_render(locked)  # raises before anything is stored or queued (the transaction rolls back)
        locked.pdf.save(f"{locked.year}-{number}.pdf", ContentFile(pdf), save=False)
        locked.save()
        with translation.override(settings.LANGUAGE_CODE):
            subject = str(locked)
            body = render_to_string(
                "notifications/bulletin_body.txt", {"bulletin": locked, "headlines": locked.headlines()}
            )
        messages = Message.objects.bulk_create(
            Message(
                address=entry.email,
                dedupe_key=f"bulletin:{locked.pk}:{entry.pk}",
                subject=subject,
                body=body,
                link=locked.get_absolute_url(),
                bulletin=locked,
            )
            for entry in preview.recipients
        )
        ids = [message.pk for message in messages]
        transaction.on_commit(lambda: messages_send(ids))
    return locked
