"""The ledger as files: XLSX (the annex's columns plus state, latest progress and last report date), CSV, and a PDF
rendered with WeasyPrint (A4 landscape, the header repeated on every page, 第 N 页 共 M 页, Noto CJK)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from processes.models import AssignmentState

from .ledger import Ledger
from .pdf import render_pdf

FORMATS = ("pdf", "xlsx", "csv")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


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
    ]


def _row(row: Any) -> list[Any]:
    state = row.state_as_of or row.state
    last = timezone.localtime(row.last_report_at).date() if row.last_report_at else None
    return [
        row.task.number,
        row.task.text,
        row.task.units_text,
        row.task.deadline_text,
        row.unit.name,
        str(row.get_role_display()),
        str(AssignmentState(state).label),
        row.latest_text or "",
        last,
    ]


def _title(ledger: Ledger) -> str:
    return _("%(title)s · ledger as of %(date)s") % {"title": ledger.plan.title, "date": ledger.as_of.isoformat()}


def _counts(ledger: Ledger) -> str:
    """The counts line of the spreadsheet's heading."""
    return _("On the ledger (挂账) %(total)s · closed out (已销号) %(closed)s · remaining (剩余) %(remaining)s") % {
        "total": ledger.total,
        "closed": ledger.closed,
        "remaining": ledger.remaining,
    }


def ledger_csv(ledger: Ledger) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(_columns())
    for row in ledger.rows:
        writer.writerow(["" if value is None else value for value in _row(row)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM lets Excel on Chinese Windows read UTF-8


def ledger_xlsx(ledger: Ledger) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=False)
    workbook.remove(workbook.worksheets[0])
    sheet = workbook.create_sheet(_("Ledger"))
    columns = _columns()
    sheet.append([_title(ledger)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([(ledger.plan.doc_no + " · " if ledger.plan.doc_no else "") + _counts(ledger)])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(columns))
    sheet.append(columns)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in ledger.rows:
        sheet.append(_row(row))
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate((6, 60, 24, 12, 24, 8, 10, 50, 12), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = wrap
        row[8].number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A4"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def ledger_pdf(ledger: Ledger) -> bytes:
    """The printed ledger: one line per item with its own unit (the annex's unit cell, the same for all of a
    task's units, is left to the spreadsheet)."""

    rows = []
    for row in ledger.rows:
        number, text, _units, deadline, unit, role, state, latest, last = _row(row)
        rows.append([number, text, unit, role, deadline, state, latest, last])
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
                _("Latest progress"),
                _("Last report"),
            ],
            "rows": rows,
            "generated": timezone.localtime(),
        },
    )
    return render_pdf(html)


def ledger_export(ledger: Ledger, fmt: str) -> bytes:
    return {"pdf": ledger_pdf, "xlsx": ledger_xlsx, "csv": ledger_csv}[fmt](ledger)


def export_filename(ledger: Ledger, fmt: str) -> str:
    return f"{ledger.plan.year}-ledger-{ledger.as_of.isoformat()}.{fmt}"
