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

from processes.forms import CommentForm, CompletionReportForm
from processes.models import (
    Assignment,
    AssignmentState,
    AssignmentTransition,
    EscalationProcess,
    Evidence,
    Report,
    TransitionAction,
    User,
)
from processes.permissions import can_close, can_verify
from processes.services import lifecycle
from processes.services.scope import assignments_in_scope

RETURN_ACTIONS = (TransitionAction.RETURNED, TransitionAction.SIGNOFF_RETURNED)


def item_in_scope(request: HttpRequest, pk: int) -> Assignment:
    """The assignment if the user may see it; 404 otherwise, so that nothing about other units' items leaks."""
    queryset = assignments_in_scope(request.user, Assignment.objects.select_related("task__plan", "unit"))
    return get_object_or_404(queryset, pk=pk)


def days_left(assignment: Assignment) -> int | None:
    if assignment.due_date is None or assignment.state == AssignmentState.CLOSED:
        return None
    return (assignment.due_date - timezone.localdate()).days


def available_steps(assignment: Assignment, user: Any) -> dict[str, bool]:
    """Which steps the page offers: those the state machine would let this person take now."""

    def may(step: str) -> bool:
        return has_transition_perm(getattr(assignment, step), user)

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
        "escalate": assignment.state != AssignmentState.CLOSED
        and assignment.escalated_at is None
        and can_verify(assignment, user),
        "handle_escalation": escalation_open and can_close(assignment, user),
    }


class ItemView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, "processes/item.html", item_context(request, item_in_scope(request, pk)))


def item_context(request: HttpRequest, assignment: Assignment, **forms: Any) -> dict[str, Any]:
    initial = {"assignment": assignment.pk, "state": assignment.state}
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
    return {
        "item": assignment,
        "task": assignment.task,
        "days_left": (left := days_left(assignment)),
        "days_late": -left if left is not None and left < 0 else 0,
        "timeline": timeline,
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
        }[self.step]


class EvidenceView(LoginRequiredMixin, View):
    """An evidence file, to those who may see its item; never from a public URL."""

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        evidence = get_object_or_404(Evidence.objects.select_related("report"), pk=pk)
        item_in_scope(request, evidence.report.assignment_id)
        response = FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
