"""The plan, ledger and task pages as people use them, within their scope."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from processes.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    AssignmentTransition,
    DeadlineKind,
    Plan,
    Role,
    Task,
    TransitionAction,
    Unit,
    User,
)

from ..factories import PASSWORD, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user: User, *, language: str | None = None) -> Client:
    """A browser session of ``user``; ``language`` as the browser asks for it (default: none, so Chinese)."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language) if language else Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def counts(html: str) -> dict[str, int]:
    return {name: int(value) for name, value in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def ledger_units(html: str) -> set[str]:
    return set(re.findall(r'<tr data-unit="([^"]+)"', html))


def test_pages_need_a_login(plan_2023: Plan) -> None:
    for url in (
        "/plans/",
        "/plans/JL-PRO/2023/",
        "/plans/JL-PRO/2023/ledger/",
        "/plans/JL-PRO/2023/tasks/2/",
        "/plans/import/",
    ):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_the_ledger_lists_every_assignment_for_the_province(plan_2023: Plan, supervisor: User) -> None:
    response = client_for(supervisor).get("/plans/JL-PRO/2023/ledger/")
    assert response.status_code == 200
    html = response.content.decode()
    assert counts(html) == {"total": 289, "open": 288, "reported": 0, "verified": 0, "closed": 1, "remaining": 288}
    assert len(re.findall(r"<tr data-unit=", html)) == 50  # a page
    assert "吉林省2023年度“无废城市”建设任务清单" in html


def test_a_reporter_sees_only_their_units_items(plan_2023: Plan, reporter: User) -> None:
    client = client_for(reporter)
    html = client.get("/plans/JL-PRO/2023/ledger/").content.decode()
    assert counts(html)["total"] == 25
    assert ledger_units(html) == {"220700"}
    # The unit filter offers only the reporter's unit, and asking for another unit's items is refused.
    assert re.findall(r'<option value="(\d+)"', html.split('name="unit"')[1].split("</select>")[0]) == [
        str(reporter.unit_id)
    ]
    other = Unit.objects.get(code="220100")
    response = client.get(f"/plans/JL-PRO/2023/ledger/?unit={other.pk}")
    assert other.name not in response.content.decode().split("<tbody>")[1]
    assert "220100" not in ledger_units(response.content.decode())


def test_a_reporter_cannot_open_another_units_task(plan_2023: Plan, reporter: User) -> None:
    client = client_for(reporter)
    assert client.get("/plans/JL-PRO/2023/tasks/1/").status_code == 404  # 省生态环境厅 only
    response = client.get("/plans/JL-PRO/2023/tasks/2/")
    assert response.status_code == 200
    html = response.content.decode()
    assert set(re.findall(r'<tr data-unit="([^"]+)"', html)) == {"220700"}  # not the other ten bureaus
    assert "长春市生态环境局" not in html.split('data-testid="assignments"')[1]


def test_the_plan_page_counts_only_what_the_user_may_see(plan_2023: Plan, reporter: User, supervisor: User) -> None:
    html = client_for(supervisor).get("/plans/JL-PRO/2023/").content.decode()
    assert html.count('href="/plans/JL-PRO/2023/tasks/') == 39
    html = client_for(reporter).get("/plans/JL-PRO/2023/").content.decode()
    assert html.count('href="/plans/JL-PRO/2023/tasks/') == 25
    assert "/plans/JL-PRO/2023/tasks/1/" not in html


def test_the_plan_list_shows_the_counts(plan_2023: Plan, supervisor: User, reporter: User) -> None:
    html = client_for(supervisor).get("/plans/").content.decode()
    cells = re.findall(r'<td class="app-num">(\d+)</td>', html)
    assert cells == ["39", "289", "288", "1"]
    cells = re.findall(r'<td class="app-num">(\d+)</td>', client_for(reporter).get("/plans/").content.decode())
    assert cells == ["25", "25", "25", "0"]


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ("state=closed", 1),
        ("state=assigned", 288),
        ("role=co", 0),
        ("q=包保", 12 + 12 + 11),  # tasks 10 and 11 (12 units each) and 19 (11 units) mention 包保
        ("q=23", 2),
    ],
)
def test_the_ledger_filters(plan_2023: Plan, supervisor: User, query: str, total: int) -> None:
    html = client_for(supervisor).get(f"/plans/JL-PRO/2023/ledger/?{query}").content.decode()
    assert counts(html)["total"] == total


