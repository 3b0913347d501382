"""The documents the ladder issues (预警函, 督办通知单) as PDFs, and the unit's answer to them (整改说明)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from processes.formats import chinese_date
from processes.models import (
    AssignmentTransition,
    DocumentKind,
    DocumentSettings,
    Evidence,
    Notice,
    Obligation,
    ObligationState,
    Report,
    ReportKind,
    ReportStatus,
    TransitionAction,
    Unit,
    User,
)
from processes.rules import can_report

from .lifecycle import AlreadyHandled, InvalidInput, NotAllowed, evidence_check
from .pdf import render_pdf
from .signing import body_as_issued


def _em(text: str) -> float:
    """The width of ``text`` in characters of its font size: Chinese full, digits and Latin half."""
    return sum(0.5 if ord(char) < 0x2000 else 1.0 for char in text)


PRINTED_LINE_PT = (156 - 2 * 14 * 25.4 / 72) * 72 / 25.4  # the 版心 less 一字 each side, in pt
TITLE_LINE = 20  # characters of 2号 (22 pt) in the 156 mm of the 版心


def title_lines(title: str) -> list[str]:
    """A title longer than a line broken where its sense allows (before 予以, 逾期, 关于…的; GB/T 9704 7.3.1: 回行时
    词意完整，排列对称), into lines as even as possible."""
    if _em(title) <= TITLE_LINE:
        return [title]
    marks = ("“无废城市”", "逾期事项", "予以", "各地", "工作", "的")
    cuts = sorted({title.find(mark) for mark in marks if 0 < title.find(mark) < len(title)})
    fits = [cut for cut in cuts if _em(title[:cut]) <= TITLE_LINE and _em(title[cut:]) <= TITLE_LINE]
    if not fits:
        half = len(title) // 2
        return [title[:half], title[half:]]
    cut = min(fits, key=lambda c: abs(_em(title[:c]) - _em(title[c:])))
    return [title[:cut], title[cut:]]


def official_context(notice: Notice) -> dict[str, Any]:
    """What the GB/T 9704 template needs of a document, signed or (for the preview) not."""
    from .signing import notice_office_id

    office_id = notice_office_id(notice)
    office = Unit.objects.filter(pk=office_id).first() if office_id else None
    # The particulars of the office that issues it: its 代字, its printing office, its fonts.
    style = DocumentSettings.for_office(office) if office is not None else DocumentSettings.current()
    issuer = notice.issuer or style.issuer
    draft = not notice.is_issued
    if draft:
        year = notice.drafted_on.year if notice.drafted_on else timezone.localdate().year
        doc_no = f"{style.code(notice.kind)}〔{year}〕　号"
        date_text = _("(date of signing)")
    else:
        doc_no, date_text = notice.doc_no or "", chinese_date(notice.issued_on)
    mark = issuer if notice.kind == DocumentKind.WARNING_LETTER else f"{issuer}文件"
    # 署名 centred on 成文日期, which stands 右空四字; a name longer than the room there stands 右空二字.
    pad = 4 + (_em(date_text) - _em(issuer)) / 2
    return {
        "notice": notice,
        "title": notice.title or notice.get_kind_display(),
        "title_lines": title_lines(notice.title or str(notice.get_kind_display())),
        "issuer": issuer,
        "printer": style.printer,
        "fonts": style.css_families(),
        "letter": notice.kind == DocumentKind.WARNING_LETTER,
        "mark_size": round(min(11.0, (165.0 if notice.kind == DocumentKind.WARNING_LETTER else 154.0) / _em(mark)), 2),
        "doc_no": doc_no,
        "draft": draft,
        "addressee": notice.addressees or (notice.unit.name if notice.unit else ""),
        "paragraphs": body_as_issued(notice),
        "date_text": date_text,
        "printed_on": date_text,
        # 印发机关 and 印发日期 share one line of 4号 (14 pt) inside 一字 each side; a long name makes it smaller.
        "printed_size": min(14.0, round(PRINTED_LINE_PT / (_em(style.printer) + _em(date_text) + 2 + 2), 2)),
        "issuer_pad": max(2.0, round(pad, 2)),
        "copy_to": notice.copy_to.rstrip("。"),
    }


def notice_render(notice: Notice) -> bytes:
    """The document as GB/T 9704 lays it out: a draft as a preview (no number, no date, marked), a signed one as
    issued."""
    return render_pdf(notice_html(notice))


def notice_html(notice: Notice) -> str:
    """The HTML ``notice_render`` makes the PDF of: the PDF depends on nothing else."""
    items = list(
        notice.items.select_related("assignment__task", "assignment__unit", "round").order_by(
            "assignment__task__position", "due_date"
        )
    )
    with translation.override("zh-hans"):
        context = official_context(notice)
        if notice.kind == DocumentKind.CIRCULAR:
            context["figures"] = notice.figures
            context["annex_title"] = f"{notice.figures.get('period', '')}各地考核评估得分排名"
            context["annex_lines"] = title_lines(context["annex_title"])
            html = render_to_string("documents/circular.html", context)
        else:
            context["items"] = items
            context["annex_title"] = "逾期事项清单" if items else ""
            context["annex_lines"] = [context["annex_title"]]
            html = render_to_string("documents/notice.html", context)
    return html


def notice_pdf(notice: Notice) -> bytes:
    """The document's PDF: as it was issued (stored when signed), or the preview of a draft (never stored)."""
    if not notice.is_issued:
        return notice_render(notice)
    if not notice.pdf:
        with transaction.atomic():
            locked = Notice.objects.select_for_update().get(pk=notice.pk)
            if not locked.pdf:
                locked.pdf.save(f"{locked.year}-{locked.kind}-{locked.number}.pdf", ContentFile(notice_render(locked)))
            notice.pdf = locked.pdf
    with notice.pdf.open("rb") as handle:
        return handle.read()


