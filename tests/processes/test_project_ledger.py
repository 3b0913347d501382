"""项目库台账, 挂图作战, their exports, and the project figures of the dashboard and the bulletin draft, checked by
hand on five projects of the province's library:

- P1 松原, 12000.00 万元 (2023: 8000, 2024: 4000), 第一批; 开工 reported on 20 August (planned 30 June), 累计完成投资
  4000 reported on 4 September and accepted on 6 September: 在建;
- P2 松原, 3000.50 万元 (2023), 第一批; nothing reported: 前期手续;
- P3 长春, 50000.00 万元 (2023—2025), 第二批; 开工 and 竣工投运 reported on 4 September with 20000, accepted: 建成投运;
- P4 长春, 999.00 万元, never proposed: 谋划储备 (not counted);
- P5 松原, 777.00 万元, 第一批, taken out of the library (退库) on 10 September (counted before, not after).

On 15 September: 入库 3 (P1, P2, P3), 已开工 2, 在建 1, 建成投运 1, 前期手续 1; 计划总投资 12000 + 3000.50 + 50000 =
65000.50 万元 (6.50 亿元); 累计完成投资 4000 + 20000 = 24000.00 万元; 投资完成率 24000 / 65000.50 = 36.92 %.
松原: 2 projects, 15000.50 and 4000.00 (26.67 %); 长春: 1, 50000.00 and 20000.00 (40.00 %).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from processes.models import MilestoneKind, Obligation, ObligationKind, Plan, Project, ProjectLibrary, Unit, User
from processes.services.bulletins import bulletin_draft
from processes.services.project_ledger import ALL_STATES, project_figures, yi
from processes.services.projects import (
    PlannedMilestone,
    ProjectData,
    library_ensure,
    milestones_plan,
    project_admit,
    project_create,
    project_propose,
    project_report_accept,
    project_report_save,
    project_withdraw_decide,
    project_withdraw_request,
)
from tests.conftest import ImportFile
from tests.factories import UserFactory

from .test_rounds import at
from .test_views import client_for

pytestmark = pytest.mark.django_db
D = dt.date
URL = "/plans/projects/JL-PRO/"


def _data(units: dict[str, Unit], name: str, region: str, **changes: object) -> ProjectData:
    values: dict[str, object] = {
        "name": name,
        "region": units[region],
        "company": f"{name}公司",
        "start_year": 2023,
        "end_year": 2023,
        "planned_investment": Decimal("1000.00"),
    }
    values.update(changes)
    return ProjectData(**values)  # type: ignore[arg-type]


def _report(project: Project, by: User, total: str, reached: dict[str, dt.date]) -> Obligation:
    owed = Obligation.objects.get(project=project, kind=ObligationKind.PROJECT_REPORT, period_end=D(2023, 8, 31))
    milestones = {m.kind: m.pk for m in project.milestones.all()}
    project_report_save(
        obligation=owed,
        by=by,
        invested_period=Decimal(total),
        invested_total=Decimal(total),
        image_progress="施工中",
        milestones_reached={milestones[kind]: day for kind, day in reached.items()},
        submit=True,
    )
    return owed


# The province's plan with the annex's task 18 (the projects' reporting task) for 长春 and 松原 only: the whole annex
# takes half a minute to import for each test.
PLAN_CSV = (
    "序号,任务,责任单位,完成时限\n"
    "1,建立工作台账,松原市生态环境局,8月31日\n"
    "18,各地紧盯列入第一批项目库清单的项目，倒排工期、挂图作战，每两月及时上报各项目进展情况。,"
    "长春市生态环境局、松原市生态环境局,持续推进\n"
)


@pytest.fixture
def plan(units: dict[str, Unit], import_file: ImportFile) -> Plan:
    with at("2023-07-01 09:00"):
        assert import_file(PLAN_CSV.encode(), filename="plan.csv").applied
    return Plan.objects.get(year=2023)


@pytest.fixture
def library(plan: Plan, units: dict[str, Unit], reporter: User, supervisor: User, office_admin: User) -> ProjectLibrary:
    library = library_ensure(plan.issuer)
    changchun = UserFactory(username="changchun_reporter", unit=units["220100"], role="reporter")
    with at("2023-07-10 10:00"):
        p1 = project_create(
            library=library,
            data=_data(
                units,
                "松原市废弃风电叶片综合利用项目",
                "220700",
                end_year=2024,
                planned_investment=Decimal("12000.00"),
                yearly={2023: Decimal("8000.00"), 2024: Decimal("4000.00")},
            ),
            by=reporter,
        )
        p2 = project_create(
            library=library,
            data=_data(units, "松原市建筑垃圾资源化项目", "220700", planned_investment=Decimal("3000.50")),
            by=reporter,
        )
        p3 = project_create(
            library=library,
            data=_data(units, "长春市餐厨垃圾处理项目", "220100", end_year=2025, planned_investment=Decimal("50000")),
            by=changchun,
        )
        project_create(
            library=library,
            data=_data(units, "长春市储备项目", "220100", planned_investment=Decimal("999")),
            by=changchun,
        )
        p5 = project_create(
            library=library,
            data=_data(units, "松原市退库项目", "220700", planned_investment=Decimal("777")),
            by=reporter,
        )
        for project, by, batch in ((p1, reporter, 1), (p2, reporter, 1), (p3, changchun, 2), (p5, reporter, 1)):
            project_propose(project=project, by=by)
            project_admit(project=project, by=office_admin, batch=batch)
            # The office plans the 倒排工期 as the table gave it: 前期手续 by 31 March, 开工 by 30 June of 2023.
            planned = {
                MilestoneKind.PREPARATION: D(project.start_year, 3, 31),
                MilestoneKind.GROUNDBREAKING: D(2023, 6, 30),
            }
            milestones_plan(
                project=project,
                by=office_admin,
                milestones=[
                    PlannedMilestone(m.label, planned.get(m.kind, m.planned_date), m.kind, m.pk)
                    for m in project.milestones.all()
                ],
            )
    with at("2023-09-04 10:00"):
        owed1 = _report(p1, reporter, "4000", {MilestoneKind.GROUNDBREAKING: D(2023, 8, 20)})
        owed3 = _report(
            p3,
            changchun,
            "20000",
            {MilestoneKind.GROUNDBREAKING: D(2023, 7, 20), MilestoneKind.OPERATION: D(2023, 9, 1)},
        )
    with at("2023-09-06 10:00"):
        project_report_accept(obligation=owed1, by=office_admin)
        project_report_accept(obligation=owed3, by=office_admin)
    with at("2023-09-10 10:00"):
        project_withdraw_request(project=p5, by=reporter, reason="企业经营困难，项目终止")
        project_withdraw_decide(project=p5, by=office_admin, approve=True)
    return library


def _counts(html: str) -> dict[str, str]:
    found = dict(re.findall(r'data-project-(?:count|sum)="(\w+)">([^<]+)<', html))
    return {key: value.strip() for key, value in found.items()}


def _rows(html: str) -> list[str]:
    table = html.split('data-testid="project-table"')[1].split("</tbody>")[0]
    return re.findall(r'<tr data-project="\d+" data-region="(\w+)" data-state="(\w+)"', table)


def test_the_figures_add_up_as_by_hand(library: ProjectLibrary, supervisor: User) -> None:
    with at("2023-09-15 10:00"):
        ledger = project_figures(library, viewer=supervisor)
    figures = ledger.figures
    assert (figures.projects, figures.started, figures.building, figures.completed, figures.preparing) == (
        3,
        2,
        1,
        1,
        1,
    )
    assert (figures.planned, figures.invested, figures.invested_percent) == (
        Decimal("65000.50"),
        Decimal("24000.00"),
        Decimal("36.92"),
    )
    assert figures.planned_yi == Decimal("6.50") and yi(Decimal("5176300")) == Decimal("517.63")
    regions = {r.unit.code: (r.figures.projects, r.figures.planned, r.figures.invested, r.figures.invested_percent)
               for r in ledger.regions}  # fmt: skip
    assert regions == {
        "220700": (2, Decimal("15000.50"), Decimal("4000.00"), Decimal("26.67")),
        "220100": (1, Decimal("50000.00"), Decimal("20000.00"), Decimal("40.00")),
    }
    # P1's 序时进度 on 15 September: 258/365 of 2023's 8000 = 5654.79 (47.12 %); 4000 is 33.33 %: behind by more than
    # the 10 points of the threshold. P2's next milestone, 前期手续 by 31 March as the office planned it: overdue, red.
    lines = {row.project.name: row for row in ledger.rows}
    p1, p2 = lines["松原市废弃风电叶片综合利用项目"], lines["松原市建筑垃圾资源化项目"]
    assert (p1.expected, p1.expected_percent, p1.invested_percent, p1.lagging) == (
        Decimal("5654.79"),
        Decimal("47.12"),
        Decimal("33.33"),
        True,
    )
    assert p2.next_milestone is not None and (p2.next_milestone.kind, p2.next_light) == ("preparation", "red")
    assert lines["长春市餐厨垃圾处理项目"].next_milestone is None  # 建成投运: nothing more owed
    # every state: P4 (储备) and P5 (退库) are listed but not counted
    everything = project_figures(library, viewer=supervisor, state=ALL_STATES, as_of=D(2023, 9, 15))
    assert len(everything.rows) == 5 and everything.figures.projects == 3
    assert (everything.listed_planned, everything.listed_invested) == (Decimal("66776.50"), Decimal("24000.00"))


def test_the_figures_take_the_same_queries_for_more_projects(library: ProjectLibrary, supervisor: User) -> None:
    with at("2023-09-15 10:00"):
        with CaptureQueriesContext(connection) as three:
            assert len(project_figures(library, viewer=supervisor).rows) == 3
        with CaptureQueriesContext(connection) as five:
            assert len(project_figures(library, viewer=supervisor, state=ALL_STATES).rows) == 5
    assert len(three) == len(five)


def test_a_past_day_is_answered_from_history(library: ProjectLibrary, supervisor: User) -> None:
    with at("2023-09-15 10:00"):
        # 1 September: the four admitted projects (P5 not yet out), none started, nothing reported
        first = project_figures(library, viewer=supervisor, as_of=D(2023, 9, 1)).figures
        # 5 September: the reports were submitted (counted), not yet accepted (the projects still 已入库)
        fifth = project_figures(library, viewer=supervisor, as_of=D(2023, 9, 5)).figures
        # 9 July: nothing in the library yet
        before = project_figures(library, viewer=supervisor, as_of=D(2023, 7, 9)).figures
    assert (first.projects, first.preparing, first.started, first.planned, first.invested) == (
        4,
        4,
        0,
        Decimal("65777.50"),
        Decimal("0.00"),
    )
    assert (fifth.projects, fifth.preparing, fifth.invested) == (4, 4, Decimal("24000.00"))
    assert before.projects == 0


def test_the_ledger_page_filters_and_keeps_to_the_viewers_region(
    library: ProjectLibrary, supervisor: User, reporter: User, units: dict[str, Unit]
) -> None:
    with at("2023-09-15 10:00"):
        client = client_for(supervisor)
        html = client.get(URL).content.decode()
        assert _counts(html) == {
            "projects": "3",
            "started": "2",
            "building": "1",
            "completed": "1",
            "preparing": "1",
            "planned": "65000.50",
            "planned_yi": "6.50亿元",
            "invested": "24000.00",
            "invested_yi": "2.40亿元",
            "percent": "36.92%",
        }
        assert _rows(html) == [("220100", "completed"), ("220700", "building"), ("220700", "admitted")]
        assert 'data-sum="planned">65000.50<' in html and 'data-sum="invested">24000.00<' in html
        assert 'data-testid="project-new"' in html and 'data-testid="project-legend"' in html
        assert re.search(r'data-region-figures="220700" data-projects="2" data-started="1"', html)
        # filters
        songyuan = client.get(URL, {"region": "220700"}).content.decode()
        assert {region for region, _state in _rows(songyuan)} == {"220700"} and _counts(songyuan)["projects"] == "2"
        built = client.get(URL, {"state": "completed"}).content.decode()
        assert _rows(built) == [("220100", "completed")]
        second = client.get(URL, {"batch": "2"}).content.decode()
        assert _rows(second) == [("220100", "completed")]
        every = client.get(URL, {"state": "all"}).content.decode()
        assert len(_rows(every)) == 5 and _counts(every)["projects"] == "3"
        assert 'data-sum="planned">66776.50<' in every
        past = client.get(URL, {"as_of": "2023-09-01"}).content.decode()
        assert (_counts(past)["projects"], _counts(past)["preparing"], _counts(past)["invested"]) == ("4", "4", "0.00")
        # 松原's reporter: only 松原's projects; 长春's are refused, on every page
        mine = client_for(reporter)
        own = mine.get(URL).content.decode()
        assert {region for region, _state in _rows(own)} == {"220700"} and _counts(own)["projects"] == "2"
        assert "长春市餐厨垃圾处理项目" not in own
        assert mine.get(URL, {"region": "220100"}).status_code == 404
        assert mine.get(URL + "chart/", {"region": "220100"}).status_code == 404
        assert mine.get(URL + "export.xlsx", {"region": "220100"}).status_code == 404
        assert mine.get(URL + "chart.pdf", {"region": "220100"}).status_code == 404
        # a library nobody's: 404
        assert mine.get("/plans/projects/NOPE/").status_code == 404


def test_the_xlsx_has_the_rows_and_the_sums(library: ProjectLibrary, supervisor: User, reporter: User) -> None:
    from openpyxl import load_workbook

    with at("2023-09-15 10:00"):
        response = client_for(supervisor).get(URL + "export.xlsx", {"state": "all"})
        own = client_for(reporter).get(URL + "export.xlsx", {"state": "all"})
    # 松原's reporter: 松原's three projects (P1, P2 and P5, 退库) and their sums only
    own_sheet = load_workbook(io.BytesIO(own.content)).active
    assert own_sheet is not None
    own_rows = [[cell.value for cell in row] for row in own_sheet.iter_rows(min_row=4)]
    assert {row[1] for row in own_rows[:-1]} == {"松原市"} and len(own_rows) == 4
    assert Decimal(str(own_rows[-1][7])) == Decimal("15777.50")  # 12000 + 3000.50 + 777
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    heads = [cell.value for cell in sheet[3]]
    assert heads[:11] == [
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
    ]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)]
    body, total = rows[:-1], rows[-1]
    assert len(body) == 5 and total[0] == "合计"
    # the sums by hand: 12000 + 3000.50 + 777 + 50000 + 999 and 4000 + 20000
    assert sum(Decimal(str(row[7])) for row in body) == Decimal("66776.50") == Decimal(str(total[7]))
    assert sum(Decimal(str(row[8] or 0)) for row in body) == Decimal("24000") == Decimal(str(total[8]))
    assert Decimal(str(total[9])) == Decimal("35.94")  # 24000 / 66776.50
    p1 = next(row for row in body if row[3] == "松原市废弃风电叶片综合利用项目")
    assert (p1[1], p1[5], p1[6], Decimal(str(p1[8])), Decimal(str(p1[9]))) == (
        "松原市",
        "第一批",
        "2023—2024年",
        Decimal("4000"),
        Decimal("33.33"),
    )
    assert "65000.50" in str(sheet["A2"].value)


def _pdf_text(content: bytes, tmp_path: object) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = f"{tmp_path}/out.pdf"
    with open(path, "wb") as handle:
        handle.write(content)
    text = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", text)


def test_the_ledger_pdf(library: ProjectLibrary, supervisor: User, tmp_path: object) -> None:
    with at("2023-09-15 10:00"):
        response = client_for(supervisor).get(URL + "export.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content, tmp_path)
    for expected in ("推进组办公室“无废城市”建设项目库", "合计", "65000.50", "24000.00", "36.92%", "6.50亿元",
                     "松原市建筑垃圾资源化项目", "长春市餐厨垃圾处理项目", "第二批"):  # fmt: skip
        assert expected in text, expected
    assert "长春市储备项目" not in text  # 谋划储备 is not in the library


def test_the_chart_places_the_milestones_on_the_months(library: ProjectLibrary, supervisor: User) -> None:
    # 松原: P1 (2023—2024) and P2 (2023): 24 months over 1000 − 240 − 10 = 750 px, 31.25 px a month from x = 240.
    with at("2023-09-15 10:00"):
        html = client_for(supervisor).get(URL + "chart/", {"region": "220700"}).content.decode()
    svg = html.split('data-testid="gantt"')[1].split("</svg>")[0]
    assert re.findall(r'data-year="(\d+)"', svg) == ["2023", "2024"]
    p1 = Project.objects.get(name="松原市废弃风电叶片综合利用项目")
    p2 = Project.objects.get(name="松原市建筑垃圾资源化项目")
    # bars: P1 from 1 January 2023 (240) to 31 December 2024 (240 + (23 + 30/31) × 31.25 = 989.0); P2 to 614.0
    assert f'data-project="{p1.pk}" data-bar-x="240.0" data-bar-w="749.0"' in svg
    assert f'data-project="{p2.pk}" data-bar-x="240.0" data-bar-w="374.0"' in svg
    # P1's 开工: planned 30 June (240 + (5 + 29/30) × 31.25 = 426.5), reached 20 August (240 + (7 + 19/31) × 31.25 =
    # 477.9), late: a red line between; 主体完工 (30 September 2024) still to come, not late.
    start = p1.milestones.get(kind=MilestoneKind.GROUNDBREAKING)
    marker = re.search(rf'<g data-milestone="{start.pk}"[^>]*>', svg)
    assert marker is not None
    assert 'data-planned-x="426.5"' in marker.group(0) and 'data-actual-x="477.9"' in marker.group(0)
    assert 'data-late="1"' in marker.group(0)
    block = svg.split(f'data-milestone="{start.pk}"')[1].split("</g>")[0]
    assert 'x1="426.5"' in block and 'x2="477.9"' in block and "data-lateness" in block
    assert 'data-marker="planned"' in block and 'data-marker="actual"' in block
    main = p1.milestones.get(kind=MilestoneKind.MAIN_WORKS)
    later = re.search(rf'<g data-milestone="{main.pk}"[^>]*>', svg)
    assert later is not None and 'data-late="0"' in later.group(0) and "data-actual" not in later.group(0)
    # P2's 前期手续 (31 March) not reached: late, the red line runs to today (15 September: 240 + (8 + 14/30) × 31.25)
    preparation = p2.milestones.get(kind=MilestoneKind.PREPARATION)
    overdue = svg.split(f'data-milestone="{preparation.pk}"')[1].split("</g>")[0]
    assert 'data-late="1"' in overdue and 'x2="504.6"' in overdue and 'data-marker="actual"' not in overdue
    assert 'data-today="2023-09-15" data-today-x="504.6"' in svg
    # 长春's projects are not on 松原's chart
    assert "长春市餐厨垃圾处理项目" not in svg


def test_the_chart_pdf(library: ProjectLibrary, supervisor: User, tmp_path: object) -> None:
    with at("2023-09-15 10:00"):
        response = client_for(supervisor).get(URL + "chart.pdf", {"region": "220700"})

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content, tmp_path)
    for expected in (
        "挂图作战",
        "松原市",
        "2023年",
        "2024年",
        "松原市废弃风电叶片综合利用项目",
        "松原市建筑垃圾资源化项目",
    ):
        assert expected in text, expected
    assert "长春市餐厨垃圾处理项目" not in text


def test_the_dashboard_and_the_bulletin_quote_the_library(
    library: ProjectLibrary, plan: Plan, supervisor: User, office_admin: User, reporter: User
) -> None:
    with at("2023-09-15 10:00"):
        html = client_for(supervisor).get("/plans/JL-PRO/2023/dashboard/").content.decode()
        own = client_for(reporter).get("/plans/JL-PRO/2023/dashboard/").content.decode()
        bulletin = bulletin_draft(plan=plan, by=office_admin, period_start=D(2023, 9, 1), period_end=D(2023, 9, 30))
    block = html.split('data-testid="dashboard-projects"')[1].split("</section>")[0]
    assert _counts(block) == {
        "projects": "3",
        "completed": "1",
        "building": "1",
        "preparing": "1",
        "invested": "24000.00",
    }
    assert "6.50" in block
    assert _counts(own.split('data-testid="dashboard-projects"')[1].split("</section>")[0])["projects"] == "2"
    assert bulletin.figures["projects"]["projects"] == 3 and bulletin.figures["projects"]["invested"] == "24000.00"
    text = bulletin.pieces.get(position=1).text
    assert (
        "项目库入库项目3个，总投资约6.50亿元；其中建成投运1个，在建1个，正在办理前期手续的1个，累计完成投资24000.00万元。"
        in text
    )


def test_no_project_figures_without_projects(plan: Plan, supervisor: User, office_admin: User) -> None:
    library_ensure(plan.issuer)
    with at("2023-09-15 10:00"):
        html = client_for(supervisor).get("/plans/JL-PRO/2023/dashboard/").content.decode()
        bulletin = bulletin_draft(plan=plan, by=office_admin, period_start=D(2023, 9, 1), period_end=D(2023, 9, 30))
    assert 'data-testid="dashboard-projects"' not in html
    assert bulletin.figures["projects"] is None and "项目库" not in bulletin.pieces.get(position=1).text
