"""Moving and stopping the clock, and reminding by hand: extension requests (延期申请), suspension (中止), 催办."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from processes import workdays
from processes.models import (
    OWED_STATES,
    Assignment,
    AssignmentState,
    AssignmentTransition,
    ExtensionProcess,
    ExtensionRequest,
    ExtensionState,
    Obligation,
    ObligationKind,
    Role,
    TransitionAction,
    User,
)
from processes.rules import can_close, can_report, can_verify

from .lifecycle import AlreadyHandled, InvalidInput, NotAllowed, _lock


def _history(assignment: Assignment, action: TransitionAction, by: User | None, comment: str) -> AssignmentTransition:
    return AssignmentTransition.objects.create(
        assignment=assignment,
        action=action,
        source=assignment.state,
        target=assignment.state,
        by=by,
        at=timezone.now(),
        comment=comment,
    )


def _move_deadline(assignment: Assignment, new_date: dt.date) -> None:
    """The item's deadline moves; its deadline obligation follows and its ladder starts again."""
    Assignment.objects.filter(pk=assignment.pk).update(due_date=new_date)
    assignment.due_date = new_date
    for deadline in Obligation.objects.select_for_update().filter(assignment=assignment, kind=ObligationKind.DEADLINE):
        deadline.due_date, deadline.cycle = new_date, deadline.cycle + 1
        deadline.save(update_fields=["due_date", "cycle"])


def extension_request(*, assignment: Assignment | int, by: User, new_date: dt.date, reason: str) -> ExtensionRequest:
    """The unit asks, before its deadline, to move it; the request waits in the supervisors' 待办."""
    from processes.flows import ExtensionFlow

    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the deadline should move."), field="reason")
    with transaction.atomic():
        locked = _lock(assignment)
        if not can_report(locked, by):
            raise NotAllowed(_("Only the responsible unit asks to move its deadline."))
        if locked.state in (AssignmentState.CLOSED, AssignmentState.CARRIED):
            raise NotAllowed(_("A closed or carried-over item has no deadline left to move."))
        today = timezone.localdate()
        if locked.due_date is None or today > locked.due_date:
            raise InvalidInput(
                _("An extension can be asked for only before the deadline (%(due)s).")
                % {"due": locked.due_date.isoformat() if locked.due_date else "—"},
                field="new_date",
            )
        if new_date <= locked.due_date:
            raise InvalidInput(_("The new deadline must come after the present one."), field="new_date")
        if ExtensionRequest.objects.filter(assignment=locked, state=ExtensionState.PENDING).exists():
            raise AlreadyHandled
        request = ExtensionRequest.objects.create(
            assignment=locked,
            requested_by=by,
            requested_at=timezone.now(),
            old_date=locked.due_date,
            new_date=new_date,
            reason=reason,
        )
        _history(
            locked,
            TransitionAction.EXTENSION_REQUESTED,
            by,
            _("%(old)s → %(new)s: %(reason)s") % {"old": locked.due_date, "new": new_date, "reason": reason},
        )
        ExtensionFlow.start.run(request=request)
    return request


def extension_decide(
    *, request: ExtensionRequest | int, by: User, approve: bool, comment: str = ""
) -> ExtensionRequest:
    """A supervisor in scope approves (the deadline moves, the ladder re-arms, the history keeps the old date) or
    refuses (a reason is required)."""
    from processes.flows import ExtensionFlow

    comment = (comment or "").strip()
    if not approve and not comment:
        raise InvalidInput(_("Say why the extension is refused."), field="comment")
    with transaction.atomic():
        pk = request.pk if isinstance(request, ExtensionRequest) else request
        locked = ExtensionRequest.objects.select_for_update().get(pk=pk)
        assignment = _lock(locked.assignment_id)
        if not can_verify(assignment, by):
            raise NotAllowed(_("You may not take this step on this item."))
        if locked.state != ExtensionState.PENDING:
            raise AlreadyHandled
        locked.state = ExtensionState.APPROVED if approve else ExtensionState.REFUSED
        locked.decided_by, locked.decided_at, locked.decision_comment = by, timezone.now(), comment
        locked.save()
        if approve:
            old = assignment.due_date
            _move_deadline(assignment, locked.new_date)
            _history(
                assignment,
                TransitionAction.EXTENDED,
                by,
                _("Deadline %(old)s → %(new)s. %(comment)s") % {"old": old, "new": locked.new_date, "comment": comment},
            )
        else:
            _history(assignment, TransitionAction.EXTENSION_REFUSED, by, comment)
        task = (
            Task.objects.filter(
                flow_task=ExtensionFlow.decide,
                status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED],
                process__in=ExtensionProcess.objects.filter(request=locked),
            )
            .order_by("pk")
            .first()
        )
        if task is not None:
            _complete_extension(task, by)
    return locked