def notice_answer(*, notice: Notice, by: User, text: str, files: Sequence[object] = ()) -> Report:
    """The unit's answer (整改说明 and evidence): it settles what the notice asked of each of its items."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Write the answer (整改说明): it cannot be empty."), field="text")
    checked = evidence_check(files)  # type: ignore[arg-type]
    with transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        responses = list(
            Obligation.objects.select_for_update(of=("self",))
            .filter(notice=locked)
            .select_related("assignment__unit")
            .order_by("pk")
        )
        if not responses or not all(can_report(response, by) for response in responses):
            raise NotAllowed(_("Only the unit the notice is addressed to answers it."))
        if locked.answered_at is not None:
            raise AlreadyHandled
        now = timezone.now()
        first = responses[0]
        report = Report.objects.create(
            assignment=first.assignment,
            obligation=first,
            kind=ReportKind.PROGRESS,
            status=ReportStatus.SUBMITTED,
            text=text,
            submitted_by=by,
            submitted_at=now,
            late=locked.response_due is not None and timezone.localdate(now) > locked.response_due,
        )
        for item in checked:
            evidence = Evidence(
                report=report, original_name=item.name, content_type=item.kind, size=item.size, sha256=item.sha256
            )
            evidence.file.save(item.name, item.upload, save=False)
            evidence.save()
        for response in responses:
            if response.state in (ObligationState.OPEN, ObligationState.RETURNED):
                response.submit()
                response.submitted_at, response.late = now, report.late
                response.save()
            AssignmentTransition.objects.create(
                assignment=response.assignment,
                action=TransitionAction.NOTICE_ANSWERED,
                source=response.assignment.state,
                target=response.assignment.state,
                by=by,
                at=now,
                comment=text,
                report=report,
                obligation=response,
            )
        locked.answered_at, locked.answer = now, report
        locked.save(update_fields=["answered_at", "answer"])
    return report
