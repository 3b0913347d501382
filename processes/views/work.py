"""我的待办: what waits for the signed-in person. Human steps come from the viewflow processes (offered to them by
permission or assigned to them); a unit's people also see their unit's open items, returned ones first."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from viewflow.workflow.models import Task as FlowTask

from processes.flows import CompletionFlow, EscalationFlow, ExtensionFlow
from processes.models import (
    OWED_STATES,
    Assignment,
    AssignmentState,
    CompletionProcess,
    EscalationProcess,
    ExtensionProcess,
    Obligation,
    ObligationState,
    User,
)
from processes.rules import (
    acts_for_plan,
    acts_on_task,
    assignments_in_scope,
    closes_on_task,
    is_unit_member,
    plans_in_scope,
    supervises_items,
)
from processes.services import lifecycle
from processes.services.history import ENDED_STATES
from processes.services.lights import lights_for
from processes.services.signing import can_prepare, can_sign, drafted_waiting_since, drafts_for

from .items import days_left


def _waiting_steps(
    user: Any, flow_class: Any, node: Any, process_model: Any, via: str = "assignment", closing: bool = False
) -> list[dict[str, Any]]:
    """The open ``node`` steps offered to or assigned to ``user``, oldest first, with their items (reached from the
    process through ``via``): those of the plans whose office steps the user takes (``closing``: whose items the
    user's office closes)."""

    def item_of(process: Any) -> Assignment:
        target = process
        for name in via.split("__"):
            target = getattr(target, name)
        return target

    tasks = (FlowTask.objects.queue([flow_class], user) | FlowTask.objects.inbox([flow_class], user)).filter(
        flow_task=node
    )
    tasks = tasks.order_by("created", "pk").values_list("pk", "process_id", "created")
    processes = {
        process.pk: process
        for process in process_model.objects.filter(
            pk__in=[process_id for _pk, process_id, _c in tasks]
        ).select_related(f"{via}__task__plan", f"{via}__unit")
    }
    in_scope = set(
        assignments_in_scope(
            user, Assignment.objects.filter(pk__in=[item_of(p).pk for p in processes.values()])
        ).values_list("pk", flat=True)
    )
    rows = []
    for _pk, process_id, created in tasks:
        process = processes[process_id]
        item = item_of(process)
        if item.pk not in in_scope:  # the permission offered it; the scope must agree
            continue
        if not acts_on_task(user, item.task_id) or (closing and not closes_on_task(user, item.task_id)):
            continue  # another office's plan: its own office verifies and closes it
        rows.append({"item": item, "since": created, "process": process})
    return rows


def unit_open_items(user: User) -> QuerySet[Assignment]:
    """The unit's items not yet closed (nor carried over): returned first (they wait for the unit), then by deadline."""
    return (
        Assignment.objects.filter(unit_id=user.unit_id)
        .exclude(state__in=ENDED_STATES)
        .select_related("task__plan", "unit")
        .annotate(
            returned_first=Case(
                When(state=AssignmentState.RETURNED, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("returned_first", "due_date", "task__position")
    )


def owed_obligations(user: User) -> QuerySet[Obligation]:
    """What the unit owes and has not reported (or had returned), on items not yet closed out, soonest first."""
    return (
        Obligation.objects.filter(assignment__unit_id=user.unit_id, state__in=OWED_STATES)
        .exclude(assignment__state__in=ENDED_STATES)
        .exclude(round__closed_at__isnull=False)
        .select_related("assignment__task", "round")
        .order_by("due_date", "assignment__task__position")
    )


def progress_to_review(user: User) -> QuerySet[Obligation]:
    """Progress reports submitted within the user's scope and not yet reviewed, oldest first: of the plans whose
    office steps are the user's (the province's office does not review a city's plan)."""
    in_scope = assignments_in_scope(user)
    acting = [plan.pk for plan in plans_in_scope(user).select_related("issuer") if acts_for_plan(user, plan)]
    return (
        Obligation.objects.filter(
            assignment__in=in_scope, assignment__task__plan__in=acting, state=ObligationState.SUBMITTED
        )
        .select_related("assignment__task", "assignment__unit", "round")
        .order_by("submitted_at", "pk")
    )


class WorkView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not isinstance(user, User):
            raise PermissionDenied
        context: dict[str, Any] = {
            "signoff": _waiting_steps(user, CompletionFlow, CompletionFlow.signoff, CompletionProcess),
            "review": _waiting_steps(user, CompletionFlow, CompletionFlow.verify, CompletionProcess),
            "close_out": _waiting_steps(
                user, CompletionFlow, CompletionFlow.close_out, CompletionProcess, closing=True
            ),
            "escalations": _waiting_steps(user, EscalationFlow, EscalationFlow.handle, EscalationProcess, closing=True),
            "extensions": _waiting_steps(
                user, ExtensionFlow, ExtensionFlow.decide, ExtensionProcess, via="request__assignment"
            ),
            "unit_items": [],
            "owed": [],
            "progress_review": [],
            "to_sign": [],
        }
        if can_sign(user) or can_prepare(user):
            waiting = list(drafts_for(user))  # their own office's drafts
            waited = drafted_waiting_since(waiting, timezone.localdate())
            for draft in waiting:
                draft.waited = waited.get(draft.pk, 0)  # type: ignore[attr-defined]
            context["to_sign"] = waiting
            context["may_sign"] = can_sign(user)
        if is_unit_member(user) and user.unit_id is not None:
            items = list(unit_open_items(user))
            lights = lights_for([item.pk for item in items])
            for item in items:
                item.days_left = days_left(item)  # type: ignore[attr-defined]
                item.light = lights.get(item.pk)  # type: ignore[attr-defined]
            context["unit_items"] = items
            context["owed"] = list(owed_obligations(user))
        if supervises_items(user):
            context["progress_review"] = list(progress_to_review(user))
        keys = (
            "to_sign",
            "signoff",
            "review",
            "close_out",
            "escalations",
            "extensions",
            "unit_items",
            "owed",
            "progress_review",
        )
        context["nothing"] = not any(context[key] for key in keys)
        return render(request, "processes/work.html", context)


class BulkStepView(LoginRequiredMixin, View):
    """Verify or close several items at once. Every item named must be in the person's scope, or nothing is done."""

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not isinstance(user, User):
            raise PermissionDenied
        step = request.POST.get("step", "")
        expected = {"verify": AssignmentState.REPORTED, "close": AssignmentState.VERIFIED}.get(step)
        raw = request.POST.getlist("items")
        if expected is None or not raw or not all(value.isdigit() for value in raw):
            return HttpResponseBadRequest(_("Choose the items and the step; nothing was changed."))
        ids = {int(value) for value in raw}
        items = list(assignments_in_scope(user, Assignment.objects.filter(pk__in=ids)).order_by("pk"))
        if len(items) != len(ids):
            raise PermissionDenied(_("The selection includes items outside your scope; nothing was changed."))
        result = lifecycle.assignments_bulk(step=step, assignments=items, by=user, expected_state=expected)
        if result.done:
            messages.success(
                request,
                ngettext("%(count)s item done.", "%(count)s items done.", len(result.done))
                % {"count": len(result.done)},
            )
        for item, reason in result.refused:
            messages.warning(request, _("%(item)s: %(reason)s") % {"item": item, "reason": reason})
        return HttpResponseRedirect(reverse("plans:work"))
