"""项目库台账 and 挂图作战: the projects of a library the viewer sees, filtered by region, field, batch and state, with
the counts and sums at the top; the same as XLSX and PDF; and per region the milestone chart (inline SVG, and the same
SVG in an A4 landscape PDF). A library the viewer does not work with, or a region outside their scope, is a 404."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from processes.models import ProjectField, ProjectLibrary, ProjectState, Unit
from processes.rules import libraries_in_scope, regions_proposable_by
from processes.services.lifecycle import InvalidInput
from processes.services.pdf import render_pdf
from processes.services.project_ledger import (
    ALL_STATES,
    ProjectLedger,
    font_families,
    ledger_regions,
    project_figures,
    project_ledger_pdf,
    project_ledger_xlsx,
    scoped_projects,
)
from processes.views.charts import project_gantt
from security.models import AuditEventKind
from security.services import audit_record

EXPORT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: Projects per page of the chart's PDF (an SVG does not break across pages).
CHART_ROWS_PER_PAGE = 14


def library_or_404(request: HttpRequest, office: str) -> ProjectLibrary:
    library = libraries_in_scope(request.user).filter(office__code=office).first()
    if library is None:
        raise Http404
    return library


def _int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if re.fullmatch(r"[0-9]{1,4}", raw) else None


class Filters:
    """The ledger's filters read from the query string: region (a code among the viewer's regions, else 404), field
    (id), batch (number), state ("" in the library, "all", or a state), as_of (a date, default today)."""

    def __init__(self, request: HttpRequest, library: ProjectLibrary) -> None:
        self.regions = ledger_regions(library, request.user)
        code = request.GET.get("region", "").strip()
        self.region: Unit | None = None
        if code:
            self.region = next((unit for unit in self.regions if unit.code == code), None)
            if self.region is None:
                raise Http404
        self.fields = list(ProjectField.objects.all())
        self.field = _int(request.GET.get("field"))
        self.batch = _int(request.GET.get("batch"))
        state = request.GET.get("state", "").strip()
        self.state = state if state in (ALL_STATES, *ProjectState.values) else ""
        self.today = timezone.localdate()
        self.problem = ""
        raw = request.GET.get("as_of", "").strip()
        self.as_of = self.today
        if raw:
            try:
                self.as_of = min(dt.date.fromisoformat(raw), self.today)
            except ValueError:
                self.problem = _("“%(value)s” is not a date (write it as 2023-09-30); showing today.") % {"value": raw}
        self.query = request.GET.urlencode()

    def ledger(self, library: ProjectLibrary, request: HttpRequest) -> ProjectLedger:
        return project_figures(
            library,
            viewer=request.user,
            region=self.region,
            field=self.field,
            batch=self.batch,
            state=self.state,
            as_of=self.as_of,
        )

    @property
    def states(self) -> list[tuple[str, str]]:
        return [("", _("In the library (已入库, 在建, 建成投运)")), (ALL_STATES, _("All states"))] + [
            (value, str(label)) for value, label in ProjectState.choices
        ]


class ProjectLedgerView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, office: str) -> HttpResponse:
        library = library_or_404(request, office)
        filters = Filters(request, library)
        ledger = filters.ledger(library, request)
        batches = sorted(
            {batch for batch in scoped_projects(library, request.user).values_list("batch", flat=True) if batch}
        )
        context: dict[str, Any] = {
            "library": library,
            "ledger": ledger,
            "figures": ledger.figures,
            "filters": filters,
            "batches": batches,
            "may_enter": regions_proposable_by(request.user, library).exists(),
            "formats": list(EXPORT_TYPES),
        }
        return render(request, "processes/project_ledger.html", context)


class ProjectExportView(LoginRequiredMixin, View):
    """The ledger with the same filters, as XLSX or PDF."""

    def get(self, request: HttpRequest, office: str, fmt: str) -> HttpResponse:
        if fmt not in EXPORT_TYPES:
            raise Http404
        library = library_or_404(request, office)
        filters = Filters(request, library)
        ledger = filters.ledger(library, request)
        try:
            content = project_ledger_xlsx(ledger) if fmt == "xlsx" else project_ledger_pdf(ledger)
        except InvalidInput as exc:
            return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
        response = HttpResponse(content, content_type=EXPORT_TYPES[fmt])
        audit_record(
            kind=AuditEventKind.EXPORT,
            request=request,
            detail={"what": "project_ledger", "office": library.office.code, "format": fmt},
        )
        code = "".join(char if char.isalnum() or char in "-_." else "_" for char in library.office.code)
        response["Content-Disposition"] = f'attachment; filename="{code}-projects-{ledger.as_of.isoformat()}.{fmt}"'
        response["Cache-Control"] = "private, no-store"
        return response


def chart_context(request: HttpRequest, office: str) -> dict[str, Any]:
    """The chart of one region (``?region=CODE``; default the viewer's first region): every project in the library,
    its construction years and milestones on the months of the years in view."""
    library = library_or_404(request, office)
    filters = Filters(request, library)
    if filters.region is None and filters.regions:
        filters.region = filters.regions[0]
    ledger = (
        project_figures(library, viewer=request.user, region=filters.region, as_of=filters.as_of)
        if filters.region is not None
        else None
    )
    rows = ledger.rows if ledger is not None else []
    chart: dict[str, Any] = {}
    pages: list[dict[str, Any]] = []
    if rows:
        years = [row.project.start_year for row in rows] + [row.project.end_year for row in rows]
        days = [day for row in rows for m in row.milestones for day in (m.planned, m.actual) if day is not None]
        first_year = min(years + [day.year for day in days])
        last_year = max(years + [day.year for day in days])
        chart = project_gantt(rows, first_year=first_year, last_year=last_year, today=filters.as_of)
        pages = [
            project_gantt(
                rows[start : start + CHART_ROWS_PER_PAGE],
                first_year=first_year,
                last_year=last_year,
                today=filters.as_of,
            )
            for start in range(0, len(rows), CHART_ROWS_PER_PAGE)
        ]
    return {
        "library": library,
        "filters": filters,
        "region": filters.region,
        "ledger": ledger,
        "chart": chart,
        "pages": pages,
    }


class ProjectChartView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, office: str) -> HttpResponse:
        return render(request, "processes/project_chart.html", chart_context(request, office))


class ProjectChartPdfView(LoginRequiredMixin, View):
    """The same chart on A4 landscape pages (the header repeated on each)."""

    def get(self, request: HttpRequest, office: str) -> HttpResponse:
        context = chart_context(request, office)
        library = context["library"]
        context.update(fonts=font_families(library), generated=timezone.localtime())
        try:
            pdf = render_pdf(render_to_string("documents/project_chart.html", context))
        except InvalidInput as exc:
            return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
        audit_record(
            kind=AuditEventKind.EXPORT,
            request=request,
            detail={"what": "project_chart", "office": library.office.code, "format": "pdf"},
        )
        region = context["region"].code if context["region"] is not None else "all"
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{library.office.code}-chart-{region}-{context["filters"].as_of.isoformat()}.pdf"'
        )
        response["Cache-Control"] = "private, no-store"
        return response
