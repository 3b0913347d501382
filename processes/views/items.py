"""An item (one assignment) as a person works on it: its task, its reports and evidence, its whole timeline, and
the steps the person may take on it now."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django_fsm import has_transition_perm
from viewflow.workflow.status import STATUS

from processes import workdays
from processes.forms import CommentForm, CompletionReportForm, ExtensionForm
from processes.models import (
    Assignment,
    AssignmentState,
    AssignmentTransition,
    EscalationProcess,
    Evidence,
    ExtensionRequest,
    ExtensionState,
    Notice,
    NoticeState,
    Report,
    TransitionAction,
    User,
)
from processes.rules import assignments_in_scope, can_close, can_report, can_verify
from processes.services import deadlines, lifecycle
from processes.services.history import ENDED_STATES
from processes.services.lights import lights_for
from processes.services.refinement import refinement_progress, refinement_report_text
from security.models import AuditEventKind
from security.services import audit_record

RETURN_ACTIONS = (TransitionAction.RETURNED, TransitionAction.SIGNOFF_RETURNED)


def item_in_scope(request: HttpRequest, pk: int) -> Assignment:
    """The assignment if the user may see it; 404 otherwise, so that nothing about other units' items leaks."""
    queryset = assignments_in_scope(request.user, Assignment.objects.select_related("task__plan", "unit"))
    return get_object_or_404(queryset, pk=pk)


def days_left(assignment: Assignment) -> int | None:
    if assignment.due_date is None or assignment.state in ENDED_STATES:
        return None
    return (assignment.due_date - timezone.localdate()).days


def available_steps(assignment: Assignment, user: Any) -> dict[str, bool]:
    """Which steps the page offers: those the state machine would let this person take now."""

    def may(step: str) -> bool:
        return has_transition_perm(getattr(assignment, step), user)

    open_item = assignment.state not in ENDED_STATES
    pending = pending_extension(assignment)
    escalation_open = EscalationProcess.objects.filter(
        assignment=assignment,
        task__status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED],
        task__flow_task_type="HUMAN",
    ).exists()
    return {
        "report": may("report") or may("submit_for_signoff"),
        "signoff": may("approve_signoff"),
        "verify": may("verify"),
        "close": may("close"),
        "reopen": may("reopen"),
        "escalate": open_item and assignment.escalated_at is None and can_verify(assignment, user),
        "handle_escalation": escalation_open and can_close(assignment, user),
        "remind": open_item and can_verify(assignment, user),
        "suspend": open_item and assignment.suspended_at is None and can_close(assignment, user),
        "resume": assignment.suspended_at is not None and can_close(assignment, user),
        "request_extension": open_item
        and pending is None
        and assignment.due_date is not None
        and timezone.localdate() <= assignment.due_date
        and can_report(assignment, user),
        "decide_extension": pending is not None and can_verify(assignment, user),
    }


def pending_extension(assignment: Assignment) -> ExtensionRequest | None:
    return ExtensionRequest.objects.filter(assignment=assignment, state=ExtensionState.PENDING).first()


def carried_context(assignment: Assignment) -> dict[str, Any]:
    """年底挂账结转 on the item's page: the item of last year it continues, with that item's history (上年结转), and
    the item of next year that continues it (已结转)."""
    old = (
        Assignment.objects.select_related("task__plan__issuer", "unit").filter(pk=assignment.carried_from_id).first()
        if assignment.carried_from_id
        else None
    )
    return {
        "carried_from": old,
        "carried_from_timeline": AssignmentTransition.objects.filter(assignment=old)
        .select_related("by")
        .order_by("at", "pk")
        if old is not None
        else [],
        "carried_into": Assignment.objects.select_related("task__plan__issuer").filter(carried_from=assignment).first(),
    }


class ItemView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "processes/item.html", item_context(request, item_in_scope(request, pk)))


FILL_FROM_REFINEMENTS = "refinements"  # ?fill=refinements: the report's text starts from the city tasks' states


