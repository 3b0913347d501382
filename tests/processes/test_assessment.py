"""考核评估 checked against hand-computed scores: a two-task plan for 松原, 白城 and 长春, reported, returned, closed,
warned and visited on a frozen clock, scored by the default scheme for August–September 2023; the ranking and a
region's explanation in the pages, their exports (openpyxl, pdftotext), bad weights and empty periods refused."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

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
    Plan,
    Role,
    ScoringScheme,
    Unit,
    UnitLevel,
    User,
)
from processes.services.assessment import assessment_compute, scheme_ensure
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
# By hand, with the default weights (on time 25, close-out 30, late 15, notices 10, returned 10, visits 10):
#   松原: both reported by their deadlines (2/2 → 25); one of two closed (0.5 → 15); no late item (→ 15);
#         no notice (→ 10); one return, the most of any (1 − 1/1 = 0 → 0); visits rated 5 (→ 10):   75.00
#   白城: neither reported by its deadline (0); none closed (0); two late, the most (0); one notice of at most
#         two (1 − 1/2 → 5); no return (→ 10); visits rated 3 ((3 − 1)/4 = 0.5 → 5):                 20.00
#   长春: nothing reported (0, 0); two late (0); two notices (0); no return (10); not visited: the mean share of
#         the visited, (1 + 0.5)/2 = 0.75 (→ 7.5):                                                    17.50
EXPECTED = {
    SONGYUAN: (1, "75.00", {"on_time": "25.00", "close_out": "15.00", "late": "15.00", "notices": "10.00",
                            "returned": "0.00", "visits": "10.00"}),
    BAICHENG: (2, "20.00", {"on_time": "0.00", "close_out": "0.00", "late": "0.00", "notices": "5.00",
                            "returned": "10.00", "visits": "5.00"}),
    CHANGCHUN: (3, "17.50", {"on_time": "0.00", "close_out": "0.00", "late": "0.00", "notices": "0.00",
                             "returned": "10.00", "visits": "7.50"}),
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
        pairing = pairing_save(
            plan=plan,
            level=UnitLevel.PROVINCE,
            leader=people["paired"],
            unit=units["JL-EEB"],
            regions=[units[SONGYUAN], units[BAICHENG]],
            start=D(2023, 7, 1),
            end=D(2023, 12, 31),
            by=office,
            task=item(plan, "2", SONGYUAN).task,
        )
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
    assert [c.measure for c in songyuan] == ["2 / 2 (100.0%)", "1 / 2 (50.0%)", "0", "0", "1", "5.00"]
    assert assessment.regions[2].contributions[-1].measure == "未督导"  # 长春 was not visited


def test_weights_that_do_not_add_up_and_empty_periods_are_refused(plan: Plan) -> None:
    scheme = scheme_ensure(plan)
    with at("2023-10-09 09:00"):
        Indicator.objects.filter(scheme=scheme, metric=Metric.VISITS).update(weight=Decimal(5))
        with pytest.raises(InvalidInput, match="95"):
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
        html = office.get(f"/plans/2023/assessment/{query}").content.decode()
        ranked = re.findall(r'data-region="(\w+)" data-rank="(\d+)" data-score="([\d.]+)"', html)
        assert ranked == [(code, str(rank), total) for code, (rank, total, _points) in EXPECTED.items()]
        xlsx = office.get(f"/plans/2023/assessment/export.xlsx{query}")
        pdf = office.get(f"/plans/2023/assessment/export.pdf{query}")
        # 白城's own people see their region's explanation, not the ranking nor another region's page.
        baicheng = client_for(people["baicheng"])
        redirected = baicheng.get(f"/plans/2023/assessment/{query}")
        explained = baicheng.get(f"/plans/2023/assessment/{BAICHENG}/{query}").content.decode()
        assert baicheng.get(f"/plans/2023/assessment/{SONGYUAN}/{query}").status_code == 404
        assert baicheng.get(f"/plans/2023/assessment/export.xlsx{query}").status_code == 403
        bad = office.get("/plans/2023/assessment/?start=2023-07-01&end=2023-07-31")
    assert redirected.status_code == 302 and redirected["Location"].startswith(f"/plans/2023/assessment/{BAICHENG}/")
    points = dict(re.findall(r'data-metric="(\w+)" data-points="([\d.]+)"', explained))
    assert points == EXPECTED[BAICHENG][2]
    assert 'data-testid="total">20.00<' in explained
    assert bad.status_code == 400 and 'data-testid="error"' in bad.content.decode()

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = [row for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert [(row[0], row[1], row[2]) for row in rows] == [
        (1, "松原市生态环境局", 75.0),
        (2, "白城市生态环境局", 20.0),
        (3, "长春市生态环境局", 17.5),
    ]
    assert pdf["Content-Type"] == "application/pdf"
    if shutil.which("pdftotext"):
        path = tmp_path / "assessment.pdf"
        path.write_bytes(pdf.content)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        flat = re.sub(r"\s+", "", text)
        for expected in ("松原市生态环境局", "75.00", "17.50", "第1页共1页", "2023-08-01", "2023-09-30"):
            assert expected in flat, expected


def test_a_scheme_of_its_own_weights(plan: Plan) -> None:
    """Only close-out and late items, 50 points each: 松原 50 × 0.5 + 50 = 75; 白城 and 长春 0 + 0."""
    scheme = ScoringScheme.objects.create(plan=plan, name="销号专项", total=Decimal(100))
    Indicator.objects.create(scheme=scheme, position=1, metric=Metric.CLOSE_OUT, weight=Decimal(50))
    Indicator.objects.create(scheme=scheme, position=2, metric=Metric.LATE, weight=Decimal(50))
    with at("2023-10-09 09:00"):
        assessment = assessment_compute(scheme=scheme, start=START, end=END)
    assert [(r.unit.code, str(r.total), r.rank) for r in assessment.regions] == [
        (SONGYUAN, "75.00", 1),
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
        assert measures[(code, "late")] == "2"


def test_a_period_is_assessed_as_it_stood_at_its_end_whatever_happened_since(
    plan: Plan, people: dict[str, User]
) -> None:
    """August's round report: 松原 hands it in on time; it is returned in October and handed in again late.
    白城's late item is closed out in November and 长春 reports its items in November. Assessed again in December,
    August–September scores as it did on 9 October: what stood at the end of September counts."""
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
    assert then[SONGYUAN][2][:3] == ["3 / 3 (100.0%)", "1 / 2 (50.0%)", "0"]
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
    # The same items read at the end of November: 白城's item is closed out, 松原's report came back late.
    measures = {(r.unit.code, c.metric): c.measure for r in later.regions for c in r.contributions}
    assert measures[(BAICHENG, "close_out")] == "1 / 2 (50.0%)"
    assert measures[(SONGYUAN, "on_time")] == "2 / 3 (66.7%)" and measures[(SONGYUAN, "late")] == "1"
