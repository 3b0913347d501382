"""工作简报: draft a period's bulletin from its figures, let the office edit its text and pick highlights from the
units' reports, then publish it: numbered in the year of its date (2023年第N期（总第M期）), rendered as a PDF in the
form of the seed bulletins, and emailed to the distribution list through the outbox, all in one transaction.

A bulletin's figures are those of its period, read from the history as of the period's end (or today, for a period
not yet over); its date is the day it is drafted, or — a past year's period, written up later — the period's last
day, so that a year's issues carry that year whenever they are written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from processes import workdays
from processes.models import (
    Assignment,
    Bulletin,
    BulletinState,
    Distribution,
    DistributionLine,
    Obligation,
    Plan,
    Report,
    ReportStatus,
    Role,
    Task,
    User,
)

from .assessment import assessment_compute, period_check, scheme_ensure
from .dashboard import progress_by_region
from .history import obligations_owed_as_of
from .ladder import issuer_name, reserve_numbers
from .lifecycle import AlreadyHandled, InvalidInput, NotAllowed
from .pdf import render_pdf
from .scope import Viewer, sees_everything

LATE_LISTED = 50
EDITABLE = ("masthead", "issuer", "issued_on", "contents", "summary", "highlights", "report_to", "send_to")


def can_edit_bulletins(user: Viewer) -> bool:
    return isinstance(user, User) and sees_everything(user) and (user.role == Role.ADMIN or user.is_superuser)


def can_read_bulletin(bulletin: Bulletin, user: Viewer) -> bool:
    """A published bulletin is for everyone signed in; a draft for the provincial office."""
    return bool(getattr(user, "is_authenticated", False)) and (not bulletin.is_draft or sees_everything(user))


def _distribution(line: str) -> str:
    names = Distribution.objects.filter(active=True, line=line).values_list("name", flat=True)
    return "、".join(names) + ("。" if names else "")


def bulletin_figures(plan: Plan, start: dt.date, end: dt.date) -> dict[str, Any]:
    """What the bulletin reports, as of the period's end (or today), from the history: the ledger's counts overall
    and by region then, the ranking for the period, and the items late then on something they owed then."""
    as_of = min(end, timezone.localdate())
    progress = progress_by_region(plan, None, as_of)
    total = progress.total
    figures: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "tasks": Task.objects.filter(plan=plan).count(),
        "items": total.total,
        "closed": total.closed,
        "open": total.open,
        "late": total.late,
        "closed_percent": total.closed_percent,
        "regions": [
            {
                "name": r.unit.name,
                "total": r.total,
                "closed": r.closed,
                "late": r.late,
                "closed_percent": r.closed_percent,
            }
            for r in progress.regions
        ],
        "ranking": [],
        "ranking_note": "",
    }
    try:
        assessment = assessment_compute(scheme=scheme_ensure(plan), start=start, end=end)
    except InvalidInput as exc:
        figures["ranking_note"] = exc.message
    else:
        figures["ranking_scheme"] = assessment.scheme.name
        figures["ranking"] = [{"rank": r.rank, "name": r.unit.name, "score": str(r.total)} for r in assessment.regions]
    first_due: dict[int, dt.date] = {}
    owed = Obligation.objects.filter(assignment__task__plan=plan, due_date__lt=as_of)
    for assignment_id, due in (
        obligations_owed_as_of(owed, as_of).order_by("due_date").values_list("assignment_id", "due_date")
    ):
        first_due.setdefault(assignment_id, due)
    late = sorted(
        Assignment.objects.filter(pk__in=list(first_due)).select_related("task", "unit"),
        key=lambda a: (a.unit.level != "city", a.unit.position, a.unit.code, a.task.position),
    )
    figures["late_total"] = len(late)
    figures["late_items"] = [
        {
            "unit": a.unit.name,
            "task": a.task.number,
            "text": a.task.text[:90] + ("…" if len(a.task.text) > 90 else ""),
            "due": first_due[a.pk].isoformat(),
            "late_days": workdays.workdays_between(first_due[a.pk], as_of),
        }
        for a in late[:LATE_LISTED]
    ]
    return figures


def _summary(plan: Plan, figures: Mapping[str, Any]) -> str:
    text = _(
        "As of %(date)s, the %(tasks)s tasks of %(plan)s are broken down into %(items)s items for their units; "
        "%(closed)s have been closed out (%(percent)s percent), %(open)s remain open, %(late)s of them late."
    ) % {
        "date": dt.date.fromisoformat(figures["as_of"]).strftime("%Y年%-m月%-d日"),
        "tasks": figures["tasks"],
        "plan": plan.title,
        "items": figures["items"],
        "closed": figures["closed"],
        "percent": figures["closed_percent"],
        "open": figures["open"],
        "late": figures["late"],
    }
    lines = [text]
    for region in figures["regions"]:
        lines.append(
            _("%(name)s: %(closed)s of %(total)s items closed out (%(percent)s percent), %(late)s late.")
            % {
                "name": region["name"],
                "closed": region["closed"],
                "total": region["total"],
                "percent": region["closed_percent"],
                "late": region["late"],
            }
        )
    return "\n".join(lines)


def bulletin_date(period_end: dt.date) -> dt.date:
    """The date a bulletin on a period ending on ``period_end`` carries when drafted today: today, or — a period of
    a past year — the period's last day, so that the issue is numbered in its own year."""
    today = timezone.localdate()
    return today if today.year <= period_end.year else period_end


