"""考核评估's 项目序时进度达标率, checked by hand: 松原, 白城 and 长春 with a few projects of the province's library,
reported on by 5 September 2023 and assessed for August–September by a scheme the office made of it (60) and of
close-out (40). The default scheme does not carry it, so existing schemes score as before."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from processes.models import Indicator, Metric, Obligation, ObligationKind, Plan, ScoringScheme, Unit, User
from processes.services.assessment import assessment_compute, scheme_ensure
from processes.services.lifecycle import NotAllowed
from processes.services.projects import (
    ProjectData,
    library_ensure,
    project_admit,
    project_create,
    project_propose,
    project_report_accept,
    project_report_save,
)
from tests.factories import UserFactory

from ..conftest import ImportFile
from .test_rounds import at

pytestmark = pytest.mark.django_db
SONGYUAN, BAICHENG, CHANGCHUN = "220700", "220800", "220100"
PLAN_CSV = (
    "序号,任务,责任单位,完成时限\n"
    "1,建立“无废城市”建设工作台账,松原市生态环境局、白城市生态环境局、长春市生态环境局,8月31日\n"
    "18,各地紧盯列入第一批项目库清单的项目，倒排工期、挂图作战，每两月及时上报各项目进展情况。,"
    "松原市生态环境局、白城市生态环境局、长春市生态环境局,按频次要求持续推进\n"
).encode()
# By hand, as things stood at the end of 30 September 2023. The last report period due by then is 7–8月 (due 5
# September), so the 序时进度 is read at 31 August: day 243 of 365, so 243/365 of a 2023 amount = 66.58 %.
#   松原 A: 3650 planned in 2023, 2430.00 by 31 August (66.58 %); reported 2000 (54.79 %): 11.79 points behind,
#          more than 10 — behind (its 3000 reported on 5 October comes after the day assessed);
#   松原 B: 3650 in 2023, reported 2100 (57.53 %): 9.05 points behind — on schedule;
#   松原 in reserve (谋划储备): not in the library, not counted.                        松原 1 / 2 → 0.5 × 60 = 30.00
#   白城 C: 7300 in 2023, reported 5000 (68.49 %): ahead — on schedule;
#   白城 D: 5000, all planned for 2024: nothing due by 31 August, none reported — on schedule.
#                                                                                      白城 2 / 2 → 1 × 60 = 60.00
#   长春 E: admitted on 10 September, after 31 August: no report was due, not counted.  长春 no projects → 0.00
# Close-out: no item closed, 0 of 40 for each.
EXPECTED = {BAICHENG: ("60.00", 1), SONGYUAN: ("30.00", 2), CHANGCHUN: ("0.00", 3)}


def _project(
    library: object, region: Unit, name: str, total: str, yearly: dict[int, str], end: int = 2023
) -> ProjectData:
    return ProjectData(
        name=name,
        region=region,
        start_year=2023,
        end_year=end,
        planned_investment=Decimal(total),
        yearly={year: Decimal(value) for year, value in yearly.items()},
    )


@pytest.fixture
def plan(units: dict[str, Unit], import_file: ImportFile, office_admin: User, reporter: User) -> Plan:
    baicheng = UserFactory(username="baicheng_reporter", unit=units[BAICHENG], role="reporter")
    with at("2023-07-10 09:00"):
        assert import_file(PLAN_CSV, "plan-2023.csv", starts=dt.date(2023, 7, 10)).applied
        plan = Plan.objects.get(year=2023)
        library = library_ensure(plan.issuer)
    rows = [
        (SONGYUAN, "A 废弃风电叶片综合利用项目", "3650", {2023: "3650"}, 2023, "2000"),
        (SONGYUAN, "B 建筑垃圾资源化利用项目", "3650", {2023: "3650"}, 2023, "2100"),
        (BAICHENG, "C 脱硫石膏综合利用项目", "7300", {2023: "7300"}, 2023, "5000"),
        (BAICHENG, "D 餐厨垃圾资源化利用项目", "5000", {2024: "5000"}, 2024, None),
    ]
    with at("2023-07-12 10:00"):
        for code, name, total, yearly, end, _reported in rows:
            project = project_create(
                library=library, data=_project(library, units[code], name, total, yearly, end), by=office_admin
            )
            project_propose(project=project, by=office_admin)
            project_admit(project=project, by=office_admin, batch=1)
        project_create(  # 谋划储备: not in the library
            library=library, data=_project(library, units[SONGYUAN], "F 秸秆颗粒项目", "900", {}), by=office_admin
        )
    with at("2023-09-10 10:00"):
        project = project_create(
            library=library, data=_project(library, units[CHANGCHUN], "E 汽车拆解回收项目", "9000", {}), by=office_admin
        )
        project_propose(project=project, by=office_admin)
        project_admit(project=project, by=office_admin, batch=1)
    people = {SONGYUAN: reporter, BAICHENG: baicheng}
    for code, name, _total, _yearly, _end, reported in rows:
        if reported is None:
            continue
        owed = Obligation.objects.get(
            project__name=name, kind=ObligationKind.PROJECT_REPORT, period_end=dt.date(2023, 8, 31)
        )
        with at("2023-09-04 10:00"):
            project_report_save(
                obligation=owed,
                by=people[code],
                invested_period=Decimal(reported),
                invested_total=Decimal(reported),
                image_progress="主体施工中",
                submit=True,
            )
        with at("2023-09-06 10:00"):
            project_report_accept(obligation=owed, by=office_admin)
    later = Obligation.objects.get(
        project__name=rows[0][1], kind=ObligationKind.PROJECT_REPORT, period_end=dt.date(2023, 10, 31)
    )
    with at("2023-10-05 10:00"):
        project_report_save(
            obligation=later,
            by=reporter,
            invested_period=Decimal(1000),
            invested_total=Decimal(3000),
            image_progress="设备安装",
            submit=True,
        )
    return plan


def test_projects_on_schedule_by_hand(plan: Plan, units: dict[str, Unit]) -> None:
    scheme = ScoringScheme.objects.create(plan=plan, name="项目推进专项", total=Decimal(100))
    Indicator.objects.create(scheme=scheme, position=1, metric=Metric.PROJECT_PACE, weight=Decimal(60))
    Indicator.objects.create(scheme=scheme, position=2, metric=Metric.CLOSE_OUT, weight=Decimal(40))
    with at("2023-10-09 09:00"):
        assessment = assessment_compute(scheme=scheme, start=dt.date(2023, 8, 1), end=dt.date(2023, 9, 30))
    assert {r.unit.code: (str(r.total), r.rank) for r in assessment.regions} == EXPECTED
    assert [r.unit.code for r in assessment.regions] == [BAICHENG, SONGYUAN, CHANGCHUN]
    pace = {r.unit.code: r.contributions[0] for r in assessment.regions}
    assert pace[SONGYUAN].measure == "1 / 2 (50.0%)" and pace[SONGYUAN].share == Decimal("0.5")
    assert pace[BAICHENG].measure == "2 / 2 (100.0%)"
    assert pace[CHANGCHUN].share == Decimal(0) and pace[CHANGCHUN].points == Decimal(0)

    # A month on (to 31 October) the reference is still 31 August (9–10月 is due on 6 November), but A's 3000 now
    # counts: 82.19 % against 66.58 %, on schedule; 长春's E still not counted.
    with at("2023-11-01 09:00"):
        later = assessment_compute(scheme=scheme, start=dt.date(2023, 8, 1), end=dt.date(2023, 10, 31))
    assert {r.unit.code: str(r.total) for r in later.regions} == {
        BAICHENG: "60.00",
        SONGYUAN: "60.00",
        CHANGCHUN: "0.00",
    }


def test_the_default_scheme_leaves_it_out_and_scope_holds(plan: Plan, units: dict[str, Unit]) -> None:
    scheme = scheme_ensure(plan)
    assert Metric.PROJECT_PACE not in set(scheme.indicators.values_list("metric", flat=True))
    assert sum(scheme.indicators.values_list("weight", flat=True)) == Decimal(100)
    # 白城's reporter cannot report on 松原's project.
    owed = Obligation.objects.filter(
        project__region__code=SONGYUAN, kind=ObligationKind.PROJECT_REPORT, state="open"
    ).first()
    assert owed is not None
    with at("2023-11-01 09:00"), pytest.raises(NotAllowed):
        project_report_save(
            obligation=owed,
            by=User.objects.get(username="baicheng_reporter"),
            invested_period=Decimal(100),
            invested_total=Decimal(5000),
            image_progress="越权",
            submit=True,
        )