def _complete_extension(task: Task, by: User) -> None:
    with task.activation() as activation:
        if activation.task.status == STATUS.NEW:
            activation.assign(by)
        elif activation.task.status == STATUS.ASSIGNED and activation.task.owner_id != by.pk:
            activation.reassign(by)
        if activation.task.status == STATUS.ASSIGNED:
            activation.start(None)
        activation.execute()


def assignment_suspend(*, assignment: Assignment | int, by: User, reason: str) -> Assignment:
    """中止: the office stops the item's clock; no rung fires until it is resumed."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the item is suspended."), field="comment")
    with transaction.atomic():
        locked = _lock(assignment)
        if not can_close(locked, by):
            raise NotAllowed(_("Only the office suspends an item."))
        if locked.suspended_at is not None:
            raise AlreadyHandled
        now = timezone.now()
        Assignment.objects.filter(pk=locked.pk).update(suspended_at=now, suspension_reason=reason)
        locked.suspended_at, locked.suspension_reason = now, reason
        _history(locked, TransitionAction.SUSPENDED, by, reason)
    return locked


def assignment_resume(*, assignment: Assignment | int, by: User, comment: str = "") -> Assignment:
    """The clock runs again: what the item owes is due as many working days later as it stood still."""
    with transaction.atomic():
        locked = _lock(assignment)
        if not can_close(locked, by):
            raise NotAllowed(_("Only the office resumes an item."))
        if locked.suspended_at is None:
            raise AlreadyHandled
        stood = max(workdays.workdays_between(timezone.localdate(locked.suspended_at), timezone.localdate()), 0)
        owed = (
            Obligation.objects.select_for_update()
            .filter(assignment=locked)
            .filter(Q(kind=ObligationKind.DEADLINE) | Q(state__in=OWED_STATES))
        )
        for obligation in owed:
            if stood:
                obligation.due_date = workdays.add_workdays(obligation.due_date, stood)
            obligation.cycle += 1
            obligation.save(update_fields=["due_date", "cycle"])
        if stood and locked.due_date is not None:
            Assignment.objects.filter(pk=locked.pk).update(due_date=workdays.add_workdays(locked.due_date, stood))
        Assignment.objects.filter(pk=locked.pk).update(suspended_at=None, suspension_reason="")
        locked.refresh_from_db()
        _history(
            locked,
            TransitionAction.RESUMED,
            by,
            (
                ngettext(
                    "Stopped for %(days)s working day; what it owes is due that much later.",
                    "Stopped for %(days)s working days; what it owes is due that much later.",
                    stood,
                )
                % {"days": stood}
                + (f" {comment.strip()}" if comment.strip() else "")
            ),
        )
    return locked


def reminders_send(*, assignments: Sequence[Assignment], by: User, comment: str = "") -> int:
    """催办 by hand, on one item or a selection: a message to each unit's reporters and leader. All the items must
    be in the sender's scope, or nothing is sent. Returns how many messages were written."""
    from notifications.models import Message
    from notifications.tasks import enqueue

    if not assignments:
        raise InvalidInput(_("Choose the items to remind."), field="items")
    if not all(can_verify(assignment, by) for assignment in assignments):
        raise NotAllowed(_("The selection includes items outside your scope; nothing was sent."))
    carried = [assignment for assignment in assignments if assignment.state == AssignmentState.CARRIED]
    if carried:
        raise InvalidInput(
            _("%(item)s was carried over into next year's plan (已结转): remind on the new item; nothing was sent.")
            % {"item": carried[0]},
            field="items",
        )
    comment = (comment or "").strip()
    created: list[int] = []
    with transaction.atomic():
        units = {assignment.unit_id for assignment in assignments}
        people: dict[int, list[User]] = {}
        for user in User.objects.filter(is_active=True, unit_id__in=units, role__in=[Role.REPORTER, Role.LEADER]):
            people.setdefault(user.unit_id, []).append(user)  # type: ignore[arg-type]
        messages = []
        today = timezone.localdate()
        for assignment in Assignment.objects.filter(pk__in=[a.pk for a in assignments]).select_related("task", "unit"):
            entry = _history(assignment, TransitionAction.REMINDED, by, comment)
            late = workdays.workdays_between(assignment.due_date, today) if assignment.due_date else 0
            context = {
                "assignment": assignment,
                "task": assignment.task,
                "unit": assignment.unit,
                "by": by,
                "comment": comment,
                "late": max(late, 0),
                "link": settings.SITE_URL.rstrip("/") + assignment.get_absolute_url(),
            }
            with translation.override(settings.LANGUAGE_CODE):
                subject = render_to_string("notifications/reminder_subject.txt", context).strip()
                body = render_to_string("notifications/reminder_body.txt", context)
            for user in people.get(assignment.unit_id, []):
                messages.append(
                    Message(
                        recipient=user,
                        dedupe_key=f"remind:{entry.pk}:{user.pk}",
                        subject=subject,
                        body=body,
                        link=assignment.get_absolute_url(),
                    )
                )
        created = [message.pk for message in Message.objects.bulk_create(messages)]
        transaction.on_commit(lambda: enqueue(created))
    return len(created)
