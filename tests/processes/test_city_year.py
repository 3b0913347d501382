"""A city's plan over its whole year, beside the province's: replayed day by day with its own rounds, ladder,
numbered documents and bulletins, then its open items carried into the city's plan of the next year."""

from __future__ import annotations

import datetime as dt

import pytest

from processes.models import Assignment, AssignmentState, Bulletin, Notice, NoticeState, Plan, Unit
from processes.services.carry_over import plan_carry_over
from processes.services.ledger import ledger_as_of
from processes.services.replay import replay_year

from ..conftest import ImportFile
from ..factories import UnitFactory
from .test_rounds import at

pytestmark = pytest.mark.django_db

CITY_PLAN = (
    "序号,任务,责任单位,完成时限\n"
    "1,制定长春市“无废城市”建设年度工作要点,市发改局,7月31日\n"
    "2,推进朝阳区一般工业固体废物综合利用,朝阳区生态环境分局,12月31日\n"
    "3,每月报送工作进展,市发改局、朝阳区生态环境分局,按频次要求持续推进（每月）\n"
    "4,建成生活垃圾分类示范片区,朝阳区生态环境分局,10月底\n"
).encode()
NEXT_YEAR = "序号,任务,责任单位,完成时限\n1,巩固提升固体废物综合利用水平,市发改局,6月30日\n".encode()


@pytest.fixture
def city_units(units: dict[str, Unit]) -> Unit:
    office = units["220100"]
    Unit.objects.filter(pk=office.pk).update(is_office=True)
    UnitFactory(code="220100-DRC", name="长春市发改局", short_name="市发改局", level="county", parent=office)
    UnitFactory(code="220104", name="朝阳区生态环境分局", short_name="朝阳区", level="county", parent=office)
    office.refresh_from_db()
    return office


def test_a_city_plan_lives_its_year_and_carries_what_is_open(
    plan_2023: Plan, city_units: Unit, import_file: ImportFile
) -> None:
    with at("2023-07-10 09:00"):
        report = import_file(CITY_PLAN, "changchun-2023.csv", issuer="220100", starts=dt.date(2023, 7, 10))
    assert report.applied, report.errors
    city_plan = Plan.objects.get(issuer=city_units, year=2023)
    assert city_plan.tasks.count() == 4 and Assignment.objects.filter(task__plan=city_plan).count() == 5

    figures = replay_year(year=2023, issuer="220100", until=dt.date(2023, 12, 31), seed=1)
    assert figures.first_day == "2023-07-10" and figures.last_day == "2023-12-31"
    assert figures.rounds == 5  # August to December, the city's own rounds
    assert figures.closed + figures.open == 5
    # Its documents are the city's own, numbered in its own sequence; the province's plan was not touched.
    issued = Notice.objects.filter(plan=city_plan, state=NoticeState.ISSUED)
    assert issued.exists()
    assert all(notice.doc_no.startswith("长春") and "〔2023〕" in notice.doc_no for notice in issued)
    assert not Notice.objects.filter(plan=plan_2023).exists()
    assert Bulletin.objects.filter(plan=city_plan).count() == figures.bulletins >= 1
    assert not Assignment.objects.filter(task__plan=plan_2023).exclude(state__in=["assigned", "closed"]).exists()

    # The year's end: what is still open is carried into the city's 2024 plan, the counts agree on both ledgers.
    before = ledger_as_of(city_plan, None, dt.date(2023, 12, 31))
    open_before = before.remaining
    assert open_before == figures.open >= 1
    with at("2024-01-03 09:00"):
        report = import_file(NEXT_YEAR, "changchun-2024.csv", year=2024, issuer="220100", starts=dt.date(2024, 1, 2))
        assert report.applied, report.errors
        next_plan = Plan.objects.get(issuer=city_units, year=2024)
        result = plan_carry_over(source=city_plan, target=next_plan, by=None, due=dt.date(2024, 6, 30))
    assert result.applied and result.carried == open_before

    after = ledger_as_of(city_plan, None, dt.date(2024, 1, 5))
    assert (after.total, after.closed, after.carried, after.remaining) == (5, before.closed, open_before, 0)
    assert ledger_as_of(city_plan, None, dt.date(2023, 12, 31)).remaining == open_before  # as it stood then
    new = ledger_as_of(next_plan, None, dt.date(2024, 1, 5))
    assert new.total == 1 + open_before and new.closed == 0
    carried_in = Assignment.objects.filter(task__plan=next_plan, carried_from__isnull=False)
    assert carried_in.count() == open_before
    assert {item.carried_from.state for item in carried_in} == {AssignmentState.CARRIED}  # type: ignore[union-attr]
    assert {item.due_date for item in carried_in} == {dt.date(2024, 6, 30)}
