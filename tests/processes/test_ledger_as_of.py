"""The ledger as of a date, its counts and burn-down on a frozen clock, and its exports: the PDF read back with
pdftotext, the spreadsheet with openpyxl. Every date the exports write reads 2023年9月30日, never 2023-09-30."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from processes.models import Plan, Unit, User
from processes.services.exports import XLSX_DATE_FORMAT, ledger_csv, ledger_pdf, ledger_xlsx
from processes.services.ledger import burndown, ledger_as_of
from processes.services.lifecycle import (
    InvalidInput,
    assignment_close,
    assignment_report,
    assignment_verify,
)
from processes.services.rounds import plan_round_schedule, progress_save, round_open

from ..builders import xlsx_bytes
from ..conftest import ANNEX_XLSX, ImportFile
from ..lifecycle_helpers import songyuan_item
from .test_rounds import at
from .test_views import client_for

pytestmark = pytest.mark.django_db
ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


@pytest.fixture
def history(
    units: dict[str, Unit], import_file: ImportFile, reporter: User, supervisor: User, office_admin: User
) -> Iterator[Plan]:
    """Imported on 1 July 2023; the August round opened; 松原 reports on task 2 and has it closed out in
    September, task 3 verified in October."""
    with at("2023-07-01 09:00"):
        assert import_file(ANNEX_XLSX, doc_no="吉环固体字〔2023〕15号").applied
    plan = Plan.objects.get(year=2023)
    with at("2023-09-01 08:00"):
        august = next(s for s in plan_round_schedule(plan) if s.period_start.month == 8)
        round_, _ = round_open(
            plan=plan,
            by=office_admin,
            period_start=august.period_start,
            period_end=august.period_end,
            due_date=august.due_date,
        )
    item2, item3 = songyuan_item(plan, "2"), songyuan_item(plan, "3")
    with at("2023-09-04 10:00"):
        progress_save(
            obligation=round_.obligations.get(assignment=item2),
            by=reporter,
            text="议事机构已成立",
            percent=100,
            submit=True,
        )
        assignment_report(assignment=item2, by=reporter, text="议事机构已成立")
    with at("2023-09-12 10:00"):
        assignment_verify(assignment=item2, by=supervisor)
        assignment_close(assignment=item2, by=office_admin)
    with at("2023-10-10 10:00"):
        assignment_report(assignment=item3, by=reporter, text="办公室作用发挥良好")
        assignment_verify(assignment=item3, by=supervisor)
    with at("2023-11-01 09:00"):
        yield plan


def row(ledger, number: str, unit: str):
    return next(r for r in ledger.rows if r.task.number == number and r.unit.code == unit)


def pdftotext(data: bytes, tmp_path: Path, mode: str = "-layout") -> str:
    """The PDF's text: ``-layout`` as the page shows it, ``-raw`` in drawing order (each table cell's lines
    together, row after row)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (Debian package poppler-utils) to read the PDF back")
    path = tmp_path / "ledger.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", mode, str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_ledger_as_of_a_date_reads_the_history(history: Plan, supervisor: User) -> None:
    before = ledger_as_of(history, supervisor, dt.date(2023, 9, 10))
    assert (before.total, before.closed, before.remaining) == (289, 1, 288)
    assert row(before, "2", "220700").state_as_of == "reported"
    assert row(before, "2", "220700").latest_text == "议事机构已成立"
    after = ledger_as_of(history, supervisor, dt.date(2023, 9, 30))
    assert (after.closed, after.by_state["closed"], after.by_state["assigned"]) == (2, 2, 287)
    assert row(after, "3", "220700").state_as_of == "assigned"
    now = ledger_as_of(history, supervisor)
    assert now.as_of == dt.date(2023, 11, 1)
    assert row(now, "3", "220700").state_as_of == "verified"
    songyuan = next(c for c in now.by_unit if c.unit.code == "220700")
    assert (songyuan.total, songyuan.closed, songyuan.remaining) == (25, 1, 24)


def test_a_date_before_the_plan_existed_is_refused(history: Plan, supervisor: User) -> None:
    with pytest.raises(InvalidInput, match="took effect on 2023-07-01"):
        ledger_as_of(history, supervisor, dt.date(2023, 6, 30))
    response = client_for(supervisor).get("/plans/JL-PRO/2023/ledger/?as_of=2023-06-30")
    assert response.status_code == 400 and "2023-07-01" in response.content.decode()
    assert client_for(supervisor).get("/plans/JL-PRO/2023/ledger/export.pdf?as_of=2023-06-30").status_code == 400


def test_a_reporter_sees_their_units_ledger_only(history: Plan, reporter: User) -> None:
    ledger = ledger_as_of(history, reporter)
    assert {r.unit.code for r in ledger.rows} == {"220700"} and ledger.total == 25


