"""Importing a project table (项目库清单) as districts and cities publish it: read, check every row, then write all
of it or nothing.

The file is read by the readers the plan import uses (.xlsx with merged cells, .csv, the tables of a .docx), and
problems are reported the same way (file, row, column, field). A table has a title row or two above its header; its
header may be two rows high (分年度计划投资 over 2023年, 2024年); amounts are in the unit its header names (万元 or
亿元) unless a cell says its own (“1.2亿元”); rows of 合计 / 小计 are checked against the rows they add up and
skipped; a row whose 序号 is merged with the row above, or that has neither 序号 nor 项目名称 (a page break), continues
the project above.

A project is matched by its region and 项目名称: importing the same table again updates the projects it holds and
says what changed. With a batch the projects are admitted into it (入库), else they enter the reserve (谋划储备).
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from processes.importing.problems import FileRefused, Problems
from processes.importing.readers import Cell, Grid, column_letter, read_grids
from processes.importing.table import header_key, normalise_number
from processes.importing.text import squeeze
from processes.models import (
    Project,
    ProjectAction,
    ProjectEvent,
    ProjectField,
    ProjectLibrary,
    ProjectState,
    Unit,
    UnitLevel,
    User,
)
from processes.rules import library_units, manages_project_library, regions_proposable_by

from .lifecycle import AlreadyHandled, InvalidInput, NotAllowed
from .projects import (
    ProjectData,
    amount,
    milestones_ensure,
    project_admit,
    project_check,
    project_create,
    project_propose,
    projects_sync,
)
from .units import unit_index

HEADER_SCAN_ROWS = 20
WAN_PER_YI = Decimal(10000)


class Col:
    """What a column of a project table holds."""

    NUMBER = "序号"
    COMPANY = "企业名称"
    NAME = "项目名称"
    SCALE = "建设规模及内容"
    YEARS = "建设年限"
    TOTAL = "计划总投资"
    UNIT = "责任单位"
    FIELD = "所属领域"
    CONTACT = "联系人"
    PHONE = "联系电话"
    BATCH = "批次"


_EXACT = {
    Col.NUMBER: {"序号", "编号", "no", "no."},
    Col.COMPANY: {"企业名称", "企业", "建设单位", "项目单位", "实施单位", "实施主体", "业主单位", "项目业主"},
    Col.NAME: {"项目名称", "项目", "项目名"},
    Col.SCALE: {
        "项目建设规模及内容",
        "建设规模及内容",
        "建设规模和内容",
        "建设内容",
        "建设规模",
        "主要建设内容",
        "建设内容及规模",
    },
    Col.YEARS: {"建设年限", "建设期限", "建设周期", "起止年限", "建设起止年限"},
    Col.UNIT: {"责任单位", "责任部门", "牵头单位", "责任主体", "主管部门"},
    Col.FIELD: {"所属领域", "领域", "所属类别", "类别", "项目类别", "项目类型"},
    Col.CONTACT: {"联系人", "项目联系人"},
    Col.PHONE: {"联系电话", "电话", "联系方式"},
    Col.BATCH: {"批次", "入库批次"},
}
REQUIRED = (Col.NAME, Col.YEARS, Col.TOTAL)
_UNIT_OF_AMOUNT = re.compile(r"(亿元|万元|亿|万|元)")
_YEAR_COLUMN = re.compile(r"(\d{4})年?(?:度)?(?:计划)?(?:完成)?投资")
_YEAR_ONLY = re.compile(r"^(\d{4})年?度?$")
_YEARS = re.compile(r"^(\d{4})年?(?:度)?(?:[-—–~至到]+(\d{4})年?(?:度)?)?$")
_AMOUNT = re.compile(r"^([+-]?\d+(?:\.\d+)?)(亿元|万元|亿|万|元)?$")
#: What a published table writes in a year's cell for “nothing planned that year”.
_NO_AMOUNT = {"—", "——", "-", "--", "－", "/", "／", "无", "\\"}
_TOTAL_ROW = re.compile(r"^(?:合计|小计|总计|共计)")
_NOTE_ROW = re.compile(r"^(?:注|备注|说明)[::\d]")
_SECTION = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\))\s*")
_BATCH = re.compile(r"^第?([一二三四五六七八九十\d]+)批?$")
_DIGITS = "零一二三四五六七八九"


def _role(text: str) -> str | None:
    """The role of a header cell: its name without its unit “(万元)”."""
    key = header_key(re.sub(r"\(.*?\)", "", text)) or header_key(text)
    for role, names in _EXACT.items():
        if key in names:
            return role
    if "总投资" in key:
        return Col.TOTAL
    if "联系电话" in key or "手机" in key:
        return Col.PHONE
    if "规模" in key or "建设内容" in key:
        return Col.SCALE
    if "年限" in key:
        return Col.YEARS
    if key.endswith("领域"):
        return Col.FIELD
    return None


def _factor(text: str) -> Decimal | None:
    """万元 per unit of the amounts under a header: 1 for (万元), 10000 for (亿元), 0.0001 for (元); None when it
    names none."""
    match = _UNIT_OF_AMOUNT.search(text)
    if match is None:
        return None
    return _per_unit(match[1])


def _per_unit(unit: str) -> Decimal:
    if unit.startswith("亿"):
        return WAN_PER_YI
    if unit.startswith("万"):
        return Decimal(1)
    return 1 / WAN_PER_YI  # 元


@dataclass
class Layout:
    sheet: str
    header_line: int
    first_data_row: int
    columns: dict[str, int]  # role → column
    yearly: list[tuple[int, int, Decimal | None]]  # (column, year, factor)
    extra: list[tuple[int, str]]
    headers: list[str]
    factor: Decimal | None  # of the 计划总投资 column
    title: str = ""

    def where(self, role: str) -> dict[str, str]:
        col = self.columns.get(role)
        if col is None:
            return {"column": "", "field": role, "sheet": self.sheet}
        return {"column": column_letter(col), "field": self.headers[col], "sheet": self.sheet}

    def at(self, col: int) -> dict[str, str]:
        return {"column": column_letter(col), "field": self.headers[col], "sheet": self.sheet}


def _texts(row: list[Cell]) -> list[str]:
    return [cell.text for cell in row if cell.text]


def _cell(row: list[Cell], col: int | None) -> Cell:
    if col is None or col >= len(row):
        return Cell("")
    return row[col]


def _find_layout(grid: Grid, problems: Problems) -> Layout | None:
    """The header row (under the title rows), possibly two rows high, and what each column holds."""
    for index, row in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        roles = {role for cell in row if cell.text and len(cell.text) <= 40 and (role := _role(cell.text))}
        if Col.NAME in roles and len(roles) >= 3:
            return _layout(grid, index, problems)
    return None


def _layout(grid: Grid, index: int, problems: Problems) -> Layout:
    header = grid.rows[index]
    width = max(len(row) for row in grid.rows)
    cells = header + [Cell("")] * (width - len(header))
    below = grid.rows[index + 1] if index + 1 < len(grid.rows) else []
    below = below + [Cell("")] * (width - len(below))
    # The parent over each column: a merged header covers the cells it spans, and a CSV leaves the cells right of a
    # parent empty (分年度计划投资（万元）,,).
    parents: list[str] = []
    for cell in cells:
        parents.append(cell.text or (parents[-1] if parents else ""))
    # A second header row: cells under a parent spanning several columns (分年度计划投资 over 2023年, 2024年) that
    # hold a year of their own, while the cells merged down from the row above repeat it.
    subs = {
        col: below[col].text
        for col in range(width)
        if below[col].text and not (below[col].merged and below[col].text == cells[col].text)
    }

    def spans(col: int) -> bool:
        after = cells[col + 1] if col + 1 < width else Cell("")
        return (
            cells[col].merged
            or not cells[col].text
            or (not after.text or (after.merged and after.text == cells[col].text))
        )

    two_level = bool(subs) and all(spans(col) and _YEAR_ONLY.match(header_key(text)) for col, text in subs.items())
    columns: dict[str, int] = {}
    yearly: list[tuple[int, int, Decimal | None]] = []
    extra: list[tuple[int, str]] = []
    headers: list[str] = []
    line = grid.numbers[index]
    for col in range(width):
        text = cells[col].text
        sub = subs.get(col, "") if two_level else ""
        headers.append(f"{parents[col]}/{sub}" if sub else text)
        if sub and (year := _YEAR_ONLY.match(header_key(sub))):
            yearly.append((col, int(year[1]), _factor(sub) or _factor(parents[col])))
            continue
        if not text or (cells[col].merged and col > 0 and cells[col - 1].text == text):
            continue
        if "总投资" not in text and (year := _YEAR_COLUMN.search(header_key(text))):
            yearly.append((col, int(year[1]), _factor(text)))
        elif (role := _role(text)) is None:
            extra.append((col, text))
        elif role in columns:
            problems.error(
                _("Two columns are read as %(role)s: %(first)s and %(second)s; rename one of them.")
                % {"role": role, "first": column_letter(columns[role]), "second": column_letter(col)},
                row=line,
                column=column_letter(col),
                field=text,
                sheet=grid.sheet,
            )
        else:
            columns[role] = col
    missing = [role for role in REQUIRED if role not in columns]
    if missing:
        problems.error(
            _("Required column missing: %(columns)s (the header row has %(found)s).")
            % {"columns": "、".join(missing), "found": "、".join(dict.fromkeys(_texts(header)))},
            row=line,
            sheet=grid.sheet,
        )
    factor = _factor(cells[columns[Col.TOTAL]].text) if Col.TOTAL in columns else None
    if Col.TOTAL in columns and factor is None:
        problems.warning(
            _("The header does not say the unit of the amounts (万元 or 亿元): they are read as 万元."),
            row=line,
            column=column_letter(columns[Col.TOTAL]),
            field=cells[columns[Col.TOTAL]].text,
            sheet=grid.sheet,
        )
    title = ""
    for row in grid.rows[:index]:
        if len(texts := set(_texts(row))) == 1:
            title = texts.pop().replace("\n", "")
            title = re.sub(r"^附件\s*\d*\s*[::]?\s*", "", title).strip()
            if title:
                break
    return Layout(
        sheet=grid.sheet,
        header_line=line,
        first_data_row=index + (2 if two_level else 1),
        columns=columns,
        yearly=yearly,
        extra=extra,
        headers=headers,
        factor=factor,
        title=title[:300],
    )


@dataclass
class ProjectRow:
    """A project as the table gives it, with its amounts in 万元 and its unit and field resolved when they could be."""

    row: int
    sheet: str
    layout: Layout
    code: str
    name: str
    company: str = ""
    scale: str = ""
    years_text: str = ""
    start_year: int = 0
    end_year: int = 0
    planned: Decimal = Decimal(0)
    yearly: dict[int, Decimal] = dataclasses.field(default_factory=dict)
    unit_text: str = ""
    unit: Unit | None = None
    field_text: str = ""
    field: ProjectField | None = None
    contact: str = ""
    phone: str = ""
    batch_text: str = ""
    extra: dict[str, str] = dataclasses.field(default_factory=dict)
    valid: bool = True

    @property
    def unit_name(self) -> str:
        return self.unit.name if self.unit is not None else self.unit_text

    def data(self, region: Unit, filename: str) -> ProjectData:
        extra = dict(self.extra)
        if self.field is None and self.field_text:
            extra[Col.FIELD] = self.field_text
        if self.batch_text:
            extra[Col.BATCH] = self.batch_text
        return ProjectData(
            name=self.name,
            region=region,
            start_year=self.start_year,
            end_year=self.end_year,
            planned_investment=amount(self.planned),
            company=self.company,
            scale=self.scale,
            field=self.field,
            responsible_unit=self.unit,
            responsible_text=self.unit_text[:300],
            contact=self.contact[:100],
            contact_phone=self.phone[:50],
            code=self.code[:30],
            yearly={year: amount(value) for year, value in self.yearly.items()},
            extra=extra,
            source_file=filename[:255],
            source_row=self.row,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "sheet": self.sheet,
            "code": self.code,
            "name": self.name,
            "company": self.company,
            "years": [self.start_year, self.end_year],
            "planned_investment": float(amount(self.planned)),
            "yearly": {str(year): float(amount(value)) for year, value in sorted(self.yearly.items())},
            "unit": self.unit_name,
            "unit_code": self.unit.code if self.unit is not None else None,
            "field": self.field.name if self.field is not None else self.field_text,
        }


@dataclass
class ProjectChange:
    name: str
    row: int
    changes: dict[str, list[str]]

    def as_dict(self) -> dict[str, Any]:
        return {"project": self.name, "row": self.row, "changes": self.changes}


@dataclass
class ProjectImportReport:
    filename: str
    region: Unit
    library: ProjectLibrary
    batch: int | None
    dry_run: bool
    problems: Problems
    title: str = ""
    rows: list[ProjectRow] = dataclasses.field(default_factory=list)
    created: list[str] = dataclasses.field(default_factory=list)
    changes: list[ProjectChange] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)
    admitted: list[str] = dataclasses.field(default_factory=list)
    applied: bool = False

    @property
    def errors(self) -> list[Any]:
        return self.problems.errors

    @property
    def warnings(self) -> list[Any]:
        return self.problems.warnings

    @property
    def ok(self) -> bool:
        return not self.problems.errors

    @property
    def planned_investment(self) -> Decimal:
        return amount(sum((row.planned for row in self.rows), Decimal(0)))

    @property
    def yearly(self) -> dict[int, Decimal]:
        sums: dict[int, Decimal] = {}
        for row in self.rows:
            for year, value in row.yearly.items():
                sums[year] = sums.get(year, Decimal(0)) + value
        return {year: amount(value) for year, value in sorted(sums.items())}

    @property
    def unit_names(self) -> list[str]:
        return list(dict.fromkeys(row.unit_name for row in self.rows if row.unit_name))

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.filename,
            "title": self.title,
            "library": self.library.office.code,
            "region": self.region.code,
            "batch": self.batch,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "projects": len(self.rows),
            "planned_investment": float(self.planned_investment),
            "yearly": {str(year): float(value) for year, value in self.yearly.items()},
            "units": self.unit_names,
            "created": len(self.created),
            "updated": len(self.changes),
            "unchanged": len(self.unchanged),
            "admitted": len(self.admitted),
            "changes": [change.as_dict() for change in self.changes],
            "rows": [row.as_dict() for row in self.rows],
            "warnings": [problem.as_dict() for problem in self.warnings],
            "errors": [problem.as_dict() for problem in self.errors],
        }


class _Rollback(Exception):
    pass


def projects_import(
    *,
    data: bytes,
    filename: str,
    library: ProjectLibrary,
    region: Unit,
    batch: int | None,
    by: User | None,
    dry_run: bool,
    stash: Path | None = None,
) -> ProjectImportReport:
    """Read ``data`` (the file called ``filename``) as ``region``'s project table for ``library`` and, unless
    ``dry_run`` or any error, write it in one transaction: new projects created (action 'imported'), projects of the
    same name updated, and with ``batch`` every project admitted into it (入库).

    ``by``: who imports (None from the command line, which acts as the office): the library's office for any of its
    regions, a region's own people for their region; only the office admits into a batch. ``stash``: where the rows
    read from an upload are kept between its preview and its confirmation (see ``read_grids``)."""
    report = ProjectImportReport(
        filename=filename, region=region, library=library, batch=batch, dry_run=dry_run, problems=Problems(filename)
    )
    _check_who(report, by)
    if not report.ok:
        return report
    try:
        grids = read_grids(data, filename, max_bytes=settings.IMPORT_MAX_BYTES, stash=stash)
    except FileRefused as refused:
        report.problems.errors.append(refused.problem)
        return report
    _parse(report, grids)
    if not report.ok:
        return report
    existing = {
        project.name: project
        for project in Project.objects.filter(library=library, region=region, name__in=[r.name for r in report.rows])
        .select_related("field", "responsible_unit")
        .prefetch_related("yearly")
    }
    _diff(report, existing, by)
    if not report.ok or dry_run:
        return report
    try:
        with transaction.atomic():
            _apply(report, existing, by)
            if not report.ok:
                raise _Rollback
        report.applied = True
    except _Rollback:
        report.applied = False
    except DatabaseError as exc:
        report.applied = False
        report.problems.error(
            _("The database refused the import (%(error)s); nothing was written.")
            % {"error": (str(exc).strip().splitlines() or [""])[0]}
        )
    return report


def _check_who(report: ProjectImportReport, by: User | None) -> None:
    library, region = report.library, report.region
    inside = library_units(library) - {library.office_id}
    if region.pk not in inside or region.level == UnitLevel.PROVINCE:
        report.problems.error(
            _("%(region)s is not a region of %(library)s.") % {"region": region.name, "library": library.name},
            field=_("region"),
        )
    elif by is not None and not regions_proposable_by(by, library).filter(pk=region.pk).exists():
        report.problems.error(
            _("You may not import projects for %(region)s.") % {"region": region.name}, field=_("region")
        )
    if report.batch is not None:
        if report.batch < 1:
            report.problems.error(_("Name the batch the project is admitted into (第一批: 1)."), field=Col.BATCH)
        elif by is not None and not manages_project_library(by, library):
            report.problems.error(
                _("Only the library's office admits projects into a batch (入库); import them without a batch."),
                field=Col.BATCH,
            )


def _parse(report: ProjectImportReport, grids: list[Grid]) -> None:
    found = False
    for grid in grids:
        layout = _find_layout(grid, report.problems)
        if layout is None:
            if any(_texts(row) for row in grid.rows):
                report.problems.warning(
                    _(
                        "This part of the file has no project header (序号, 项目名称, 建设年限, 计划总投资) and was "
                        "not read."
                    ),
                    sheet=grid.sheet,
                )
            continue
        found = True
        if not layout.title and grid.before:  # a Word table's title is the paragraph above it
            layout.title = re.sub(r"\s+", "", grid.before[-1].text)[:300]
        report.title = report.title or layout.title
        if all(role in layout.columns for role in REQUIRED):
            _Reader(report, grid, layout).read()
    if not found:
        report.problems.error(
            _("No header row found in the first %(rows)s rows: the table needs the columns %(columns)s.")
            % {"rows": HEADER_SCAN_ROWS, "columns": "、".join(REQUIRED)}
        )
    elif report.ok and not report.rows:
        report.problems.error(_("No project rows below the header row."))
    seen: dict[str, int] = {}
    for row in report.rows:
        if row.name in seen:
            report.problems.error(
                _("The project %(name)s is listed twice: row %(first)s has it too.")
                % {"name": row.name, "first": seen[row.name]},
                row=row.row,
                **row.layout.where(Col.NAME),
            )
        seen.setdefault(row.name, row.row)


def _fields() -> dict[str, ProjectField]:
    names: dict[str, ProjectField] = {}
    for project_field in ProjectField.objects.all():
        for name in [project_field.name, *re.split(r"[;；,，、]", project_field.aliases)]:
            if key := squeeze(name):
                names.setdefault(key, project_field)
    return names


class _Reader:
    """Reads the rows below a header into projects; 合计 / 小计 rows are checked and skipped."""

    def __init__(self, report: ProjectImportReport, grid: Grid, layout: Layout) -> None:
        self.report, self.grid, self.layout = report, grid, layout
        self.problems = report.problems
        self.rows: list[ProjectRow] = []
        self.since_subtotal: list[ProjectRow] = []
        self.section_field: ProjectField | None = None
        self.fields = _fields()
        self.index = unit_index(within=report.library.office)

    def col(self, role: str) -> int | None:
        return self.layout.columns.get(role)

    def text(self, row: list[Cell], role: str) -> str:
        return _cell(row, self.col(role)).text

    def read(self) -> None:
        for index in range(self.layout.first_data_row, len(self.grid.rows)):
            self.read_row(self.grid.rows[index], self.grid.numbers[index])
        self.report.rows.extend(row for row in self.rows if row.valid)

    def read_row(self, row: list[Cell], line: int) -> None:
        filled = _texts(row)
        if not filled:
            return
        number_cell, name_cell = _cell(row, self.col(Col.NUMBER)), _cell(row, self.col(Col.NAME))
        label = squeeze(number_cell.text or self.text(row, Col.COMPANY) or name_cell.text)
        if _TOTAL_ROW.match(label):
            self.check_total(row, line, label)
            return
        if _NOTE_ROW.match(filled[0]) and len(set(filled)) == 1:
            self.problems.warning(
                _("A note row is not a project and was skipped: %(text)s") % {"text": filled[0][:60]},
                row=line,
                sheet=self.layout.sheet,
            )
            return
        if len(set(filled)) == 1 and (len(filled) > 1 or not (name_cell.text or self.continues(row))):
            self.section(filled[0], line)  # one text across the row, or alone outside the columns a row continues
            return
        if self.rows and number_cell.merged and (name_cell.merged or not name_cell.text):
            self.continue_project(row, line, warn=False)  # 序号 and 项目名称 merged with the row above
            return
        if self.rows and not number_cell.text and not name_cell.text:
            self.continue_project(row, line, warn=True)  # the rest of the project above, after a page break
            return
        self.read_project(row, line)

    def continues(self, row: list[Cell]) -> bool:
        """The only text of the row is in a column whose text the row above may go on in (规模, 单位, 联系人)."""
        columns = {self.col(role) for role in (Col.SCALE, Col.UNIT, Col.CONTACT, Col.PHONE)} - {None}
        return bool(self.rows) and all(c in columns for c, cell in enumerate(row) if cell.text)

    def section(self, text: str, line: int) -> None:
        """A heading across the table (一、工业固体废物): the field of the projects below, when it names one."""
        key = squeeze(_SECTION.sub("", text))
        self.section_field = self.fields.get(key)

    def amount(self, text: str, factor: Decimal | None, line: int, where: dict[str, str]) -> Decimal | None:
        value = re.sub(r"[\s,，]", "", text)
        match = _AMOUNT.match(value)
        if match is None:
            self.problems.error(
                _("“%(text)s” is not an amount: give a number (in the header's unit), or such as 3500万元 or 1.2亿元.")
                % {"text": text},
                row=line,
                **where,
            )
            return None
        number = Decimal(match[1])
        if match[2]:
            number *= _per_unit(match[2])
        else:
            number *= factor or Decimal(1)
        if number < 0:
            self.problems.error(_("An amount cannot be negative: %(text)s.") % {"text": text}, row=line, **where)
            return None
        try:
            return amount(number)
        except InvalidOperation:  # pragma: no cover - a number of more digits than any budget
            self.problems.error(_("“%(text)s” is not an amount.") % {"text": text}, row=line, **where)
            return None

    def read_project(self, row: list[Cell], line: int) -> None:
        where = self.layout.where
        project = ProjectRow(
            row=line,
            sheet=self.layout.sheet,
            layout=self.layout,
            code=normalise_number(self.text(row, Col.NUMBER)),
            name=self.text(row, Col.NAME).replace("\n", ""),
            company=self.text(row, Col.COMPANY).replace("\n", ""),
            scale=self.text(row, Col.SCALE),
            years_text=self.text(row, Col.YEARS),
            unit_text=self.text(row, Col.UNIT).replace("\n", "、"),
            field_text=self.text(row, Col.FIELD),
            contact=self.text(row, Col.CONTACT),
            phone=self.text(row, Col.PHONE),
            batch_text=self.text(row, Col.BATCH),
            extra={name: _cell(row, col).text for col, name in self.layout.extra if _cell(row, col).text},
        )
        errors = len(self.problems.errors)
        if not project.name:
            self.problems.error(_("The project name (项目名称) is empty."), row=line, **where(Col.NAME))
        elif len(project.name) > 300:
            self.problems.error(
                _("The project name is too long (%(length)s characters, at most 300).") % {"length": len(project.name)},
                row=line,
                **where(Col.NAME),
            )
        self.years(project, line)
        total_text = self.text(row, Col.TOTAL)
        if not total_text:
            self.problems.error(_("The planned investment (计划总投资) is empty."), row=line, **where(Col.TOTAL))
        elif (planned := self.amount(total_text, self.layout.factor, line, where(Col.TOTAL))) is not None:
            project.planned = planned
        for col, year, factor in self.layout.yearly:
            text = _cell(row, col).text
            if (
                text
                and text.strip() not in _NO_AMOUNT
                and (value := self.amount(text, factor or self.layout.factor, line, self.layout.at(col))) is not None
            ):
                project.yearly[year] = value
        self.resolve_unit(project, line)
        self.resolve_field(project, line)
        self.check_batch(project, line)
        if len(self.problems.errors) == errors:
            self.check(project, line)
        project.valid = len(self.problems.errors) == errors
        self.rows.append(project)
        self.since_subtotal.append(project)

    def years(self, project: ProjectRow, line: int) -> None:
        text = project.years_text
        match = _YEARS.match(re.sub(r"\s+", "", text))
        if match is None:
            message = (
                _("建设年限 is empty: give the years of construction, such as 2022-2024年 or 2023年.")
                if not text
                else _("“%(text)s” is not a year or a span of years: write it as 2022-2024年 or 2023年.")
                % {"text": text}
            )
            self.problems.error(message, row=line, **self.layout.where(Col.YEARS))
            return
        project.start_year = int(match[1])
        project.end_year = int(match[2] or match[1])

    def check(self, project: ProjectRow, line: int) -> None:
        """What the project service refuses, said at the row and column it comes from."""
        columns = {
            "name": Col.NAME,
            "start_year": Col.YEARS,
            "end_year": Col.YEARS,
            "planned_investment": Col.TOTAL,
        }
        try:
            project_check(project.data(self.report.region, self.report.filename))
        except InvalidInput as exc:
            role = columns.get(exc.field or "")
            if role is not None:
                where = self.layout.where(role)
            elif self.layout.yearly:
                where = self.layout.at(self.layout.yearly[0][0])
            else:
                where = {"sheet": self.layout.sheet}
            self.problems.error(exc.message, row=line, **where)

    def resolve_unit(self, project: ProjectRow, line: int) -> None:
        if not project.unit_text:
            return
        resolution = self.index.resolve(project.unit_text)
        if len(resolution.codes) == 1 and not resolution.errors:
            project.unit = Unit.objects.filter(code=resolution.codes[0]).first()
            return
        reasons = [*resolution.errors, *resolution.warnings]
        self.problems.warning(
            _("“%(text)s” is not one known unit; it is kept as written.%(reason)s")
            % {"text": project.unit_text, "reason": (" " + reasons[0]) if reasons else ""},
            row=line,
            **self.layout.where(Col.UNIT),
        )

    def resolve_field(self, project: ProjectRow, line: int) -> None:
        if not project.field_text:
            project.field = self.section_field
            return
        project.field = self.fields.get(squeeze(project.field_text))
        if project.field is None:
            self.problems.warning(
                _("“%(text)s” is not a project field (%(fields)s); it is kept as written.")
                % {
                    "text": project.field_text,
                    "fields": "、".join(f.name for f in dict.fromkeys(self.fields.values())),
                },
                row=line,
                **self.layout.where(Col.FIELD),
            )

    def check_batch(self, project: ProjectRow, line: int) -> None:
        if not project.batch_text or self.report.batch is None:
            return
        match = _BATCH.match(squeeze(project.batch_text))
        written = None
        if match:
            digits = match[1]
            written = int(digits) if digits.isdigit() else _chinese_number(digits)
        if written != self.report.batch:
            self.problems.warning(
                _("The table says %(written)s, but the projects are imported into batch %(batch)s.")
                % {"written": project.batch_text, "batch": self.report.batch},
                row=line,
                **self.layout.where(Col.BATCH),
            )

    def continue_project(self, row: list[Cell], line: int, *, warn: bool) -> None:
        project = self.rows[-1]
        for role, attribute, joiner in (
            (Col.SCALE, "scale", ""),
            (Col.COMPANY, "company", "、"),
            (Col.UNIT, "unit_text", "、"),
            (Col.CONTACT, "contact", "、"),
            (Col.PHONE, "phone", "、"),
        ):
            cell = _cell(row, self.col(role))
            if cell.text and not cell.merged and cell.text not in getattr(project, attribute):
                before = getattr(project, attribute)
                setattr(project, attribute, before + joiner + cell.text if before else cell.text)
        if warn:
            self.problems.warning(
                _(
                    "This row has neither 序号 nor 项目名称: it is read as the rest of project %(name)s above (a row "
                    "split at a page break)."
                )
                % {"name": project.name},
                row=line,
                **self.layout.where(Col.NUMBER),
            )

    def check_total(self, row: list[Cell], line: int, label: str) -> None:
        """A 合计 row adds up the projects of the table, a 小计 row those since the previous 小计."""
        rows = self.rows if label.startswith(("合计", "总计", "共计")) else self.since_subtotal
        self.since_subtotal = []
        text = self.text(row, Col.TOTAL)
        if not text or any(not project.valid for project in rows):
            return
        written = self.amount(text, self.layout.factor, line, self.layout.where(Col.TOTAL))
        if written is None:
            return
        counted = amount(sum((project.planned for project in rows), Decimal(0)))
        if written != counted:
            self.problems.warning(
                _(
                    "The %(label)s row says %(written)s 万元, but the %(count)s projects above add up to %(counted)s "
                    "万元; the projects are imported as their rows give them."
                )
                % {"label": label[:2], "written": written, "count": len(rows), "counted": counted},
                row=line,
                **self.layout.where(Col.TOTAL),
            )


def _chinese_number(text: str) -> int | None:
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _DIGITS.index(text[1]) if len(text) == 2 and text[1] in _DIGITS else None
    if len(text) == 1 and text in _DIGITS:
        return _DIGITS.index(text)
    return None


# ---------------------------------------------------------------------------------------------------------------
# What a re-import changes, and writing it


def _current(project: Project) -> dict[str, str]:
    return {
        Col.COMPANY: project.company,
        Col.SCALE: project.scale,
        Col.YEARS: project.years,
        Col.TOTAL: str(project.planned_investment),
        "分年度计划投资": _yearly_text({i.year: i.amount for i in project.yearly.all()}),
        Col.UNIT: project.responsible_unit.name if project.responsible_unit else project.responsible_text,
        Col.FIELD: project.field.name if project.field else "",
        Col.CONTACT: project.contact,
        Col.PHONE: project.contact_phone,
    }


def _wanted(row: ProjectRow) -> dict[str, str]:
    years = f"{row.start_year}年" if row.start_year == row.end_year else f"{row.start_year}—{row.end_year}年"
    return {
        Col.COMPANY: row.company,
        Col.SCALE: row.scale,
        Col.YEARS: years,
        Col.TOTAL: str(amount(row.planned)),
        "分年度计划投资": _yearly_text(row.yearly),
        Col.UNIT: row.unit_name,
        Col.FIELD: row.field.name if row.field else "",
        Col.CONTACT: row.contact,
        Col.PHONE: row.phone,
    }


def _yearly_text(yearly: dict[int, Decimal]) -> str:
    return "；".join(f"{year}年 {amount(value)}" for year, value in sorted(yearly.items()))


def _diff(report: ProjectImportReport, existing: dict[str, Project], by: User | None) -> None:
    office = by is None or manages_project_library(by, report.library)
    for row in report.rows:
        project = existing.get(row.name)
        if project is None:
            report.created.append(row.name)
            continue
        before, after = _current(project), _wanted(row)
        changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        if changes and not office and project.state != ProjectState.RESERVE:
            report.problems.error(
                _(
                    "%(name)s has been proposed for the library already (%(state)s): only the office may change it; "
                    "remove its row or ask the office."
                )
                % {"name": row.name, "state": project.get_state_display()},
                row=row.row,
                **row.layout.where(Col.NAME),
            )
        if project.state == ProjectState.WITHDRAWN:
            report.problems.warning(
                _("%(name)s was taken out of the library (退库); the import updates it but does not bring it back.")
                % {"name": row.name},
                row=row.row,
                **row.layout.where(Col.NAME),
            )
        if changes:
            report.changes.append(ProjectChange(row.name, row.row, changes))
        else:
            report.unchanged.append(row.name)
        if report.batch is not None and project.in_library and project.batch != report.batch:
            report.problems.warning(
                _("%(name)s is already in the library in %(batch)s; its batch is not changed.")
                % {"name": row.name, "batch": project.batch_label},
                row=row.row,
                **row.layout.where(Col.NAME),
            )


def _apply(report: ProjectImportReport, existing: dict[str, Project], by: User | None) -> None:
    changed = {change.name: change for change in report.changes}
    for row in report.rows:
        data = row.data(report.region, report.filename)
        project = existing.get(row.name)
        try:
            if project is None:
                project = project_create(library=report.library, data=data, by=by, action=ProjectAction.IMPORTED)
            elif row.name in changed:
                _update(project, data, by, changed[row.name])
            if report.batch is not None and project.state in (ProjectState.RESERVE, ProjectState.PROPOSED):
                _admit(project, by, report.batch)
                report.admitted.append(row.name)
        except (InvalidInput, NotAllowed, AlreadyHandled) as exc:
            report.problems.error(exc.message, row=row.row, **row.layout.where(Col.NAME))


def _update(project: Project, data: ProjectData, by: User | None, change: ProjectChange) -> None:
    """A re-imported row's new particulars, with the timeline saying what changed from what to what (the import has
    checked who may change the project: the office at any time, the region while it is in the reserve)."""
    locked = Project.objects.select_for_update(of=("self",)).get(pk=project.pk)
    for name in ("company", "scale", "field", "start_year", "end_year", "responsible_unit", "responsible_text"):
        setattr(locked, name, getattr(data, name))
    locked.planned_investment = data.planned_investment
    locked.contact, locked.contact_phone = data.contact, data.contact_phone
    locked.code, locked.source_file, locked.source_row = data.code, data.source_file, data.source_row
    locked.extra = {**locked.extra, **data.extra}
    locked.save()
    if "分年度计划投资" in change.changes:
        locked.yearly.all().delete()
        locked.yearly.bulk_create(
            [locked.yearly.model(project=locked, year=year, amount=value) for year, value in data.yearly.items()]
        )
    ProjectEvent.objects.create(
        project=locked,
        action=ProjectAction.EDITED,
        by=by,
        at=timezone.now(),
        comment=_("Re-imported from %(file)s, row %(row)s.") % {"file": data.source_file, "row": data.source_row},
        data={"changes": change.changes, "file": data.source_file, "row": data.source_row},
    )


def _admit(project: Project, by: User | None, batch: int) -> None:
    """入库 into ``batch``: through the services when a person imports (the office, checked before), else — the
    command line, acting as the office — through the same transitions, with the same timeline."""
    if by is not None:
        if project.state == ProjectState.RESERVE:
            project = project_propose(project=project, by=by, comment=_("Imported with its batch."))
        project_admit(project=project, by=by, batch=batch, comment=_("Imported with its batch."))
        return
    locked = Project.objects.select_for_update(of=("self",)).select_related("library").get(pk=project.pk)
    now = timezone.now()
    for step, action in (("propose", ProjectAction.PROPOSED), ("admit", ProjectAction.ADMITTED)):
        if step == "propose" and locked.state != ProjectState.RESERVE:
            continue
        source = locked.state
        getattr(locked, step)()
        if step == "admit":
            locked.batch = batch
        locked.save()
        ProjectEvent.objects.create(
            project=locked,
            action=action,
            source=source,
            target=locked.state,
            by=None,
            at=now,
            comment=_("Imported with its batch."),
        )
    milestones_ensure(project=locked, by=None)
    projects_sync(library=locked.library, projects=[locked.pk])


# ---------------------------------------------------------------------------------------------------------------
# Uploads waiting between the preview and the confirmation (kept as the plan import keeps its own)

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class ProjectUpload:
    token: str
    filename: str
    office: str  # the library's office code
    region: str
    batch: int | None
    user_id: int
    uploaded_at: str

    @property
    def path(self) -> Path:
        return _staging_dir() / f"{self.token}.bin"

    @property
    def stash(self) -> Path:
        return _staging_dir() / f"{self.token}.rows.json"

    @property
    def meta(self) -> Path:
        return _staging_dir() / f"{self.token}.projects.json"

    def read(self) -> bytes:
        return self.path.read_bytes()


def _staging_dir() -> Path:
    folder = Path(settings.IMPORT_STAGING_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def project_upload_save(
    *, data: bytes, filename: str, library: ProjectLibrary, region: Unit, batch: int | None, by: User
) -> ProjectUpload:
    """Keep an uploaded project table (never served) until it is confirmed or discarded; purged with the plan
    uploads (``staged_imports_purge``)."""
    upload = ProjectUpload(
        token=secrets.token_hex(16),
        filename=PurePath(filename).name,
        office=library.office.code,
        region=region.code,
        batch=batch,
        user_id=by.pk,
        uploaded_at=timezone.now().isoformat(),
    )
    upload.path.write_bytes(data)
    upload.meta.write_text(json.dumps(asdict(upload), ensure_ascii=False), "utf-8")
    return upload


def project_upload_get(*, token: str, by: User) -> ProjectUpload | None:
    """The upload under ``token`` if it exists and ``by`` uploaded it."""
    if not _TOKEN.match(token):
        return None
    try:
        upload = ProjectUpload(**json.loads((_staging_dir() / f"{token}.projects.json").read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if upload.user_id != by.pk or not upload.path.is_file():
        return None
    return upload


def project_upload_discard(*, upload: ProjectUpload) -> None:
    for path in (upload.path, upload.stash, upload.meta):
        path.unlink(missing_ok=True)


__all__ = [
    "ProjectImportReport",
    "ProjectUpload",
    "project_upload_discard",
    "project_upload_get",
    "project_upload_save",
    "projects_import",
]