def item_context(request: HttpRequest, assignment: Assignment, **forms: Any) -> dict[str, Any]:
    initial: dict[str, Any] = {"assignment": assignment.pk, "state": assignment.state}
    refinements = refinement_progress(assignment=assignment, viewer=request.user)
    if refinements.tasks and request.GET.get("fill") == FILL_FROM_REFINEMENTS:
        initial["text"] = refinement_report_text(assignment=assignment, progress=refinements)
    timeline = (
        AssignmentTransition.objects.filter(assignment=assignment)
        .select_related("by", "report")
        .prefetch_related("report__evidence")
        .order_by("at", "pk")
    )
    last_return = (
        next((entry for entry in reversed(list(timeline)) if entry.action in RETURN_ACTIONS), None)
        if assignment.state == AssignmentState.RETURNED
        else None
    )
    reports = (
        Report.objects.filter(assignment=assignment)
        .select_related("submitted_by")
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("pk")))
        .order_by("-submitted_at", "-pk")
    )
    # Issued documents only: a draft is the office's until it is signed.
    notices = (
        Notice.objects.filter(items__assignment=assignment, state=NoticeState.ISSUED)
        .distinct()
        .order_by("-issued_on", "-number")
    )
    return {
        "light": lights_for([assignment.pk]).get(assignment.pk),
        "refinements": refinements,
        # A city task refining a provincial item: that item, linked for those who may open it.
        "serves": assignment.task.serves,
        "serves_visible": assignment.task.serves_id is not None
        and assignments_in_scope(request.user).filter(pk=assignment.task.serves_id).exists(),
        "notices": notices,
        "pending_extension": pending_extension(assignment),
        "extensions": ExtensionRequest.objects.filter(assignment=assignment).select_related(
            "requested_by", "decided_by"
        ),
        "extension_form": forms.get("extension_form") or ExtensionForm(initial={"new_date": None}),
        "item": assignment,
        "task": assignment.task,
        "days_left": (left := days_left(assignment)),
        # Late is counted in working days, as the ladder and its messages count it.
        "days_late": max(workdays.workdays_between(assignment.due_date, timezone.localdate()), 0)
        if left is not None and left < 0 and assignment.due_date
        else 0,
        "timeline": timeline,
        **carried_context(assignment),
        "reports": reports,
        "last_return": last_return,
        "steps": available_steps(assignment, request.user),
        "report_form": forms.get("report_form") or CompletionReportForm(initial=initial),
        "comment_form": forms.get("comment_form") or CommentForm(initial=initial),
        "form_errors": forms.get("errors", []),
    }


