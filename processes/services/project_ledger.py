"""项目库台账: the projects of a library a person sees, each with its latest figures, and the counts and sums the
bulletins quote (项目库入库项目N个，总投资约X亿元；其中建成投运N个，在建N个，正在办理前期手续的N个，累计完成投资X万元),
overall and by region, as of a day.

What each count covers (the ledger's legend says the same):

- 入库项目 (``projects``): in the library — 已入库, 在建 and 建成投运; not 谋划储备, 申报入库 nor 退库;
- 已开工 (``started``): 在建 and 建成投运;
- 在建 (``building``): 在建 only; 建成投运 (``completed``): 建成投运;
- 前期手续 (``preparing``): 已入库 and its 前期手续 not yet reached (confirmed);
- 计划总投资: the sum of the in-library projects' 计划总投资; 累计完成投资: the sum of their latest reported
  累计完成投资 (a report submitted by the day, not returned); 投资完成率 = 累计完成投资 / 计划总投资.

``as_of`` reads history: each project's state is the target of the last state change of its timeline
(``ProjectEvent``) by the end of that day (a project entered later did not exist yet), its investment the last report
submitted before the day ended, a milestone reached if its date had come. Planned amounts are today's.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from processes.formats import chinese_date
from processes.models import (
    IN_LIBRARY_STATES,
    DocumentSettings,
    Light,
    MilestoneKind,
    Project,
    ProjectEvent,
    ProjectInvestment,
    ProjectLibrary,
    ProjectMilestone,
    ProjectState,
    Unit,
    UnitLevel,
)
from processes.rules import Viewer, projects_in_scope, unit_subtree
from processes.spreadsheets import xlsx_append

from .exports import _FAMILIES, XLSX_DATE_FORMAT
from .history import end_of_day
from .pdf import render_pdf
from .projects import CENT, amount, latest_progress, percent, planned_by

TEN_THOUSAND = Decimal(10000)
#: A milestone still to come shows yellow this many days before its planned date.
SOON_DAYS = 30
#: The ledger's state filter: "" (default) the projects in the library, "all" every state, or one state.
IN_LIBRARY = ""
ALL_STATES = "all"


def yi(value: Decimal) -> Decimal:
    """万元 as 亿元 with two decimals (5176300.00 万元 → 517.63 亿元)."""
    return amount(Decimal(value) / TEN_THOUSAND)


@dataclass
class MilestoneLine:
    """A milestone as of the day: reached if its date had come by then."""

    pk: int
    kind: str
    label: str
    planned: dt.date
    actual: dt.date | None
    confirmed: bool

    @property
    def late_days(self) -> int | None:
        """Days reached after its planned date (None: on time or not reached)."""
        if self.actual is None or self.actual <= self.planned:
            return None
        return (self.actual - self.planned).days


@dataclass
class ProjectLine:
    """A project of the ledger with its figures as of the day."""

    project: Project
    number: int
    state: str
    invested: Decimal | None
    expected: Decimal
    milestones: list[MilestoneLine]
    next_milestone: MilestoneLine | None
    next_light: str | None
    lag_threshold: Decimal

    @property
    def planned(self) -> Decimal:
        return Decimal(self.project.planned_investment)

    @property
    def invested_percent(self) -> Decimal | None:
        return None if self.invested is None else percent(self.invested, self.planned)

    @property
    def expected_percent(self) -> Decimal | None:
        return percent(self.expected, self.planned)

    @property
    def lagging(self) -> bool:
        """累计完成投资 behind the 序时进度 by more than the library's threshold (a project not yet 建成投运)."""
        if self.state not in (ProjectState.ADMITTED, ProjectState.BUILDING):
            return False
        expected, invested = self.expected_percent, self.invested_percent or Decimal(0)
        return expected is not None and expected - invested > self.lag_threshold

    @property
    def in_library(self) -> bool:
        return self.state in IN_LIBRARY_STATES

    @property
    def preparing(self) -> bool:
        """正在办理前期手续: in the library, not started, and its 前期手续 not yet reached (confirmed)."""
        if self.state != ProjectState.ADMITTED:
            return False
        return not any(m.kind == MilestoneKind.PREPARATION and m.actual and m.confirmed for m in self.milestones)

    @property
    def region_name(self) -> str:
        """The place (松原市), as the published tables' 地区 column writes it."""
        region = self.project.region
        return region.short_name or region.name

    @property
    def state_label(self) -> str:
        return str(ProjectState(self.state).label)


