"""项目库 in a real Chromium: with the 2023 plan imported, 松原's reporter enters a project and proposes it (申报入库);
the province's office admin admits it into 第一批; in September the reporter files the 7—8月 report with 本期 and 累计
investment, the day 开工 was reached and a photo; the office accepts it, and the project page shows 在建, the
累计完成投资 and every step on its timeline.

The clock starts on 10 August 2023 (ticking, the live server's thread included) and is moved to Monday 4 September
for the report (due on the 5th); the people then sign in again in fresh browser contexts, as the idle timeout would
have signed them out over three weeks. ``check_chart`` is the chart step (挂图作战) for when that page is merged: the
integrator calls it at the end of the test.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import Page, expect

from processes.models import (
    Evidence,
    MilestoneKind,
    Obligation,
    ObligationKind,
    ObligationState,
    Plan,
    Project,
    ProjectAction,
    ProjectState,
    User,
)

from ..lifecycle_helpers import PNG
from .conftest import Person, Shot, log_in, open_my_todo, prefixed

pytestmark = pytest.mark.e2e

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
AUGUST = dt.datetime(2023, 8, 10, 9, tzinfo=SHANGHAI)
SEPTEMBER = dt.datetime(2023, 9, 4, 9, tzinfo=SHANGHAI)  # a Monday; the 7—8月 report is due on Tuesday the 5th
NAME = "松原市废弃风电叶片综合利用项目"
COMPANY = "松原市某新能源有限公司"
SCALE = "年处理废弃风电叶片2万吨，建设破碎、分选生产线各一条"
PROGRESS = "主体厂房基础施工完成，钢结构进场安装。"
PHOTO = "现场照片.png"


@pytest.fixture
def clock() -> Iterator[Any]:
    """The clock at ``AUGUST`` and ticking, from before the plan is imported to the end of the test."""
    with time_machine.travel(AUGUST, tick=True) as traveller:
        yield traveller


def project_card(page: Page) -> Any:
    return page.locator('[data-testid="project"]')


def test_a_region_enters_a_project_the_office_admits_it_and_a_bimonthly_report_is_accepted(
    clock: Any,  # first: the plan is imported on the held clock
    page: Page,
    shot: Shot,
    person: Person,
    plan_2023: Plan,
    reporter: User,
    office_admin: User,
    tmp_path: Path,
) -> None:
    photo = tmp_path / PHOTO
    photo.write_bytes(PNG)

    # 松原's reporter opens 项目库 from the menu and enters the project.
    as_reporter = prefixed(shot, "reporter")
    log_in(page, reporter, as_reporter)
    page.locator('[data-testid="menu-projects"]').first.click()
    page.wait_for_url("**/plans/projects/JL-PRO/")
    page.goto(reverse("plans:project_new", kwargs={"office": "JL-PRO"}))
    form = page.locator('[data-testid="project-form"] form')
    expect(form.locator("select[name=region] option:checked")).to_contain_text("松原")
    form.locator("input[name=company]").fill(COMPANY)
    form.locator("input[name=name]").fill(NAME)
    form.locator("textarea[name=scale]").fill(SCALE)
    form.locator("input[name=start_year]").fill("2023")
    form.locator("input[name=end_year]").fill("2024")
    form.locator("input[name=planned_investment]").fill("12000")
    form.locator("textarea[name=yearly]").fill("2023:8000\n2024:5000")  # more than the total: refused, kept
    form.locator("input[name=contact]").fill("张三")
    form.locator("input[name=contact_phone]").fill("0438-1234567")
    form.locator('[data-testid="save-project"]').click()
    error = page.locator('[data-field="yearly"] [data-testid="field-error"]')
    expect(error).to_contain_text("13000")
    expect(page.locator("input[name=name]")).to_have_value(NAME)
    as_reporter("entry-refused")
    page.locator("textarea[name=yearly]").fill("2023:8000\n2024:4000")
    page.locator('[data-testid="save-project"]').click()
    page.wait_for_url(re.compile(r"/plans/projects/items/\d+/$"))
    project = Project.objects.get(name=NAME)
    expect(project_card(page)).to_have_attribute("data-state", ProjectState.RESERVE)
    expect(page.locator('[data-testid="particulars"]')).to_contain_text(COMPANY)
    as_reporter("entered")

    # … and proposes it for the library (申报入库).
    page.locator('[data-testid="propose"]').click()
    expect(project_card(page)).to_have_attribute("data-state", ProjectState.PROPOSED)
    expect(page.locator('[data-testid="admit"]')).to_have_count(0)  # the office's step, not the region's
    as_reporter("proposed")

    # The province's office admin admits it into 第一批.
    office, as_office = person(office_admin, "office")
    office.goto(reverse("plans:project", kwargs={"pk": project.pk}))
    expect(office.locator('[data-testid="batch"]')).to_have_value("1")
    as_office("to-admit")
    office.locator('[data-testid="admit"]').click()
    expect(project_card(office)).to_have_attribute("data-state", ProjectState.ADMITTED)
    expect(office.locator('[data-testid="project-batch"]')).to_have_text("第一批")
    expect(office.locator('[data-testid="milestones"] tr[data-milestone]')).to_have_count(4)
    as_office("admitted")
    start = project.milestones.get(kind=MilestoneKind.GROUNDBREAKING)
    owed = Obligation.objects.get(project=project, kind=ObligationKind.PROJECT_REPORT, period_end=dt.date(2023, 8, 31))
    assert owed.assignment.task.number == "18" and owed.assignment.unit.code == "220700"
    assert owed.due_date == dt.date(2023, 9, 5)

    # September: the reporter files the 7—8月 report from 我的待办.
    clock.move_to(SEPTEMBER)
    region, as_region = person(reporter, "reporter-september")
    open_my_todo(region)
    row = region.locator(f'[data-testid="owed"] tr[data-obligation="{owed.pk}"]')
    expect(row).to_contain_text("2023年7—8月项目进展")
    as_region("todo")
    row.locator("a").first.click()
    region.wait_for_url(f"**/plans/projects/reports/{owed.pk}/")
    report_form = region.locator('[data-testid="project-report-form"]')
    expect(region.locator('[data-testid="expected"]')).to_contain_text("5326.03")  # 序时进度 on 31 August
    report_form.locator("input[name=invested_period]").fill("4500")
    report_form.locator("input[name=invested_total]").fill("4500")
    report_form.locator("textarea[name=image_progress]").fill(PROGRESS)
    report_form.locator("textarea[name=problems]").fill("用地审批滞后")
    report_form.locator("textarea[name=coordination]").fill("请协调自然资源部门加快审批")
    report_form.locator(f"input[name=milestone_{start.pk}]").fill("2023-08-20")
    report_form.locator("input[name=evidence]").set_input_files(photo)
    as_region("report-filled")
    report_form.locator('[data-testid="submit-report"]').click()
    expect(region.locator('[data-testid="project-report"]')).to_have_attribute("data-state", ObligationState.SUBMITTED)
    submitted = region.locator('[data-testid="submitted-report"]')
    expect(submitted.locator('[data-testid="invested-total"]')).to_contain_text("4500.00")
    expect(submitted.locator('[data-testid="evidence"]')).to_have_text(PHOTO)
    as_region("submitted")
    assert Evidence.objects.get(report__obligation=owed).original_name == PHOTO

    # The office finds it among the reports to review, sees it against the 序时进度, and accepts it.
    reviewer, as_reviewer = person(office_admin, "office-september")
    open_my_todo(reviewer)
    reviewer.locator(f'[data-testid="progress-queue"] tr[data-obligation="{owed.pk}"] a').first.click()
    reviewer.wait_for_url(f"**/plans/projects/reports/{owed.pk}/")
    review = reviewer.locator('[data-testid="submitted-report"]')
    expect(review.locator('[data-testid="invested-total"]')).to_contain_text("37.50 %")
    expect(review.locator('[data-testid="report-expected"]')).to_contain_text("44.38 %")
    as_reviewer("to-review")
    reviewer.locator('[data-testid="accept"]').click()
    expect(reviewer.locator('[data-testid="project-report"]')).to_have_attribute("data-state", ObligationState.ACCEPTED)
    as_reviewer("accepted")

    # The project page: 在建 (开工 was reached), the 累计完成投资, and the timeline of every step.
    region.locator('[data-testid="project-link"]').click()
    region.wait_for_url(f"**/plans/projects/items/{project.pk}/")
    expect(project_card(region)).to_have_attribute("data-state", ProjectState.BUILDING)
    expect(region.locator('[data-testid="project-state"]')).to_have_text("在建")
    expect(region.locator('[data-money="invested"]')).to_have_text("4500.00")
    expect(region.locator('[data-money="invested-percent"]')).to_have_text("37.50 %")
    expect(region.locator('[data-testid="milestones"] tr[data-milestone="start"]')).to_contain_text("2023-08-20")
    actions = region.locator('[data-testid="timeline"] > li')
    expect(actions).to_have_count(7)
    assert [actions.nth(i).get_attribute("data-action") for i in range(7)] == [
        ProjectAction.ENTERED,
        ProjectAction.PROPOSED,
        ProjectAction.ADMITTED,
        ProjectAction.REPORTED,
        ProjectAction.REPORT_ACCEPTED,
        ProjectAction.MILESTONE_REACHED,
        ProjectAction.STARTED,
    ]
    expect(region.locator('[data-testid="timeline"]')).to_contain_text(PROGRESS)
    as_region("project-building")
    project.refresh_from_db()
    assert project.state == ProjectState.BUILDING

    # 挂图作战: the office opens 松原's chart from the ledger; the project's bar carries 开工 reached on 20 August.
    check_chart(reviewer, project)
    as_reviewer("chart")


def check_chart(page: Page, project: Project) -> None:
    """挂图作战 of 松原 (``plans:project_chart``): the project is on the chart, its 开工 drawn where planned and,
    filled, on the day it was reached."""
    url = reverse("plans:project_chart", kwargs={"office": "JL-PRO"}) + "?region=220700"
    response = page.goto(url)
    assert response is not None and response.status == 200
    expect(page.locator("body")).to_contain_text(NAME)
    row = page.locator(f'[data-testid="gantt"] g[data-project="{project.pk}"]')
    expect(row).to_have_count(1)
    start = row.locator('g[data-kind="start"]')
    expect(start).to_have_attribute("data-actual", "2023-08-20")
    expect(start.locator('[data-marker="actual"]')).to_have_count(1)
    expect(row.locator('g[data-kind="operation"] [data-marker="actual"]')).to_have_count(0)
