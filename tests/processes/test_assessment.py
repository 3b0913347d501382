"""考核评估 checked against hand-computed scores: a two-task plan for 松原, 白城 and 长春, reported, returned, closed,
warned and visited on a frozen clock, scored by the default scheme for August–September 2023; points reward work, so
a region that did nothing scores 0 and ranks last; the ranking and a region's explanation in the pages, their
exports (openpyxl, pdftotext) titled by their period with Chinese dates, bad weights and empty periods refused, and a
fixed number of queries."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from processes.models import (
    Assignment,
    FocusArea,
    Indicator,
    Metric,
    Notice,
    Obligation,
    ObligationKind,
    Pairing,
    Plan,
    Role,
    ScoringScheme,
    Unit,
    UnitLevel,
    User,
)
from processes.services.assessment import assessment_compute, period_name, scheme_ensure
from processes.services.deadlines import assignment_suspend
from processes.services.lifecycle import (
    InvalidInput,
    assignment_close,
    assignment_report,
    assignment_return,
    assignment_verify,
)
from processes.services.pairings import pairing_save, visit_record
from processes.services.rounds import progress_return, progress_save

from ..conftest import ImportFile
from ..factories import UserFactory
from .test_rounds import at, august
from .test_views import client_for

pytestmark = pytest.mark.django_db
D = dt.date
SONGYUAN, BAICHENG, CHANGCHUN = "220700", "220800", "220100"
PLAN_CSV = (
    "序号,任务,责任单位,完成时限\n"
    "1,建立“无废城市”建设工作台账,松原市生态环境局、白城市生态环境局、长春市生态环境局,8月31日\n"
    "2,开展“无废城市”建设宣传活动,松原市生态环境局、白城市生态环境局、长春市生态环境局,9月29日\n"
)
START, END = D(2023, 8, 1), D(2023, 9, 30)
# By hand, with the default weights (on time 25, close-out 30, late 15, notices 10, returned 10, visits 10), as the
# items stood at the end of September:
#   松原: task 1 reported 30 Aug, by its deadline (31 Aug), and closed; task 2 reported 28 Sep but returned 29 Sep
#         and not handed in again, so its deadline (29 Sep) was not met: on time 1/2 (0.5 × 25 = 12.5); one of two
#         closed (0.5 × 30 = 15); late items 1 of 2 (1 − 1/2 = 0.5 × 15 = 7.5); no notice, and it handed in two
#         reports (1 − 0/2 = 1 → 10); 1 of its 2 reports returned (1 − 1/2 = 0.5 × 10 = 5); visits rated 5
#         ((5 − 1)/4 = 1 → 10):                                          12.5 + 15 + 7.5 + 10 + 5 + 10 = 60.00
#   白城: task 1 reported 5 Sep, after its deadline; task 2 not reported: on time 0/2 (0); none closed (0); late
#         items 2 of 2 (1 − 2/2 = 0); one notice of at most two, and it handed in one report (1 − 1/2 = 0.5 → 5);
#         none of its 1 report returned (1 − 0/1 = 1 → 10); visits rated 3 ((3 − 1)/4 = 0.5 → 5):
#                                                                          0 + 0 + 0 + 5 + 10 + 5 = 20.00
#   长春 did nothing: on time 0/2 (0); none closed (0); late items 2 of 2 (0); two notices, the most, and nothing
#         handed in (0); nothing handed in, so nothing to reward on returns (0, not 10); not visited (0, not the
#         mean of the visited):                                                                    0.00
EXPECTED = {
    SONGYUAN: (1, "60.00", {"on_time": "12.50", "close_out": "15.00", "late": "7.50", "notices": "10.00",
                            "returned": "5.00", "visits": "10.00"}),
    BAICHENG: (2, "20.00", {"on_time": "0.00", "close_out": "0.00", "late": "0.00", "notices": "5.00",
                            "returned": "10.00", "visits": "5.00"}),
    CHANGCHUN: (3, "0.00", {"on_time": "0.00", "close_out": "0.00", "late": "0.00", "notices": "0.00",
                            "returned": "0.00", "visits": "0.00"}),
}  # fmt: skip


@pytest.fixture
def people(units: dict[str, Unit], supervisor: User, office_admin: User) -> dict[str, User]:
    return {
        "songyuan": UserFactory(username="sy", unit=units[SONGYUAN], role=Role.REPORTER),
        "baicheng": UserFactory(username="bc", unit=units[BAICHENG], role=Role.REPORTER),
        "changchun": UserFactory(username="cc", unit=units[CHANGCHUN], role=Role.LEADER),
        "paired": UserFactory(username="paired", unit=units["JL-EEB"], role=Role.LEADER),
        "supervisor": supervisor,
        "office": office_admin,
    }


def pair_songyuan_and_baicheng(plan: Plan, people: dict[str, User], units: dict[str, Unit], *, task: str) -> Pairing:
    """The department's 包保 leader paired with 松原 and 白城 for the second half of 2023, visits owed on ``task``."""
    return pairing_save(
        plan=plan,
        level=UnitLevel.PROVINCE,
        leader=people["paired"],
        unit=units["JL-EEB"],
        regions=[units[SONGYUAN], units[BAICHENG]],
        start=D(2023, 7, 1),
        end=D(2023, 12, 31),
        by=people["office"],
        task=item(plan, task, SONGYUAN).task,
    )