@dataclass
class Figures:
    """The counts and sums of a set of projects (only those in the library count)."""

    projects: int = 0
    preparing: int = 0
    building: int = 0
    completed: int = 0
    planned: Decimal = field(default_factory=lambda: Decimal("0.00"))
    invested: Decimal = field(default_factory=lambda: Decimal("0.00"))

    @property
    def started(self) -> int:
        return self.building + self.completed

    @property
    def invested_percent(self) -> Decimal | None:
        return percent(self.invested, self.planned)

    @property
    def planned_yi(self) -> Decimal:
        return yi(self.planned)

    @property
    def invested_yi(self) -> Decimal:
        return yi(self.invested)

    def add(self, line: ProjectLine) -> None:
        if not line.in_library:
            return
        self.projects += 1
        self.preparing += line.preparing
        self.building += line.state == ProjectState.BUILDING
        self.completed += line.state == ProjectState.COMPLETED
        self.planned = amount(self.planned + line.planned)
        self.invested = amount(self.invested + (line.invested or 0))

    def as_json(self) -> dict[str, Any]:
        """For a bulletin's stored figures: amounts as text, as Decimal has no JSON form."""
        return {
            "projects": self.projects,
            "preparing": self.preparing,
            "building": self.building,
            "completed": self.completed,
            "started": self.started,
            "planned": str(self.planned),
            "planned_yi": str(self.planned_yi),
            "invested": str(self.invested),
            "invested_yi": str(self.invested_yi),
            "invested_percent": None if self.invested_percent is None else str(self.invested_percent),
        }


@dataclass
class RegionFigures:
    unit: Unit
    figures: Figures


@dataclass
class ProjectLedger:
    library: ProjectLibrary
    as_of: dt.date
    rows: list[ProjectLine]
    figures: Figures
    regions: list[RegionFigures]
    # What the listed rows add up to, whatever their state (the table's 合计 row).
    listed_planned: Decimal = Decimal("0.00")
    listed_invested: Decimal = Decimal("0.00")

    @property
    def listed_percent(self) -> Decimal | None:
        return percent(self.listed_invested, self.listed_planned)


def region_map(library: ProjectLibrary, unit_ids: Iterable[int]) -> dict[int, int]:
    """Each unit → the region it counts for: for the province's library its city (市州), for a city's or a district's
    library the unit directly under its office; a unit with none counts for itself."""
    parents = dict(Unit.objects.values_list("pk", "parent_id"))
    levels = dict(Unit.objects.values_list("pk", "level"))
    provincial = library.office.level == UnitLevel.PROVINCE
    found: dict[int, int] = {}
    for unit_id in unit_ids:
        current: int | None = unit_id
        region = unit_id
        while current is not None:
            parent = parents.get(current)
            if provincial and levels.get(current) == UnitLevel.CITY:
                region = current
                break
            if not provincial and parent == library.office_id:
                region = current
                break
            current = parent
        found[unit_id] = region
    return found


def states_as_of(project_ids: Sequence[int], as_of: dt.date) -> dict[int, str]:
    """Each project's state at the end of ``as_of``, from its timeline; a project not yet entered is absent."""
    states: dict[int, str] = {}
    for project_id, target in (
        ProjectEvent.objects.filter(project_id__in=list(project_ids), at__lt=end_of_day(as_of))
        .exclude(target="")
        .order_by("at", "pk")
        .values_list("project_id", "target")
    ):
        states[project_id] = target
    return states