class StepView(LoginRequiredMixin, View):
    """POST one step on one item. The step's service checks everything again under a row lock."""

    step = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        assignment = item_in_scope(request, pk)
        user = request.user
        if not isinstance(user, User):
            raise PermissionDenied
        form_class = CompletionReportForm if self.step == "report" else CommentForm
        form = form_class(request.POST, request.FILES)
        if not form.is_valid():
            return render(
                request,
                "processes/item.html",
                item_context(request, assignment, errors=[e for errs in form.errors.values() for e in errs]),
                status=400,
            )
        if form.cleaned_data["assignment"] != assignment.pk:
            return HttpResponseBadRequest(_("The form was for another item; nothing was changed."))
        expected = form.cleaned_data["state"]
        data = form.cleaned_data
        try:
            self.run(assignment=assignment, by=user, data=data, expected=expected)
        except lifecycle.AlreadyHandled as exc:
            messages.warning(request, exc.message)
            return HttpResponseRedirect(assignment.get_absolute_url())
        except lifecycle.NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except lifecycle.InvalidInput as exc:
            context = item_context(
                request,
                assignment,
                errors=[exc.message],
                **{("report_form" if self.step == "report" else "comment_form"): form},
            )
            return render(request, "processes/item.html", context, status=400)
        messages.success(request, self.done_message())
        return HttpResponseRedirect(assignment.get_absolute_url())

    def run(self, *, assignment: Assignment, by: User, data: dict[str, Any], expected: str) -> None:
        comment = data.get("comment", "")
        step = self.step
        if step == "report":
            lifecycle.assignment_report(
                assignment=assignment, by=by, text=data["text"], files=data["evidence"], expected_state=expected
            )
        elif step in ("approve", "send_back"):
            lifecycle.assignment_sign_off(
                assignment=assignment, by=by, approve=step == "approve", comment=comment, expected_state=expected
            )
        elif step == "verify":
            lifecycle.assignment_verify(assignment=assignment, by=by, comment=comment, expected_state=expected)
        elif step == "return":
            lifecycle.assignment_return(assignment=assignment, by=by, reason=comment, expected_state=expected)
        elif step == "close":
            lifecycle.assignment_close(assignment=assignment, by=by, comment=comment, expected_state=expected)
        elif step == "reopen":
            lifecycle.assignment_reopen(assignment=assignment, by=by, reason=comment, expected_state=expected)
        elif step == "escalate":
            lifecycle.assignment_escalate(assignment=assignment, by=by, comment=comment)
        elif step == "handle_escalation":
            lifecycle.assignment_escalation_handle(assignment=assignment, by=by, comment=comment)
        elif step == "remind":
            deadlines.reminders_send(assignments=[assignment], by=by, comment=comment)
        elif step == "suspend":
            deadlines.assignment_suspend(assignment=assignment, by=by, reason=comment)
        elif step == "resume":
            deadlines.assignment_resume(assignment=assignment, by=by, comment=comment)
        elif step in ("approve_extension", "refuse_extension"):
            pending = pending_extension(assignment)
            if pending is None:
                raise lifecycle.AlreadyHandled
            deadlines.extension_decide(request=pending, by=by, approve=step == "approve_extension", comment=comment)
        else:  # pragma: no cover - the URLconf names only the steps above
            raise Http404

    def done_message(self) -> str:
        return {
            "report": _("The completion report was submitted."),
            "approve": _("Signed off: the report goes on to the supervisors."),
            "send_back": _("The report was sent back to the reporter."),
            "verify": _("Verified."),
            "return": _("Returned to the unit with your reason."),
            "close": _("Closed out (销号)."),
            "reopen": _("Reopened: the item is back on the ledger."),
            "escalate": _("The item is under supervision and in the office's 待办."),
            "handle_escalation": _("The handling of the supervision was recorded."),
            "remind": _("The reminder (催办) was sent to the unit."),
            "suspend": _("The item is suspended: its clock has stopped."),
            "resume": _("The item's clock runs again."),
            "approve_extension": _("The extension is approved: the deadline has moved."),
            "refuse_extension": _("The extension is refused."),
        }[self.step]


class EvidenceView(LoginRequiredMixin, View):
    """An evidence file, to those who may see its item; never from a public URL."""

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        evidence = get_object_or_404(Evidence.objects.select_related("report"), pk=pk)
        item_in_scope(request, evidence.report.assignment_id)
        response = FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name)
        audit_record(
            kind=AuditEventKind.EVIDENCE_DOWNLOAD,
            request=request,
            detail={"evidence": evidence.pk, "item": evidence.report.assignment_id, "file": evidence.original_name},
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class ExtensionRequestView(LoginRequiredMixin, View):
    """延期申请 from the item page."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        assignment = item_in_scope(request, pk)
        user = request.user
        if not isinstance(user, User):
            raise PermissionDenied
        form = ExtensionForm(request.POST)
        if not form.is_valid():
            errors = [e for errs in form.errors.values() for e in errs]
            return render(
                request,
                "processes/item.html",
                item_context(request, assignment, errors=errors, extension_form=form),
                status=400,
            )
        try:
            deadlines.extension_request(
                assignment=assignment,
                by=user,
                new_date=form.cleaned_data["new_date"],
                reason=form.cleaned_data["reason"],
            )
        except lifecycle.AlreadyHandled as exc:
            messages.warning(request, exc.message)
        except lifecycle.NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except lifecycle.InvalidInput as exc:
            return render(
                request,
                "processes/item.html",
                item_context(request, assignment, errors=[exc.message], extension_form=form),
                status=400,
            )
        else:
            messages.success(request, _("The extension request is with the supervisors."))
        return HttpResponseRedirect(assignment.get_absolute_url())