def item(plan: Plan, number: str, code: str) -> Assignment:
    return Assignment.objects.get(task__plan=plan, task__number=number, unit__code=code)


def notice(unit: Unit, number: int, day: dt.date) -> None:
    Notice.objects.create(
        kind="warning_letter",
        year=2023,
        number=number,
        doc_no=f"测试〔2023〕{number}号",
        unit=unit,
        issuer="推进组办公室",
        issued_on=day,
        response_due=day + dt.timedelta(days=7),
    )


@pytest.fixture
def plan(units: dict[str, Unit], import_file: ImportFile, people: dict[str, User]) -> Plan:
    with at("2023-07-01 09:00"):
        assert import_file(PLAN_CSV.encode(), filename="plan.csv").applied
    plan = Plan.objects.get(year=2023)
    supervisor, office = people["supervisor"], people["office"]
    with at("2023-08-30 10:00"):
        assignment_report(assignment=item(plan, "1", SONGYUAN), by=people["songyuan"], text="台账已建立")
    with at("2023-08-31 10:00"):
        assignment_verify(assignment=item(plan, "1", SONGYUAN), by=supervisor)
    with at("2023-09-01 10:00"):
        assignment_close(assignment=item(plan, "1", SONGYUAN), by=office)
    with at("2023-09-05 10:00"):
        assignment_report(assignment=item(plan, "1", BAICHENG), by=people["baicheng"], text="台账已建立（逾期）")
    with at("2023-09-28 10:00"):
        assignment_report(assignment=item(plan, "2", SONGYUAN), by=people["songyuan"], text="已开展宣传")
    with at("2023-09-29 10:00"):
        assignment_return(assignment=item(plan, "2", SONGYUAN), by=supervisor, reason="缺少佐证材料")
    notice(units[BAICHENG], 1, D(2023, 9, 10))
    notice(units[CHANGCHUN], 2, D(2023, 9, 10))
    notice(units[CHANGCHUN], 3, D(2023, 9, 20))
    notice(units[CHANGCHUN], 4, D(2023, 10, 9))  # after the period: not counted
    with at("2023-07-01 10:00"):
        pairing = pair_songyuan_and_baicheng(plan, people, units, task="2")
    with at("2023-09-15 16:00"):
        for code, score in ((SONGYUAN, 5), (BAICHENG, 3)):
            visit_record(
                pairing=pairing,
                region=units[code],
                by=people["paired"],
                visited_on=D(2023, 9, 15),
                participants="省厅",
                ratings={area.value: score for area in FocusArea},
            )
    return plan