def test_the_ledger_filters_by_unit_and_category(units: dict[str, Unit], import_file, supervisor: User) -> None:
    rows = (
        "序号,任务,责任单位,完成时限\n"
        "一、加强组织领导,,,\n"
        "1,成立推进组,省生态环境厅,已完成\n"
        "2,成立议事机构,各地生态环境局,8月31日\n"
        "二、完善工作机制,,,\n"
        "3,建立会商机制,各地生态环境局,8月31日\n"
    )
    assert import_file(rows.encode(), "plan.csv").applied
    client = client_for(supervisor)
    html = client.get("/plans/JL-PRO/2023/ledger/?category=一、加强组织领导").content.decode()
    assert counts(html)["total"] == 12
    songyuan = units["220700"]
    html = client.get(f"/plans/JL-PRO/2023/ledger/?unit={songyuan.pk}&category=二、完善工作机制").content.decode()
    assert counts(html)["total"] == 1 and ledger_units(html) == {"220700"}


def test_an_unknown_plan_year_is_not_found(plan_2023: Plan, supervisor: User) -> None:
    assert client_for(supervisor).get("/plans/JL-PRO/2031/ledger/").status_code == 404


def _plan_with(n: int, year: int) -> None:
    office, _created = Unit.objects.get_or_create(
        code="JL-PRO", defaults={"name": "推进组办公室", "level": "province", "is_office": True}
    )
    plan = Plan.objects.create(issuer=office, year=year, title=f"{year}年计划", starts_on=dt.date(year, 1, 1))
    task_count = max(1, n // 10)
    tasks = Task.objects.bulk_create(
        Task(
            plan=plan,
            number=str(i + 1),
            position=i + 1,
            text=f"任务{i}",
            deadline_kind=DeadlineKind.ONGOING,
            due_date=f"{year}-12-31",
            category=f"类别{i % 3}",
        )
        for i in range(task_count)
    )
    units = [UnitFactory(code=f"Q{year}{i:03d}", name=f"{year}单位{i}", short_name="") for i in range(10)]
    assignments = Assignment.objects.bulk_create(
        Assignment(task=tasks[i // 10], unit=units[i % 10], role=AssignmentRole.LEAD, state=AssignmentState.ASSIGNED)
        for i in range(n)
    )
    # Each item exists from the first line of its history, as the import writes it.
    AssignmentTransition.objects.bulk_create(
        AssignmentTransition(
            assignment=assignment,
            action=TransitionAction.CREATED,
            target=AssignmentState.ASSIGNED,
            at=dt.datetime(year, 1, 1, tzinfo=dt.UTC),
        )
        for assignment in assignments
    )


def test_the_ledger_runs_the_same_number_of_queries_for_10_and_1000_assignments(db: None) -> None:
    _plan_with(10, 2030)
    _plan_with(1000, 2031)
    supervisor = UserFactory(unit=UnitFactory(code="PROV", level="province", is_office=True), role=Role.SUPERVISOR)
    client = client_for(supervisor)
    client.get("/plans/")  # warm-up: the office's pages read the background's state once per 30 s, not per page
    query_counts = []
    for year in (2030, 2031):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/plans/JL-PRO/{year}/ledger/?as_of={year}-06-30")
        assert response.status_code == 200
        query_counts.append(len(queries))
    assert query_counts[0] == query_counts[1]
    assert counts(client.get("/plans/JL-PRO/2031/ledger/?as_of=2031-06-30").content.decode())["total"] == 1000


def test_categories_of_other_units_tasks_are_not_shown(units: dict[str, Unit], import_file, reporter: User) -> None:
    rows = (
        "序号,任务,责任单位,完成时限\n"
        "一、白城专项整治,,,\n"
        "1,白城任务,白城市生态环境局,8月31日\n"
        "二、全省共性任务,,,\n"
        "2,共性任务,各地生态环境局,8月31日\n"
    )
    assert import_file(rows.encode(), "plan.csv").applied
    client = client_for(reporter)
    for url in ("/plans/JL-PRO/2023/", "/plans/JL-PRO/2023/ledger/"):
        html = client.get(url).content.decode()
        assert "二、全省共性任务" in html and "白城专项整治" not in html, url
