"""The plan pages: the list of plans, a plan's task list with per-task counts, and a task with its assignments."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from processes.models import Assignment, AssignmentState, Plan, Task
from processes.rules import (
    assignments_in_scope,
    categories_in_scope,
    manages_plan,
    plans_in_scope,
    scope_unit_ids,
    tasks_in_scope,
)
from processes.services.ledger import burndown
from processes.views.charts import burndown_chart
from processes.views.mixins import PlanMixin


def state_counts(path: str, unit_ids: set[int] | None) -> dict[str, Count]:
    """Annotations counting the assignments at ``path`` (all, open, closed, carried over) within the units in
    scope; one carried into next year's plan (已结转) is neither open nor closed."""
    in_scope = Q() if unit_ids is None else Q(**{f"{path}__unit_id__in": unit_ids})
    closed = Q(**{f"{path}__state": AssignmentState.CLOSED})
    carried = Q(**{f"{path}__state": AssignmentState.CARRIED})
    return {
        "total": Count(path, filter=in_scope, distinct=True),
        "open": Count(path, filter=in_scope & ~closed & ~carried, distinct=True),
        "closed": Count(path, filter=in_scope & closed, distinct=True),
        "carried": Count(path, filter=in_scope & carried, distinct=True),
    }


class PlanListView(LoginRequiredMixin, ListView):
    template_name = "processes/plan_list.html"
    context_object_name = "plans"

    def get_queryset(self) -> QuerySet[Plan]:
        unit_ids = scope_unit_ids(self.request.user)
        return (
            plans_in_scope(self.request.user)
            .select_related("issuer")
            .annotate(
                task_count=Count(
                    "tasks",
                    filter=Q() if unit_ids is None else Q(tasks__assignments__unit_id__in=unit_ids),
                    distinct=True,
                ),
                **state_counts("tasks__assignments", unit_ids),
            )
        )


class PlanDetailView(LoginRequiredMixin, PlanMixin, DetailView):
    """The plan's task list, each task with its number of units, open and closed assignments."""

    template_name = "processes/plan_detail.html"
    context_object_name = "plan"

    def get_object(self, queryset: QuerySet[Plan] | None = None) -> Plan:
        return self.plan

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        unit_ids = scope_unit_ids(self.request.user)
        tasks = tasks_in_scope(self.request.user, Task.objects.filter(plan=self.object))
        category = self.request.GET.get("category", "")
        categories = categories_in_scope(self.request.user, self.object.pk)
        if category:
            tasks = tasks.filter(category=category)
        context.update(
            tasks=tasks.annotate(**state_counts("assignments", unit_ids)).order_by("position"),
            categories=categories,
            category=category,
            last_import=self.object.imports.defer("summary").first(),
            manages=manages_plan(self.request.user, self.object),
            chart=burndown_chart(burndown(self.object, self.request.user)),
        )
        return context


class TaskDetailView(LoginRequiredMixin, PlanMixin, DetailView):
    """One task: its text, deadline, milestones, other columns, and the assignments in the user's scope."""

    template_name = "processes/task_detail.html"
    context_object_name = "task"

    def get_object(self, queryset: QuerySet[Task] | None = None) -> Task:
        task = get_object_or_404(Task.objects.select_related("plan"), plan=self.plan, number=self.kwargs["number"])
        if not assignments_in_scope(self.request.user, task.assignments.all()).exists():
            raise Http404
        return task

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        assignments = assignments_in_scope(
            self.request.user, Assignment.objects.filter(task=self.object).select_related("unit")
        ).prefetch_related("transitions__by")
        context.update(assignments=assignments, milestones=self.object.milestones.all())
        return context
