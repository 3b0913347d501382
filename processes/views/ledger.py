"""The ledger (台账): every assignment of a plan in the user's scope as of a date (default today), filterable,
with the counts overall, by state and by unit, and its exports.

The page runs the same number of queries however many assignments the plan has (see the test and
``bench/import_and_ledger.py``): the filters' choices, one query for the counts, the paginator's count and one
query for the page's rows, each row's state and latest progress read as of the date by subqueries.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import ListView

from processes.forms import LedgerFilter
from processes.models import Assignment, AssignmentState, Plan, Unit, User
from processes.rules import (
    assignments_in_scope,
    categories_in_scope,
    manages_plan,
    scope_unit_ids,
    supervises_items,
)
from processes.services.deadlines import reminders_send
from processes.services.exports import CONTENT_TYPES, FORMATS, export_filename, ledger_export
from processes.services.ledger import ledger_as_of, ledger_queryset
from processes.services.lifecycle import InvalidInput, LifecycleError
from processes.services.lights import lights_for
from processes.services.refinement import city_plans_progress
from processes.views.mixins import PlanMixin
from security.models import AuditEventKind
from security.services import audit_record


def requested_date(request: HttpRequest, plan: Plan) -> tuple[dt.date, str]:
    """The ``as_of`` date asked for (default today), and a message if it cannot be used."""
    today = timezone.localdate()
    raw = request.GET.get("as_of", "").strip()
    if not raw:
        return today, ""
    try:
        as_of = dt.date.fromisoformat(raw)
    except ValueError:
        return today, _("“%(value)s” is not a date (write it as 2023-09-30); showing today.") % {"value": raw}
    if as_of < plan.starts_on:
        return as_of, _("The plan took effect on %(start)s; there is no ledger as of %(date)s, before it.") % {
            "start": plan.starts_on.isoformat(),
            "date": as_of.isoformat(),
        }
    return as_of, ""


class LedgerView(LoginRequiredMixin, PlanMixin, ListView):
    template_name = "processes/ledger.html"
    context_object_name = "assignments"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Assignment]:
        self.as_of, self.date_problem = requested_date(self.request, self.plan)
        self.refused = bool(self.date_problem) and self.as_of < self.plan.starts_on
        if self.refused:
            self.units = {}
            self.filtered = ledger_queryset(self.plan, self.request.user, self.as_of).none()
            self.filterset = LedgerFilter(None, queryset=self.filtered, units=Unit.objects.none(), categories=[])
            return self.filtered
        unit_ids = scope_unit_ids(self.request.user)
        in_scope = ledger_queryset(self.plan, self.request.user, self.as_of)
        units = Unit.objects.filter(assignments__task__plan=self.plan).distinct().order_by("position", "code")
        if unit_ids is not None:
            units = units.filter(id__in=unit_ids)
        self.units = {unit.pk: unit for unit in units}
        self.filterset = LedgerFilter(
            self.request.GET or None,
            queryset=in_scope,
            units=units,
            categories=categories_in_scope(self.request.user, self.plan.pk),
        )
        self.filtered = self.filterset.qs if self.filterset.is_bound and self.filterset.is_valid() else in_scope
        return self.filtered

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        states: Counter[str] = Counter()
        per_unit: dict[int, Counter[str]] = {}
        for unit_id, state in self.filtered.values_list("unit_id", "state_as_of"):  # type: ignore[misc]  # annotated by ledger_queryset
            states[state] += 1
            per_unit.setdefault(unit_id, Counter())[state] += 1
        total = sum(states.values())
        counts = {"total": total, **{state.value: states[state.value] for state in AssignmentState}}
        query = self.request.GET.copy()
        query.pop("page", None)
        page_rows = list(context["assignments"])
        lights = lights_for([row.pk for row in page_rows], self.as_of)
        for row in page_rows:
            row.light = lights.get(row.pk)
        context.update(
            assignments=page_rows,
            can_remind=supervises_items(self.request.user),
            can_carry_over=manages_plan(self.request.user, self.plan),
            plan=self.plan,
            as_of=self.as_of,
            today=timezone.localdate(),
            date_problem=self.date_problem,
            filter=self.filterset,
            counts=counts,
            open_count=total - counts[AssignmentState.CLOSED] - counts[AssignmentState.CARRIED],
            by_unit=[
                {
                    "unit": self.units[unit_id],
                    "total": sum(c.values()),
                    "closed": c[AssignmentState.CLOSED],
                    "carried": c[AssignmentState.CARRIED],
                    "remaining": sum(c.values()) - c[AssignmentState.CLOSED] - c[AssignmentState.CARRIED],
                }
                for unit_id, c in sorted(
                    per_unit.items(), key=lambda item: (self.units[item[0]].position, self.units[item[0]].code)
                )
            ],
            query=query.urlencode(),
            formats=FORMATS,
        )
        context["city_plans"] = city_plans_progress(plan=self.plan, viewer=self.request.user)  # 各地细化计划
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        if self.refused:
            response.status_code = 400
        return response


class LedgerExportView(LoginRequiredMixin, PlanMixin, View):
    """The ledger in the user's scope as of a date, as PDF, XLSX or CSV."""

    def get(self, request: HttpRequest, fmt: str) -> HttpResponse:
        if fmt not in FORMATS:
            raise Http404
        plan = self.plan
        as_of, problem = requested_date(request, plan)
        if problem:
            return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
        try:
            ledger = ledger_as_of(plan, request.user, as_of)
        except InvalidInput as exc:
            return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
        response = HttpResponse(ledger_export(ledger, fmt), content_type=CONTENT_TYPES[fmt])
        audit_record(
            kind=AuditEventKind.EXPORT, request=request, detail={"what": "ledger", "plan": plan.key, "format": fmt}
        )
        response["Content-Disposition"] = f'attachment; filename="{export_filename(ledger, fmt)}"'
        response["Cache-Control"] = "private, no-store"
        return response


class RemindView(LoginRequiredMixin, PlanMixin, View):
    """催办 on the items chosen on the ledger; every item must be in the sender's scope, or nothing is sent."""

    def post(self, request: HttpRequest) -> HttpResponse:
        plan = self.plan
        user = request.user
        if not isinstance(user, User) or not supervises_items(user):
            raise PermissionDenied
        raw = request.POST.getlist("items")
        if not raw or not all(value.isdigit() for value in raw):
            messages.error(request, _("Choose the items to remind."))
            return HttpResponseRedirect(reverse("plans:ledger", kwargs={"plan": plan}))
        ids = {int(value) for value in raw}
        chosen = list(assignments_in_scope(user, Assignment.objects.filter(task__plan=plan, pk__in=ids)))
        if len(chosen) != len(ids):
            raise PermissionDenied(_("The selection includes items outside your scope; nothing was sent."))
        try:
            count = reminders_send(assignments=chosen, by=user, comment=request.POST.get("comment", ""))
        except LifecycleError as exc:
            raise PermissionDenied(exc.message) from exc
        messages.success(
            request,
            ngettext(
                "Reminder (催办) sent on %(items)s item: %(count)s message.",
                "Reminder (催办) sent on %(items)s items: %(count)s messages.",
                len(chosen),
            )
            % {"items": len(chosen), "count": count},
        )
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("plans:ledger", kwargs={"plan": plan})
        return HttpResponseRedirect(back)
