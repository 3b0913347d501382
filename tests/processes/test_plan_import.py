"""Importing the published annex and the shapes real annexes take; bad files refused with nothing written."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from processes.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    AssignmentTransition,
    DeadlineKind,
    Frequency,
    Milestone,
    Plan,
    PlanImport,
    Task,
    TransitionAction,
    Unit,
)

from ..builders import csv_bytes, docx_bytes, xlsx_bytes
from ..conftest import ANNEX_CSV, ANNEX_XLSX, ImportFile

pytestmark = pytest.mark.django_db
HEADER = ["序号", "任务", "责任单位", "完成时限"]


def unit_counts() -> dict[str, int]:
    return dict(Task.objects.annotate(n=Count("assignments")).values_list("number", "n"))


def nothing_written() -> bool:
    return not (
        Plan.objects.exists()
        or Task.objects.exists()
        or Assignment.objects.exists()
        or AssignmentTransition.objects.exists()
        or PlanImport.objects.exists()
    )


def snapshot() -> dict[str, object]:
    return {
        "plans": list(Plan.objects.values_list("pk", "title", "doc_no")),
        "tasks": list(Task.objects.order_by("pk").values()),
        "milestones": list(Milestone.objects.order_by("pk").values()),
        "assignments": list(Assignment.objects.order_by("pk").values()),
        "history": list(AssignmentTransition.objects.order_by("pk").values()),
    }


def test_the_published_annex_becomes_the_ledger(units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(ANNEX_XLSX, doc_no="吉环固体字〔2023〕15号")

    assert report.applied and report.errors == []
    summary = report.as_dict()
    assert (summary["tasks"], summary["assignments"], summary["closed"]) == (39, 289, 1)
    plan = Plan.objects.get(year=2023)
    assert plan.title == "吉林省2023年度“无废城市”建设任务清单"  # the merged title row above the header
    assert plan.doc_no == "吉环固体字〔2023〕15号"
    counts = unit_counts()
    assert (counts["2"], counts["5"], counts["23"], counts["22"]) == (11, 12, 2, 1)
    assert Assignment.objects.count() == 289
    assert set(Assignment.objects.filter(task__number="23").values_list("unit__code", flat=True)) == {
        "220700",
        "220800",
    }
    assert Assignment.objects.get(task__number="22").unit.code == "220100"
    assert set(Assignment.objects.values_list("role", flat=True)) == {AssignmentRole.LEAD}


def test_row_22_is_resolved_through_the_alias_table_and_reported(
    units: dict[str, Unit], import_file: ImportFile
) -> None:
    report = import_file(ANNEX_XLSX)
    [warning] = [w for w in report.warnings if "长春市生态环境厅" in w.message]
    assert (warning.row, warning.column, warning.field) == (24, "C", "责任单位")  # 序号 22 sits on sheet row 24
    assert warning.file == "jilin-2023-tasks.xlsx"


def test_deadlines_are_read_as_written(plan_2023: Plan) -> None:
    tasks = {task.number: task for task in plan_2023.tasks.all()}
    assert (tasks["2"].deadline_kind, tasks["2"].due_date) == (DeadlineKind.DATE, dt.date(2023, 8, 31))
    assert (tasks["3"].deadline_kind, tasks["3"].due_date) == (DeadlineKind.ONGOING, dt.date(2023, 12, 31))
    assert (tasks["4"].deadline_kind, tasks["4"].frequency) == (DeadlineKind.RECURRING, Frequency.QUARTERLY)
    assert tasks["11"].frequency == Frequency.BIMONTHLY
    assert tasks["12"].frequency == Frequency.BIMONTHLY  # 双月调度
    assert tasks["16"].due_date == dt.date(2023, 10, 30)
    assert tasks["2"].deadline_text == "8月31日"


def test_a_task_already_completed_is_created_closed_with_the_fact_in_its_history(plan_2023: Plan) -> None:
    [assignment] = Assignment.objects.filter(task__number="1")
    assert assignment.state == AssignmentState.CLOSED
    [entry] = assignment.transitions.all()
    assert (entry.action, entry.source, entry.target) == (TransitionAction.CREATED_DONE, "", AssignmentState.CLOSED)
    assert "已完成" in entry.comment
    other = Assignment.objects.filter(task__number="2").first()
    assert other is not None and other.state == AssignmentState.ASSIGNED
    assert other.due_date == dt.date(2023, 8, 31)
    assert list(other.transitions.values_list("action", flat=True)) == [TransitionAction.CREATED]


def test_csv_and_xlsx_of_the_annex_give_the_same_plan(units: dict[str, Unit], import_file: ImportFile) -> None:
    from_csv = import_file(ANNEX_CSV)
    assert from_csv.applied
    assert (len(from_csv.tasks), from_csv.assignment_count, from_csv.closed_count) == (39, 289, 1)
    csv_counts = unit_counts()
    report = import_file(ANNEX_XLSX)
    assert report.applied
    assert unit_counts() == csv_counts
    # Same content, only the sheet rows shifted by the title row: nothing a person would call a change.
    assert report.changes == []


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_the_annex_saved_by_excel_on_chinese_windows(
    units: dict[str, Unit], import_file: ImportFile, encoding: str
) -> None:
    data = ANNEX_CSV.read_text("utf-8").encode(encoding)
    report = import_file(data, "附件.csv")
    assert report.applied and report.assignment_count == 289


def test_reimporting_the_same_file_changes_nothing(plan_2023: Plan, import_file: ImportFile) -> None:
    before = snapshot()
    with CaptureQueriesContext(connection) as queries:
        report = import_file(ANNEX_XLSX)
    assert report.applied and report.changes == []
    assert (len(report.tasks), report.assignment_count) == (39, 289)
    assert snapshot() == before
    writes = [q["sql"] for q in queries if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"])]
    assert all("processes_planimport" in sql for sql in writes), writes  # only the record of the import


def _drop_tasks(count: int) -> bytes:
    lines = ANNEX_CSV.read_text("utf-8").splitlines()
    return "\n".join(lines[: len(lines) - count]).encode()


def test_dropping_tasks_costs_the_same_queries_however_many_assignments_go(
    plan_2023: Plan, import_file: ImportFile
) -> None:
    assert import_file(ANNEX_CSV).applied  # the same rows as the CSV numbers them
    with CaptureQueriesContext(connection) as few:
        assert import_file(_drop_tasks(1), "shorter.csv").applied  # task 39: 11 assignments
    with CaptureQueriesContext(connection) as many:
        assert import_file(_drop_tasks(5), "shorter.csv").applied  # tasks 35-38: 46 assignments
    assert Task.objects.filter(plan=plan_2023).count() == 34
    assert len(many) == len(few)


def test_a_corrected_file_updates_tasks_in_place_and_says_what_changed(
    plan_2023: Plan, import_file: ImportFile
) -> None:
    text = ANNEX_CSV.read_text("utf-8")
    text = text.replace(
        "省市两级将“无废城市”建设纳入绩效考核、目标责任制考核、生态强省考核、污染防治攻坚战考核等考核内容。,省生态环境厅、各地生态环境局,12月31日",
        "省市两级将“无废城市”建设纳入绩效考核、目标责任制考核、生态强省考核、污染防治攻坚战考核等考核内容。,省生态环境厅、各地生态环境局,11月30日",
    )
    text = text.replace("松原市、白城市生态环境局,12月31日", "松原市、白城市、吉林市生态环境局,12月31日")
    text = text.replace(
        "33,推动在长春市举办报废机动车回收拆解研讨会。,长春市生态环境局,8月31日",
        "33,推动在长春市举办报废机动车回收拆解研讨会。,省生态环境厅,8月31日",
    )
    task5 = Task.objects.get(plan=plan_2023, number="5")
    assignment_ids = set(task5.assignments.values_list("pk", flat=True))

    report = import_file(text.encode(), "corrected.csv")

    assert report.applied, report.errors
    kinds = report.change_counts()
    assert kinds == {"task_updated": 3, "assignment_created": 2, "assignment_removed": 1}
    details = [str(change.as_dict()) for change in report.changes]
    assert any("12月31日" in d and "11月30日" in d for d in details)
    assert Task.objects.get(plan=plan_2023, number="5").pk == task5.pk  # the same row, updated in place
    task5.refresh_from_db()
    assert task5.due_date == dt.date(2023, 11, 30)
    assert set(task5.assignments.values_list("pk", flat=True)) == assignment_ids  # updated in place
    assert set(task5.assignments.values_list("due_date", flat=True)) == {dt.date(2023, 11, 30)}
    assert set(Assignment.objects.filter(task__number="23").values_list("unit__code", flat=True)) == {
        "220700",
        "220800",
        "220200",
    }
    assert list(Assignment.objects.filter(task__number="33").values_list("unit__code", flat=True)) == ["JL-EEB"]
    assert Assignment.objects.count() == 289 + 1


def test_a_task_marked_completed_by_a_corrected_file_closes_its_open_assignments(
    plan_2023: Plan, import_file: ImportFile
) -> None:
    text = ANNEX_CSV.read_text("utf-8").replace(
        "32,与固管中心签署支持吉林省全域“无废城市”建设战略合作框架协议。,省生态环境厅,10月31日",
        "32,与固管中心签署支持吉林省全域“无废城市”建设战略合作框架协议。,省生态环境厅,已完成",
    )
    report = import_file(text.encode(), "corrected.csv")
    assert report.applied and report.change_counts()["assignment_closed"] == 1
    assignment = Assignment.objects.get(task__number="32")
    assert assignment.state == AssignmentState.CLOSED
    assert assignment.transitions.last().action == TransitionAction.CLOSED_DONE


def test_a_dry_run_reports_and_writes_nothing(units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(ANNEX_XLSX, dry_run=True)
    assert report.dry_run and not report.applied and report.errors == []
    assert (len(report.tasks), report.assignment_count, report.closed_count) == (39, 289, 1)
    assert nothing_written()


TWO_LEVEL = [
    ["附件", None, None, None, None, None],
    ["序号", "工作任务", "牵头单位", "完成时限", None, "预期目标"],
    [None, None, None, "2022-2024年", "2024-2025年", None],
    ["I-1 建立协调考核机制", None, None, None, None, None],
    [1, "建立考核机制", "省生态环境厅", "出台考核办法", "全面实施考核", "考核覆盖各地"],
    [2, "建立会商机制", "各地生态环境局", "建立机制", None, None],
    ["二、推进项目建设", None, None, None, None, None],
    [3, "推进项目", "松原市生态环境局", None, "项目建成", None],
]


def test_a_two_level_header_gives_milestones_and_sections_give_categories(
    units: dict[str, Unit], import_file: ImportFile
) -> None:
    data = xlsx_bytes(TWO_LEVEL, merges=["A1:F1", "A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:F3", "A4:F4", "A7:F7"])
    report = import_file(data, "两级表头.xlsx")
    assert report.applied, report.errors
    task1 = Task.objects.get(number="1")
    assert task1.deadline_kind == DeadlineKind.MILESTONES
    assert task1.due_date == dt.date(2025, 12, 31)
    assert list(task1.milestones.values_list("label", "due_date", "expected_outcome")) == [
        ("2022-2024年", dt.date(2024, 12, 31), "出台考核办法"),
        ("2024-2025年", dt.date(2025, 12, 31), "全面实施考核"),
    ]
    assert task1.category == "I-1 建立协调考核机制"
    assert task1.extra == {"预期目标": "考核覆盖各地"}
    task2 = Task.objects.get(number="2")
    assert (task2.due_date, task2.milestones.count(), task2.assignments.count()) == (dt.date(2024, 12, 31), 1, 11)
    task3 = Task.objects.get(number="3")
    assert (task3.category, task3.due_date) == ("二、推进项目建设", dt.date(2025, 12, 31))
    assert Assignment.objects.get(task=task3).due_date == dt.date(2025, 12, 31)


def test_a_two_level_header_written_as_csv(units: dict[str, Unit], import_file: ImportFile) -> None:
    rows = [
        ["序号", "任务", "责任单位", "完成时限", ""],
        ["", "", "", "2022-2024年", "2024-2025年"],
        ["1", "建立考核机制", "省生态环境厅", "出台考核办法", "全面实施考核"],
    ]
    report = import_file(csv_bytes(rows), "two-level.csv")
    assert report.applied, report.errors
    assert Milestone.objects.count() == 2


def test_cooperating_units_and_the_header_names_offices_use(units: dict[str, Unit], import_file: ImportFile) -> None:
    rows = [
        ["序号", "任务清单", "责任主体", "协办单位", "完成时间", "备注"],
        ["1", "编制宣传方案", "省生态环境厅", "长春市生态环境局、吉林市生态环境局", "2023年9月30日", "重点"],
    ]
    report = import_file(csv_bytes(rows), "plan.csv")
    assert report.applied, report.errors
    roles = dict(Assignment.objects.values_list("unit__code", "role"))
    assert roles == {"JL-EEB": AssignmentRole.LEAD, "220100": AssignmentRole.CO, "220200": AssignmentRole.CO}
    assert Task.objects.get().extra == {"备注": "重点"}


def test_the_task_table_of_a_word_notice(units: dict[str, Unit], import_file: ImportFile) -> None:
    rows = list(csv.reader(io.StringIO(ANNEX_CSV.read_text("utf-8"))))
    data = docx_bytes(
        [["附件 吉林省2023年度“无废城市”建设任务清单", "", "", ""], *rows],
        paragraphs=[
            "吉林省生态环境厅关于印发《2023年吉林省全域“无废城市”建设工作要点》的通知",
            "吉环固体字〔2023〕15号",
        ],
        merges=[(0, 0, 0, 3)],
    )
    report = import_file(data, "通知.docx")
    assert report.applied, report.errors
    assert (len(report.tasks), report.assignment_count, report.closed_count) == (39, 289, 1)
    assert Plan.objects.get().title == "吉林省2023年度“无废城市”建设任务清单"


def test_vertically_merged_rows_continue_a_task(units: dict[str, Unit], import_file: ImportFile) -> None:
    rows = [HEADER, [1, "组建专家库", "省生态环境厅", "9月30日"], [None, None, "长春市生态环境局", "9月30日"]]
    report = import_file(xlsx_bytes(rows, merges=["A2:A3", "B2:B3"]), "merged.xlsx")
    assert report.applied, report.errors
    assert set(Assignment.objects.values_list("unit__code", flat=True)) == {"JL-EEB", "220100"}


def test_create_missing_units_under_a_parent(units: dict[str, Unit], import_file: ImportFile) -> None:
    rows = [HEADER, [1, "任务甲", "长春市生态环境局、长春市双阳区生态环境分局", "8月31日"]]
    report = import_file(csv_bytes(rows), "plan.csv", create_missing_units_under="220100")
    assert report.applied, report.errors
    created = Unit.objects.get(name="长春市双阳区生态环境分局")
    assert (created.parent.code, created.level, created.code) == ("220100", "county", "220100-01")
    assert any("长春市双阳区生态环境分局" in w.message for w in report.warnings)
    assert report.as_dict()["created_units"] == [
        {"name": "长春市双阳区生态环境分局", "code": "220100-01", "parent": "220100"}
    ]


# ---- bad input: an error that names the file, row and column, and nothing at all written ------------------------


def refused(report, *, row: int | None, column: str, text: str) -> None:
    assert not report.applied
    matching = [e for e in report.errors if text in e.message]
    assert matching, [str(e) for e in report.errors]
    error = matching[0]
    assert error.file
    assert (error.row, error.column) == (row, column), str(error)
    assert nothing_written()


def test_an_unknown_unit_is_refused_with_the_closest_names(units: dict[str, Unit], import_file: ImportFile) -> None:
    rows = [HEADER, [1, "任务甲", "省生态环境厅", "8月31日"], [2, "任务乙", "火星市生态环境局", "9月30日"]]
    report = import_file(csv_bytes(rows), "bad.csv")
    refused(report, row=3, column="C", text="火星市生态环境局")
    assert report.errors[0].field == "责任单位"


def test_a_near_miss_without_an_alias_is_refused_with_suggestions(
    units: dict[str, Unit], import_file: ImportFile
) -> None:
    report = import_file(csv_bytes([HEADER, [1, "任务甲", "白城市生态环境厅", "8月31日"]]), "bad.csv")
    refused(report, row=2, column="C", text="白城市生态环境局")


def test_an_unreadable_deadline_is_refused(units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(csv_bytes([HEADER, [1, "任务甲", "省生态环境厅", "尽快完成"]]), "bad.csv")
    refused(report, row=2, column="D", text="尽快")


def test_an_impossible_date_is_refused(units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(csv_bytes([HEADER, [1, "任务甲", "省生态环境厅", "2月30日"]]), "bad.csv")
    refused(report, row=2, column="D", text="2月30日")


def test_a_duplicate_number_is_refused(units: dict[str, Unit], import_file: ImportFile) -> None:
    rows = [HEADER, [1, "任务甲", "省生态环境厅", "8月31日"], [1, "任务乙", "省生态环境厅", "9月30日"]]
    report = import_file(csv_bytes(rows), "bad.csv")
    refused(report, row=3, column="A", text="Duplicate")
    assert "row 2" in report.errors[0].message


def test_a_missing_required_column_is_refused(units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(csv_bytes([["序号", "任务", "完成时限"], [1, "任务甲", "8月31日"]]), "bad.csv")
    refused(report, row=1, column="", text="责任单位")


def test_a_file_without_a_header_is_refused(units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(csv_bytes([["甲", "乙"], ["1", "2"]]), "bad.csv")
    assert not report.applied and "序号" in report.errors[0].message
    assert nothing_written()


def test_a_header_without_rows_is_refused(units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(csv_bytes([HEADER]), "bad.csv")
    assert not report.applied and "No task rows" in report.errors[0].message
    assert nothing_written()


@pytest.mark.parametrize(
    ("data", "filename", "text"),
    [
        (b"", "empty.csv", "empty"),
        (b"hello", "plan.txt", "Unsupported"),
        (csv_bytes([HEADER]), "plan.xlsx", "does not match"),
    ],
)
def test_files_refused_as_a_whole(
    units: dict[str, Unit], import_file: ImportFile, data: bytes, filename: str, text: str
) -> None:
    report = import_file(data, filename)
    assert not report.applied and text in report.errors[0].message
    assert report.errors[0].file == filename
    assert nothing_written()


def test_an_oversized_file_is_refused(units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(ANNEX_XLSX, max_bytes=1024)
    assert not report.applied and "too large" in report.errors[0].message
    assert nothing_written()


def test_one_bad_row_at_the_end_keeps_every_good_row_out(units: dict[str, Unit], import_file: ImportFile) -> None:
    text = ANNEX_CSV.read_text("utf-8") + "40,新增任务,火星市生态环境局,12月31日\n"
    report = import_file(text.encode(), "bad.csv")
    refused(report, row=41, column="C", text="火星市")
    assert len(report.errors) == 1


def test_a_bad_corrected_file_leaves_the_plan_as_it_was(plan_2023: Plan, import_file: ImportFile) -> None:
    before = snapshot()
    text = ANNEX_CSV.read_text("utf-8").replace("松原市、白城市生态环境局,12月31日", "松原市、白城市生态环境局,下个月")
    report = import_file(text.encode(), "corrected.csv")
    assert not report.applied and "下个月" in report.errors[0].message
    assert snapshot() == before


def test_an_unknown_parent_for_missing_units_is_refused(units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(ANNEX_XLSX, create_missing_units_under="NOPE")
    assert not report.applied and "NOPE" in report.errors[0].message
    assert nothing_written()


def test_a_corrected_file_cannot_drop_an_assignment_someone_has_acted_on(
    plan_2023: Plan, import_file: ImportFile
) -> None:
    # The lifecycle (report, verify …) writes history entries beyond the import's own; stand in for one here.
    assignment = Assignment.objects.get(task__number="23", unit__code="220800")
    AssignmentTransition.objects.create(
        assignment=assignment, action="reported", source="assigned", target="reported", at=assignment.created_at
    )
    before = snapshot()
    text = ANNEX_CSV.read_text("utf-8").replace("松原市、白城市生态环境局,12月31日", "松原市生态环境局,12月31日")
    report = import_file(text.encode(), "corrected.csv")
    assert not report.applied
    assert "白城市生态环境局" in report.errors[0].message and "23" in report.errors[0].message
    assert snapshot() == before


# ---- shapes real annexes take, found in review --------------------------------------------------------------------


def test_a_csv_row_with_only_units_continues_the_task_above(units: dict[str, Unit], import_file: ImportFile) -> None:
    rows = [
        HEADER,
        [1, "任务甲", "松原市生态环境局", "8月31日"],
        ["", "", "白城市生态环境局", ""],
        [2, "任务乙", "省生态环境厅", "9月30日"],
    ]
    report = import_file(csv_bytes(rows), "plan.csv")
    assert report.applied, report.errors
    assert set(Assignment.objects.filter(task__number="1").values_list("unit__code", flat=True)) == {"220700", "220800"}
    assert Task.objects.get(number="2").category == ""  # not taken for a section heading
    assert any(w.row == 3 and "task 1" in w.message for w in report.warnings)


def test_a_merged_number_over_a_row_with_its_own_task_text_is_refused(
    units: dict[str, Unit], import_file: ImportFile
) -> None:
    rows = [HEADER, [1, "(1)建立专家库", "省生态环境厅", "9月30日"], [None, "(2)编制技术指南", "省住建厅", "9月30日"]]
    report = import_file(xlsx_bytes(rows, merges=["A2:A3"]), "merged.xlsx")
    refused(report, row=3, column="B", text="merged with task 1")


def test_every_sheet_with_a_task_header_is_read(units: dict[str, Unit], import_file: ImportFile) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "一、组织领导"
    for row in [HEADER, [1, "任务甲", "省生态环境厅", "8月31日"]]:
        first.append(row)
    second = workbook.create_sheet("二、项目建设")
    for row in [HEADER, [1, "任务乙", "各地生态环境局", "9月30日"]]:
        second.append(row)
    workbook.create_sheet("说明").append(["填表说明:请按时报送"])
    out = io.BytesIO()
    workbook.save(out)
    report = import_file(out.getvalue(), "two-sheets.xlsx")
    assert report.applied, report.errors
    assert (len(report.tasks), report.assignment_count) == (2, 12)
    # Each sheet numbers its own tasks: the plan's numbers are the sheet's place and the 序号, the label its name.
    assert list(Task.objects.values_list("number", "table")) == [("1-1", "一、组织领导"), ("2-1", "二、项目建设")]
    assert any(w.sheet == "说明" and "not read" in w.message for w in report.warnings)
    second.append([1, "任务丙", "省生态环境厅", "8月31日"])
    out = io.BytesIO()
    workbook.save(out)
    report = import_file(out.getvalue(), "two-sheets.xlsx")
    duplicate = report.errors[0]  # within one sheet, a 序号 is still given once
    assert (duplicate.sheet, duplicate.row, duplicate.column) == ("二、项目建设", 3, "A")
    assert "[二、项目建设]" in str(duplicate)


def test_a_task_header_over_two_sub_columns(units: dict[str, Unit], import_file: ImportFile) -> None:
    rows = [
        ["序号", "工作任务", None, "责任单位", "完成时限"],
        [None, "主要内容", "具体措施", None, None],
        [1, "建立专家库", "每季度更新", "省生态环境厅", "9月30日"],
    ]
    report = import_file(xlsx_bytes(rows, merges=["A1:A2", "B1:C1", "D1:D2", "E1:E2"]), "sub.xlsx")
    assert report.applied, report.errors
    task = Task.objects.get()
    assert (task.text, task.extra) == ("建立专家库", {"工作任务/具体措施": "每季度更新"})


def test_a_ragged_csv_two_level_units_header(units: dict[str, Unit], import_file: ImportFile) -> None:
    rows = [
        ["序号", "任务", "完成时限", "责任单位"],
        ["", "", "", "牵头", "配合"],
        ["1", "任务甲", "8月31日", "省生态环境厅", "长春市生态环境局"],
    ]
    report = import_file(csv_bytes(rows), "ragged.csv")
    assert report.applied, report.errors
    assert dict(Assignment.objects.values_list("unit__code", "role")) == {"JL-EEB": "lead", "220100": "co"}


def test_a_section_written_in_two_cells(units: dict[str, Unit], import_file: ImportFile) -> None:
    rows = [HEADER, ["一", "加强组织领导", "", ""], [1, "任务甲", "省生态环境厅", "8月31日"]]
    report = import_file(csv_bytes(rows), "plan.csv")
    assert report.applied, report.errors
    assert Task.objects.get().category == "一 加强组织领导"


def test_texts_too_long_for_their_columns_are_reported_not_crashed_on(
    units: dict[str, Unit], import_file: ImportFile
) -> None:
    title = "附件 " + "很长的标题" * 70
    rows = [
        [title, "", "", ""],
        HEADER,
        ["一、" + "很长的分类" * 45, "", "", ""],
        [1, "任务甲", "省生态环境厅", "8月31日"],
    ]
    report = import_file(csv_bytes(rows), "long.csv")
    assert any(w.row == 1 and "title" in w.message for w in report.warnings)
    refused(report, row=3, column="A", text="too long")


def test_a_year_out_of_range_is_a_deadline_error(units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(csv_bytes([HEADER, [1, "任务甲", "省生态环境厅", "0000年"]]), "bad.csv")
    refused(report, row=2, column="D", text="plausible year")


def test_two_milestone_columns_with_one_name_are_refused(units: dict[str, Unit], import_file: ImportFile) -> None:
    rows = [
        ["序号", "任务", "责任单位", "完成时限", ""],
        ["", "", "", "2023年", "2023年"],
        ["1", "任务甲", "省生态环境厅", "甲", "乙"],
    ]
    report = import_file(csv_bytes(rows), "dup.csv")
    refused(report, row=2, column="E", text="2023年")


def test_an_inactive_unit_is_refused_even_with_create_missing(units: dict[str, Unit], import_file: ImportFile) -> None:
    Unit.objects.filter(code="220800").update(is_active=False)
    rows = [HEADER, [1, "任务甲", "白城市生态环境局", "8月31日"]]
    report = import_file(csv_bytes(rows), "plan.csv", create_missing_units_under="JL-EEB")
    refused(report, row=2, column="C", text="no longer active")
    assert Unit.objects.count() == len(units)


def test_places_sharing_a_suffix_next_to_a_bracketed_name(units: dict[str, Unit], import_file: ImportFile) -> None:
    rows = [HEADER, [1, "任务甲", "长春市、梅河新区(梅河口市)生态环境局", "8月31日"]]
    report = import_file(csv_bytes(rows), "plan.csv")
    assert report.applied, report.errors
    assert set(Assignment.objects.values_list("unit__code", flat=True)) == {"220100", "220581"}


def test_a_renumbered_file_cannot_move_work_onto_another_task(plan_2023: Plan, import_file: ImportFile) -> None:
    assignment = Assignment.objects.get(task__number="2", unit__code="220700")
    AssignmentTransition.objects.create(
        assignment=assignment, action="reported", source="assigned", target="reported", at=assignment.created_at
    )
    before = snapshot()
    lines = ANNEX_CSV.read_text("utf-8").splitlines()
    renumbered = [lines[0], lines[1], "2,各地开展宣传周活动,各地生态环境局,10月31日"]
    renumbered += [f"{int(line.split(',', 1)[0]) + 1},{line.split(',', 1)[1]}" for line in lines[2:]]
    report = import_file("\n".join(renumbered).encode(), "renumbered.csv")
    assert not report.applied
    assert any("renumbered" in e.message and e.row == 3 for e in report.errors)
    assert snapshot() == before


def test_an_unchanged_reimport_does_not_close_what_the_office_reopened(
    plan_2023: Plan, import_file: ImportFile
) -> None:
    # The lifecycle's reopen (closed → assigned) stands here as a direct update with its history entry.
    assignment = Assignment.objects.get(task__number="1")
    Assignment.objects.filter(pk=assignment.pk).update(state=AssignmentState.ASSIGNED)
    AssignmentTransition.objects.create(
        assignment=assignment, action="reopened", source="closed", target="assigned", at=assignment.created_at
    )
    report = import_file(ANNEX_XLSX)
    assert report.applied and report.changes == []
    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.ASSIGNED


def test_a_database_refusal_is_reported_and_rolls_back(
    units: dict[str, Unit], import_file: ImportFile, monkeypatch
) -> None:
    from django.db import DataError

    def refuse(*args, **kwargs):
        raise DataError("value too long for type character varying(200)")

    monkeypatch.setattr(Milestone.objects, "bulk_create", refuse)
    report = import_file(ANNEX_XLSX)
    assert not report.applied and "value too long" in report.errors[0].message
    assert nothing_written()
