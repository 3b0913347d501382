"""The ledger as files: XLSX (the annex's columns plus state, latest progress, last report date, light and working
days late), CSV, and a PDF rendered with WeasyPrint (A4 landscape, the header repeated on every page, 第 N 页 共 M
页, the office's document fonts). Every date people read is written as documents write it, 2023年10月11日: text in
the CSV and the PDF, date cells shown that way in the spreadsheet (so they still sort and filter as dates)."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from processes.formats import chinese_date
from processes.models import Assignment, AssignmentState, DocumentSettings, Light, Plan
from processes.spreadsheets import csv_bytes, xlsx_append

from .ledger import Ledger
from .lights import Standing, standings_for
from .pdf import render_pdf

FORMATS = ("pdf", "xlsx", "csv")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
# How a spreadsheet shows a date cell: 2023年10月11日, the cell still a date.
XLSX_DATE_FORMAT = 'yyyy"年"m"月"d"日"'
# A 完成时限 cell that was a date in the annex is kept as its ISO text at import (see ``clean_text``).
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A mark whose shape, not only its colour, tells the light apart on a black-and-white print.
LIGHT_MARKS = {Light.GREEN: "●", Light.YELLOW: "▲", Light.RED: "■"}
_FILLS = {Light.GREEN: "C8E6C9", Light.YELLOW: "FFF59D", Light.RED: "FFCDD2"}
# A CSS font-family list as ``DocumentSettings.css_families`` writes it, with nothing that could leave the <style>.
_FAMILIES = re.compile(r'(\s*"[^"\\<>{};]+"\s*,)+\s*serif')


def light_word(light: str) -> str:
    return {Light.GREEN: _("Green"), Light.YELLOW: _("Yellow"), Light.RED: _("Red")}[Light(light)]


def late_text(days: int) -> str:
    """逾期N个工作日; nothing when the item was not late."""
    if days < 1:
        return ""
    return ngettext("%(days)s working day late", "%(days)s working days late", days) % {"days": days}


@dataclass(frozen=True)
class LedgerLine:
    """One item of the ledger as the files show it; dates are dates, each format writes them its way."""

    number: str
    text: str
    units_text: str
    deadline: str | dt.date
    unit: str
    role: str
    state: str
    latest: str
    last_report: dt.date | None
    light: Light
    late_workdays: int


def _deadline(written: str) -> str | dt.date:
    """The 完成时限 as the annex wrote it; a date the import kept as ISO text is a date again."""
    if _ISO_DATE.fullmatch(written.strip()):
        try:
            return dt.date.fromisoformat(written.strip())
        except ValueError:
            return written
    return written


def _line(row: Assignment, standing: Standing) -> LedgerLine:
    state = getattr(row, "state_as_of", None) or row.state
    last_at = getattr(row, "last_report_at", None)
    return LedgerLine(
        number=row.task.number,
        text=row.task.text,
        units_text=row.task.units_text,
        deadline=_deadline(row.task.deadline_text),
        unit=row.unit.name,
        role=str(row.get_role_display()),
        state=str(AssignmentState(state).label)
        + (" · " + _("carried over from last year (上年结转)") if row.carried_from_id else ""),
        latest=getattr(row, "latest_text", None) or "",
        last_report=timezone.localtime(last_at).date() if last_at else None,
        light=standing.light,
        late_workdays=standing.late_workdays,
    )


def ledger_lines(ledger: Ledger) -> list[LedgerLine]:
    """The ledger's rows with their light and lateness as of the ledger's day: two queries, whatever the number of
    rows (``standings_for``, the rule the ledger page's lights follow)."""
    standings = standings_for([row.pk for row in ledger.rows], ledger.as_of)
    return [_line(row, standings[row.pk]) for row in ledger.rows]


def _font_families(plan: Plan) -> dict[str, str]:
    """The issuing office's document fonts for the PDF's style sheet; a list that is empty or holds characters that
    are not a font name's (they go into the <style> unescaped) gives way to the default list."""
    office, default = DocumentSettings.for_office(plan.issuer).css_families(), DocumentSettings().css_families()
    return {key: value if _FAMILIES.fullmatch(value) else default[key] for key, value in office.items()}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return chinese_date(value)
    return str(value)


def _columns() -> list[str]:
    return [
        "序号",
        "任务",
        "责任单位",
        "完成时限",
        _("Unit"),
        _("Lead / co"),
        _("State"),
        _("Latest progress"),
        _("Last report"),
        _("Light"),
        _("Working days late"),
    ]


def _row(line: LedgerLine) -> list[object]:
    return [
        line.number,
        line.text,
        line.units_text,
        line.deadline,
        line.unit,
        line.role,
        line.state,
        line.latest,
        line.last_report,
        light_word(line.light),
        line.late_workdays or None,
    ]


def _title(ledger: Ledger) -> str:
    return _("%(title)s · ledger as of %(date)s") % {"title": ledger.plan.title, "date": chinese_date(ledger.as_of)}


def _counts(ledger: Ledger) -> str:
    """The counts line of the spreadsheet's heading; items carried into next year's plan, when there are any."""
    counts = _("On the ledger (挂账) %(total)s · closed out (已销号) %(closed)s · remaining (剩余) %(remaining)s") % {
        "total": ledger.total,
        "closed": ledger.closed,
        "remaining": ledger.remaining,
    }
    if ledger.carried:
        counts += " · " + _("carried over (已结转) %(carried)s") % {"carried": ledger.carried}
    return counts


def ledger_csv(ledger: Ledger) -> bytes:
    """Dates as 2023年10月11日 text, numbers as numbers, and people's text never read as a formula (``csv_bytes``)."""
    rows = [[_csv_value(value) for value in _row(line)] for line in ledger_lines(ledger)]
    return csv_bytes([_columns(), *rows])


def _csv_value(value: object) -> object:
    """A number stays a number (the CSV writes it bare, never quoted as text); everything else as people read it."""
    return value if isinstance(value, int) else _text(value)


def ledger_xlsx(ledger: Ledger) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=False)
    workbook.remove(workbook.worksheets[0])
    sheet = workbook.create_sheet(_("Ledger"))
    columns = _columns()
    # Every row through xlsx_append: titles, names and reports are people's text, written as text, never a formula.
    xlsx_append(sheet, [_title(ledger)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(bold=True, size=14)
    xlsx_append(sheet, [(ledger.plan.doc_no + " · " if ledger.plan.doc_no else "") + _counts(ledger)])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(columns))
    xlsx_append(sheet, columns)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    lines = ledger_lines(ledger)
    for line in lines:
        xlsx_append(sheet, _row(line))
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate((6, 60, 24, 14, 24, 8, 10, 50, 14, 8, 10), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    light_column = columns.index(_("Light"))
    for line, cells in zip(lines, sheet.iter_rows(min_row=4), strict=True):
        for cell in cells:
            cell.alignment = wrap
            if isinstance(cell.value, dt.date):
                cell.number_format = XLSX_DATE_FORMAT
        cells[light_column].fill = PatternFill("solid", fgColor=_FILLS[line.light])
    sheet.freeze_panes = "A4"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def ledger_pdf(ledger: Ledger) -> bytes:
    """The printed ledger: one line per item with its own unit (the annex's unit cell, the same for all of a
    task's units, is left to the spreadsheet), and its light as of the ledger's day: a mark whose shape and the
    word survive a black-and-white print, and for a late item the working days it was late."""

    rows = [
        {
            "number": line.number,
            "text": line.text,
            "unit": line.unit,
            "role": line.role,
            "deadline": _text(line.deadline),
            "deadline_is_date": isinstance(line.deadline, dt.date),
            "state": line.state,
            "light": line.light.value,
            "mark": LIGHT_MARKS[line.light],
            "light_word": light_word(line.light),
            "late": late_text(line.late_workdays),
            "latest": line.latest,
            "last_report": _text(line.last_report),
        }
        for line in ledger_lines(ledger)
    ]
    html = render_to_string(
        "documents/ledger.html",
        {
            "ledger": ledger,
            "title": _title(ledger),
            "columns": [
                "序号",
                "任务",
                _("Unit"),
                _("Lead / co"),
                "完成时限",
                _("State"),
                _("Light / late (逾期)"),
                _("Latest progress"),
                _("Last report"),
            ],
            "rows": rows,
            "generated": timezone.localtime(),
            "fonts": _font_families(ledger.plan),
        },
    )
    return render_pdf(html)


def ledger_export(ledger: Ledger, fmt: str) -> bytes:
    return {"pdf": ledger_pdf, "xlsx": ledger_xlsx, "csv": ledger_csv}[fmt](ledger)


def export_filename(ledger: Ledger, fmt: str) -> str:
    """``JL-PRO-2023-ledger-2023-09-30.pdf``: the office's code and the year, so that two offices' ledgers differ."""
    code = "".join(char if char.isalnum() or char in "-_." else "_" for char in ledger.plan.issuer.code)
    return f"{code}-{ledger.plan.year}-ledger-{ledger.as_of.isoformat()}.{fmt}"
