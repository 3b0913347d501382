"""The approval processes: who acts after whom. Each human step is offered, through its permission, to the people
whose role and scope let them take it (see processes/rules.py), and shows in their 待办. The steps are taken
through the lifecycle services (processes/services/lifecycle.py), which move the assignment's state machine and
complete the step in the same transaction; the gateways read that state, the single source of truth.

    python manage.py flowexport processes/flows.CompletionFlow -o docs/completion-flow.svg
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from processes.models import AssignmentState, CompletionProcess, EscalationProcess, ExtensionProcess
from processes.rules import step_permission


def item_page(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """A step is done on the item's own page; viewflow's task URL leads there."""
    process = request.activation.process  # type: ignore[attr-defined]
    assignment = process.request.assignment if isinstance(process, ExtensionProcess) else process.assignment
    return HttpResponseRedirect(assignment.get_absolute_url())


def _permission(kind: str) -> Any:
    """The permission a step asks for, from the rules (``processes.rules.step_permission``)."""

    def name(activation: Any) -> str:
        process = activation.process
        assignment = process.request.assignment if isinstance(process, ExtensionProcess) else process.assignment
        return step_permission(kind, assignment)

    return name


def _state_is(state: str) -> Any:
    def check(activation: Any) -> bool:
        activation.process.assignment.refresh_from_db(fields=["state"])
        return bool(activation.process.assignment.state == state)

    return check


class ItemFlow(flow.Flow):
    """A flow about one assignment: locked on PostgreSQL row locks; its steps are listed to whoever is offered them
    (what they may see is decided by scope, not by a model permission)."""

    lock_impl = lock.select_for_update_lock

    def has_view_permission(self, user: Any, obj: Any = None) -> bool:
        return bool(user.is_authenticated)


class CompletionFlow(ItemFlow):
    """申请销号: a unit reports a task done; its leader signs off (if the unit requires it), a supervisor in scope
    verifies or returns it, the office closes it out."""

    process_class = CompletionProcess
    process_title = _("Completion report (申请销号)")

    start = flow.StartHandle(this.start_process).Next(this.needs_signoff)
    needs_signoff = flow.If(_state_is(AssignmentState.SIGNOFF)).Then(this.signoff).Else(this.verify)
    signoff = (
        flow.View(item_page)
        .Permission(_permission("signoff"))
        .Annotation(title=_("Unit sign-off"))
        .Next(this.signed_off)
    )
    signed_off = flow.If(_state_is(AssignmentState.REPORTED)).Then(this.verify).Else(this.returned)
    verify = (
        flow.View(item_page).Permission(_permission("verify")).Annotation(title=_("Verification")).Next(this.verified)
    )
    verified = flow.If(_state_is(AssignmentState.VERIFIED)).Then(this.close_out).Else(this.returned)
    close_out = (
        flow.View(item_page).Permission(_permission("close")).Annotation(title=_("Close-out (销号)")).Next(this.closed)
    )
    returned = flow.End()
    closed = flow.End()

    def start_process(self, activation: Any, *, assignment: Any, report: Any) -> CompletionProcess:
        activation.process.assignment = assignment
        activation.process.report = report
        return activation.process


class EscalationFlow(ItemFlow):
    """转督办: a supervisor puts an item under supervision; the office handles it."""

    process_class = EscalationProcess
    process_title = _("Supervision (督办)")

    start = flow.StartHandle(this.start_process).Next(this.handle)
    handle = (
        flow.View(item_page)
        .Permission(_permission("close"))
        .Annotation(title=_("Handle the supervision"))
        .Next(this.end)
    )
    end = flow.End()

    def start_process(self, activation: Any, *, assignment: Any, comment: str) -> EscalationProcess:
        activation.process.assignment = assignment
        activation.process.comment = comment
        return activation.process


class ExtensionFlow(ItemFlow):
    """延期申请: a unit asks to move its deadline before it passes; a supervisor in scope approves or refuses."""

    process_class = ExtensionProcess
    process_title = _("Extension request (延期申请)")

    start = flow.StartHandle(this.start_process).Next(this.decide)
    decide = (
        flow.View(item_page)
        .Permission(_permission("verify"))
        .Annotation(title=_("Decide the extension"))
        .Next(this.end)
    )
    end = flow.End()

    def start_process(self, activation: Any, *, request: Any) -> ExtensionProcess:
        activation.process.request = request
        return activation.process
