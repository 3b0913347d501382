"""Regions warned on their own, on a frozen clock: a three-task plan for 松原, 白城 and 长春, figures computed by
hand, the thresholds of the plan's rule, one warning per region and period to its leader and its 包保 leader."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from notifications.models import Message
from processes.models import (
    Assignment,
    Plan,
    RegionWarning,
    RegionWarningRule,
    Role,
    Unit,
    UnitLevel,
    User,
)
from processes.services.assessment import assessment_compute, scheme_ensure
from processes.services.ladder import sweep_day
from processes.services.lifecycle import assignment_report
from processes.services.pairings import pairing_save
from processes.services.region_warnings import period_of, region_figures, region_warnings_check

from ..conftest import ImportFile
from ..factories import UserFactory
from .test_rounds import at
from .test_views import client_for

pytestmark = pytest.mark.django_db
D = dt.date
SONGYUAN, BAICHENG, CHANGCHUN = "220700", "220800", "220100"
UNITS = "松原市生态环境局、白城市生态环境局、长春市生态环境局"
PLAN_CSV = (
    "序号,任务,责任单位,完成时限\n"
    f"1,建立工作台账,{UNITS},8月31日\n"
    f"2,开展宣传活动,{UNITS},9月29日\n"
    f"3,完成年度评估,{UNITS},12月31日\n"
)
# On Friday 1 September, for every region: the items run from 1 July (the import) to their deadlines, so the time
# gone is 100 % (task 1, past due), 62/90 (task 2) and 62/183 (task 3): on average 67.6 %.
#   松原 reported tasks 1 and 2 done: progress (100 + 100 + 0) / 3 = 66.7 %, 0.9 points behind; nothing late.
#   白城 reported nothing: 0 %, 67.6 points behind; task 1 late: 1 of 3 items, 33.3 % ≥ 30 %.  → both reasons
#   长春 reported task 1 done: 33.3 %, 34.3 points behind (≥ 30); nothing late.               → behind schedule


@pytest.fixture
def people(units: dict[str, Unit], office_admin: User) -> dict[str, User]:
    return {
        "office": office_admin,
        "songyuan": UserFactory(username="sy", unit=units[SONGYUAN], role=Role.REPORTER),
        "baicheng": UserFactory(username="bc", unit=units[BAICHENG], role=Role.REPORTER),
        "baicheng_leader": UserFactory(username="bc_leader", unit=units[BAICHENG], role=Role.LEADER),
        "changchun": UserFactory(username="cc", unit=units[CHANGCHUN], role=Role.REPORTER),
        "changchun_leader": UserFactory(username="cc_leader", unit=units[CHANGCHUN], role=Role.LEADER),
        "paired": UserFactory(username="paired", unit=units["JL-EEB"], role=Role.LEADER),
    }


def item(plan: Plan, number: str, code: str) -> Assignment:
    return Assignment.objects.get(task__plan=plan, task__number=number, unit__code=code)


@pytest.fixture
def plan(units: dict[str, Unit], import_file: ImportFile, people: dict[str, User]) -> Plan:
    with at("2023-07-01 09:00"):
        assert import_file(PLAN_CSV.encode(), filename="plan.csv").applied
    plan = Plan.objects.get(year=2023)
    with at("2023-07-01 10:00"):
        pairing_save(
            plan=plan,
            level=UnitLevel.PROVINCE,
            leader=people["paired"],
            unit=units["JL-EEB"],
            regions=[units[SONGYUAN], units[BAICHENG]],
            start=D(2023, 7, 1),
            end=D(2023, 12, 31),
            by=people["office"],
            task=item(plan, "3", SONGYUAN).task,
        )
    with at("2023-08-30 10:00"):
        for number in ("1", "2"):
            assignment_report(assignment=item(plan, number, SONGYUAN), by=people["songyuan"], text="已完成")
        assignment_report(assignment=item(plan, "1", CHANGCHUN), by=people["changchun"], text="已完成")
    return plan


def sweep(day: str) -> None:
    """The morning's deadline sweep, then the regions' check, as beat runs them."""
    with at(f"{day} 07:30"):
        sweep_day(D.fromisoformat(day))
    with at(f"{day} 07:45"):
        region_warnings_check()


def test_the_figures_are_those_computed_by_hand(plan: Plan) -> None:
    figures = {f.region.code: (f.items, f.late, f.elapsed, f.progress) for f in region_figures(plan, D(2023, 9, 1))}
    assert figures == {
        CHANGCHUN: (3, 0, Decimal("67.6"), Decimal("33.3")),
        SONGYUAN: (3, 0, Decimal("67.6"), Decimal("66.7")),
        BAICHENG: (3, 1, Decimal("67.6"), Decimal("0.0")),
    }


def test_regions_past_the_thresholds_are_warned_once_per_period(plan: Plan, people: dict[str, User]) -> None:
    sweep("2023-09-01")
    warnings = {w.region.code: w for w in RegionWarning.objects.all()}
    assert {code: w.reasons for code, w in warnings.items()} == {
        BAICHENG: ["late_share", "behind_schedule"],
        CHANGCHUN: ["behind_schedule"],
    }
    assert (warnings[BAICHENG].period_start, warnings[BAICHENG].period_end) == (D(2023, 9, 1), D(2023, 10, 31))
    # Each region's leader, and 白城's 包保 leader (长春 has none); reporters are not told.
    told = sorted(
        Message.objects.filter(dedupe_key__startswith="region:").values_list("recipient__username", flat=True)
    )
    assert told == ["bc_leader", "cc_leader", "paired"]
    body = Message.objects.get(recipient=people["baicheng_leader"], dedupe_key__startswith="region:").body
    assert "白城市生态环境局" in body and "1" in body and "33.3" in body and "67.6" in body and "30" in body
    subject = Message.objects.get(recipient=people["baicheng_leader"], dedupe_key__startswith="region:").subject
    assert "地区预警" in subject and "序时进度" in subject

    # The 包保 leader sees it on 我的包保; the assessment counts it among the warnings received.
    with at("2023-09-01 09:00"):
        page = client_for(people["paired"]).get("/plans/pairings/").content.decode()
    assert re.search(r'data-region="220800".*?data-testid="warning">2023-09-01', page, re.S)
    with at("2023-10-09 09:00"):
        assessment = assessment_compute(scheme=scheme_ensure(plan), start=D(2023, 9, 1), end=D(2023, 9, 30))
    received = {r.unit.code: c.measure for r in assessment.regions for c in r.contributions if c.metric == "notices"}
    assert received == {SONGYUAN: "0", BAICHENG: "1", CHANGCHUN: "1"}

    # Again on Monday, and on a Saturday: the period's warning was given; nothing new.
    sweep("2023-09-02")
    sweep("2023-09-04")
    assert RegionWarning.objects.count() == 2
    # The next period: 白城 and 长春 are still behind and warned again, once.
    sweep("2023-11-01")
    sweep("2023-11-02")
    assert sorted(
        RegionWarning.objects.filter(period_start=D(2023, 11, 1)).values_list("region__code", flat=True)
    ) == sorted([BAICHENG, CHANGCHUN])


def test_the_rule_sets_the_thresholds_and_can_be_turned_off(plan: Plan) -> None:
    RegionWarningRule.objects.create(plan=plan, late_share=50, schedule_gap=40)
    sweep("2023-09-01")
    assert list(RegionWarning.objects.values_list("region__code", "reasons")) == [(BAICHENG, ["behind_schedule"])]
    RegionWarningRule.objects.filter(plan=plan).update(enabled=False)
    sweep("2023-11-01")
    assert RegionWarning.objects.count() == 1


@pytest.mark.parametrize(
    ("day", "months", "period"),
    [
        (D(2023, 9, 1), 2, (D(2023, 9, 1), D(2023, 10, 31))),
        (D(2023, 12, 31), 2, (D(2023, 11, 1), D(2023, 12, 31))),
        (D(2023, 2, 28), 1, (D(2023, 2, 1), D(2023, 2, 28))),
        (D(2023, 8, 15), 3, (D(2023, 7, 1), D(2023, 9, 30))),
    ],
)
def test_the_periods(day: dt.date, months: int, period: tuple[dt.date, dt.date]) -> None:
    assert period_of(day, months) == period


def test_the_command_prints_the_warnings(plan: Plan) -> None:
    out = io.StringIO()
    with at("2023-09-01 08:00"):
        call_command("warn_regions", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert [(r["unit"], r["reasons"], r["late"], r["items"]) for r in rows] == [
        (CHANGCHUN, ["behind_schedule"], 0, 3),
        (BAICHENG, ["late_share", "behind_schedule"], 1, 3),
    ]
    out = io.StringIO()
    with at("2023-09-01 08:00"):
        call_command("warn_regions", stdout=out)
    assert RegionWarning.objects.count() == 2  # the second run of the day warned no one again


def test_a_past_day_is_checked_as_it_stood_then(plan: Plan, people: dict[str, User]) -> None:
    """白城 reports its late task 1 on 20 October. Checked in January 2024, when task 3 (due 31 December) is late
    too: 16 October counts tasks 1 and 2 late, 25 October task 2 only, 1 September the figures computed by hand;
    the warning given for 16 October says what stood that day."""
    with at("2023-10-20 10:00"):
        assignment_report(assignment=item(plan, "1", BAICHENG), by=people["baicheng"], text="已完成（逾期）")

    def baicheng(day: dt.date) -> tuple[int, int, Decimal]:
        (figures,) = [f for f in region_figures(plan, day) if f.region.code == BAICHENG]
        return figures.items, figures.late, figures.progress

    with at("2024-01-10 09:00"):
        assert baicheng(D(2023, 10, 16)) == (3, 2, Decimal("0.0"))
        assert baicheng(D(2023, 10, 25)) == (3, 1, Decimal("33.3"))
        assert baicheng(D(2023, 9, 1)) == (3, 1, Decimal("0.0"))
        assert baicheng(D(2024, 1, 10)) == (3, 2, Decimal("33.3"))
        warned = {w.region.code: w for w in region_warnings_check(D(2023, 10, 16))}
    warning = warned[BAICHENG]
    assert (warning.day, warning.period_start, warning.items, warning.late) == (D(2023, 10, 16), D(2023, 9, 1), 3, 2)
    assert warning.reasons == ["late_share", "behind_schedule"]
