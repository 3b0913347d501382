"""District and city plans read as they publish them (tests/data/district/, built by its make.py): several tables
in one file each numbered from 1, unit lists and group phrases, ranges and stages, page-break rows, a Word notice's
title and 文号, and units created where their names say they belong. The expected counts are counted by hand from
the rows in make.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings

from processes.models import Assignment, DeadlineKind, Frequency, Milestone, Plan, Task, Unit, UnitLevel
from processes.services.units import unit_groups_load_csv, units_load_csv

from ..builders import csv_bytes
from ..conftest import ImportFile

pytestmark = pytest.mark.django_db
DISTRICT = Path(settings.BASE_DIR) / "tests" / "data" / "district"
CSV_FILE = DISTRICT / "changchun-2023.csv"
XLSX_FILE = DISTRICT / "nanguan-2023.xlsx"
DOCX_FILE = DISTRICT / "chaoyang-2023.docx"

# 长春市's office (220100) with its city departments and two districts, each an office with its own bureaus; both
# districts' bureaus share the short names a district plan writes (区发改局, 区生态环境分局).
DISTRICT_UNITS = """code,name,short_name,level,parent_code,aliases,is_office
220100-FGW,长春市发展和改革委员会,市发改委,city,220100,,
220100-ZJ,长春市住房和城乡建设局,市住建局,city,220100,,
220100-NY,长春市农业农村局,市农业农村局,city,220100,,
220100-SW,长春市商务局,市商务局,city,220100,,
220104,长春市朝阳区,朝阳区,county,220100,,1
220104-ST,长春市生态环境局朝阳区分局,区生态环境分局,county,220104,区生态环境局分局,
220104-FG,朝阳区发展和改革局,区发改局,county,220104,,
220104-ZJ,朝阳区住房和城乡建设局,区住建局,county,220104,,
220104-CG,朝阳区城市管理局,区城管局,county,220104,,
220104-SW,朝阳区商务局,区商务局,county,220104,,
220104-KFQ,长春朝阳经济开发区管理委员会,开发区管委会,county,220104,,
220104-JD1,朝阳区桂林街道办事处,桂林街道,county,220104,,
220104-JD2,朝阳区南湖街道办事处,南湖街道,county,220104,,
220102,长春市南关区,南关区,county,220100,,1
220102-ST,长春市生态环境局南关区分局,区生态环境分局,county,220102,,
220102-FG,南关区发展和改革局,区发改局,county,220102,,
220102-ZJ,南关区住房和城乡建设局,区住建局,county,220102,,
"""
STREETS = "name,aliases,members\n朝阳区各街道办事处,各乡镇(街道);各街道,220104-JD1;220104-JD2\n"


@pytest.fixture
def district_units(units: dict[str, Unit]) -> dict[str, Unit]:
    Unit.objects.filter(code="220100").update(is_office=True)
    units_load_csv(data=DISTRICT_UNITS.encode(), filename="district-units.csv")
    unit_groups_load_csv(data=STREETS.encode(), filename="streets.csv")
    return {unit.code: unit for unit in Unit.objects.all()}


def assigned(number: str, plan: Plan) -> set[str]:
    return set(Assignment.objects.filter(task__plan=plan, task__number=number).values_list("unit__code", flat=True))


def warnings_with(report, text: str) -> list:
    return [w for w in report.warnings if text in w.message]


# ---- a city's plan: two tables one under another in a CSV ----------------------------------------------------------


def test_a_csv_with_two_tables_one_under_another(district_units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(CSV_FILE, issuer="220100")

    assert report.applied, [str(e) for e in report.errors]
    # Table 1: 3 tasks (2 + 1 + 3 units), table 2: 2 tasks (1 + 2 units).
    assert (len(report.tasks), report.assignment_count, report.closed_count) == (5, 9, 0)
    plan = Plan.objects.get(issuer__code="220100", year=2023)
    tasks = {task.number: task for task in plan.tasks.all()}
    assert list(tasks) == ["1-1", "1-2", "1-3", "2-1", "2-2"]
    assert {task.table for task in tasks.values()} == {"表1", "表2"}
    assert (tasks["1-1"].category, tasks["1-3"].category, tasks["2-1"].category) == (
        "一、健全工作机制",
        "二、强化监督管理",
        "",  # table 2 has no section: the heading of table 1 does not run on into it
    )
    assert plan.title == "长春市“无废城市”建设2023年度重点任务清单(制度体系)"  # table 1's title, NFKC, without 表1
    assert assigned("1-1", plan) == {"220100-FGW", "220100-ZJ"}
    assert assigned("1-3", plan) == {"220100-ZJ", "220104", "220102"}
    assert assigned("2-2", plan) == {"220100-SW", "220100-ZJ"}  # 市商务局与市住建局
    # 2023年6月至12月: due at the range's end, the start kept as written; 2021.10-2023.12 likewise.
    assert (tasks["1-1"].due_date, tasks["1-1"].deadline_text) == (dt.date(2023, 12, 31), "2023年6月至12月")
    assert tasks["2-1"].due_date == dt.date(2023, 12, 31)
    # 每季度末月20日前报送进展: quarterly, each occurrence due on the 20th of the quarter's last month.
    assert (tasks["1-2"].frequency, tasks["1-2"].recurring_day) == (Frequency.QUARTERLY, 20)
    due = sorted(
        Assignment.objects.get(task=tasks["1-2"])
        .obligations.filter(kind="occurrence")
        .values_list("due_date", flat=True)
    )
    assert due[-1] == dt.date(2023, 12, 20)
    # The row split at a page break (row 13, no 序号) is the rest of task 2-2.
    assert tasks["2-2"].text == "推动商贸领域“无废细胞”建设,形成可复制的经验并于年底前报市领导小组办公室备案。"
    [joined] = warnings_with(report, "page break")
    assert (joined.row, joined.column, joined.file) == (13, "A", "changchun-2023.csv")


def test_the_city_plan_and_the_provincial_plan_live_side_by_side(
    district_units: dict[str, Unit], import_file: ImportFile
) -> None:
    from ..conftest import ANNEX_XLSX

    assert import_file(ANNEX_XLSX).applied  # the province's: plain numbers, as before
    assert import_file(CSV_FILE, issuer="220100").applied
    province = Plan.objects.get(issuer__code="JL-PRO", year=2023)
    assert province.tasks.count() == 39
    assert set(province.tasks.values_list("table", flat=True)) == {""}
    assert province.tasks.filter(number="1").exists()


# ---- a district's plan: one table per sheet, merged cells -------------------------------------------------------


def test_an_xlsx_with_one_table_per_sheet_and_merged_cells(
    district_units: dict[str, Unit], import_file: ImportFile
) -> None:
    report = import_file(XLSX_FILE, issuer="220102")

    assert report.applied, [str(e) for e in report.errors]
    # 表3: 2 tasks (2 + 1 units), 表4: 2 tasks (1 + 2 units); one milestone (2025年巩固提升).
    assert (len(report.tasks), report.assignment_count, report.milestone_count) == (4, 6, 1)
    plan = Plan.objects.get(issuer__code="220102")
    tasks = {task.number: task for task in plan.tasks.all()}
    assert list(tasks) == ["3-1", "3-2", "4-1", "4-2"]
    assert [tasks[n].table for n in tasks] == ["表3", "表3", "表4", "表4"]
    assert tasks["3-1"].category == "一、健全工作机制"
    # 区发改局, 区住建局, 区生态环境分局: 南关区's, not 朝阳区's, whose bureaus have the same short names.
    assert assigned("3-1", plan) == {"220102-FG", "220102-ZJ"}  # the second unit on a row under a merged 序号
    assert assigned("4-2", plan) == {"220102-ZJ", "220102-ST"}
    # 2024年底前完成，2025年巩固提升: a deadline and a milestone.
    assert (tasks["3-2"].deadline_kind, tasks["3-2"].due_date) == (DeadlineKind.DATE, dt.date(2024, 12, 31))
    assert list(Milestone.objects.filter(task=tasks["3-2"]).values_list("label", "due_date", "expected_outcome")) == [
        ("2025年", dt.date(2025, 12, 31), "2025年巩固提升")
    ]
    # 每月25日前报送进展 as the deadline itself.
    assert (tasks["4-1"].frequency, tasks["4-1"].recurring_day) == (Frequency.MONTHLY, 25)
    assert tasks["4-2"].due_date == dt.date(2023, 9, 30)  # 2023年第三季度, as already read


def test_a_shared_short_name_is_ambiguous_for_the_city(
    district_units: dict[str, Unit], import_file: ImportFile
) -> None:
    # The city's plan sees both districts: “区发改局” could be either, and is refused saying so.
    report = import_file(XLSX_FILE, issuer="220100", dry_run=True)
    [error] = [e for e in report.errors if "区发改局" in e.message]
    assert "ambiguous" in error.message
    assert (error.sheet, error.row, error.column) == ("制度体系 (表3)", 4, "C")
    assert str(error).startswith("nanguan-2023.xlsx [制度体系 (表3)], row 4, column C (责任单位): ")


# ---- a district's Word notice: text, title, 文号, tables 7–9 and a table of projects -------------------------------


def test_a_word_notice_with_three_tables(district_units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(DOCX_FILE, issuer="220104")

    assert report.applied, [str(e) for e in report.errors]
    # 表7: 4 tasks (1 + 2 + 3 + 2 units), 表8: 3 (1 + 2 + 1), 表9: 3 (1 + 2 + 1).
    assert (len(report.tasks), report.assignment_count, report.milestone_count) == (10, 16, 1)
    plan = Plan.objects.get(issuer__code="220104")
    assert plan.title == "长春市朝阳区“无废城市”建设2023年度工作要点"
    assert plan.doc_no == "长朝无废办〔2023〕3号"
    tasks = {task.number: task for task in plan.tasks.all()}
    assert list(tasks) == ["7-1", "7-2", "7-3", "7-4", "8-1", "8-2", "8-3", "9-1", "9-2", "9-3"]
    assert {tasks[n].table for n in ("7-1", "8-1", "9-1")} == {"表7", "表8", "表9"}
    assert (tasks["7-2"].category, tasks["7-4"].category, tasks["8-1"].category) == (
        "一、健全工作机制",
        "二、完善制度体系",
        "",
    )
    assert assigned("7-2", plan) == {"220104-ST", "220104-FG"}  # 区生态环境分局及区发改局
    # 区生态环境局分局、开发区管委会 — and 区城管局 from the row continued after the page break.
    assert assigned("7-3", plan) == {"220104-ST", "220104-KFQ", "220104-CG"}
    assert tasks["7-3"].text == "完善建筑垃圾管理制度,明确产生、运输、消纳各环节责任,建立全过程监管台账。"
    assert (tasks["7-3"].due_date, tasks["7-3"].milestones.get().due_date) == (
        dt.date(2024, 12, 31),
        dt.date(2025, 12, 31),
    )
    assert assigned("7-4", plan) == {"220104-JD1", "220104-JD2"}  # 各乡镇（街道）: the group's alias
    assert (tasks["7-1"].frequency, tasks["7-1"].recurring_day) == (Frequency.MONTHLY, 25)
    assert assigned("8-3", plan) == {"220104-FG"}
    assert assigned("9-3", plan) == {"220104-ST"}
    # The guesses, each with its table, row and column.
    [etc] = warnings_with(report, "“等” means")
    assert (etc.sheet, etc.row, etc.column) == ("table 2 (表8)", 3, "C")
    phrases = warnings_with(report, "stands for a group")
    assert [(w.sheet, w.row, w.column) for w in phrases] == [("table 2 (表8)", 4, "C"), ("table 3 (表9)", 4, "C")]
    assert "各乡镇政府等部门按职责分工负责" in phrases[0].message
    assert "市“无废城市”建设工作领导小组成员单位" in phrases[1].message
    [joined] = warnings_with(report, "page break")
    assert (joined.sheet, joined.row) == ("table 1 (表7)", 7)
    [projects] = warnings_with(report, "not read")
    assert projects.sheet == "table 4"
    assert not Unit.objects.filter(name__contains="按职责").exists()


def test_a_group_defined_in_the_admin_reads_the_phrase(
    district_units: dict[str, Unit], import_file: ImportFile
) -> None:
    groups = "name,aliases,members\n朝阳区各乡镇政府,各乡镇政府,220104-JD1;220104-JD2\n"
    unit_groups_load_csv(data=groups.encode(), filename="groups.csv")
    report = import_file(DOCX_FILE, issuer="220104")
    assert report.applied, report.errors
    assert assigned("8-3", Plan.objects.get(issuer__code="220104")) == {"220104-FG", "220104-JD1", "220104-JD2"}
    assert not warnings_with(report, "各乡镇政府等部门按职责分工负责")


def test_a_notice_of_2023_imported_as_2024_warns(district_units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(DOCX_FILE, issuer="220104", year=2024, dry_run=True)
    assert report.ok, report.errors
    [doc_no] = warnings_with(report, "长朝无废办〔2023〕3号")
    assert doc_no.field == "文号" and "2023" in doc_no.message and "2024" in doc_no.message
    [title] = warnings_with(report, "2023年度工作要点")
    assert "2024" in title.message
    assert not warnings_with(import_file(DOCX_FILE, issuer="220104", dry_run=True), "Check the year")


def test_a_title_given_by_hand_is_checked_too(district_units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(CSV_FILE, issuer="220100", title="长春市2022年度工作要点", dry_run=True)
    assert [w.field for w in warnings_with(report, "Check the year")] == ["title"]


# ---- units created where their names say ------------------------------------------------------------------------

HEADER = ["序号", "任务", "责任单位", "完成时限"]


def _csv(*rows: list[str]) -> bytes:
    return csv_bytes([HEADER, *rows])


def test_created_units_go_where_their_level_words_say(district_units: dict[str, Unit], import_file: ImportFile) -> None:
    data = _csv(["1", "任务甲", "区政府、市教育局", "8月31日"])
    report = import_file(data, "朝阳.csv", issuer="220100", create_missing_units_under="220104")
    assert report.applied, report.errors
    district_government = Unit.objects.get(name="朝阳区区政府")  # qualified by its parent: unique
    assert (district_government.parent.code, district_government.level) == ("220104", UnitLevel.COUNTY)
    assert district_government.short_name == "区政府"
    # A city bureau: under the city (walking up from the district), qualified by the city's place.
    education = Unit.objects.get(name="长春市市教育局")
    assert (education.parent.code, education.level, education.short_name) == ("220100", UnitLevel.CITY, "市教育局")
    assert {c["name"] for c in report.as_dict()["created_units"]} == {"朝阳区区政府", "长春市市教育局"}


def test_two_districts_区政府_never_meet(district_units: dict[str, Unit], import_file: ImportFile) -> None:
    data = _csv(["1", "任务甲", "区政府", "8月31日"])
    assert import_file(data, "朝阳.csv", issuer="220104", create_missing_units_under="220104").applied
    # 南关区's plan: 朝阳区's 区政府 is not its own. Without creating, refused; with, its own is created.
    refused = import_file(data, "南关.csv", issuer="220102", dry_run=True)
    assert any("区政府" in e.message and e.row == 2 and e.column == "C" for e in refused.errors)
    assert import_file(data, "南关.csv", issuer="220102", create_missing_units_under="220102").applied
    assert Unit.objects.get(name="南关区区政府").parent.code == "220102"
    # A later import of 朝阳区's plan reads “区政府” as 朝阳区's, though two units now have that short name.
    report = import_file(data, "朝阳.csv", issuer="220104", year=2024)
    assert report.applied, report.errors
    assert assigned("1", Plan.objects.get(issuer__code="220104", year=2024)) == {
        Unit.objects.get(name="朝阳区区政府").code
    }


def test_a_phrase_is_never_created_as_a_unit(district_units: dict[str, Unit], import_file: ImportFile) -> None:
    data = _csv(["1", "任务甲", "区发改局、省直有关部门、有关部门", "8月31日"])
    before = Unit.objects.count()
    report = import_file(data, "plan.csv", issuer="220104", create_missing_units_under="220104")
    assert report.applied, report.errors
    assert Unit.objects.count() == before
    assert len(warnings_with(report, "stands for a group")) == 2


# ---- the preview: each table's rows carry their own problems -----------------------------------------------------


def test_the_preview_shows_each_tables_warnings_on_its_own_rows(
    district_units: dict[str, Unit],
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from processes.models import Role

    from ..factories import UserFactory
    from .test_views import client_for, counts

    admin = UserFactory(username="chaoyang_admin", unit=district_units["220104"], role=Role.ADMIN, is_staff=True)
    other = UserFactory(username="nanguan_admin", unit=district_units["220102"], role=Role.ADMIN, is_staff=True)
    fields = {"year": "2023", "issuer": "220104", "starts": "2023-03-15", "title": "", "doc_no": ""}
    # 南关区's admin cannot import 朝阳区's plan: the office is not one they may choose.
    refused = client_for(other).post(
        "/plans/import/", {"file": SimpleUploadedFile("c.docx", DOCX_FILE.read_bytes()), **fields}
    )
    assert refused.status_code == 200 and "issuer" in refused.context["form"].errors

    client = client_for(admin)
    response = client.post("/plans/import/", {"file": SimpleUploadedFile("c.docx", DOCX_FILE.read_bytes()), **fields})
    assert response.status_code == 302, response.content.decode()[:500]
    html = client.get(response["Location"]).content.decode()
    assert counts(html)["tasks"] == 10 and counts(html)["errors"] == 0
    assert "长朝无废办〔2023〕3号" in html and "长春市朝阳区“无废城市”建设2023年度工作要点" in html
    # Row 4 of table 2 (task 8-3) has its phrase warning; row 4 of table 1 (task 7-3) does not.
    row_8_3 = html.split('data-number="8-3"')[1].split("</tr>")[0]
    row_7_3 = html.split('data-number="7-3"')[1].split("</tr>")[0]
    assert "各乡镇政府等部门按职责分工负责" in row_8_3 and "表8" in row_8_3
    assert "各乡镇政府" not in row_7_3
    assert not Plan.objects.filter(issuer__code="220104").exists()


# ---- shapes around the tables ----------------------------------------------------------------------------------


def test_a_header_repeated_after_a_page_break_continues_the_table(
    district_units: dict[str, Unit], import_file: ImportFile
) -> None:
    data = _csv(
        ["1", "任务甲", "区发改局", "8月31日"],
        HEADER,  # the header again, as a table printed over two pages repeats it
        ["2", "任务乙", "区住建局", "9月30日"],
    )
    report = import_file(data, "朝阳.csv", issuer="220104")
    assert report.applied, report.errors
    assert [task.number for task in report.tasks] == ["1", "2"]  # one table: plain numbers
    [repeated] = warnings_with(report, "repeated")
    assert repeated.row == 3


def test_a_deadline_split_at_a_page_break_is_joined(district_units: dict[str, Unit], import_file: ImportFile) -> None:
    data = _csv(["1", "任务甲", "区发改局", "2024年底前完成,"], ["", "", "", "2025年巩固提升"])
    report = import_file(data, "朝阳.csv", issuer="220104", year=2024)
    assert report.applied, report.errors
    task = Task.objects.get()
    assert (task.deadline_text, task.due_date) == ("2024年底前完成,2025年巩固提升", dt.date(2024, 12, 31))
    assert task.milestones.get().label == "2025年"


def test_a_short_unnumbered_text_is_still_a_section(district_units: dict[str, Unit], import_file: ImportFile) -> None:
    data = _csv(
        ["1", "任务甲", "区发改局", "8月31日"], ["", "加强监督管理", "", ""], ["2", "任务乙", "区住建局", "9月30日"]
    )
    report = import_file(data, "朝阳.csv", issuer="220104")
    assert report.applied, report.errors
    assert list(Task.objects.values_list("text", "category")) == [("任务甲", ""), ("任务乙", "加强监督管理")]


def test_a_bad_row_in_the_second_table_names_its_table_row_and_column(
    district_units: dict[str, Unit], import_file: ImportFile
) -> None:
    text = CSV_FILE.read_text("utf-8-sig").replace("市商务局与市住建局", "市商务局与火星市住建局")
    report = import_file(text.encode(), "changchun-2023.csv", issuer="220100")
    assert not report.applied
    [error] = report.errors
    assert (error.file, error.sheet, error.row, error.column) == ("changchun-2023.csv", "表2", 12, "C")
    assert "火星市住建局" in error.message
    assert not Plan.objects.filter(issuer__code="220100").exists()


def test_a_文号_the_notice_only_cites_is_not_its_own(district_units: dict[str, Unit], import_file: ImportFile) -> None:
    from ..builders import docx_bytes

    data = docx_bytes(
        [HEADER, ["1", "任务甲", "区发改局", "8月31日"]],
        paragraphs=[
            "一、总体要求",
            "根据《吉林省全域“无废城市”建设工作要点》（吉环固体字〔2023〕15号）要求，制定本方案。",
            "长春市朝阳区“无废城市”建设实施方案",
        ],
    )
    report = import_file(data, "方案.docx", issuer="220104", dry_run=True)
    assert report.ok, report.errors
    assert (report.doc_no, report.title) == ("", "长春市朝阳区“无废城市”建设实施方案")


def test_reimporting_a_district_notice_changes_nothing(
    district_units: dict[str, Unit], import_file: ImportFile
) -> None:
    assert import_file(DOCX_FILE, issuer="220104").applied
    before = list(Task.objects.order_by("pk").values())
    report = import_file(DOCX_FILE, issuer="220104")
    assert report.applied and report.changes == []
    assert list(Task.objects.order_by("pk").values()) == before
    assert Milestone.objects.count() == 1
