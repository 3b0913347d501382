"""数据看板: progress by region (closed / on track / late), the lights, the 销号清零 burn-down and the ranking, as
charts a person reads at a glance; each person sees their own scope, the ranking is the province's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from processes.rules import oversees_plan
from processes.services.assessment import assessment_compute, scheme_ensure
from processes.services.dashboard import latest_plan_for, progress_by_region, projects_summary
from processes.services.ledger import burndown
from processes.services.lifecycle import InvalidInput
from processes.views.charts import burndown_chart, stacked_bars
from processes.views.mixins import PlanMixin

PROGRESS_COLOURS = ["#2e7d32", "#90a4ae", "#c62828"]  # closed, open on track, late
LIGHT_COLOURS = ["#c62828", "#f9a825", "#2e7d32"]  # red, yellow, green


class DashboardView(LoginRequiredMixin, PlanMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        plan = self.plan
        today = timezone.localdate()
        progress = progress_by_region(plan, request.user, today)
        regions = progress.regions
        context: dict[str, Any] = {
            "plan": plan,
            "today": today,
            "progress": progress,
            "progress_chart": stacked_bars(
                [(r.unit.short_name or r.unit.name, [r.closed, r.on_track, r.late]) for r in regions], PROGRESS_COLOURS
            ),
            "lights_chart": stacked_bars(
                [
                    (r.unit.short_name or r.unit.name, [r.lights["red"], r.lights["yellow"], r.lights["green"]])
                    for r in regions
                ],
                LIGHT_COLOURS,
            ),
            "chart": burndown_chart(burndown(plan, request.user)),
            "projects": projects_summary(plan, request.user, today),  # 项目库 of the plan's office
        }
        if oversees_plan(request.user, plan):  # the ranking is the plan's office's (and the province's)
            start = dt.date(plan.year, 1, 1)
            try:
                ranking = assessment_compute(
                    scheme=scheme_ensure(plan), start=start, end=min(today, dt.date(plan.year, 12, 31))
                )
            except InvalidInput as exc:
                context["ranking_error"] = exc.message
            else:
                context["ranking"] = ranking
                context["ranking_chart"] = stacked_bars(
                    [(f"{r.rank}. {r.unit.short_name or r.unit.name}", [int(r.total)]) for r in ranking.regions],
                    ["#1565c0"],
                )
        return render(request, "processes/dashboard.html", context)


class LatestPlanView(LoginRequiredMixin, View):
    """A menu entry of a plan's page (数据看板, 考核评估): the viewer's own office's newest plan, else the newest plan
    in scope (the province's first)."""

    target = "plans:dashboard"

    def get(self, request: HttpRequest) -> HttpResponse:
        plan = latest_plan_for(request.user)
        if plan is None:
            return HttpResponseRedirect(reverse("plans:plan_list"))
        return HttpResponseRedirect(reverse(self.target, kwargs={"plan": plan}))
