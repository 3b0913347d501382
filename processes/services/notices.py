"""The documents the ladder issues (预警函, 督办通知单) as PDFs, and the unit's answer to them (整改说明)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from processes.models import (
    AssignmentTransition,
    Evidence,
    Notice,
    Obligation,
    ObligationState,
    Report,
    ReportKind,
    ReportStatus,
    TransitionAction,
    User,
    Visit,
)
from processes.permissions import can_report

from .lifecycle import AlreadyHandled, InvalidInput, NotAllowed, evidence_check
from .pdf import render_pdf


def notice_render(notice: Notice) -> bytes:

    items = notice.items.select_related("assignment__task", "assignment__unit", "round").order_by(
        "assignment__task__position"
    )
    with translation.override("zh-hans"):
        visit = Visit.objects.filter(notice=notice).select_related("pairing__unit", "pairing__leader").first()
        html = render_to_string("documents/notice.html", {"notice": notice, "items": items, "visit": visit})
    return render_pdf(html)


def notice_pdf(notice: Notice) -> bytes:
    """The notice's PDF, rendered and stored on first use (on the item, in private storage)."""
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
            late=timezone.localdate(now) > locked.response_due,
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