def _next_light(milestone: MilestoneLine | None, as_of: dt.date) -> str | None:
    if milestone is None:
        return None
    if milestone.planned < as_of:
        return Light.RED
    if (milestone.planned - as_of).days <= SOON_DAYS:
        return Light.YELLOW
    return Light.GREEN


def scoped_projects(library: ProjectLibrary, viewer: Viewer | None) -> QuerySet[Project]:
    """The library's projects ``viewer`` sees (``None``: all of them, for the office's own documents)."""
    projects = Project.objects.filter(library=library)
    if viewer is not None:
        projects = projects_in_scope(viewer, projects)
    return projects.select_related("region", "field", "library__office").order_by(
        "region__position", "region__code", "batch", "pk"
    )


def project_figures(
    library: ProjectLibrary,
    *,
    viewer: Viewer | None,
    region: Unit | None = None,
    field: int | None = None,
    batch: int | None = None,
    state: str | None = None,
    as_of: dt.date | None = None,
) -> ProjectLedger:
    """The ledger of ``library`` as ``viewer`` sees it (``None``: whole), filtered by region (and the units under it),
    field (its id), batch and state (``IN_LIBRARY`` by default, ``ALL_STATES`` or a state), as of a day (default
    today). A fixed number of queries whatever the number of projects."""
    as_of = as_of or timezone.localdate()
    projects = scoped_projects(library, viewer)
    if region is not None:
        projects = projects.filter(region_id__in=unit_subtree(region.pk))
    if field is not None:
        projects = projects.filter(field_id=field)
    if batch is not None:
        projects = projects.filter(batch=batch)
    candidates = list(projects)
    ids = [project.pk for project in candidates]
    states = states_as_of(ids, as_of)
    today = timezone.localdate()
    if as_of >= today:  # today's state is the row's own (a project may have no timeline when made by hand)
        states = {project.pk: project.state for project in candidates}

    def wanted(project_state: str | None) -> bool:
        if project_state is None:
            return False
        if state == ALL_STATES:
            return True
        if not state:
            return project_state in IN_LIBRARY_STATES
        return project_state == state

    chosen = [project for project in candidates if wanted(states.get(project.pk))]
    chosen_ids = [project.pk for project in chosen]
    progress = latest_progress(chosen_ids, until=end_of_day(as_of))
    yearly: dict[int, dict[int, Decimal]] = {}
    for project_id, year, value in ProjectInvestment.objects.filter(project_id__in=chosen_ids).values_list(
        "project_id", "year", "amount"
    ):
        yearly.setdefault(project_id, {})[year] = value
    milestones: dict[int, list[MilestoneLine]] = {}
    for milestone in ProjectMilestone.objects.filter(project_id__in=chosen_ids).order_by(
        "planned_date", "position", "pk"
    ):
        reached = milestone.actual_date if milestone.actual_date and milestone.actual_date <= as_of else None
        milestones.setdefault(milestone.project_id, []).append(
            MilestoneLine(
                pk=milestone.pk,
                kind=milestone.kind,
                label=milestone.label,
                planned=milestone.planned_date,
                actual=reached,
                confirmed=milestone.confirmed and reached is not None,
            )
        )
    threshold = Decimal(library.lag_threshold)
    rows: list[ProjectLine] = []
    for number, project in enumerate(chosen, start=1):
        own = milestones.get(project.pk, [])
        project_state = states[project.pk]
        # A project 已入库 or 在建 has a next milestone; one 建成投运, 退库 or not yet in the library has none.
        under_way = project_state in (ProjectState.ADMITTED, ProjectState.BUILDING)
        upcoming = next((m for m in own if m.actual is None), None) if under_way else None
        latest = progress.get(project.pk)
        rows.append(
            ProjectLine(
                project=project,
                number=number,
                state=project_state,
                invested=None if latest is None or latest.invested_total is None else amount(latest.invested_total),
                expected=planned_by(project, as_of, yearly.get(project.pk, {})),
                milestones=own,
                next_milestone=upcoming,
                next_light=_next_light(upcoming, as_of),
                lag_threshold=threshold,
            )
        )
    total = Figures()
    regions_of = region_map(library, {row.project.region_id for row in rows})
    units = Unit.objects.in_bulk(set(regions_of.values()))
    by_region: dict[int, Figures] = {}
    listed_planned, listed_invested = Decimal("0.00"), Decimal("0.00")
    for row in rows:
        total.add(row)
        by_region.setdefault(regions_of[row.project.region_id], Figures()).add(row)
        listed_planned = amount(listed_planned + row.planned)
        listed_invested = amount(listed_invested + (row.invested or 0))
    regions = [
        RegionFigures(unit=units[unit_id], figures=figures)
        for unit_id, figures in by_region.items()
        if figures.projects
    ]
    regions.sort(key=lambda entry: (entry.unit.position, entry.unit.code))
    return ProjectLedger(
        library=library,
        as_of=as_of,
        rows=rows,
        figures=total,
        regions=regions,
        listed_planned=listed_planned,
        listed_invested=listed_invested,
    )