def bulletin_draft(
    *, plan: Plan, by: User, period_start: dt.date, period_end: dt.date, issued_on: dt.date | None = None
) -> Bulletin:
    """A draft bulletin for the period, its text written from the figures, for the office to edit; dated
    ``issued_on``, by default the day it is drafted or, for a period of a past year, the period's last day."""
    if not can_edit_bulletins(by):
        raise NotAllowed(_("Only the programme office's admins prepare bulletins."))
    period_check(period_start, period_end, plan=plan, fields=("period_start", "period_end"))
    issued_on = issued_on or bulletin_date(period_end)
    with translation.override(settings.LANGUAGE_CODE):  # the bulletin is written in the office's language
        figures = bulletin_figures(plan, period_start, period_end)
        contents = [
            _("Progress of the plan's tasks across the province"),
            _("Assessment: the regions' ranking"),
            _("Items late on what they owe"),
            _("Highlights from the units' reports"),
        ]
        return Bulletin.objects.create(
            plan=plan,
            year=issued_on.year,
            masthead=settings.BULLETIN_MASTHEAD,
            issuer=issuer_name(),
            issued_on=issued_on,
            period_start=period_start,
            period_end=period_end,
            contents="\n".join(contents),
            summary=_summary(plan, figures),
            report_to=_distribution(DistributionLine.REPORT_TO),
            send_to=_distribution(DistributionLine.SEND_TO),
            figures=figures,
            created_by=by,
        )


def _locked_draft(bulletin: Bulletin, by: User) -> Bulletin:
    if not can_edit_bulletins(by):
        raise NotAllowed(_("Only the programme office's admins prepare bulletins."))
    locked = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if not locked.is_draft:
        raise AlreadyHandled
    return locked


