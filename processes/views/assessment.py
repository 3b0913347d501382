"""考核评估: the ranking of the regions for a scheme and a period, a region's page explaining its score, and the
ranking as XLSX or PDF. The ranking is the province's; a region's people see their own region's page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from processes.models import Plan, ScoringScheme, Unit, User
from processes.rules import oversees_plan, scope_unit_ids
from processes.services.assessment import (
    Assessment,
    assessment_compute,
    assessment_pdf,
    assessment_xlsx,
    metric_direction,
    regions_of,
    scheme_ensure,
)
from processes.services.circulars import circular_draft
from processes.services.lifecycle import InvalidInput
from processes.services.signing import can_prepare
from processes.views.mixins import PlanMixin
from security.models import AuditEventKind
from security.services import audit_record

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _period(request: HttpRequest, plan: Plan) -> tuple[ScoringScheme, dt.date, dt.date]:
    """The scheme and period asked for (default: the plan's first scheme, from 1 January to today or year end)."""
    schemes = ScoringScheme.objects.filter(plan=plan)
    chosen = request.GET.get("scheme", "")
    scheme = schemes.filter(pk=int(chosen)).first() if chosen.isdigit() else None
    scheme = scheme or scheme_ensure(plan)
    year_end = dt.date(plan.year, 12, 31)
    dates = {}
    for name, default in (("start", dt.date(plan.year, 1, 1)), ("end", min(timezone.localdate(), year_end))):
        raw = request.GET.get(name, "").strip()
        try:
            dates[name] = dt.date.fromisoformat(raw) if raw else default
        except ValueError as exc:
            raise InvalidInput(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw[:20]}, field=name) from exc
    return scheme, dates["start"], dates["end"]


def _query(assessment: Assessment) -> str:
    return f"?scheme={assessment.scheme.pk}&start={assessment.start.isoformat()}&end={assessment.end.isoformat()}"


class AssessmentView(LoginRequiredMixin, PlanMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        plan = self.plan
        user = request.user
        if not oversees_plan(user, plan):
            unit = user.unit if isinstance(user, User) else None
            if unit is not None and unit in regions_of(plan):
                return HttpResponseRedirect(
                    reverse("plans:assessment_region", kwargs={"plan": plan, "code": unit.code})
                )
            raise PermissionDenied
        context: dict[str, Any] = {"plan": plan, "schemes": ScoringScheme.objects.filter(plan=plan)}
        try:
            scheme, start, end = _period(request, plan)
            context.update(scheme=scheme, start=start, end=end)
            assessment = assessment_compute(scheme=scheme, start=start, end=end)
        except InvalidInput as exc:
            context["error"] = exc.message
            return render(request, "processes/assessment.html", context, status=400)
        may_draft = can_prepare(user, plan.issuer_id)
        context.update(assessment=assessment, query=_query(assessment), may_draft_circular=may_draft)
        return render(request, "processes/assessment.html", context)


class CircularDraftView(LoginRequiredMixin, PlanMixin, View):
    """The office drafts a 通报 for the period it is looking at; the draft waits for the signer."""

    def post(self, request: HttpRequest) -> HttpResponse:
        plan = self.plan
        user = request.user
        if not isinstance(user, User) or not can_prepare(user, plan.issuer_id):
            raise PermissionDenied
        try:
            start = dt.date.fromisoformat(request.POST.get("start", ""))
            end = dt.date.fromisoformat(request.POST.get("end", ""))
            notice = circular_draft(plan=plan, by=user, start=start, end=end)
        except ValueError:
            messages.error(request, _("Give the period's first and last days (YYYY-MM-DD)."))
            return HttpResponseRedirect(reverse("plans:assessment", kwargs={"plan": plan}))
        except InvalidInput as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("plans:assessment", kwargs={"plan": plan}))
        messages.success(request, _("The circular is drafted; edit it, then the signer signs it."))
        return HttpResponseRedirect(notice.get_absolute_url())


class AssessmentRegionView(LoginRequiredMixin, PlanMixin, View):
    """Why a region scored what it did: each indicator's measure, share, weight and points, and its rank."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        plan = self.plan
        unit = get_object_or_404(Unit, code=code)
        scope = scope_unit_ids(request.user)
        if scope is not None and unit.pk not in scope:
            raise Http404
        context: dict[str, Any] = {"plan": plan, "unit": unit, "ranking": oversees_plan(request.user, plan)}
        try:
            scheme, start, end = _period(request, plan)
            context.update(scheme=scheme, start=start, end=end)
            assessment = assessment_compute(scheme=scheme, start=start, end=end)
        except InvalidInput as exc:
            context["error"] = exc.message
            return render(request, "processes/assessment_region.html", context, status=400)
        score = assessment.region(unit)
        if score is None:
            raise Http404
        context.update(
            assessment=assessment,
            score=score,
            regions=len(assessment.regions),
            query=_query(assessment),
            rows=[(c, metric_direction(c.metric)) for c in score.contributions],
        )
        return render(request, "processes/assessment_region.html", context)


class AssessmentExportView(LoginRequiredMixin, PlanMixin, View):
    def get(self, request: HttpRequest, fmt: str) -> HttpResponse:
        if fmt not in CONTENT_TYPES:
            raise Http404
        plan = self.plan
        if not oversees_plan(request.user, self.plan):
            raise PermissionDenied
        try:
            scheme, start, end = _period(request, plan)
            assessment = assessment_compute(scheme=scheme, start=start, end=end)
        except InvalidInput as exc:
            return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
        data = assessment_pdf(assessment) if fmt == "pdf" else assessment_xlsx(assessment)
        audit_record(
            kind=AuditEventKind.EXPORT, request=request, detail={"what": "assessment", "plan": plan.key, "format": fmt}
        )
        response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
        name = f"{plan.year}-assessment-{start.isoformat()}-{end.isoformat()}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response