def test_the_scores_and_the_ranking_are_those_computed_by_hand(plan: Plan) -> None:
    with at("2023-10-09 09:00"), translation.override("zh-hans"):
        assessment = assessment_compute(scheme=scheme_ensure(plan), start=START, end=END)
    got = {
        r.unit.code: (r.rank, str(r.total), {c.metric: str(c.points) for c in r.contributions})
        for r in assessment.regions
    }
    assert got == EXPECTED
    assert [r.unit.code for r in assessment.regions] == [SONGYUAN, BAICHENG, CHANGCHUN]
    songyuan = assessment.regions[0].contributions
    # On time, close-out, late items (of the items due), notices, returned (of the reports handed in), visits.
    assert [c.measure for c in songyuan] == [
        "1 / 2 (50.0%)",
        "1 / 2 (50.0%)",
        "1 / 2 (50.0%)",
        "0",
        "1 / 2 (50.0%)",
        "5.00",
    ]
    baicheng = {c.metric: c.measure for c in assessment.regions[1].contributions}
    assert (baicheng["late"], baicheng["returned"]) == ("2 / 2 (100.0%)", "0 / 1 (0.0%)")
    changchun = {c.metric: (c.measure, c.share) for c in assessment.regions[2].contributions}
    assert changchun["visits"] == ("未督导", Decimal(0))  # not visited: 0, not the mean of the visited


def test_weights_that_do_not_add_up_and_empty_periods_are_refused(plan: Plan) -> None:
    scheme = scheme_ensure(plan)
    with at("2023-10-09 09:00"):
        Indicator.objects.filter(scheme=scheme, metric=Metric.VISITS).update(weight=Decimal(5))
        with pytest.raises(InvalidInput, match="95 points; the scheme requires 100"):  # not 1E+2
            assessment_compute(scheme=scheme, start=START, end=END)
        Indicator.objects.filter(scheme=scheme, metric=Metric.VISITS).update(weight=Decimal(10))
        with pytest.raises(InvalidInput, match="nothing to assess"):
            assessment_compute(scheme=scheme, start=D(2023, 7, 1), end=D(2023, 7, 31))
        with pytest.raises(InvalidInput, match="took effect on 2023-07-01"):  # before the plan's start
            assessment_compute(scheme=scheme, start=D(2023, 1, 1), end=D(2023, 6, 30))
        with pytest.raises(InvalidInput, match="after today"):
            assessment_compute(scheme=scheme, start=D(2023, 11, 1), end=D(2023, 11, 30))
        with pytest.raises(InvalidInput, match="ends before"):
            assessment_compute(scheme=scheme, start=END, end=START)


def test_the_admin_refuses_weights_that_do_not_add_up(plan: Plan, people: dict[str, User]) -> None:
    people["office"].is_superuser = True
    people["office"].save()
    scheme = scheme_ensure(plan)
    indicators = list(scheme.indicators.order_by("position"))
    form = {
        "plan": plan.pk,
        "name": scheme.name,
        "total": "100",
        "indicators-TOTAL_FORMS": str(len(indicators)),
        "indicators-INITIAL_FORMS": str(len(indicators)),
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
    }
    for index, indicator in enumerate(indicators):
        form |= {
            f"indicators-{index}-id": str(indicator.pk),
            f"indicators-{index}-scheme": str(scheme.pk),
            f"indicators-{index}-position": str(indicator.position),
            f"indicators-{index}-metric": indicator.metric,
            f"indicators-{index}-weight": str(indicator.weight + (5 if index == 0 else 0)),
        }
    client = client_for(people["office"])
    response = client.post(f"/admin/processes/scoringscheme/{scheme.pk}/change/", form)
    assert response.status_code == 200 and "105" in response.content.decode()
    assert sorted(scheme.indicators.values_list("weight", flat=True)) == sorted(i.weight for i in indicators)
    form["indicators-1-weight"] = str(indicators[1].weight - 5)
    assert client.post(f"/admin/processes/scoringscheme/{scheme.pk}/change/", form).status_code == 302


