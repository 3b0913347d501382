"""The lifecycle of an assignment: report → (sign-off) → verify or return → close out, reopen, escalate.

Every step is one function that, in one transaction: locks the assignment row and re-checks its state (two people
acting at once: exactly one succeeds, the other gets ``AlreadyHandled``), takes the state machine's transition
(which also checks who may take it), writes the audit row, and moves the viewflow process on (starting it, or
completing the human step the person just took). Nothing is written when any of it fails.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from processes.filetypes import KIND_NAMES, sniff
from processes.models import (
    Assignment,
    AssignmentState,
    AssignmentTransition,
    Evidence,
    Report,
    ReportKind,
    TransitionAction,
    User,
)

logger = logging.getLogger(__name__)

# What a person may attach as evidence (佐证材料): the suffix they may carry and the content it must hold.
EVIDENCE_TYPES = {
    ".pdf": "pdf",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".png": "png",
    ".docx": "docx",
    ".xlsx": "xlsx",
}
MAX_EVIDENCE_FILES = 20


class LifecycleError(Exception):
    """A step was refused; ``message`` says why, in words for the person who tried it."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class AlreadyHandled(LifecycleError):
    """Someone else acted on the item first: it is no longer in the state the person saw."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This item has already been handled by someone else (该事项已被他人处理); "
                "the page now shows where it stands."
            )
        )


class NotAllowed(LifecycleError):
    """The person may not take this step on this item (wrong role, another unit, or not from this state)."""


class InvalidInput(LifecycleError):
    """What was submitted cannot be accepted: empty text, no reason, a file of the wrong kind …"""


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    name: str
    kind: str
    size: int
    sha256: str


def evidence_check(files: Sequence[UploadedFile]) -> list[CheckedFile]:
    """Each file's type by its content, its size and its suffix; every bad file is named in one refusal."""
    problems: list[str] = []
    checked: list[CheckedFile] = []
    limit = settings.EVIDENCE_MAX_BYTES
    if len(files) > MAX_EVIDENCE_FILES:
        raise InvalidInput(
            _("At most %(count)s files can be attached to one report.") % {"count": MAX_EVIDENCE_FILES}, field="files"
        )
    for upload in files:
        name = PurePath(upload.name or "").name
        suffix = PurePath(name).suffix.lower()
        expected = EVIDENCE_TYPES.get(suffix)
        if expected is None:
            problems.append(
                _("%(name)s: files of this type cannot be attached; use PDF, JPG, PNG, DOCX or XLSX.") % {"name": name}
            )
            continue
        size = upload.size or 0
        if size == 0:
            problems.append(_("%(name)s: the file is empty.") % {"name": name})
            continue
        if size > limit:
            problems.append(
                _("%(name)s: the file is too large (%(size).1f MB; at most %(limit).0f MB).")
                % {"name": name, "size": size / 1024 / 1024, "limit": limit / 1024 / 1024}
            )
            continue
        upload.seek(0)
        data = upload.read()
        upload.seek(0)
        kind = sniff(data)
        if kind != expected:
            problems.append(
                _("%(name)s: the content is %(kind)s, not what its name says (%(suffix)s).")
                % {"name": name, "kind": KIND_NAMES[kind], "suffix": suffix}
            )
            continue
        checked.append(CheckedFile(upload, name, kind, size, hashlib.sha256(data).hexdigest()))
    if problems:
        raise InvalidInput(" ".join(problems), field="files")
    return checked


def _lock(assignment: Assignment | int) -> Assignment:
    pk = assignment.pk if isinstance(assignment, Assignment) else assignment
    return Assignment.objects.select_for_update(of=("self",)).select_related("unit", "task__plan").get(pk=pk)


def _take(
    assignment: Assignment,
    step: str,
    *,
    by: User,
    action: TransitionAction,
    expected_state: str | None,
    comment: str = "",
    report: Report | None = None,
) -> AssignmentTransition:
    """Take the state machine's ``step`` on a locked assignment and write its audit row."""
    transition = getattr(assignment, step)
    if expected_state is not None and assignment.state != expected_state:
        raise AlreadyHandled
    if not has_transition_perm(transition, by):
        if not can_proceed(transition, check_conditions=False):
            raise NotAllowed(
                _("This step cannot be taken while the item is “%(state)s”.")
                % {"state": AssignmentState(assignment.state).label}
            )
        raise NotAllowed(_("You may not take this step on this item."))
    source = assignment.state
    transition()
    assignment.save()
    return AssignmentTransition.objects.create(
        assignment=assignment,
        action=action,
        source=source,
        target=assignment.state,
        by=by,
        at=timezone.now(),
        comment=comment,
        report=report,
    )


