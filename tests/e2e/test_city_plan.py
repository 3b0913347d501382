"""细化 in a real Chromium: 长春市's office imports its own plan, linking two of its tasks to a provincial item (one by
the file's 对应省级任务 column, one chosen in the preview); the province's supervisor then sees them on that item
and the city's plan on the provincial ledger."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from playwright.sync_api import Page, expect

from processes.models import Assignment, Plan, Role, Task, Unit, User
from processes.services.lifecycle import assignment_close, assignment_report, assignment_verify
from processes.services.units import units_load_csv

from ..factories import UserFactory
from .conftest import Person, Shot, log_in

pytestmark = pytest.mark.e2e

CHANGCHUN = "220100"
PREVIEW_URL = re.compile(r"/plans/import/[0-9a-f]{32}/$")
NOW = dt.datetime(2023, 8, 10, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
CITY_PLAN = (
    "长春市2023年“无废城市”建设工作要点任务分解表\n"
    "序号,任务,责任单位,完成时限,对应省级任务\n"
    "1,调整充实市“无废城市”建设工作领导小组，细化分解年度任务、细化制定推进措施。,长春市生态环境局,8月31日,13\n"
    "2,印发长春市年度工作要点，明确各部门责任分工。,长春市发展和改革委员会,9月30日,\n"
    "3,开展秸秆综合利用，全市秸秆综合利用率稳定在90%以上。,长春市农业农村局,12月31日,\n"
)


@pytest.fixture
def august_2023() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def city_admin(units: dict[str, Unit]) -> User:
    """长春市's office (the city's 生态环境局) and its departments, as load_demo sets them up, and its admin."""
    Unit.objects.filter(code=CHANGCHUN).update(is_office=True)
    data = (Path(settings.BASE_DIR) / "data" / "jilin-changchun-units.csv").read_bytes()
    units_load_csv(data=data, filename="jilin-changchun-units.csv")
    return UserFactory(username="changchun_office", unit=Unit.objects.get(code=CHANGCHUN), role=Role.ADMIN)


def test_a_city_office_imports_its_plan_refining_the_provinces_and_the_province_sees_it(
    august_2023: None,
    page: Page,
    shot: Shot,
    person: Person,
    plan_2023: Plan,
    city_admin: User,
    supervisor: User,
    tmp_path: Path,
) -> None:
    provincial = Assignment.objects.get(task__plan=plan_2023, task__number="13", unit__code=CHANGCHUN)
    upload = tmp_path / "changchun-2023.csv"
    upload.write_text(CITY_PLAN, "utf-8")

    # The city's admin uploads the file and chooses nothing else: its office issues the plan, of this year.
    log_in(page, city_admin, shot)
    page.goto("/plans/")
    page.locator('.app-card a[href="/plans/import/"]').first.click()
    page.wait_for_url("**/plans/import/")
    page.locator("input[name=file]").set_input_files(upload)
    shot("upload")
    page.locator('[data-testid="upload"]').click()
    page.wait_for_url(PREVIEW_URL)

    table = page.locator('[data-testid="preview-table"]')
    expect(page.locator('[data-testid="preview-counts"] [data-count="errors"]')).to_have_text("0")
    expect(table.locator("tr[data-number]")).to_have_count(3)
    # Task 1 names provincial task 13 in the file; task 2 is linked to it here, in the preview.
    expect(table.locator('tr[data-number="1"] select[data-testid="serves"]')).to_have_value("13")
    expect(table.locator('tr[data-number="2"] select[data-testid="serves"]')).to_have_value("")
    table.locator('tr[data-number="2"] select[data-testid="serves"]').select_option("13")
    shot("preview-linked")
    assert not Plan.objects.filter(issuer__code=CHANGCHUN).exists(), "the preview must not write"

    page.locator('[data-testid="confirm"]').click()
    page.wait_for_url("**/plans/220100/2023/")
    expect(page.locator('[data-testid="task-list"] tbody tr')).to_have_count(3)
    shot("city-plan")
    links = dict(Task.objects.filter(plan__issuer__code=CHANGCHUN).values_list("number", "serves"))
    assert links == {"1": provincial.pk, "2": provincial.pk, "3": None}

    # The city's department gets on with task 2: reported, verified and closed out by the city's office.
    department_item = Assignment.objects.get(task__plan__issuer__code=CHANGCHUN, task__number="2")
    reporter = UserFactory(unit=department_item.unit, role=Role.REPORTER)
    assignment_report(assignment=department_item.pk, by=reporter, text="已印发年度工作要点。")
    assignment_verify(assignment=department_item.pk, by=city_admin)
    assignment_close(assignment=department_item.pk, by=city_admin)

    # The province's supervisor opens its item of 长春 for task 13 and finds the city's two tasks and their states.
    province, province_shot = person(supervisor, "supervisor")
    province.goto(provincial.get_absolute_url())
    panel = province.locator('[data-testid="refinements"]')
    expect(panel.locator("tr[data-task]")).to_have_count(2)
    expect(panel.locator('tr[data-task="1"]')).to_contain_text("调整充实市“无废城市”建设工作领导小组")
    expect(panel.locator('tr[data-task="1"] li[data-unit="220100"]')).to_have_attribute("data-state", "assigned")
    expect(panel.locator('tr[data-task="2"] li[data-unit="220100-FGW"]')).to_have_attribute("data-state", "closed")
    counts = panel.locator('[data-testid="refinement-counts"]')
    expect(counts.locator('[data-count="total"]')).to_have_text("2")
    expect(counts.locator('[data-count="closed"]')).to_have_text("1")
    expect(counts.locator('[data-count="open"]')).to_have_text("1")
    province_shot("provincial-item")

    # The provincial ledger's panel shows how far 长春's own plan has got, and leads to it.
    province.goto("/plans/JL-PRO/2023/ledger/")
    row = province.locator('[data-testid="city-plans"] tr[data-plan="220100/2023"]')
    expect(row.locator('[data-count="tasks"]')).to_have_text("3")
    expect(row.locator('[data-count="refining"]')).to_have_text("2")
    expect(row.locator('[data-count="closed"]')).to_have_text("1")
    expect(row.locator('[data-count="percent"]')).to_have_text("33%")
    province_shot("provincial-ledger")
    row.locator('[data-testid="city-plan-link"]').click()
    province.wait_for_url("**/plans/220100/2023/")
    expect(province.locator('[data-testid="task-list"] tbody tr')).to_have_count(3)
    province_shot("city-plan-seen-by-the-province")