def ledger_regions(library: ProjectLibrary, viewer: Viewer | None) -> list[Unit]:
    """The regions the viewer's projects of the library count for (the region filter's and the chart's choices)."""
    region_ids = scoped_projects(library, viewer).values_list("region_id", flat=True).distinct()
    regions = set(region_map(library, set(region_ids)).values())
    return list(Unit.objects.filter(pk__in=regions).order_by("position", "code"))


def library_of_plan_figures(plan: Any, *, viewer: Viewer | None, as_of: dt.date | None = None) -> Figures | None:
    """The figures of the library of the plan's office (for its dashboard and its bulletins); ``None`` when the office
    has no library or it holds no project in the library (入库) as of the day."""
    library = ProjectLibrary.objects.select_related("office").filter(office_id=plan.issuer_id).first()
    if library is None:
        return None
    figures = project_figures(library, viewer=viewer, as_of=as_of).figures
    return figures if figures.projects else None


def figures_sentence(figures: Figures | dict[str, Any]) -> str:
    """The sentence of the seed bulletins: 项目库入库项目N个，总投资约X亿元；其中建成投运N个，在建N个，
    正在办理前期手续的N个，累计完成投资X万元。"""
    values = figures.as_json() if isinstance(figures, Figures) else figures
    return _(
        "项目库入库项目%(projects)s个，总投资约%(planned_yi)s亿元；其中建成投运%(completed)s个，在建%(building)s个，"
        "正在办理前期手续的%(preparing)s个，累计完成投资%(invested)s万元。"
    ) % {
        "projects": values["projects"],
        "planned_yi": values["planned_yi"],
        "completed": values["completed"],
        "building": values["building"],
        "preparing": values["preparing"],
        "invested": values["invested"],
    }


# ---------------------------------------------------------------------------------------------------------------
# Exports: the same rows and the sums row, as XLSX and PDF


def columns() -> list[str]:
    """The columns of the published project tables (their own Chinese headings), then the ledger's."""
    return [
        "序号",
        "地区",
        "企业名称",
        "项目名称",
        "领域",
        "批次",
        "建设年限",
        "计划总投资（万元）",
        "累计完成投资（万元）",
        "投资完成率（%）",
        "序时进度（万元）",
        "序时进度（%）",
        _("State"),
        _("Next milestone"),
        _("Planned date"),
    ]


def _cells(row: ProjectLine) -> list[object]:
    project = row.project
    upcoming = row.next_milestone
    return [
        row.number,
        row.region_name,
        project.company,
        project.name,
        project.field.name if project.field else "",
        project.batch_label,
        project.years,
        row.planned,
        row.invested,
        row.invested_percent,
        row.expected,
        row.expected_percent,
        row.state_label,
        upcoming.label if upcoming else "",
        upcoming.planned if upcoming else None,
    ]