def _complete_step(process_model: Any, node: Any, assignment: Assignment, by: User) -> None:
    """Complete the open human ``node`` of the assignment's process, as ``by``, and let the flow move on."""
    task = (
        Task.objects.filter(
            flow_task=node,
            status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED],
            process__in=process_model.objects.filter(assignment=assignment),
        )
        .order_by("pk")
        .first()
    )
    if task is None:
        # The state machine has moved; a missing step means the item predates its flow. Log it, do not fail.
        logger.warning("no open %s step for assignment %s", node, assignment.pk)
        return
    # Who may act was checked by the state machine's transition; viewflow's own checks are not re-run here.
    with task.activation() as activation:
        if activation.task.status == STATUS.NEW:
            activation.assign(by)
        elif activation.task.status == STATUS.ASSIGNED and activation.task.owner_id != by.pk:
            activation.reassign(by)
        if activation.task.status == STATUS.ASSIGNED:
            activation.start(None)
        activation.execute()


def _flows() -> Any:
    from processes import flows

    return flows


def _text(value: str, *, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message, field=field)
    return value


# ---- the steps ---------------------------------------------------------------------------------------------------


def assignment_report(
    *,
    assignment: Assignment | int,
    by: User,
    text: str,
    files: Sequence[UploadedFile] = (),
    expected_state: str | None = None,
) -> Report:
    """申请销号: the unit reports the task done, with text and evidence; starts its completion process."""
    text = _text(text, field="text", message=_("Write what was done: the report cannot be empty."))
    checked = evidence_check(files)
    flows = _flows()
    with transaction.atomic():
        locked = _lock(assignment)
        needs_signoff = locked.unit.requires_signoff
        report = Report.objects.create(
            assignment=locked, kind=ReportKind.COMPLETION, text=text, submitted_by=by, submitted_at=timezone.now()
        )
        for item in checked:
            evidence = Evidence(
                report=report,
                original_name=item.name,
                content_type=item.kind,
                size=item.size,
                sha256=item.sha256,
            )
            evidence.file.save(item.name, item.upload, save=False)
            evidence.save()
        _take(
            locked,
            "submit_for_signoff" if needs_signoff else "report",
            by=by,
            action=TransitionAction.SUBMITTED_FOR_SIGNOFF if needs_signoff else TransitionAction.REPORTED,
            expected_state=expected_state,
            comment=text,
            report=report,
        )
        flows.CompletionFlow.start.run(assignment=locked, report=report)
    return report


def _decide(
    assignment: Assignment | int,
    *,
    by: User,
    step: str,
    action: TransitionAction,
    node: str,
    comment: str,
    expected_state: str | None,
) -> Assignment:
    """A decision on a submitted report: take the state machine's ``step`` and complete the flow's ``node``."""
    flows = _flows()
    with transaction.atomic():
        locked = _lock(assignment)
        _take(locked, step, by=by, action=action, expected_state=expected_state, comment=comment.strip())
        _complete_step(flows.CompletionProcess, getattr(flows.CompletionFlow, node), locked, by)
    return locked


def assignment_sign_off(
    *, assignment: Assignment | int, by: User, approve: bool, comment: str = "", expected_state: str | None = None
) -> Assignment:
    """The unit leader sends the report on to the supervisors, or back to the reporter with a comment."""
    if not approve:
        comment = _text(comment, field="comment", message=_("Say why the report goes back to the reporter."))
    return _decide(
        assignment,
        by=by,
        step="approve_signoff" if approve else "return_signoff",
        action=TransitionAction.SIGNOFF_APPROVED if approve else TransitionAction.SIGNOFF_RETURNED,
        node="signoff",
        comment=comment,
        expected_state=expected_state,
    )


def assignment_verify(
    *, assignment: Assignment | int, by: User, comment: str = "", expected_state: str | None = None
) -> Assignment:
    """A supervisor in scope accepts the report."""
    return _decide(
        assignment,
        by=by,
        step="verify",
        action=TransitionAction.VERIFIED,
        node="verify",
        comment=comment,
        expected_state=expected_state,
    )


