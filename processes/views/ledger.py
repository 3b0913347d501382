"""The ledger (台账): every assignment of a plan in the user's scope, filterable, with counts by state.

The page runs the same number of queries however many assignments the plan has (see the test and
``bench/import_and_ledger.py``): the filters' choices, one aggregate for the counts, the paginator's count and
one query for the page's rows with their task and unit.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.views.generic import ListView

from processes.forms import LedgerFilter
from processes.models import Assignment, AssignmentState, Plan, Unit
from processes.services.scope import assignments_in_scope, categories_in_scope, scope_unit_ids


class LedgerView(LoginRequiredMixin, ListView):
    template_name = "processes/ledger.html"
    context_object_name = "assignments"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Assignment]:
        self.plan = get_object_or_404(Plan, year=self.kwargs["year"])
        unit_ids = scope_unit_ids(self.request.user)
        self.in_scope = assignments_in_scope(self.request.user, Assignment.objects.filter(task__plan=self.plan))
        units = Unit.objects.filter(assignments__task__plan=self.plan).distinct().order_by("position", "code")
        if unit_ids is not None:
            units = units.filter(id__in=unit_ids)
        self.filterset = LedgerFilter(
            self.request.GET or None,
            queryset=self.in_scope,
            units=units,
            categories=categories_in_scope(self.request.user, self.plan.pk),
        )
        self.filtered = self.filterset.qs if self.filterset.is_bound and self.filterset.is_valid() else self.in_scope
        return self.filtered.select_related("task", "unit").order_by("task__position", "unit__position", "unit__code")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = self.filtered.aggregate(
            total=Count("pk"),
            **{state.value: Count("pk", filter=Q(state=state)) for state in AssignmentState},
        )
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            plan=self.plan,
            filter=self.filterset,
            counts=counts,
            open_count=counts["total"] - counts[AssignmentState.CLOSED],
            states=AssignmentState,
            query=query.urlencode(),
        )
        return context