def ledger_title(ledger: ProjectLedger) -> str:
    return _("%(library)s · ledger as of %(date)s") % {
        "library": ledger.library.name,
        "date": chinese_date(ledger.as_of),
    }


def figures_line(figures: Figures) -> str:
    return _(
        "In the library (入库) %(projects)s · started (开工) %(started)s · completed (建成投运) %(completed)s · "
        "前期手续 %(preparing)s · planned %(planned)s 万元 (%(planned_yi)s 亿元) · invested %(invested)s 万元 "
        "(%(percent)s%%)"
    ) % {
        "projects": figures.projects,
        "started": figures.started,
        "completed": figures.completed,
        "preparing": figures.preparing,
        "planned": figures.planned,
        "planned_yi": figures.planned_yi,
        "invested": figures.invested,
        "percent": figures.invested_percent if figures.invested_percent is not None else "—",
    }


def project_ledger_xlsx(ledger: ProjectLedger) -> bytes:
    """Title, the figures line, the columns, a row per project, then 合计: the sums of 计划总投资 and 累计完成投资
    of the rows and their 投资完成率. Amounts are numbers with two decimals; people's text is written as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    sheet = workbook.create_sheet(_("Projects"))
    heads = columns()
    xlsx_append(sheet, [ledger_title(ledger)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(heads))
    sheet["A1"].font = Font(bold=True, size=14)
    xlsx_append(sheet, [figures_line(ledger.figures)])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(heads))
    xlsx_append(sheet, heads)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in ledger.rows:
        xlsx_append(sheet, _cells(row))
    total = ["合计", "", "", "", "", "", "", ledger.listed_planned, ledger.listed_invested, ledger.listed_percent]
    xlsx_append(sheet, total)
    last = sheet.max_row
    for cell in sheet[last]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate((6, 12, 24, 40, 14, 10, 14, 14, 14, 10, 14, 10, 10, 14, 14), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    red = PatternFill("solid", fgColor="FFCDD2")
    for line, cells in zip(ledger.rows, sheet.iter_rows(min_row=4, max_row=last - 1), strict=True):
        for cell in cells:
            cell.alignment = wrap
            if isinstance(cell.value, Decimal):
                cell.number_format = "0.00"
            if isinstance(cell.value, dt.date):
                cell.number_format = XLSX_DATE_FORMAT
        if line.lagging:
            cells[8].fill = red
        if line.next_light == Light.RED:
            cells[14].fill = red
    for cell in sheet[last]:
        if isinstance(cell.value, Decimal):
            cell.number_format = "0.00"
    sheet.freeze_panes = "A4"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def font_families(library: ProjectLibrary) -> dict[str, str]:
    """The library's office's document fonts for a PDF's style sheet (the default list where they are unsafe)."""
    office, default = DocumentSettings.for_office(library.office).css_families(), DocumentSettings().css_families()
    return {key: value if _FAMILIES.fullmatch(value) else default[key] for key, value in office.items()}


def project_ledger_pdf(ledger: ProjectLedger) -> bytes:
    """The printed ledger: A4 landscape, the header repeated, the counts at the top, 合计 at the end, by region."""
    html = render_to_string(
        "documents/project_ledger.html",
        {
            "ledger": ledger,
            "figures": ledger.figures,
            "title": ledger_title(ledger),
            "columns": columns(),
            "generated": timezone.localtime(),
            "fonts": font_families(ledger.library),
        },
    )
    return render_pdf(html)


__all__ = [
    "ALL_STATES",
    "CENT",
    "IN_LIBRARY",
    "Figures",
    "MilestoneLine",
    "ProjectLedger",
    "ProjectLine",
    "figures_sentence",
    "font_families",
    "ledger_regions",
    "library_of_plan_figures",
    "project_figures",
    "project_ledger_pdf",
    "project_ledger_xlsx",
    "region_map",
    "scoped_projects",
    "states_as_of",
    "yi",
]