def test_the_ranking_page_its_exports_and_a_region_explaining_its_score(
    plan: Plan, people: dict[str, User], tmp_path: Path
) -> None:
    query = f"?start={START}&end={END}"
    with at("2023-10-09 09:00"):
        office: Client = client_for(people["supervisor"])
        html = office.get(f"/plans/JL-PRO/2023/assessment/{query}").content.decode()
        ranked = re.findall(r'data-region="(\w+)" data-rank="(\d+)" data-score="([\d.]+)"', html)
        assert ranked == [(code, str(rank), total) for code, (rank, total, _points) in EXPECTED.items()]
        xlsx = office.get(f"/plans/JL-PRO/2023/assessment/export.xlsx{query}")
        pdf = office.get(f"/plans/JL-PRO/2023/assessment/export.pdf{query}")
        # 白城's own people see their region's explanation, not the ranking nor another region's page.
        baicheng = client_for(people["baicheng"])
        redirected = baicheng.get(f"/plans/JL-PRO/2023/assessment/{query}")
        explained = baicheng.get(f"/plans/JL-PRO/2023/assessment/{BAICHENG}/{query}").content.decode()
        assert baicheng.get(f"/plans/JL-PRO/2023/assessment/{SONGYUAN}/{query}").status_code == 404
        assert baicheng.get(f"/plans/JL-PRO/2023/assessment/export.xlsx{query}").status_code == 403
        bad = office.get("/plans/JL-PRO/2023/assessment/?start=2023-07-01&end=2023-07-31")
    assert redirected.status_code == 302 and redirected["Location"].startswith(
        f"/plans/JL-PRO/2023/assessment/{BAICHENG}/"
    )
    points = dict(re.findall(r'data-metric="(\w+)" data-points="([\d.]+)"', explained))
    assert points == EXPECTED[BAICHENG][2]
    assert 'data-testid="total">20.00<' in explained
    assert bad.status_code == 400 and 'data-testid="error"' in bad.content.decode()

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = [row for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert [(row[0], row[1], row[2]) for row in rows] == [
        (1, "松原市生态环境局", 60.0),
        (2, "白城市生态环境局", 20.0),
        (3, "长春市生态环境局", 0.0),
    ]
    # Titled by its period (August–September: whole months), dated in Chinese, never ISO.
    assert str(sheet["A1"].value).startswith("2023年8—9月")
    assert sheet["F3"].value == "销号率（30）"  # the weight as written, not 3E+1
    assert "2023年8月1日" in str(sheet["A2"].value) and "2023年9月30日" in str(sheet["A2"].value)
    cells = " ".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", cells), cells
    assert pdf["Content-Type"] == "application/pdf"
    if shutil.which("pdftotext"):
        path = tmp_path / "assessment.pdf"
        path.write_bytes(pdf.content)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        flat = re.sub(r"\s+", "", text)
        for expected in (
            "2023年8—9月",
            "松原市生态环境局",
            "60.00",
            "0.00",
            "第1页共1页",
            "2023年8月1日",
            "2023年9月30日",
        ):
            assert expected in flat, expected
        assert "2023年10月9日09:00" in flat  # when it was made
        assert not re.search(r"\d{4}-\d{2}-\d{2}", flat), flat


def test_a_scheme_of_its_own_weights(plan: Plan) -> None:
    """Only close-out and late items, 50 points each: 松原 50 × 1/2 closed + 50 × (1 − 1/2 items late) = 25 + 25 = 50;
    白城 and 长春 0 + 0 (nothing closed, both items late)."""
    scheme = ScoringScheme.objects.create(plan=plan, name="销号专项", total=Decimal(100))
    Indicator.objects.create(scheme=scheme, position=1, metric=Metric.CLOSE_OUT, weight=Decimal(50))
    Indicator.objects.create(scheme=scheme, position=2, metric=Metric.LATE, weight=Decimal(50))
    with at("2023-10-09 09:00"):
        assessment = assessment_compute(scheme=scheme, start=START, end=END)
    assert [(r.unit.code, str(r.total), r.rank) for r in assessment.regions] == [
        (SONGYUAN, "50.00", 1),
        (CHANGCHUN, "0.00", 2),  # equal scores share a rank, listed in the units' order
        (BAICHENG, "0.00", 2),
    ]


def test_a_plan_imported_after_the_period_is_assessed_from_its_start(
    units: dict[str, Unit], import_file: ImportFile
) -> None:
    """Imported on 1 October with its start, 10 July: its items were assigned then, so August–September is read
    from its history like any other period, and nothing in it had been reported."""
    with at("2023-10-01 09:00"):
        assert import_file(PLAN_CSV.encode(), filename="plan.csv", starts=D(2023, 7, 10)).applied
    plan = Plan.objects.get(year=2023)
    with at("2023-10-09 09:00"), translation.override("zh-hans"):
        assessment = assessment_compute(scheme=scheme_ensure(plan), start=START, end=END)
    assert assessment.ledger_day == END
    measures = {
        (r.unit.code, c.metric): c.measure for r in assessment.regions for c in r.contributions if c.metric != "visits"
    }
    for code in (SONGYUAN, BAICHENG, CHANGCHUN):
        assert measures[(code, "on_time")] == "0 / 2 (0.0%)"
        assert measures[(code, "close_out")] == "0 / 2 (0.0%)"
        assert measures[(code, "late")] == "2 / 2 (100.0%)"


def test_a_period_is_assessed_as_it_stood_at_its_end_whatever_happened_since(
    plan: Plan, people: dict[str, User]
) -> None:
    """August's round report (due 5 September): 松原 hands it in on time; it is returned in October and handed in
    again late. 白城's late item is closed out in November and 长春 reports its items in November. Assessed again in
    December, August–September scores as it did on 9 October: what stood at the end of September counts."""
    with at("2023-09-01 08:00"):
        round_ = august(plan, people["office"])
    report = Obligation.objects.get(round=round_, assignment=item(plan, "2", SONGYUAN))  # task 1 is closed
    with at("2023-09-04 10:00"):
        progress_save(obligation=report, by=people["songyuan"], text="按计划推进", percent=50, submit=True)
    scheme = scheme_ensure(plan)

    def scores() -> dict[str, tuple[int, str, list[str]]]:
        with translation.override("zh-hans"):
            assessment = assessment_compute(scheme=scheme, start=START, end=END)
        return {r.unit.code: (r.rank, str(r.total), [c.measure for c in r.contributions]) for r in assessment.regions}

    with at("2023-10-09 09:00"):
        then = scores()
    # 松原 at the end of September: task 1's deadline met; task 2's missed (its report was returned on the day);
    # task 2's round report on time: 2 of 3 on time, task 2 the one item late of 2.
    assert then[SONGYUAN][2][:3] == ["2 / 3 (66.7%)", "1 / 2 (50.0%)", "1 / 2 (50.0%)"]
    with at("2023-10-10 10:00"):
        progress_return(obligation=report, by=people["supervisor"], reason="缺少佐证材料")
    with at("2023-10-20 10:00"):
        progress_save(obligation=report, by=people["songyuan"], text="补充佐证", percent=60, submit=True)
    with at("2023-11-10 10:00"):
        assignment_verify(assignment=item(plan, "1", BAICHENG), by=people["supervisor"])
        assignment_close(assignment=item(plan, "1", BAICHENG), by=people["office"])
        for number in ("1", "2"):
            assignment_report(assignment=item(plan, number, CHANGCHUN), by=people["changchun"], text="已完成")
    with at("2023-12-01 09:00"):
        assert scores() == then
        later = assessment_compute(scheme=scheme, start=START, end=D(2023, 11, 30))
    # The same items read at the end of November: 白城's item is closed out, its deadline still missed (of its two
    # deadlines and two round reports none on time); 松原's round report came back late: 1 of 3 on time, and still
    # one item late (task 2, late twice).
    measures = {(r.unit.code, c.metric): c.measure for r in later.regions for c in r.contributions}
    assert measures[(BAICHENG, "close_out")] == "1 / 2 (50.0%)" and measures[(BAICHENG, "on_time")] == "0 / 4 (0.0%)"
    assert measures[(SONGYUAN, "on_time")] == "1 / 3 (33.3%)"
    assert measures[(SONGYUAN, "late")] == "1 / 2 (50.0%)"


def single(plan: Plan, metric: Metric) -> ScoringScheme:
    """A scheme of one indicator worth 100 points: its share, as points."""
    scheme = ScoringScheme.objects.create(plan=plan, name=f"{metric}专项", total=Decimal(100))
    Indicator.objects.create(scheme=scheme, position=1, metric=metric, weight=Decimal(100))
    return scheme


def points_of(plan: Plan, scheme: ScoringScheme, *, start: dt.date = START, end: dt.date = END) -> dict[str, str]:
    with translation.override("zh-hans"):
        assessment = assessment_compute(scheme=scheme, start=start, end=end)
    return {r.unit.code: str(r.total) for r in assessment.regions}


def test_a_region_that_did_nothing_ranks_last(
    units: dict[str, Unit], import_file: ImportFile, people: dict[str, User]
) -> None:
    """松原 worked, badly; 白城 did nothing with two items due, and no warning had reached it yet; 长春 did nothing
    with nothing due in the period (its item is due at the year's end). With the default weights:
      松原: task 1 reported 5 Sep, after its deadline; task 2 not reported: on time 0/2 (0); none closed (0); late
            items 2 of 2 (0); two notices, the most (1 − 2/2 = 0); one report handed in, none returned
            (1 − 0/1 = 1 → 10); visited, rated 2 ((2 − 1)/4 = 0.25 × 10 = 2.5):       0 + 0 + 0 + 0 + 10 + 2.5 = 12.50
      白城: nothing on time of 2 (0); none closed (0); late 2 of 2 (0); no notice but nothing handed in (0, not 10);
            nothing handed in (0, not 10); paired but not visited (0, not the mean of the visited, 2.5):        0.00
      长春: nothing due (0, not 25); none closed (0); no item due, so none late, but nothing to reward (0, not 15);
            no notice, nothing handed in (0, not 10; 0, not 10); not visited (0, not 2.5):                      0.00
    The old rules ranked them the other way round: 长春 62.50 (25 + 0 + 15 + 10 + 10 + 2.5), 白城 22.50, 松原 12.50.
    Both regions that did nothing share the last rank, below the region that did anything."""
    plan_csv = (
        "序号,任务,责任单位,完成时限\n"
        "1,建立工作台账,松原市生态环境局、白城市生态环境局,8月31日\n"
        "2,开展宣传活动,松原市生态环境局、白城市生态环境局,9月29日\n"
        "3,完成年度评估,长春市生态环境局,12月31日\n"
    )
    with at("2023-07-01 09:00"):
        assert import_file(plan_csv.encode(), filename="plan.csv").applied
    plan = Plan.objects.get(year=2023)
    with at("2023-07-01 10:00"):
        pairing = pair_songyuan_and_baicheng(plan, people, units, task="1")
    with at("2023-09-05 10:00"):
        assignment_report(assignment=item(plan, "1", SONGYUAN), by=people["songyuan"], text="台账已建立（逾期）")
    notice(units[SONGYUAN], 1, D(2023, 9, 10))
    notice(units[SONGYUAN], 2, D(2023, 9, 20))
    with at("2023-09-15 16:00"):
        visit_record(
            pairing=pairing,
            region=units[SONGYUAN],
            by=people["paired"],
            visited_on=D(2023, 9, 15),
            participants="省厅",
            ratings={area.value: 2 for area in FocusArea},
        )
    with at("2023-10-09 09:00"), translation.override("zh-hans"):
        assessment = assessment_compute(scheme=scheme_ensure(plan), start=START, end=END)
    assert [(r.unit.code, r.rank, str(r.total)) for r in assessment.regions] == [
        (SONGYUAN, 1, "12.50"),
        (CHANGCHUN, 2, "0.00"),  # equal scores share the last rank, listed in the units' order
        (BAICHENG, 2, "0.00"),
    ]
    changchun = {c.metric: c.measure for c in assessment.regions[1].contributions}
    assert changchun["on_time"] == changchun["late"] == "无应报事项"  # nothing due: not applicable, no points
    baicheng = {c.metric: (c.measure, c.points) for c in assessment.regions[2].contributions}
    assert baicheng["notices"] == ("0", Decimal("0.00")) and baicheng["visits"] == ("未督导", Decimal("0.00"))


def test_returns_are_a_rate_of_what_was_handed_in(plan: Plan, people: dict[str, User]) -> None:
    """松原 hands task 2 in again on 30 September: 3 reports handed in (30 Aug, 28 Sep, 30 Sep), 1 returned.
    Returns only, 100 points: 松原 100 × (1 − 1/3) = 66.67; 白城 100 × (1 − 0/1) = 100; 长春 handed in nothing:
    0 (as a count against the worst region, 0 returns, it had the whole 100)."""
    with at("2023-09-30 10:00"):
        assignment_report(assignment=item(plan, "2", SONGYUAN), by=people["songyuan"], text="补充佐证材料")
    with at("2023-10-09 09:00"):
        assert points_of(plan, single(plan, Metric.RETURNED)) == {
            SONGYUAN: "66.67",
            BAICHENG: "100.00",
            CHANGCHUN: "0.00",
        }


def test_late_counts_items_not_obligations(plan: Plan, people: dict[str, User]) -> None:
    """August's round asks every open item for a report by 5 September, and nobody hands one in. 松原's task 2 is
    then late twice (its deadline, its report), and its task 1 (closed 1 September, so owing no report) on time:
    1 late item of 2, however many obligations. Late items only, 100 points: 松原 100 × (1 − 1/2) = 50; 白城 and
    长春, both items late (4 obligations each): 100 × (1 − 2/2) = 0."""
    with at("2023-09-01 08:00"):
        august(plan, people["office"])
    with at("2023-10-09 09:00"), translation.override("zh-hans"):
        assessment = assessment_compute(scheme=single(plan, Metric.LATE), start=START, end=END)
    got = {r.unit.code: (r.contributions[0].measure, str(r.total)) for r in assessment.regions}
    assert got == {
        SONGYUAN: ("1 / 2 (50.0%)", "50.00"),
        BAICHENG: ("2 / 2 (100.0%)", "0.00"),
        CHANGCHUN: ("2 / 2 (100.0%)", "0.00"),
    }
    late = Obligation.objects.filter(assignment__unit__code=SONGYUAN, due_date__lte=END).exclude(
        assignment__task__number="1"
    )
    assert late.count() == 2  # two obligations, one item


def test_what_falls_due_today_is_late_only_once_the_day_is_over(
    units: dict[str, Unit], import_file: ImportFile, people: dict[str, User]
) -> None:
    """Due Friday 29 September: at noon that day 松原 has reported (on time, 100 %) and 白城 not yet, which is
    nothing judged yet; the next morning 白城's is late (0 / 1). On time only, 100 points."""
    plan_csv = "序号,任务,责任单位,完成时限\n1,建立工作台账,松原市生态环境局、白城市生态环境局,9月29日\n"
    with at("2023-07-01 09:00"):
        assert import_file(plan_csv.encode(), filename="plan.csv").applied
    plan = Plan.objects.get(year=2023)
    with at("2023-09-29 08:00"):
        assignment_report(assignment=item(plan, "1", SONGYUAN), by=people["songyuan"], text="台账已建立")
    scheme = single(plan, Metric.ON_TIME)
    september = {"start": D(2023, 9, 1), "end": D(2023, 9, 30)}
    with at("2023-09-29 12:00"):
        assert points_of(plan, scheme, **september) == {SONGYUAN: "100.00", BAICHENG: "0.00"}
        with translation.override("zh-hans"):
            at_noon = assessment_compute(scheme=scheme, **september)
        assert at_noon.regions[1].contributions[0].measure == "无应报事项"
    with at("2023-09-30 00:00"), translation.override("zh-hans"):
        next_day = assessment_compute(scheme=scheme, **september)
    assert [(r.unit.code, r.contributions[0].measure) for r in next_day.regions] == [
        (SONGYUAN, "1 / 1 (100.0%)"),
        (BAICHENG, "0 / 1 (0.0%)"),
    ]


def test_reports_no_longer_owed_are_not_late(
    units: dict[str, Unit], import_file: ImportFile, people: dict[str, User]
) -> None:
    """A monthly report (按频次, 每月) owed by 松原 and 白城, due at each month's end. Both hand in August's on time.
    松原 then finishes the task: reported 5 September, closed out 6 September, so September's report is no longer
    owed; the office suspends 白城's item (中止) on 10 September, which stops its clock. September's report is
    late for neither: on time 1 / 1 each, 100 points of 100 (before, 1 / 2: punished for finishing early)."""
    plan_csv = (
        "序号,任务,责任单位,完成时限\n1,每月报送固体废物台账,松原市生态环境局、白城市生态环境局,按频次要求持续推进\n"
    )
    with at("2023-07-01 09:00"):
        assert import_file(plan_csv.encode(), filename="plan.csv").applied
    plan = Plan.objects.get(year=2023)
    for code, person in ((SONGYUAN, "songyuan"), (BAICHENG, "baicheng")):
        owed = Obligation.objects.get(
            assignment=item(plan, "1", code), kind=ObligationKind.OCCURRENCE, due_date=D(2023, 8, 31)
        )
        with at("2023-08-30 10:00"):
            progress_save(obligation=owed, by=people[person], text="本月台账已报送", submit=True)
    with at("2023-09-05 10:00"):
        assignment_report(assignment=item(plan, "1", SONGYUAN), by=people["songyuan"], text="已完成")
        assignment_verify(assignment=item(plan, "1", SONGYUAN), by=people["supervisor"])
    with at("2023-09-06 10:00"):
        assignment_close(assignment=item(plan, "1", SONGYUAN), by=people["office"])
    with at("2023-09-10 10:00"):
        assignment_suspend(assignment=item(plan, "1", BAICHENG), by=people["office"], reason="项目调整")
    with at("2023-10-09 09:00"), translation.override("zh-hans"):
        assessment = assessment_compute(scheme=single(plan, Metric.ON_TIME), start=START, end=END)
    assert [(r.unit.code, r.contributions[0].measure, str(r.total)) for r in assessment.regions] == [
        (SONGYUAN, "1 / 1 (100.0%)", "100.00"),
        (BAICHENG, "1 / 1 (100.0%)", "100.00"),
    ]


@pytest.mark.parametrize(
    ("start", "end", "name"),
    [
        (D(2023, 1, 1), D(2023, 12, 31), "2023年度"),
        (D(2023, 1, 1), D(2023, 3, 31), "2023年第一季度"),
        (D(2023, 7, 1), D(2023, 9, 30), "2023年第三季度"),
        (D(2023, 10, 1), D(2023, 12, 31), "2023年第四季度"),
        (D(2023, 8, 1), D(2023, 9, 30), "2023年8—9月"),
        (D(2023, 7, 1), D(2023, 8, 31), "2023年7—8月"),
        (D(2023, 1, 1), D(2023, 6, 30), "2023年1—6月"),
        (D(2023, 2, 1), D(2023, 2, 28), "2023年2月"),
        (D(2023, 11, 1), D(2024, 1, 31), "2023年11月—2024年1月"),
        (D(2023, 7, 3), D(2023, 9, 29), "2023年7月3日—9月29日"),
        (D(2023, 7, 1), D(2023, 9, 29), "2023年7月1日—9月29日"),
        (D(2023, 9, 1), D(2023, 9, 15), "2023年9月1日—9月15日"),
        (D(2023, 12, 4), D(2024, 1, 5), "2023年12月4日—2024年1月5日"),
        (D(2023, 10, 11), D(2023, 10, 11), "2023年10月11日"),
    ],
)
def test_a_period_is_named_as_documents_name_it(start: dt.date, end: dt.date, name: str) -> None:
    assert period_name(start, end) == name


def test_the_title_states_the_period_not_the_schemes_name(plan: Plan) -> None:
    """The default scheme is called 年度考核评估; a July–September assessment is the third quarter's, the year's
    assessment the year's."""
    with translation.override("zh-hans"):  # created as the office's pages create it
        scheme = scheme_ensure(plan)
    with at("2023-10-09 09:00"), translation.override("zh-hans"):
        quarter = assessment_compute(scheme=scheme, start=D(2023, 7, 1), end=D(2023, 9, 30))
        months = assessment_compute(scheme=scheme, start=START, end=END)
    with at("2024-01-05 09:00"), translation.override("zh-hans"):
        year = assessment_compute(scheme=scheme, start=D(2023, 1, 1), end=D(2023, 12, 31))
    assert scheme.name == "年度考核评估"
    assert quarter.title.startswith("2023年第三季度") and "年度考核评估" not in quarter.title
    assert months.title.startswith("2023年8—9月") and "年度考核评估" not in months.title
    assert year.title.startswith("2023年度")
    assert "2023年7月1日" in quarter.caption and "2023年9月30日" in quarter.caption


def test_the_assessment_takes_a_fixed_number_of_queries(
    plan: Plan, people: dict[str, User], django_assert_num_queries: Any
) -> None:
    """The scheme's plan, its indicators, the regions, what fell due, the items, notices, region warnings, what was
    handed in and returned, the visits: nine queries, and still nine with a round's worth more obligations."""
    pk = scheme_ensure(plan).pk
    scheme = ScoringScheme.objects.get(pk=pk)  # as a view finds it: its plan not yet read
    with at("2023-10-09 09:00"), django_assert_num_queries(9):
        assessment_compute(scheme=scheme, start=START, end=END)
    with at("2023-09-01 08:00"):
        august(plan, people["office"])
    scheme = ScoringScheme.objects.get(pk=pk)
    with at("2023-10-09 09:00"), django_assert_num_queries(9):
        assessment_compute(scheme=scheme, start=START, end=END)
