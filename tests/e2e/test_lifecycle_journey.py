"""The life of one item in a real Chromium: the unit reports, the supervisor returns, the unit reports again, the
supervisor verifies, the office closes it out; and a supervisor acting on a stale page changes nothing.

Each person works in their own browser context (their own cookies), logged in through the login page, as on their
own computer. Assertions rely on data-testid/data-* attributes and on the published data (task text, unit names),
not on the interface's wording, which is still being translated; the one sentence read is the source string's
Chinese “该事项已被他人处理”.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from processes.models import AssignmentState, AssignmentTransition, Evidence, Plan, Role, Unit, User
from processes.services import lifecycle

from ..factories import UserFactory
from ..lifecycle_helpers import PDF, pdf, songyuan_item
from .conftest import Person, Shot, log_in, open_my_todo, prefixed

pytestmark = pytest.mark.e2e

SONGYUAN = "220700"
SONGYUAN_NAME = "松原市生态环境局"
TASK_2 = "各地全面成立由政府主导的“无废城市”建设工作议事机构"
ALREADY_HANDLED = "该事项已被他人处理"
JOURNEY = ["created", "reported", "returned", "reported", "verified", "closed"]


def open_from_queue(page: Page, queue: str, item_pk: int) -> None:
    row = page.locator(f'[data-testid="{queue}"] tr[data-item="{item_pk}"]')
    expect(row).to_contain_text(TASK_2)
    expect(row).to_contain_text(SONGYUAN_NAME)
    row.locator(f'a[href="/plans/items/{item_pk}/"]').click()
    page.wait_for_url(f"**/plans/items/{item_pk}/")


def item_card(page: Page) -> Locator:
    return page.locator('[data-testid="item"]')


def report(page: Page, text: str, evidence: Path) -> None:
    form = page.locator('[data-testid="step-report"]')
    form.locator("textarea[name=text]").fill(text)
    form.locator("input[name=evidence]").set_input_files(evidence)


def write_pdf(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(PDF)
    return path


def timeline_actions(page: Page) -> list[str]:
    return page.locator('[data-testid="timeline"] li').evaluate_all("items => items.map(li => li.dataset.action)")


def test_an_item_goes_from_report_through_return_to_close_out(
    page: Page,
    shot: Shot,
    person: Person,
    plan_2023: Plan,
    reporter: User,
    supervisor: User,
    office_admin: User,
    tmp_path: Path,
) -> None:
    item = songyuan_item(plan_2023)
    item_url = f"**/plans/items/{item.pk}/"
    minutes = write_pdf(tmp_path, "会议纪要.pdf")
    notice = write_pdf(tmp_path, "印发通知.pdf")
    reason = "缺少议事机构成立的印发文件，请补充。"

    # The Songyuan reporter finds the item in the unit's open items and reports it done, with the meeting minutes.
    as_reporter = prefixed(shot, "reporter")
    log_in(page, reporter, as_reporter)
    open_my_todo(page)
    expect(page.locator('[data-testid="review-queue"]')).to_have_count(0)  # a reporter verifies nothing
    row = page.locator(f'[data-testid="unit-items"] tr[data-item="{item.pk}"]')
    expect(row).to_have_attribute("data-state", AssignmentState.ASSIGNED)
    expect(row).to_contain_text(TASK_2)
    as_reporter("todo")
    row.locator("a").click()
    page.wait_for_url(item_url)
    expect(item_card(page)).to_have_attribute("data-state", AssignmentState.ASSIGNED)
    expect(page.locator('[data-testid="step-decide"]')).to_have_count(0)
    report(page, "松原市已成立“无废城市”建设工作领导小组，印发了会议纪要。", minutes)
    as_reporter("report-filled")
    page.locator('[data-testid="submit-report"]').click()
    expect(item_card(page)).to_have_attribute("data-state", AssignmentState.REPORTED)
    expect(page.locator('[data-testid="step-report"]')).to_have_count(0)
    first_report = page.locator('[data-testid="report"]')
    expect(first_report).to_have_count(1)
    expect(first_report).to_contain_text("印发了会议纪要")
    expect(first_report.locator('a[data-testid="evidence"]')).to_have_text("会议纪要.pdf")
    as_reporter("reported")

    # The province's supervisor finds the report in the review queue and returns it with a reason.
    supervisor_page, as_supervisor = person(supervisor, "supervisor")
    open_my_todo(supervisor_page)
    as_supervisor("todo")
    open_from_queue(supervisor_page, "review-queue", item.pk)
    expect(item_card(supervisor_page)).to_have_attribute("data-state", AssignmentState.REPORTED)
    expect(supervisor_page.locator('a[data-testid="evidence"]')).to_have_text("会议纪要.pdf")
    decide = supervisor_page.locator('[data-testid="step-decide"]')
    decide.locator("textarea[name=comment]").fill(reason)
    as_supervisor("return-filled")
    decide.locator('[data-testid="return"]').click()
    expect(item_card(supervisor_page)).to_have_attribute("data-state", AssignmentState.RETURNED)
    # the decision waits for a new report; only 转督办 stays on offer
    expect(supervisor_page.locator('[data-testid="verify"], [data-testid="return"]')).to_have_count(0)
    as_supervisor("returned")

    # The reporter, still on the item, reloads it: the reason stands out; the unit reports again with the notice.
    page.reload()
    expect(item_card(page)).to_have_attribute("data-state", AssignmentState.RETURNED)
    expect(page.locator('[data-testid="return-reason"]')).to_contain_text(reason)
    as_reporter("sees-the-reason")
    report(page, "已补充议事机构成立的印发通知。", notice)
    as_reporter("report-again-filled")
    page.locator('[data-testid="submit-report"]').click()
    expect(item_card(page)).to_have_attribute("data-state", AssignmentState.REPORTED)
    expect(page.locator('[data-testid="return-reason"]')).to_have_count(0)
    expect(page.locator('[data-testid="report"]')).to_have_count(2)
    expect(page.locator('[data-testid="report"]').first.locator('a[data-testid="evidence"]')).to_have_text(
        "印发通知.pdf"
    )  # the newest report first
    as_reporter("reported-again")

    # The supervisor finds it in the review queue again and verifies it.
    open_my_todo(supervisor_page)
    open_from_queue(supervisor_page, "review-queue", item.pk)
    expect(supervisor_page.locator('a[data-testid="evidence"]')).to_have_count(2)
    as_supervisor("second-report")
    supervisor_page.locator('[data-testid="step-decide"] [data-testid="verify"]').click()
    expect(item_card(supervisor_page)).to_have_attribute("data-state", AssignmentState.VERIFIED)
    as_supervisor("verified")
    open_my_todo(supervisor_page)
    expect(supervisor_page.locator(f'tr[data-item="{item.pk}"]')).to_have_count(0)  # nothing left for them
    as_supervisor("todo-after")

    # The office admin closes it out from the close-out queue, and downloads the evidence.
    office_page, as_office = person(office_admin, "office")
    open_my_todo(office_page)
    expect(office_page.locator(f'[data-testid="review-queue"] tr[data-item="{item.pk}"]')).to_have_count(0)
    as_office("todo")
    open_from_queue(office_page, "closeout-queue", item.pk)
    expect(item_card(office_page)).to_have_attribute("data-state", AssignmentState.VERIFIED)
    as_office("verified-item")
    office_page.locator('[data-testid="step-decide"] [data-testid="close"]').click()
    expect(item_card(office_page)).to_have_attribute("data-state", AssignmentState.CLOSED)
    expect(office_page.locator('[data-testid="step-decide"] [data-testid="close"]')).to_have_count(0)
    as_office("closed")

    with office_page.expect_download() as download_info:
        office_page.locator('a[data-testid="evidence"]', has_text="会议纪要.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "会议纪要.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
    href = office_page.locator('a[data-testid="evidence"]', has_text="印发通知.pdf").get_attribute("href")
    assert href is not None
    response = page.context.request.get(href)  # the reporter may read its own unit's evidence too
    assert response.status == 200
    assert response.body().startswith(b"%PDF")
    assert response.headers["cache-control"] == "private, no-store"

    # The ledger, filtered to Songyuan's task 2, shows the item closed out; its timeline holds every step.
    office_page.goto("/plans/JL-PRO/2023/ledger/")
    filters = office_page.locator('[data-testid="ledger-filters"]')
    filters.locator("select[name=unit]").select_option(label=SONGYUAN_NAME)
    filters.locator("input[name=q]").fill("2")
    as_office("ledger-filter")
    filters.locator("button[type=submit]").click()
    office_page.wait_for_url(re.compile(r"/plans/JL-PRO/2023/ledger/\?(?=.*\bunit=\d)(?=.*\bq=2\b)"))
    rows = office_page.locator('[data-testid="ledger-table"] tbody tr')
    expect(rows).to_have_count(1)
    ledger_row = office_page.locator(f'[data-testid="ledger-table"] tr[data-unit="{SONGYUAN}"][data-task="2"]')
    expect(ledger_row).to_contain_text(SONGYUAN_NAME)
    expect(ledger_row.locator("[data-state]")).to_have_attribute("data-state", AssignmentState.CLOSED)
    as_office("ledger")
    ledger_row.locator(f'a[href="/plans/items/{item.pk}/"]').click()
    office_page.wait_for_url(item_url)
    expect(office_page.locator('[data-testid="timeline"] li')).to_have_count(len(JOURNEY))
    assert timeline_actions(office_page) == JOURNEY
    expect(office_page.locator('[data-testid="timeline"] li[data-action="returned"]')).to_contain_text(reason)
    as_office("timeline")

    item.refresh_from_db()
    assert item.state == AssignmentState.CLOSED
    actions = list(AssignmentTransition.objects.filter(assignment=item).order_by("at", "pk").values_list("action"))
    assert [action for (action,) in actions] == JOURNEY
    files = Evidence.objects.filter(report__assignment=item).order_by("pk")
    assert [evidence.original_name for evidence in files] == ["会议纪要.pdf", "印发通知.pdf"]
    for evidence in files:
        with evidence.file.open("rb") as stored:
            assert stored.read() == PDF


def test_a_supervisor_on_a_stale_page_changes_nothing(
    page: Page, shot: Shot, person: Person, plan_2023: Plan, units: dict[str, Unit], reporter: User, supervisor: User
) -> None:
    item = songyuan_item(plan_2023)
    lifecycle.assignment_report(assignment=item, by=reporter, text="已成立议事机构。", files=[pdf()])
    colleague = UserFactory(username="province_supervisor_2", unit=units["JL-PRO"], role=Role.SUPERVISOR)

    # Both supervisors open the reported item; the colleague's page goes stale when the first one verifies.
    as_colleague = prefixed(shot, "colleague")
    log_in(page, colleague, as_colleague)
    page.goto(f"/plans/items/{item.pk}/")
    expect(item_card(page)).to_have_attribute("data-state", AssignmentState.REPORTED)
    expect(page.locator('[data-testid="return"]')).to_be_visible()
    as_colleague("item")
    first_page, as_first = person(supervisor, "supervisor")
    first_page.goto(f"/plans/items/{item.pk}/")
    expect(item_card(first_page)).to_have_attribute("data-state", AssignmentState.REPORTED)
    as_first("item")
    first_page.locator('[data-testid="step-decide"] [data-testid="verify"]').click()
    expect(item_card(first_page)).to_have_attribute("data-state", AssignmentState.VERIFIED)
    as_first("verified")

    decide = page.locator('[data-testid="step-decide"]')
    decide.locator("textarea[name=comment]").fill("佐证材料不全。")
    as_colleague("return-on-a-stale-page")
    decide.locator('[data-testid="return"]').click()
    expect(page.locator(".app-messages .app-message--warning")).to_contain_text(ALREADY_HANDLED)
    expect(item_card(page)).to_have_attribute("data-state", AssignmentState.VERIFIED)
    expect(page.locator('[data-testid="return-reason"]')).to_have_count(0)
    expect(page.locator('[data-testid="timeline"] li[data-action="returned"]')).to_have_count(0)
    as_colleague("already-handled")

    item.refresh_from_db()
    assert item.state == AssignmentState.VERIFIED
    transitions = AssignmentTransition.objects.filter(assignment=item).order_by("at", "pk")
    assert [(entry.action, entry.by_id) for entry in transitions] == [
        ("created", None),
        ("reported", reporter.pk),
        ("verified", supervisor.pk),
    ]