def bulletin_update(*, bulletin: Bulletin, by: User, changes: Mapping[str, Any]) -> Bulletin:
    """Change a draft's text; a published bulletin stays as it went out."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(_("These cannot be edited: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    required = {
        "masthead": _("The masthead cannot be empty."),
        "issuer": _("The issuing office cannot be empty."),
        "contents": _("“In this issue” (本期要目) cannot be empty."),
        "summary": _("The overall progress cannot be empty."),
    }
    for name, message in required.items():
        if name in changes and not str(changes[name] or "").strip():
            raise InvalidInput(message, field=name)
    with transaction.atomic():
        locked = _locked_draft(bulletin, by)
        for name, value in changes.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        locked.year = locked.issued_on.year  # numbered in the year of its date
        locked.save()
    return locked


def highlight_candidates(bulletin: Bulletin) -> QuerySet[Report]:
    """The units' reports submitted in the period, newest first: what the office may pick highlights from."""
    start = timezone.make_aware(dt.datetime.combine(bulletin.period_start, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(bulletin.period_end + dt.timedelta(days=1), dt.time.min))
    return (
        Report.objects.filter(
            assignment__task__plan=bulletin.plan,
            status=ReportStatus.SUBMITTED,
            submitted_at__gte=start,
            submitted_at__lt=end,
        )
        .exclude(text="")
        .select_related("assignment__unit", "assignment__task")
        .order_by("-submitted_at", "-pk")
    )


def bulletin_pick_highlights(*, bulletin: Bulletin, by: User, reports: Sequence[int]) -> Bulletin:
    """Add the chosen reports to the highlights, each as “【unit】text”, for the office to edit further."""
    chosen = list(highlight_candidates(bulletin).filter(pk__in=list(reports)).order_by("submitted_at", "pk"))
    if not chosen or len(chosen) != len(set(reports)):
        raise InvalidInput(_("Choose reports of the period."), field="reports")
    with transaction.atomic():
        locked = _locked_draft(bulletin, by)
        added = [f"【{report.assignment.unit.name}】{report.text.strip()}" for report in chosen]
        locked.highlights = "\n\n".join(part for part in [locked.highlights.strip(), *added] if part)
        locked.save(update_fields=["highlights"])
    return locked


def bulletin_render(bulletin: Bulletin) -> bytes:

    with translation.override("zh-hans"):
        html = render_to_string(
            "documents/bulletin.html",
            {
                "bulletin": bulletin,
                "masthead": bulletin.masthead.split(),  # a line per part, as the seed bulletins print it
                "figures": bulletin.figures,
                "summary": [p for p in bulletin.summary.splitlines() if p.strip()],
                "highlights": [p for p in bulletin.highlights.split("\n\n") if p.strip()],
            },
        )
    return render_pdf(html)


def bulletin_pdf(bulletin: Bulletin) -> bytes:
    """A published bulletin as it went out (stored); a draft as it would look now."""
    if bulletin.pdf:
        with bulletin.pdf.open("rb") as handle:
            return handle.read()
    return bulletin_render(bulletin)


def bulletin_publish(*, bulletin: Bulletin, by: User) -> Bulletin:
    """Number the bulletin (the year's next issue, and the next overall), render and keep its PDF, and email it to
    the distribution list; all or nothing, and only once."""
    from notifications.models import Message

    from .ladder import notices_and_messages_send

    with transaction.atomic():
        locked = _locked_draft(bulletin, by)
        locked.year = locked.issued_on.year  # the year's next issue: the year of the bulletin's own date
        number = reserve_numbers("bulletin", locked.year, 1)
        overall = (Bulletin.objects.aggregate(last=Max("total_number"))["last"] or 0) + 1
        locked.number, locked.total_number = number, overall
        locked.state, locked.published_at, locked.published_by = BulletinState.PUBLISHED, timezone.now(), by
        locked.pdf.save(f"{locked.year}-{number}.pdf", ContentFile(bulletin_render(locked)), save=False)
        locked.save()
        with translation.override(settings.LANGUAGE_CODE):
            subject = str(locked)
            body = render_to_string("notifications/bulletin_body.txt", {"bulletin": locked})
        messages = Message.objects.bulk_create(
            Message(
                address=entry.email,
                dedupe_key=f"bulletin:{locked.pk}:{entry.pk}",
                subject=subject,
                body=body,
                link=locked.get_absolute_url(),
                bulletin=locked,
            )
            for entry in Distribution.objects.filter(active=True)
        )
        ids = [message.pk for message in messages]
        transaction.on_commit(lambda: notices_and_messages_send([], ids))
    return locked


def next_numbers(year: int) -> tuple[int, int]:
    """The numbers the next bulletin of the year would take (for the draft's preview)."""
    from processes.models import DocumentSequence

    last = DocumentSequence.objects.filter(kind="bulletin", year=year).values_list("last", flat=True).first() or 0
    overall = (Bulletin.objects.aggregate(last=Max("total_number"))["last"] or 0) + 1
    return last + 1, overall
