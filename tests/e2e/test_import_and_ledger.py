"""The import and the ledger in a real Chromium, as people click and type through them.

Assertions rely on data-testid/data-* attributes, counts, URLs and the published data (task text, unit names);
the main journey also reads the Chinese labels a civil servant clicks, since Chinese is the default.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from processes.models import Assignment, Plan, Unit, User

from ..conftest import ANNEX_XLSX
from .conftest import Shot, log_in

pytestmark = pytest.mark.e2e

TITLE = "吉林省2023年度“无废城市”建设任务清单"
DOC_NO = "吉环固体字〔2023〕15号"
SONGYUAN = "220700"
PREVIEW_URL = re.compile(r"/plans/import/[0-9a-f]{32}/$")


def count(page: Page, testid: str, name: str) -> int:
    return int(page.locator(f'[data-testid="{testid}"] [data-count="{name}"]').inner_text().strip())


def ledger_units(page: Page) -> list[str]:
    return page.locator('[data-testid="ledger-table"] tbody tr').evaluate_all(
        "rows => rows.map(row => row.dataset.unit)"
    )


def staged_files() -> list[Path]:
    folder = Path(settings.IMPORT_STAGING_DIR)
    return sorted(folder.iterdir()) if folder.exists() else []


def test_the_office_admin_imports_the_published_annex(
    page: Page, shot: Shot, units: dict[str, Unit], office_admin: User
) -> None:
    log_in(page, office_admin, shot)
    page.goto("/plans/")
    shot("plan-list-empty")
    page.locator('.app-card a[href="/plans/import/"]').first.click()
    page.wait_for_url("**/plans/import/")
    expect(page.locator('[data-testid="upload"]')).to_be_visible()

    page.locator("input[name=file]").set_input_files(ANNEX_XLSX)
    page.locator("input[name=year]").fill("2023")
    page.locator("input[name=doc_no]").fill(DOC_NO)
    shot("upload-filled")
    page.locator('[data-testid="upload"]').click()
    page.wait_for_url(PREVIEW_URL)

    counts = page.locator('[data-testid="preview-counts"]')
    expect(counts.locator('[data-count="tasks"]')).to_have_text("39")
    expect(counts.locator('[data-count="assignments"]')).to_have_text("289")
    expect(counts.locator('[data-count="closed"]')).to_have_text("1")
    expect(counts.locator('[data-count="errors"]')).to_have_text("0")
    expect(page.locator('[data-testid="preview-table"] tr[data-number]')).to_have_count(39)
    row22 = page.locator('[data-testid="preview-table"] tr[data-number="22"]')
    expect(row22.locator("td").last).to_contain_text("长春市生态环境厅")
    expect(row22.locator(".app-problem--warning")).to_contain_text("长春市生态环境厅")
    expect(page.locator('[data-testid="import-refused"]')).to_have_count(0)
    expect(page.locator('[data-testid="confirm"]')).to_have_text("确认导入")
    shot("preview")
    assert Plan.objects.count() == 0, "the preview must not write"
    assert Assignment.objects.count() == 0

    page.locator('[data-testid="confirm"]').click()
    page.wait_for_url("**/plans/JL-PRO/2023/")
    expect(page.locator('[data-testid="plan-title"]')).to_have_text(TITLE)
    expect(page.locator('[data-testid="task-list"] tbody tr')).to_have_count(39)
    shot("plan-detail")
    plan = Plan.objects.get(year=2023)
    assert (plan.title, plan.doc_no, plan.tasks.count()) == (TITLE, DOC_NO, 39)
    assert staged_files() == [], "the confirmed upload is no longer staged"

    page.locator('a[href="/plans/JL-PRO/2023/ledger/"]').first.click()
    page.wait_for_url("**/plans/JL-PRO/2023/ledger/")
    expect(page.locator('[data-testid="ledger-counts"] [data-count="total"]')).to_have_text("289")
    expect(page.locator("h1")).to_have_text("台账")
    expect(page.locator('[data-testid="ledger-counts"]')).to_contain_text("已销号")
    shot("ledger")

    filters = page.locator('[data-testid="ledger-filters"]')
    filters.locator("select[name=unit]").select_option(label="松原市生态环境局")
    shot("ledger-filter-chosen")
    filters.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/plans/JL-PRO/2023/ledger/\?.*unit="))
    expect(page.locator('[data-testid="ledger-counts"] [data-count="total"]')).to_have_text("25")
    expect(page.locator('[data-testid="ledger-table"] tbody tr')).to_have_count(25)
    assert set(ledger_units(page)) == {SONGYUAN}
    shot("ledger-songyuan")


def test_a_city_reporter_sees_only_its_own_assignments(page: Page, shot: Shot, plan_2023: Plan, reporter: User) -> None:
    # The premise of the 404 below: task 1 belongs to the province's bureau alone, not to Songyuan.
    assert not Assignment.objects.filter(task__plan=plan_2023, task__number="1", unit__code=SONGYUAN).exists()
    assert Assignment.objects.filter(task__plan=plan_2023, task__number="1").exists()

    log_in(page, reporter, shot)
    page.goto("/plans/")
    page.locator('a[href="/plans/JL-PRO/2023/ledger/"]').first.click()
    page.wait_for_url("**/plans/JL-PRO/2023/ledger/")
    expect(page.locator('[data-testid="ledger-counts"] [data-count="total"]')).to_have_text("25")
    expect(page.locator('[data-testid="ledger-table"] tbody tr')).to_have_count(25)
    assert set(ledger_units(page)) == {SONGYUAN}
    unit_choices = page.locator('[data-testid="ledger-filters"] select[name=unit] option:not([value=""])')
    expect(unit_choices).to_have_count(1)  # the filter offers no unit outside the reporter's scope
    expect(unit_choices).to_have_text("松原市生态环境局")
    shot("ledger")

    response = page.goto("/plans/JL-PRO/2023/tasks/1/")
    assert response is not None and response.status == 404
    shot("task-out-of-scope-404")

    response = page.goto("/plans/import/")
    assert response is not None and response.status == 403
    expect(page.locator('[data-testid="upload"]')).to_have_count(0)
    shot("import-403")


def test_a_file_with_an_unknown_unit_is_refused_and_discarded(
    page: Page, shot: Shot, units: dict[str, Unit], office_admin: User, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "序号,任务,责任单位,完成时限\n1,任务甲,省生态环境厅,8月31日\n2,任务乙,火星市生态环境局,9月30日\n", "utf-8"
    )
    log_in(page, office_admin, shot)
    page.goto("/plans/import/")
    page.locator("input[name=file]").set_input_files(bad)
    page.locator("input[name=year]").fill("2023")
    shot("upload-filled")
    page.locator('[data-testid="upload"]').click()
    page.wait_for_url(PREVIEW_URL)

    expect(page.locator('[data-testid="import-refused"]')).to_be_visible()
    assert count(page, "preview-counts", "errors") >= 1
    expect(page.locator(".app-problem--error").filter(has_text="火星市生态环境局")).not_to_have_count(0)
    expect(page.locator('[data-testid="confirm"]')).to_have_count(0)
    expect(page.locator('[data-testid="cancel"]')).to_be_visible()
    shot("preview-refused")
    # The file, its description and the rows read from it (read once, for every preview) wait for a decision.
    assert sorted(path.name.split(".", 1)[1] for path in staged_files()) == ["bin", "json", "rows.json"]

    page.locator('[data-testid="cancel"]').click()
    page.wait_for_url(re.compile(r"/plans/import/$"))
    expect(page.locator('[data-testid="upload"]')).to_be_visible()
    shot("back-to-upload")
    assert Plan.objects.count() == 0
    assert staged_files() == [], "the discarded upload is deleted"


def test_the_language_switch_changes_the_page_language(
    page: Page, shot: Shot, plan_2023: Plan, supervisor: User
) -> None:
    log_in(page, supervisor, shot)
    page.goto("/plans/JL-PRO/2023/ledger/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-hans")
    shot("ledger-zh-hans")

    page.locator('form.app-language button[name="language"][value="en"]').click()
    expect(html).to_have_attribute("lang", "en")
    page.wait_for_url("**/plans/JL-PRO/2023/ledger/")
    expect(page.locator('[data-testid="ledger-counts"] [data-count="total"]')).to_have_text("289")
    expect(page.get_by_text(TITLE).first).to_be_visible()  # the data stays as published
    shot("ledger-en")

    page.locator('form.app-language button[name="language"][value="zh-hans"]').click()
    expect(html).to_have_attribute("lang", "zh-hans")
    page.wait_for_url("**/plans/JL-PRO/2023/ledger/")
    expect(page.locator('[data-testid="ledger-counts"] [data-count="total"]')).to_have_text("289")
    shot("ledger-zh-hans-again")