def test_the_burndown_counts_open_items_at_each_round(history: Plan, supervisor: User) -> None:
    points = burndown(history, supervisor)
    assert [(p.day, p.open) for p in points] == [
        (dt.date(2023, 7, 1), 288),
        (dt.date(2023, 9, 5), 288),  # the August round's due date
        (dt.date(2023, 11, 1), 287),  # today
    ]
    html = client_for(supervisor).get("/plans/JL-PRO/2023/rounds/").content.decode()
    assert re.findall(r'data-open="(\d+)" data-day="([\d-]+)"', html) == [
        ("288", "2023-07-01"),
        ("288", "2023-09-05"),
        ("287", "2023-11-01"),
    ]


def test_the_ledger_page_as_of_a_date(history: Plan, supervisor: User) -> None:
    html = (
        client_for(supervisor)
        .get("/plans/JL-PRO/2023/ledger/?as_of=2023-09-30&unit=" + str(Unit.objects.get(code="220700").pk))
        .content.decode()
    )
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    assert (counts["total"], counts["closed"], counts["remaining"]) == ("25", "1", "24")
    assert "议事机构已成立" in html


def test_the_pdf_has_the_title_counts_tasks_and_page_footer(history: Plan, supervisor: User, tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (Debian package poppler-utils) to read the PDF back")
    path = tmp_path / "ledger.pdf"
    path.write_bytes(ledger_pdf(ledger_as_of(history, supervisor, dt.date(2023, 9, 30))))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = int(
        re.search(
            r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        )[1]
    )
    flat = re.sub(r"\s+", "", text)
    assert "吉林省2023年度“无废城市”建设任务清单" in flat and "吉环固体字〔2023〕15号" in flat
    assert "asof2023年9月30日" in flat  # the heading; 2023-09-30 before dates were written as documents write them
    assert "2023年11月1日09:00" in flat  # when it was printed, in the footer
    assert not ISO_DATE.search(text)
    assert re.search(r"挂账\)?289", flat) and re.search(r"已销号\)?2", flat) and re.search(r"剩余\)?287", flat)
    assert "成立由省政府分管领导任组长" in flat
    assert f"第1页共{pages}页" in flat and f"第{pages}页共{pages}页" in flat and pages > 1
    assert "A4" in subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout


def test_the_pdf_shows_each_items_light_and_working_days_late_as_of_its_day(
    history: Plan, supervisor: User, tmp_path: Path
) -> None:
    text = pdftotext(ledger_pdf(ledger_as_of(history, supervisor, dt.date(2023, 9, 30))), tmp_path, "-raw")
    # Task 2 was due on 31 August; 长春 had not reported it by 30 September: 20 working days late (29 September
    # starts the Mid-Autumn and National Day holiday), red. Each cell of the row, in the columns' order.
    assert re.search(r"长春市生态环境局\s+Lead\s+8月31日\s+Open\s+■\s*Red\s+20\s+working\s+days\s+late\s", text)
    # 松原 reported it on 4 September and had it closed out: green, not late, its last report dated.
    assert re.search(
        r"松原市生态环境局\s+Lead\s+8月31日\s+Closed\s+out\s+●\s*Green\s+议事机构已成立\s+2023年9月4日", text
    )
    assert "Light / late (逾期)" in re.sub(r"\s+", " ", text)
    # Every item of the plan carries its light.
    assert len(re.findall(r"[●▲■]\s*(?:Green|Yellow|Red)\b", text)) == 289


def test_the_spreadsheet_has_the_annex_columns_and_the_state(history: Plan, supervisor: User) -> None:
    sheet = openpyxl.load_workbook(
        io.BytesIO(ledger_xlsx(ledger_as_of(history, supervisor, dt.date(2023, 9, 30))))
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "2023年9月30日" in rows[0][0] and not ISO_DATE.search(rows[0][0])  # was 2023-09-30
    assert rows[2][:4] == ("序号", "任务", "责任单位", "完成时限")
    assert rows[2][8:] == ("Last report", "Light", "Working days late")
    data = {(r[0], r[4]): r for r in rows[3:]}
    assert len(data) == 289
    closed = data[("2", "松原市生态环境局")]
    assert (closed[6], closed[7], closed[8].date()) == ("Closed out", "议事机构已成立", dt.date(2023, 9, 4))
    assert closed[9:] == ("Green", None)
    assert data[("2", "长春市生态环境局")][9:] == ("Red", 20)
    assert data[("1", "吉林省生态环境厅")][3] == "已完成"
    # The last report is a date cell, so the office can sort and filter on it, shown as 2023年9月4日.
    cell = next(cells[8] for cells in sheet.iter_rows(min_row=4) if cells[7].value == "议事机构已成立")
    assert isinstance(cell.value, dt.datetime) and cell.is_date
    assert cell.number_format == XLSX_DATE_FORMAT == 'yyyy"年"m"月"d"日"'
    light = next(cells[9] for cells in sheet.iter_rows(min_row=4) if cells[9].value == "Red")
    assert light.fill.fgColor.rgb.endswith("FFCDD2")


def test_the_csv_opens_in_excel_on_chinese_windows(history: Plan, supervisor: User) -> None:
    data = ledger_csv(ledger_as_of(history, supervisor))
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["序号", "任务", "责任单位", "完成时限"] and len(rows) == 290
    assert rows[0][8:] == ["Last report", "Light", "Working days late"]
    by_item = {(r[0], r[4]): r for r in rows[1:]}
    assert by_item[("2", "松原市生态环境局")][8:] == ["2023年9月4日", "Green", ""]
    assert not ISO_DATE.search(data.decode("utf-8-sig"))


def test_the_csv_gives_the_light_and_lateness_of_its_day(history: Plan, supervisor: User) -> None:
    rows = list(
        csv.reader(io.StringIO(ledger_csv(ledger_as_of(history, supervisor, dt.date(2023, 9, 6))).decode("utf-8-sig")))
    )
    by_item = {(r[0], r[4]): r for r in rows[1:]}
    # 31 August → 6 September: 4 working days late on task 2; 松原's August report on task 3, due 5 September: 1.
    assert by_item[("2", "长春市生态环境局")][9:] == ["Yellow", "4"]
    assert by_item[("3", "松原市生态环境局")][9:] == ["Yellow", "1"]
    assert by_item[("2", "松原市生态环境局")][8:] == ["2023年9月4日", "Green", ""]


def test_a_deadline_the_annex_gave_as_a_date_cell_is_a_date_in_every_export(
    units: dict[str, Unit], import_file: ImportFile, supervisor: User, tmp_path: Path
) -> None:
    with at("2023-07-01 09:00"):
        annex = xlsx_bytes(
            [["序号", "任务", "责任单位", "完成时限"], [1, "建立专家库", "长春市生态环境局", dt.date(2023, 12, 31)]]
        )
        assert import_file(annex, "plan.xlsx").applied
    ledger = ledger_as_of(Plan.objects.get(year=2023), supervisor, dt.date(2023, 9, 30))
    cell = openpyxl.load_workbook(io.BytesIO(ledger_xlsx(ledger))).active["D4"]
    assert cell.is_date and cell.value.date() == dt.date(2023, 12, 31) and cell.number_format == XLSX_DATE_FORMAT
    assert list(csv.reader(io.StringIO(ledger_csv(ledger).decode("utf-8-sig"))))[1][3] == "2023年12月31日"
    text = pdftotext(ledger_pdf(ledger), tmp_path, "-raw")
    assert "2023年12月31日" in text and not ISO_DATE.search(text)


def test_the_exports_run_the_same_queries_whatever_the_rows_and_the_day(
    history: Plan, supervisor: User, reporter: User
) -> None:
    whole, unit = (
        ledger_as_of(history, supervisor, dt.date(2023, 9, 30)),
        ledger_as_of(history, reporter, dt.date(2023, 9, 6)),
    )
    assert (whole.total, unit.total) == (289, 25)
    for export in (ledger_csv, ledger_xlsx):
        counts = []
        for ledger in (whole, unit):
            with CaptureQueriesContext(connection) as queries:
                export(ledger)
            counts.append(len(queries))
        assert counts[0] == counts[1] == 2, export.__name__  # the owed obligations, the rungs fired on them


def test_the_export_command(history: Plan, tmp_path: Path) -> None:
    out = io.StringIO()
    path = tmp_path / "ledger.xlsx"
    call_command(
        "export_ledger", "--year", "2023", "--as-of", "2023-09-30", "--format", "xlsx", "-o", str(path), stdout=out
    )
    assert "289" in out.getvalue() and path.stat().st_size > 0
    assert "as of 2023年9月30日" in out.getvalue()  # was 2023-09-30
    with pytest.raises(CommandError, match="took effect on 2023-07-01"):
        call_command(
            "export_ledger", "--year", "2023", "--as-of", "2023-01-01", "--format", "pdf", "-o", str(tmp_path / "x.pdf")
        )
    with pytest.raises(CommandError, match="no plan"):
        call_command("export_ledger", "--year", "2031", "--format", "csv", "-o", str(tmp_path / "x.csv"))


def test_a_reporter_downloads_only_their_units_ledger(history: Plan, reporter: User) -> None:
    response = client_for(reporter).get("/plans/JL-PRO/2023/ledger/export.csv")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join([response.content]).decode("utf-8-sig"))))
    assert {r[4] for r in rows[1:]} == {"松原市生态环境局"}
    assert client_for(reporter).get("/plans/JL-PRO/2023/ledger/export.exe").status_code == 404


def test_the_as_of_ledger_page_runs_the_same_queries_for_any_date(history: Plan, supervisor: User) -> None:
    client = client_for(supervisor)
    client.get("/plans/")  # warm-up: the office's pages read the background's state once per 30 s, not per page
    counts = []
    for day in ("2023-09-10", "2023-10-31"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/plans/JL-PRO/2023/ledger/?as_of={day}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
