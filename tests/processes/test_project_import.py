"""Importing a project table (项目库清单) as districts and cities publish it: the three formats, amounts in 亿元 and
万元, the forms of 建设年限, the 合计 row, errors that name row and column with nothing written, a re-import that
updates, a batch that admits, the command's JSON, and the upload → preview → confirm pages with their refusals.

The expected figures are added up by hand from the rows in tests/data/projects/make.py."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from processes.models import (
    MilestoneKind,
    Obligation,
    Plan,
    Project,
    ProjectAction,
    ProjectLibrary,
    ProjectState,
    Role,
    Unit,
    User,
)
from processes.services.project_import import ProjectImportReport, projects_import
from processes.services.projects import library_ensure
from tests.factories import UserFactory

from .test_rounds import at
from .test_views import client_for

pytestmark = pytest.mark.django_db

DATA = Path(settings.BASE_DIR) / "tests" / "data" / "projects"
CHAOYANG = DATA / "chaoyang-yi.xlsx"
NANGUAN = DATA / "nanguan-wan.xlsx"
NINGJIANG = DATA / "ningjiang.csv"
LVYUAN = DATA / "lvyuan.docx"


@pytest.fixture
def library(units: dict[str, Unit]) -> ProjectLibrary:
    return library_ensure(units["JL-PRO"])


def run(
    library: ProjectLibrary,
    region: Unit,
    source: Path | bytes,
    *,
    filename: str = "",
    batch: int | None = None,
    by: User | None = None,
    dry_run: bool = False,
) -> ProjectImportReport:
    if isinstance(source, Path):
        filename, source = filename or source.name, source.read_bytes()
    return projects_import(
        data=source,
        filename=filename or "projects.csv",
        library=library,
        region=region,
        batch=batch,
        by=by,
        dry_run=dry_run,
    )


CSV_HEADER = "序号,企业名称,项目名称,建设内容,建设年限,计划总投资（万元）,责任单位,所属领域\n"


def csv_table(*rows: str, header: str = CSV_HEADER) -> bytes:
    return ("宁江区“无废城市”建设项目清单,,,,,,,\n" + header + "".join(row + "\n" for row in rows)).encode("utf-8")


def where(problems: list[Any]) -> list[tuple[int | None, str, str]]:
    return [(problem.row, problem.column, problem.field) for problem in problems]


# ---------------------------------------------------------------------------------------------------------------
# The three formats


def test_an_xlsx_in_yi_with_a_title_merged_header_continuation_and_total(
    library: ProjectLibrary, units: dict[str, Unit]
) -> None:
    with at("2023-09-04 10:00"):
        report = run(library, units["220100"], CHAOYANG)
    assert report.applied, report.errors
    assert report.title == "长春市朝阳区“无废城市”建设项目清单"
    # 1.2 + 0.35 + 0.8625 + 0.6 + 0.2 亿元 = 3.2125 亿元 = 32125 万元, as the 合计 row says (no warning about it)
    assert report.planned_investment == Decimal("32125.00")
    assert report.yearly == {2023: Decimal("13500.00"), 2024: Decimal("15625.00")}
    projects = {p.name: p for p in Project.objects.filter(library=library, region=units["220100"])}
    assert len(projects) == 5
    first = projects["朝阳区建筑垃圾资源化利用项目"]
    assert (first.company, first.start_year, first.end_year) == ("长春某环保科技有限公司", 2022, 2024)
    assert first.planned_investment == Decimal("12000.00")
    assert dict(first.yearly.values_list("year", "amount")) == {2023: Decimal("5000.00"), 2024: Decimal("4000.00")}
    assert first.responsible_unit == units["220100"]
    assert (first.field.name if first.field else "", first.state) == ("建筑垃圾", ProjectState.RESERVE)
    assert (first.source_file, first.source_row, first.code) == ("chaoyang-yi.xlsx", 4, "1")
    # project 3 runs over rows 6 and 7 (序号 and name merged): its scale goes on in row 7
    third = projects["朝阳区一般工业固体废物综合利用项目"]
    assert third.scale == "年综合利用粉煤灰、炉渣20万吨配套建设原料堆场1处"
    assert (third.planned_investment, third.field.name if third.field else "") == (Decimal("8625.00"), "工业固体废物")
    assert projects["朝阳区餐厨垃圾资源化处理项目"].field.name == "生活垃圾"  # type: ignore[union-attr]  # alias 餐厨垃圾
    # an unknown unit is kept as written, with a warning at its cell
    second = projects["朝阳区废旧物资回收网点建设项目"]
    assert (second.responsible_unit, second.responsible_text) == (None, "长春市住建局")
    assert where(report.warnings) == [(5, "I", "责任单位")]
    assert report.unit_names == ["长春市生态环境局", "长春市住建局"]
    assert list(first.events.values_list("action", "target")) == [(ProjectAction.IMPORTED, ProjectState.RESERVE)]


def test_an_xlsx_in_wan_with_cells_in_yi_and_wan(library: ProjectLibrary, units: dict[str, Unit]) -> None:
    with at("2023-09-04 10:00"):
        report = run(library, units["220100"], NANGUAN)
    assert report.applied, report.errors
    assert report.title == "长春市南关区“无废城市”建设项目清单"  # under an “附件” row
    # 4800 + 12000 (1.2亿元) + 1650.5 + 3500 (3500万元) + 300 = 22250.50 万元
    assert report.planned_investment == Decimal("22250.50")
    assert report.yearly == {2023: Decimal("17750.50"), 2024: Decimal("3500.00")}
    straw = Project.objects.get(name="南关区秸秆综合利用项目")
    assert straw.planned_investment == Decimal("12000.00")
    assert straw.field.name == "农业固体废物"  # type: ignore[union-attr]  # alias 秸秆
    assert (straw.contact, straw.contact_phone) == ("李某", "13800000000")
    battery = Project.objects.get(name="南关区废旧动力电池回收利用项目")
    assert (battery.planned_investment, battery.start_year, battery.end_year) == (Decimal("3500.00"), 2023, 2025)
    cell = Project.objects.get(name="南关区“无废细胞”示范创建项目")
    assert (cell.responsible_text, cell.field, cell.extra["所属领域"]) == ("南关区政府", None, "无废细胞")
    assert where(report.warnings) == [(8, "I", "责任单位"), (8, "J", "所属领域")]


def test_a_csv(library: ProjectLibrary, units: dict[str, Unit]) -> None:
    with at("2023-09-04 10:00"):
        report = run(library, units["220700"], NINGJIANG)
    assert report.applied, report.errors
    assert (report.title, report.warnings) == ("松原市宁江区“无废城市”建设项目清单", [])
    # 12000 + 2600 + 5400 (“5,400”) + 3250.75 + 1800 = 25050.75 万元
    assert report.planned_investment == Decimal("25050.75")
    assert Project.objects.filter(region=units["220700"]).count() == 5
    sludge = Project.objects.get(name="宁江区含油污泥无害化处置项目")
    assert (sludge.planned_investment, sludge.field.name if sludge.field else "") == (Decimal("3250.75"), "危险废物")
    assert sludge.responsible_unit == units["220700"]


def test_a_docx_table(library: ProjectLibrary, units: dict[str, Unit]) -> None:
    with at("2023-09-04 10:00"):
        report = run(library, units["220100"], LVYUAN)
    assert report.applied, report.errors
    assert report.title == "长春市绿园区“无废城市”建设项目库清单(第一批)"
    # 9800 + 1260 + 15000 + 2200.25 + 680 = 28940.25; 2023: 4800 + 1260 + 5000 + 680 = 11740
    assert (report.planned_investment, report.yearly) == (Decimal("28940.25"), {2023: Decimal("11740.00")})
    assert report.warnings == []
    assert Project.objects.get(name="绿园区汽车零部件再制造项目").start_year == 2022  # “2022—2024年”


# ---------------------------------------------------------------------------------------------------------------
# Amounts and years


@pytest.mark.parametrize(
    ("written", "years"),
    [
        ("2022-2024年", (2022, 2024)),
        ("2022—2024年", (2022, 2024)),
        ("2022年—2024年", (2022, 2024)),
        ("2023年", (2023, 2023)),
        ("2023-2024", (2023, 2024)),
        ("2023至2024年", (2023, 2024)),
        ("2023", (2023, 2023)),
    ],
)
def test_the_forms_of_construction_years(
    library: ProjectLibrary, units: dict[str, Unit], written: str, years: tuple[int, int]
) -> None:
    report = run(library, units["220700"], csv_table(f"1,某公司,宁江区某项目,建设,{written},100,,"), dry_run=True)
    assert report.ok, report.errors
    assert (report.rows[0].start_year, report.rows[0].end_year) == years


@pytest.mark.parametrize(
    ("unit", "cell", "expected"),
    [
        ("亿元", "1.2", "12000.00"),
        ("亿元", "0.123456", "1234.56"),
        ("亿元", "3500万元", "3500.00"),
        ("万元", "1.2亿元", "12000.00"),
        ("万元", "3500", "3500.00"),
        ("万元", "1234.565", "1234.57"),
        ("万元", '"12,000.5"', "12000.50"),
        ("元", "12000000", "1200.00"),  # a header in 元 is not 万元: 1200万元, not 1200亿元
        ("万元", "3500000元", "350.00"),
    ],
)
def test_amounts_are_stored_in_wan_with_two_decimals(
    library: ProjectLibrary, units: dict[str, Unit], unit: str, cell: str, expected: str
) -> None:
    header = CSV_HEADER.replace("（万元）", f"（{unit}）")
    report = run(library, units["220700"], csv_table(f"1,某公司,宁江区某项目,建设,2023年,{cell},,", header=header))
    assert report.applied, report.errors
    assert Project.objects.get().planned_investment == Decimal(expected)


def test_yearly_columns_under_a_parent_in_a_csv_and_flat(library: ProjectLibrary, units: dict[str, Unit]) -> None:
    two_rows = (
        "序号,项目名称,建设年限,计划总投资（亿元）,分年度计划投资（亿元）,,责任单位\n"
        ",,,,2023年,2024年,\n"
        "1,宁江区甲项目,2023-2024年,1.5,0.5,1,松原市生态环境局\n"
    ).encode()
    report = run(library, units["220700"], two_rows, dry_run=True)
    assert report.ok, report.errors
    assert (report.rows[0].planned, report.rows[0].yearly) == (
        Decimal("15000.00"),
        {2023: Decimal("5000.00"), 2024: Decimal("10000.00")},
    )
    # a year with nothing planned, as tables write it (—, /), is no amount rather than an error
    dashes = (
        "序号,项目名称,建设年限,计划总投资（万元）,2023年计划投资（万元）,2024年计划投资（万元）\n"
        "1,宁江区丙项目,2023-2024年,900,—,900\n2,宁江区丁项目,2023-2024年,600,600,/\n"
    )
    report = run(library, units["220700"], dashes.encode(), dry_run=True)
    assert report.ok, report.errors
    assert [row.yearly for row in report.rows] == [{2024: Decimal("900.00")}, {2023: Decimal("600.00")}]
    flat = "序号,项目名称,建设年限,计划总投资（万元）,其中：2023年计划投资（万元）\n1,宁江区乙项目,2023年,800,800\n"
    report = run(library, units["220700"], flat.encode(), dry_run=True)
    assert report.ok and report.rows[0].yearly == {2023: Decimal("800.00")}


def test_a_total_that_disagrees_with_the_rows_is_a_warning(library: ProjectLibrary, units: dict[str, Unit]) -> None:
    table = csv_table(
        "1,某公司,宁江区甲项目,建设,2023年,1000,,",
        "2,某公司,宁江区乙项目,建设,2023年,250.5,,",
        "小计,,,,,1250.5,,",
        "3,某公司,宁江区丙项目,建设,2023年,300,,",
        "合计,,,,,1600,,",  # the rows add up to 1550.50
    )
    report = run(library, units["220700"], table, dry_run=True)
    assert report.ok and len(report.rows) == 3
    assert where(report.warnings) == [(7, "F", "计划总投资(万元)")]
    assert "1550.50" in report.warnings[0].message and "1600.00" in report.warnings[0].message


def test_errors_name_row_and_column_and_nothing_is_written(library: ProjectLibrary, units: dict[str, Unit]) -> None:
    table = csv_table(
        "1,某公司,宁江区甲项目,建设,2023年,1000,,",
        "2,某公司,宁江区乙项目,建设,明年,1000,,",  # row 4: a year that is none
        "3,某公司,宁江区丙项目,建设,2023年,-50,,",  # row 5: a negative amount
        "4,某公司,,建设,2023年,80,,",  # row 6: no project name
        "5,某公司,宁江区丁项目,建设,2024-2023年,80,,",  # row 7: the years backwards
    )
    report = run(library, units["220700"], table, filename="宁江区.csv")
    assert not report.applied
    assert where(report.errors) == [
        (4, "E", "建设年限"),
        (5, "F", "计划总投资(万元)"),
        (6, "C", "项目名称"),
        (7, "E", "建设年限"),
    ]
    assert {problem.file for problem in report.errors} == {"宁江区.csv"}
    with translation.override("zh-hans"):
        assert str(report.errors[1]).startswith("宁江区.csv，第5行，F列(计划总投资(万元))：")
    assert "明年" in report.errors[0].message
    assert Project.objects.count() == 0
    as_dict = report.as_dict()
    assert as_dict["errors"][1]["row"] == 5 and as_dict["errors"][1]["column"] == "F"


def test_sections_page_breaks_notes_and_other_columns(library: ProjectLibrary, units: dict[str, Unit]) -> None:
    header = "序号,企业名称,项目名称,建设内容,建设年限,计划总投资,责任单位,备注\n"  # no unit: read as 万元
    table = csv_table(
        "一、建筑垃圾,一、建筑垃圾,一、建筑垃圾,一、建筑垃圾,一、建筑垃圾,一、建筑垃圾,一、建筑垃圾,一、建筑垃圾",
        "1,某公司,宁江区建筑垃圾再生项目,年处理建筑垃圾,2023年,500,松原市生态环境局,续建",
        ",,,20万吨,,,,",  # the rest of project 1, after a page break
        "2,某公司,宁江区建筑垃圾再生项目,重复,2023年,500,,",  # the same name again
        "注：金额单位为万元,,,,,,,",
        header=header,
    )
    report = run(library, units["220700"], table, dry_run=True)
    assert [problem.row for problem in report.errors] == [6]
    assert "row 4" in report.errors[0].message
    assert [(problem.row, problem.column) for problem in report.warnings] == [(2, "F"), (5, "A"), (7, "")]
    first = report.rows[0]
    assert (first.scale, first.extra, first.field.name if first.field else "") == (
        "年处理建筑垃圾20万吨",
        {"备注": "续建"},
        "建筑垃圾",
    )


def test_a_region_may_not_change_what_it_has_proposed(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User
) -> None:
    from processes.services.projects import project_propose

    with at("2023-09-04 10:00"):
        assert run(library, units["220700"], NINGJIANG, by=reporter).applied
        project_propose(project=Project.objects.get(name="宁江区废弃风电叶片综合利用项目"), by=reporter)
        changed = NINGJIANG.read_text("utf-8-sig").replace(",12000,", ",12500,").replace(",2600,", ",2700,")
        report = run(library, units["220700"], changed.encode(), filename="ningjiang.csv", by=reporter)
    assert not report.applied
    assert where(report.errors) == [(3, "C", "项目名称")]
    assert Project.objects.get(name="宁江区畜禽粪污资源化利用项目").planned_investment == Decimal("2600.00")


def test_a_missing_column_is_an_error(library: ProjectLibrary, units: dict[str, Unit]) -> None:
    table = "序号,项目名称,建设年限,责任单位\n1,宁江区甲项目,2023年,松原市生态环境局\n".encode()
    report = run(library, units["220700"], table)
    assert not report.applied
    assert "计划总投资" in report.errors[0].message and report.errors[0].row == 1


# ---------------------------------------------------------------------------------------------------------------
# Re-import, batch, who


def test_a_reimport_updates_the_same_projects_and_says_what_changed(
    library: ProjectLibrary, units: dict[str, Unit]
) -> None:
    with at("2023-09-04 10:00"):
        assert run(library, units["220700"], NINGJIANG).applied
        again = run(library, units["220700"], NINGJIANG)
        assert again.applied and (len(again.created), len(again.changes), len(again.unchanged)) == (0, 0, 5)
        changed = NINGJIANG.read_text("utf-8-sig").replace(",12000,", ",12500,").replace("陈某", "陈某某")
        report = run(library, units["220700"], changed.encode(), filename="ningjiang.csv")
    assert report.applied, report.errors
    assert (len(report.created), len(report.unchanged)) == (0, 4)
    assert [change.as_dict() for change in report.changes] == [
        {
            "project": "宁江区废弃风电叶片综合利用项目",
            "row": 3,
            "changes": {"计划总投资": ["12000.00", "12500.00"], "联系人": ["陈某", "陈某某"]},
        }
    ]
    assert Project.objects.filter(region=units["220700"]).count() == 5
    blade = Project.objects.get(name="宁江区废弃风电叶片综合利用项目")
    assert (blade.planned_investment, blade.contact) == (Decimal("12500.00"), "陈某某")
    assert list(blade.events.values_list("action", flat=True)) == [ProjectAction.IMPORTED, ProjectAction.EDITED]
    assert blade.events.last().data["changes"]["计划总投资"] == ["12000.00", "12500.00"]  # type: ignore[union-attr]


def test_a_batch_admits_the_projects_into_it(plan: Plan, units: dict[str, Unit], office_admin: User) -> None:
    library = library_ensure(plan.issuer)
    with at("2023-09-04 10:00"):
        report = run(library, units["220100"], LVYUAN, batch=1)
        assert report.applied, report.errors
        assert len(report.admitted) == 5
        by_office = run(library, units["220700"], NINGJIANG, batch=2, by=office_admin)
        assert by_office.applied, by_office.errors
    projects = Project.objects.filter(region=units["220100"])
    assert {(p.state, p.batch) for p in projects} == {(ProjectState.ADMITTED, 1)}
    waste = projects.get(name="绿园区废塑料再生利用项目")
    assert list(waste.events.values_list("action", "target")) == [
        (ProjectAction.IMPORTED, ProjectState.RESERVE),
        (ProjectAction.PROPOSED, ProjectState.PROPOSED),
        (ProjectAction.ADMITTED, ProjectState.ADMITTED),
    ]
    assert waste.milestones.filter(kind=MilestoneKind.OPERATION).get().planned_date.isoformat() == "2024-12-31"
    # admitted: it owes its reports on 长春's item of task 18
    owed = Obligation.objects.filter(project=waste)
    assert owed.exists() and {(o.assignment.task.number, o.assignment.unit.code) for o in owed} == {("18", "220100")}
    # through the services, as the office
    songyuan = Project.objects.filter(region=units["220700"])
    assert {(p.state, p.batch) for p in songyuan} == {(ProjectState.ADMITTED, 2)}
    assert set(songyuan.first().events.values_list("by", flat=True)) == {office_admin.pk}  # type: ignore[union-attr]


def test_a_region_imports_for_itself_but_not_into_a_batch_nor_for_another(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User
) -> None:
    with at("2023-09-04 10:00"):
        refused = run(library, units["220700"], NINGJIANG, by=reporter, batch=1)
        assert not refused.applied and refused.errors[0].field == "批次"
        other = run(library, units["220100"], LVYUAN, by=reporter)
        assert not other.applied and "长春市生态环境局" in other.errors[0].message
        assert Project.objects.count() == 0
        own = run(library, units["220700"], NINGJIANG, by=reporter)
    assert own.applied, own.errors
    assert {p.state for p in Project.objects.all()} == {ProjectState.RESERVE}


# ---------------------------------------------------------------------------------------------------------------
# The command


def test_the_command_prints_one_json_object(library: ProjectLibrary, units: dict[str, Unit]) -> None:
    out = io.StringIO()
    with at("2023-09-04 10:00"):
        call_command("import_projects", str(CHAOYANG), "--region", "220100", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["projects"] == 5
    assert result["planned_investment"] == 32125.0  # 3.2125 亿元, by hand
    assert result["yearly"] == {"2023": 13500.0, "2024": 15625.0}
    assert result["units"] == ["长春市生态环境局", "长春市住建局"]
    assert (result["created"], result["updated"], result["admitted"], result["applied"]) == (5, 0, 0, True)
    assert result["errors"] == []
    assert [(w["file"], w["row"], w["column"]) for w in result["warnings"]] == [("chaoyang-yi.xlsx", 5, "I")]
    assert {"file", "row", "column", "message"} <= set(result["warnings"][0])
    # again, with a batch: the same projects, now admitted (the library is the programme office's by default)
    out = io.StringIO()
    with at("2023-09-05 10:00"):
        call_command(
            "import_projects", str(CHAOYANG), "--region", "220100", "--batch", "1", "--json", "--issuer", "JL-PRO",
            stdout=out,
        )  # fmt: skip
    again = json.loads(out.getvalue())
    assert (again["created"], again["updated"], again["unchanged"], again["admitted"]) == (0, 0, 5, 5)
    assert Project.objects.filter(state=ProjectState.ADMITTED, batch=1).count() == 5


def test_the_command_dry_run_and_bad_input(library: ProjectLibrary, units: dict[str, Unit], tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("import_projects", str(NINGJIANG), "--region", "220700", "--dry-run", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["dry_run"], result["applied"], result["planned_investment"]) == (True, False, 25050.75)
    assert Project.objects.count() == 0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_table("1,某公司,宁江区甲项目,建设,2023年,-5,,"))
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_projects", str(bad), "--region", "220700", "--json", stdout=out)
    assert refused.value.returncode == 1
    result = json.loads(out.getvalue())
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(3, "F")]
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_projects", str(NINGJIANG), "--region", "999999", "--json", stdout=out)
    assert json.loads(out.getvalue())["errors"][0]["message"] == "No unit has the code 999999."
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_projects", str(NINGJIANG), "--region", "JL-PRO", stdout=out)
    assert "is not a region of" in out.getvalue()
    assert Project.objects.count() == 0


# ---------------------------------------------------------------------------------------------------------------
# The pages


def _upload(client: Any, office: str, path: Path, **fields: Any) -> Any:
    with path.open("rb") as handle:
        return client.post(reverse("plans:project_import", kwargs={"office": office}), {"file": handle, **fields})


def test_the_office_previews_and_confirms(library: ProjectLibrary, units: dict[str, Unit], office_admin: User) -> None:
    with at("2023-09-04 10:00"):
        client = client_for(office_admin)
        page = client.get(reverse("plans:project_import", kwargs={"office": "JL-PRO"}))
        assert page.status_code == 200 and 'name="batch"' in page.content.decode()
        response = _upload(client, "JL-PRO", CHAOYANG, region="220100", batch="")
        assert response.status_code == 302
        preview = client.get(response["Location"])
        html = preview.content.decode()
        assert preview.status_code == 200
        assert re.search(r'data-count="projects">5<', html) and 'data-sum="planned">32125.00<' in html
        assert re.search(r'data-count="created">5<', html) and "长春市住建局" in html
        assert Project.objects.count() == 0  # a preview writes nothing
        token = response["Location"].rstrip("/").rsplit("/", 1)[1]
        done = client.post(
            reverse("plans:project_import_confirm", kwargs={"office": "JL-PRO"}), {"token": token, "action": "confirm"}
        )
        assert done.status_code == 302
    assert Project.objects.filter(region=units["220100"], state=ProjectState.RESERVE).count() == 5
    assert set(Project.objects.values_list("created_by", flat=True)) == {office_admin.pk}


def test_a_region_imports_its_own_and_is_refused_another(
    library: ProjectLibrary, units: dict[str, Unit], office_admin: User, reporter: User
) -> None:
    changchun = UserFactory(username="changchun_reporter", unit=units["220100"], role=Role.REPORTER)
    with at("2023-09-04 10:00"):
        theirs = client_for(changchun)
        assert _upload(theirs, "JL-PRO", NINGJIANG, region="220700").status_code == 403
        # the office's upload is not theirs to preview or confirm
        office = client_for(office_admin)
        staged = _upload(office, "JL-PRO", NINGJIANG, region="220700")["Location"]
        assert theirs.get(staged).status_code == 404
        token = staged.rstrip("/").rsplit("/", 1)[1]
        confirm = reverse("plans:project_import_confirm", kwargs={"office": "JL-PRO"})
        assert theirs.post(confirm, {"token": token, "action": "confirm"}).status_code == 404
        assert Project.objects.count() == 0
        # 松原's own reporter: no batch to choose, their own region only
        own = client_for(reporter)
        page = own.get(reverse("plans:project_import", kwargs={"office": "JL-PRO"})).content.decode()
        assert 'name="batch"' not in page and 'value="220700"' in page and 'value="220100"' not in page
        assert _upload(own, "JL-PRO", LVYUAN, region="220100").status_code == 403
        response = _upload(own, "JL-PRO", NINGJIANG, region="220700")
        assert own.get(response["Location"]).status_code == 200
        token = response["Location"].rstrip("/").rsplit("/", 1)[1]
        assert own.post(confirm, {"token": token, "action": "confirm"}).status_code == 302
    assert {(p.region.code, p.state) for p in Project.objects.all()} == {("220700", ProjectState.RESERVE)}


def test_a_table_with_errors_is_shown_and_cannot_be_confirmed(
    library: ProjectLibrary, units: dict[str, Unit], office_admin: User, tmp_path: Path
) -> None:
    bad = tmp_path / "宁江区.csv"
    bad.write_bytes(csv_table("1,某公司,宁江区甲项目,建设,明年,100,,", "2,某公司,,建设,2023年,-5,,"))
    with at("2023-09-04 10:00"):
        client = client_for(office_admin)
        staged = _upload(client, "JL-PRO", bad, region="220700")["Location"]
        html = client.get(staged).content.decode()
        assert re.search(r'data-count="errors">3<', html) and 'data-testid="confirm"' not in html
        assert "明年" in html
        token = staged.rstrip("/").rsplit("/", 1)[1]
        confirm = reverse("plans:project_import_confirm", kwargs={"office": "JL-PRO"})
        assert client.post(confirm, {"token": token, "action": "confirm"}).status_code == 422
        assert Project.objects.count() == 0
        assert client.post(confirm, {"token": token, "action": "cancel"}).status_code == 302
        assert client.get(staged).status_code == 404  # discarded