def assignment_return(
    *, assignment: Assignment | int, by: User, reason: str, expected_state: str | None = None
) -> Assignment:
    """A supervisor in scope returns the report to the unit (退回); the reason is required."""
    reason = _text(reason, field="reason", message=_("A return needs a reason the unit can act on."))
    return _decide(
        assignment,
        by=by,
        step="return_report",
        action=TransitionAction.RETURNED,
        node="verify",
        comment=reason,
        expected_state=expected_state,
    )


def assignment_close(
    *, assignment: Assignment | int, by: User, comment: str = "", expected_state: str | None = None
) -> Assignment:
    """The office crosses a verified item off the ledger (销号); that ends any supervision of it."""
    locked = _decide(
        assignment,
        by=by,
        step="close",
        action=TransitionAction.CLOSED,
        node="close_out",
        comment=comment,
        expected_state=expected_state,
    )
    if locked.escalated_at is not None:
        Assignment.objects.filter(pk=locked.pk).update(escalated_at=None)
        locked.escalated_at = None
    return locked


def assignment_reopen(
    *, assignment: Assignment | int, by: User, reason: str, expected_state: str | None = None
) -> Assignment:
    """The office puts a closed item back on the ledger; the history keeps everything."""
    reason = _text(reason, field="reason", message=_("Reopening needs a reason."))
    with transaction.atomic():
        locked = _lock(assignment)
        _take(
            locked,
            "reopen",
            by=by,
            action=TransitionAction.REOPENED,
            expected_state=expected_state,
            comment=reason,
        )
    return locked


def assignment_escalate(*, assignment: Assignment | int, by: User, comment: str) -> Assignment:
    """转督办: a supervisor in scope puts an open item under supervision; it lands in the office's 待办."""
    from processes.rules import can_verify

    comment = _text(comment, field="comment", message=_("Say why the item needs supervision."))
    flows = _flows()
    with transaction.atomic():
        locked = _lock(assignment)
        if not can_verify(locked, by):
            raise NotAllowed(_("You may not take this step on this item."))
        if locked.state == AssignmentState.CLOSED:
            raise NotAllowed(_("A closed item cannot be put under supervision."))
        if locked.state == AssignmentState.CARRIED:
            raise NotAllowed(_("An item carried into next year's plan is supervised there, not here."))
        if locked.escalated_at is not None:
            raise AlreadyHandled
        now = timezone.now()
        Assignment.objects.filter(pk=locked.pk).update(escalated_at=now)
        locked.escalated_at = now
        AssignmentTransition.objects.create(
            assignment=locked,
            action=TransitionAction.ESCALATED,
            source=locked.state,
            target=locked.state,
            by=by,
            at=now,
            comment=comment,
        )
        flows.EscalationFlow.start.run(assignment=locked, comment=comment)
    return locked


def assignment_escalation_handle(*, assignment: Assignment | int, by: User, comment: str) -> Assignment:
    """The office records how it handled a supervised item; the item stays marked until it is closed out."""
    from processes.rules import can_close

    comment = _text(comment, field="comment", message=_("Say how the supervision was handled."))
    flows = _flows()
    with transaction.atomic():
        locked = _lock(assignment)
        if not can_close(locked, by):
            raise NotAllowed(_("You may not take this step on this item."))
        open_step = Task.objects.filter(
            flow_task=flows.EscalationFlow.handle,
            status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED],
            process__in=flows.EscalationProcess.objects.filter(assignment=locked),
        )
        if not open_step.exists():
            raise AlreadyHandled
        AssignmentTransition.objects.create(
            assignment=locked,
            action=TransitionAction.ESCALATION_HANDLED,
            source=locked.state,
            target=locked.state,
            by=by,
            at=timezone.now(),
            comment=comment,
        )
        _complete_step(flows.EscalationProcess, flows.EscalationFlow.handle, locked, by)
    return locked


@dataclass
class BulkResult:
    done: list[Assignment]
    refused: list[tuple[Assignment, str]]


def assignments_bulk(
    *, step: str, assignments: Sequence[Assignment], by: User, expected_state: str | None = None
) -> BulkResult:
    """Verify or close several items; each in its own transaction, so one already handled does not stop the rest."""
    services = {"verify": assignment_verify, "close": assignment_close}
    result = BulkResult(done=[], refused=[])
    for assignment in assignments:
        try:
            result.done.append(services[step](assignment=assignment, by=by, expected_state=expected_state))
        except LifecycleError as exc:
            result.refused.append((assignment, exc.message))
    return result
