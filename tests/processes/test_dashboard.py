"""数据看板 checked by hand on a small plan, on a frozen clock: progress by region, lights and totals, each person
their own scope, the ranking for the province only."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from processes.models import Assignment, Light, Plan, Role, Unit, User
from processes.services.dashboard import Progress, progress_by_region
from processes.services.lifecycle import assignment_close, assignment_report, assignment_verify
from processes.services.lights import lights_for

from ..conftest import ImportFile
from ..factories import UserFactory
from .test_rounds import at
from .test_views import client_for

pytestmark = pytest.mark.django_db
D = dt.date
PLAN_CSV = (
    "序号,任务,责任单位,完成时限\n"
    "1,建立工作台账,松原市生态环境局、白城市生态环境局、省发改委,8月31日\n"
    "2,完成年度评估,松原市生态环境局、白城市生态环境局,12月31日\n"
)


@pytest.fixture
def plan(units: dict[str, Unit], import_file: ImportFile, supervisor: User, office_admin: User) -> Plan:
    with at("2023-07-01 09:00"):
        assert import_file(PLAN_CSV.encode(), filename="plan.csv").applied
    plan = Plan.objects.get(year=2023)
    songyuan = Assignment.objects.get(task__plan=plan, task__number="1", unit__code="220700")
    reporter = UserFactory(username="sy", unit=units["220700"], role=Role.REPORTER)
    with at("2023-08-30 10:00"):
        assignment_report(assignment=songyuan, by=reporter, text="已建立")
        assignment_verify(assignment=songyuan, by=supervisor)
        assignment_close(assignment=songyuan, by=office_admin)
    return plan


def figures(html: str) -> tuple[dict[str, int], dict[str, tuple[int, int, int]]]:
    tiles = {name: int(value) for name, value in re.findall(r'data-count="(\w+)">(\d+)<', html)}
    regions = {
        code: (int(total), int(closed), int(late))
        for code, total, closed, late in re.findall(
            r'<tr data-region="([\w-]*)" data-total="(\d+)" data-closed="(\d+)" data-late="(\d+)"', html
        )
    }
    return tiles, regions


def test_the_dashboard_adds_up_as_by_hand(plan: Plan, supervisor: User, units: dict[str, Unit]) -> None:
    # 5 September: 松原 closed task 1, task 2 runs to December; 白城's and the provincial department's task 1 is
    # three working days late (yellow); task 2 of 白城 is on track.
    with at("2023-09-05 10:00"):
        html = client_for(supervisor).get("/plans/JL-PRO/2023/dashboard/").content.decode()
    tiles, regions = figures(html)
    assert tiles == {"total": 5, "closed": 1, "open": 4, "late": 2, "red": 0, "yellow": 2, "green": 2}
    assert regions == {"220700": (2, 1, 0), "220800": (2, 0, 1), "": (1, 0, 1)}
    # The bars: 松原 one closed and one on track; 白城 one on track and one late.
    progress = html.split('data-testid="progress-chart"')[1].split("</svg>")[0]
    bars = re.findall(r'<g data-label="([^"]+)" data-total="(\d+)">', progress)
    assert [total for _label, total in bars] == ["2", "2", "1"] and bars[0][0] == "松原市"
    segments = re.findall(r'data-value="(\d+)"', progress.split('data-label="白城市"')[1].split("</g>")[0])
    assert segments == ["1", "1"]  # on track, late (no closed segment drawn)
    lights = html.split('data-testid="lights-chart"')[1].split("</svg>")[0]
    assert re.findall(r'data-total="(\d+)"', lights) == ["1", "2", "1"]  # open items only
    assert 'data-testid="dashboard-ranking"' in html and 'data-testid="ranking-chart"' in html
    assert 'data-testid="burndown"' in html


def test_each_person_sees_their_own_scope_and_no_ranking(plan: Plan, units: dict[str, Unit]) -> None:
    baicheng = UserFactory(username="bc", unit=units["220800"], role=Role.LEADER)
    with at("2023-09-05 10:00"):
        client = client_for(baicheng)
        html = client.get("/plans/JL-PRO/2023/dashboard/").content.decode()
        latest = client.get("/plans/dashboard/")
        assessment = client.get("/plans/assessment/")
    tiles, regions = figures(html)
    assert regions == {"220800": (2, 0, 1)}
    assert tiles["total"] == 2 and tiles["late"] == 1
    assert "松原市" not in html and 'data-testid="dashboard-ranking"' not in html
    assert latest.status_code == 302 and latest["Location"] == "/plans/JL-PRO/2023/dashboard/"
    assert assessment.status_code == 302 and assessment["Location"] == "/plans/JL-PRO/2023/assessment/"


def by_region(progress: Progress) -> dict[str, tuple[int, int, int, int]]:
    """Each region's items, closed, late and red lights."""
    return {r.unit.code: (r.total, r.closed, r.late, r.lights["red"]) for r in progress.regions}


def test_a_past_day_is_counted_as_it_stood_then(plan: Plan, units: dict[str, Unit]) -> None:
    """白城 reports its late task 1 on 20 October. Read in January 2024: on 15 October the item was late and red, on
    25 October neither; on 15 August 松原's task 1 (closed on 30 August) was open; task 2, due on 31 December, is
    late now and was late on none of those days."""
    baicheng = Assignment.objects.get(task__plan=plan, task__number="1", unit__code="220800")
    reporter = UserFactory(username="bc", unit=units["220800"], role=Role.REPORTER)
    with at("2023-10-20 10:00"):
        assignment_report(assignment=baicheng, by=reporter, text="已建立（逾期）")
    with at("2024-01-10 10:00"):
        before = by_region(progress_by_region(plan, None, D(2023, 10, 15)))
        after = by_region(progress_by_region(plan, None, D(2023, 10, 25)))
        august = by_region(progress_by_region(plan, None, D(2023, 8, 15)))
        now = by_region(progress_by_region(plan, None))
        lights = [lights_for([baicheng.pk], day)[baicheng.pk] for day in (D(2023, 10, 15), D(2023, 10, 25))]
    assert before == {"220700": (2, 1, 0, 0), "220800": (2, 0, 1, 1), "": (1, 0, 1, 1)}
    assert after == {"220700": (2, 1, 0, 0), "220800": (2, 0, 0, 0), "": (1, 0, 1, 1)}
    assert august == {"220700": (2, 0, 0, 0), "220800": (2, 0, 0, 0), "": (1, 0, 0, 0)}
    assert now == {"220700": (2, 1, 1, 1), "220800": (2, 0, 1, 1), "": (1, 0, 1, 1)}
    assert lights == [Light.RED, Light.GREEN]
