"""工作简报 in a real Chromium: the office admin drafts the bulletin of August–September 2023, picks 松原's report as a
highlight (a piece of its own, whose headline the office rewrites), renames the progress piece, adds a piece and
moves it up — the 本期要目 follow the pieces —, previews the PDF, and publishes: the button leads to a confirmation
naming every recipient (报 / 送 / 发) and the number the issue takes, first left with “back”, then confirmed. The
bulletin is numbered and emailed; 松原's reporter finds it and opens its PDF. The confirmation is a page of its own
that works without JavaScript, as a second, script-less browser shows. The office admin then reads the dashboard.

The clock is held at 9 October 2023 (ticking, the live server's thread included) for the whole test, so that the
plan and the bulletin are of their own days (the report, of 20 September), whatever day the test runs on."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from notifications.models import Message
from processes.models import Assignment, Bulletin, Distribution, DistributionLine, Plan, Unit, User
from processes.services.bulletins import bulletin_draft
from processes.services.lifecycle import assignment_report

from ..conftest import ANNEX_XLSX, ImportFile
from ..lifecycle_helpers import songyuan_item
from .conftest import TIMEOUT_MS, Person, Shot, log_in, prefixed

pytestmark = pytest.mark.e2e
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2023, 10, 9, 9, 0, tzinfo=SHANGHAI)
REPORTED = dt.datetime(2023, 9, 20, 10, 0, tzinfo=SHANGHAI)
HIGHLIGHT = "松原市已建立“无废城市”建设工作议事机构，明确责任分工"
DEFAULT_HEADLINE = "松原市生态环境局：松原市已建立“无废城市”建设工作议事机构"
HIGHLIGHT_HEADLINE = "松原市建立“无废城市”建设工作议事机构"
PROGRESS_HEADLINE = "全省“无废城市”建设年度任务推进情况"
OWN_HEADLINE = "推进组办公室部署下一阶段工作"
RECIPIENTS = (
    ("生态环境部固体废物与化学品司", "mee@example.test", DistributionLine.REPORT_TO),
    ("各市（州）生态环境局", "cities@example.test", DistributionLine.SEND_TO),
    ("各县（市、区）生态环境分局", "counties@example.test", DistributionLine.ISSUE_TO),
)


@pytest.fixture
def october_2023() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def plan_2023(units: dict[str, Unit], import_file: ImportFile) -> Plan:
    report = import_file(ANNEX_XLSX, doc_no="吉环固体字〔2023〕15号", starts=dt.date(2023, 7, 10))
    assert report.applied, report.errors
    return Plan.objects.get(year=2023)


def headlines(page: Page) -> list[str]:
    return [text.strip().lstrip("☆") for text in page.locator('[data-testid="contents"] li').all_inner_texts()]


def piece(page: Page, headline: str) -> Any:
    return page.locator('[data-testid="piece"]').filter(has=page.locator(f'input[name=headline][value="{headline}"]'))


def test_the_office_publishes_a_bulletin_and_a_unit_reads_it(
    october_2023: None,  # first: everything happens on the held clock
    browser: Browser,
    live_server: Any,
    page: Page,
    shot: Shot,
    person: Person,
    plan_2023: Plan,
    reporter: User,
    office_admin: User,
    celery_eager: None,
) -> None:
    with time_machine.travel(REPORTED, tick=False):  # in the period the bulletin covers
        assignment_report(assignment=songyuan_item(plan_2023, "2"), by=reporter, text=HIGHLIGHT)
    for position, (name, email, line) in enumerate(RECIPIENTS):
        Distribution.objects.create(name=name, email=email, line=line, position=position)

    as_office = prefixed(shot, "office")
    log_in(page, office_admin, as_office)
    page.goto("/plans/JL-PRO/2023/bulletins/")
    form = page.locator('[data-testid="bulletin-new"] form')
    form.locator("input[name=period_start]").fill("2023-08-01")
    form.locator("input[name=period_end]").fill("2023-09-30")
    as_office("new")
    form.locator('[data-testid="draft-bulletin"]').click()
    page.wait_for_url(re.compile(r"/plans/bulletins/\d+/$"))
    expect(page.locator('[data-testid="bulletin"]')).to_have_attribute("data-state", "draft")
    expect(page.locator('[data-testid="piece"]')).to_have_count(1)  # the progress, written from the figures
    progress_headline = page.locator('[data-testid="piece"] input[name=headline]').input_value()
    assert headlines(page) == [progress_headline]
    as_office("draft")

    # 松原's report becomes a piece, under a headline the office then rewrites.
    candidates = page.locator('[data-testid="highlight-candidates"]')
    candidates.locator("tr", has_text=HIGHLIGHT).locator("input[type=checkbox]").check()
    candidates.locator('[data-testid="add-highlights"]').click()
    expect(page.locator('[data-testid="piece"]')).to_have_count(2)
    highlight = piece(page, DEFAULT_HEADLINE)
    expect(highlight.locator("textarea[name=text]")).to_have_value(HIGHLIGHT)
    highlight.locator("input[name=headline]").fill(HIGHLIGHT_HEADLINE)
    highlight.locator('[data-testid="save-piece"]').click()
    expect(page.locator(".app-messages .app-message--success")).to_have_count(1)

    # The progress piece gets its headline; a piece of the office's own is added and moved before the highlight.
    progress = piece(page, progress_headline)
    progress.locator("input[name=headline]").fill(PROGRESS_HEADLINE)
    progress.locator('[data-testid="save-piece"]').click()
    expect(piece(page, PROGRESS_HEADLINE)).to_have_count(1)
    add = page.locator('[data-testid="add-piece"]')
    add.locator("input[name=headline]").fill(OWN_HEADLINE)
    add.locator("textarea[name=text]").fill("推进组办公室对下一阶段重点任务作出部署，各地要对照清单加快推进。")
    add.locator('[data-testid="add-piece-button"]').click()
    expect(page.locator('[data-testid="piece"]')).to_have_count(3)
    piece(page, OWN_HEADLINE).locator('[data-testid="piece-up"]').click()
    expect(piece(page, OWN_HEADLINE)).to_have_attribute("data-position", "2")
    assert headlines(page) == [PROGRESS_HEADLINE, OWN_HEADLINE, HIGHLIGHT_HEADLINE]
    preview = page.request.get(page.locator('[data-testid="bulletin-pdf"]').get_attribute("href") or "")
    assert preview.ok and preview.body().startswith(b"%PDF")
    as_office("edited")

    # 印发: the button asks first, naming whom it goes to and the number it takes; “back” publishes nothing.
    page.locator('[data-testid="publish-bulletin"]').click()
    confirmation = page.locator('[data-testid="publish-confirmation"]')
    expect(confirmation).to_be_visible()
    expect(page.locator('[data-testid="publish-number"]')).to_contain_text("2023年第1期（总第1期）")
    expect(page.locator('[data-testid="publish-number"]')).to_contain_text("2023年10月9日")
    rows = page.locator('[data-testid="recipient"]')
    expect(rows).to_have_count(len(RECIPIENTS))
    for row, (name, email, line) in zip(rows.all(), RECIPIENTS, strict=True):
        expect(row).to_have_attribute("data-line", line)
        expect(row).to_contain_text(name)
        expect(row).to_contain_text(email)
    as_office("confirm")
    page.locator('[data-testid="cancel-publish"]').click()
    expect(page.locator('[data-testid="bulletin"]')).to_have_attribute("data-state", "draft")
    assert not Message.objects.exists() and Bulletin.objects.get().number is None

    page.locator('[data-testid="publish-bulletin"]').click()
    page.locator('[data-testid="confirm-publish"]').click()
    expect(page.locator('[data-testid="bulletin"]')).to_have_attribute("data-state", "published")
    expect(page.locator('[data-testid="issue"]')).to_have_text("2023年第1期（总第1期）")
    expect(page.locator('[data-testid="pieces"] input')).to_have_count(0)
    as_office("published")
    bulletin = Bulletin.objects.get()
    assert (bulletin.number, bulletin.total_number) == (1, 1)
    assert bulletin.headlines() == [PROGRESS_HEADLINE, OWN_HEADLINE, HIGHLIGHT_HEADLINE]
    sent = Message.objects.filter(bulletin=bulletin)
    assert sorted(sent.values_list("address", flat=True)) == sorted(email for _n, email, _l in RECIPIENTS)
    assert set(sent.values_list("state", flat=True)) == {"sent"}

    # 松原's reporter finds the published issue and its PDF.
    reporter_page, as_reporter = person(reporter, "reporter")
    reporter_page.goto("/plans/JL-PRO/2023/bulletins/")
    listed = reporter_page.locator('[data-testid="bulletin-row"]')
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("2023年8—9月")
    listed.first.locator("a").click()
    reporter_page.wait_for_url(f"**/plans/bulletins/{bulletin.pk}/")
    expect(reporter_page.locator('[data-testid="bulletin"]')).to_contain_text(HIGHLIGHT)
    assert headlines(reporter_page) == [PROGRESS_HEADLINE, OWN_HEADLINE, HIGHLIGHT_HEADLINE]
    pdf = reporter_page.request.get(f"/plans/bulletins/{bulletin.pk}/pdf/")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    as_reporter("bulletin")

    # The dashboard, from the menu: its counts are the plan's.
    page.locator('[data-testid="menu-dashboard"]').first.click()
    page.wait_for_url("**/plans/JL-PRO/2023/dashboard/")
    items = Assignment.objects.filter(task__plan=plan_2023).count()
    expect(page.locator('[data-count="total"]')).to_have_text(str(items))
    expect(page.locator('[data-testid="progress-chart"] g[data-label]').first).to_be_visible()
    as_office("dashboard")


def test_the_confirmation_works_without_javascript(
    october_2023: None,
    browser: Browser,
    live_server: Any,
    transactional_db: None,  # the live server reads what the test writes
    artifacts_dir: Path,
    plan_2023: Plan,
    office_admin: User,
    celery_eager: None,
) -> None:
    """With scripts off, the publish button still leads to the confirmation, which lists the recipients, and its
    button publishes."""
    Distribution.objects.create(name="各市（州）生态环境局", email="cities@example.test", line=DistributionLine.SEND_TO)
    bulletin = bulletin_draft(
        plan=plan_2023, by=office_admin, period_start=dt.date(2023, 8, 1), period_end=dt.date(2023, 9, 30)
    )
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1400, "height": 900}, base_url=live_server.url, java_script_enabled=False
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        # The site's login page draws its fields with scripts; the session is the office admin's, signed in as
        # the test client signs in, and everything after is this script-less browser's.
        client = Client()
        client.force_login(office_admin)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
        plain = context.new_page()
        plain.goto(bulletin.get_absolute_url())
        plain.locator('[data-testid="publish-bulletin"]').click()
        plain.wait_for_url(f"**/plans/bulletins/{bulletin.pk}/publish/")
        expect(plain.locator('[data-testid="recipient"]')).to_contain_text("cities@example.test")
        expect(plain.locator('[data-testid="publish-number"]')).to_contain_text("2023年第1期（总第1期）")
        plain.screenshot(path=artifacts_dir / "01-confirm-without-javascript.png", full_page=True)
        plain.locator('[data-testid="confirm-publish"]').click()
        plain.wait_for_url(f"**/plans/bulletins/{bulletin.pk}/")
        expect(plain.locator('[data-testid="bulletin"]')).to_have_attribute("data-state", "published")
    finally:
        context.close()
    bulletin.refresh_from_db()
    assert bulletin.issue_label == "2023年第1期（总第1期）"
    assert Message.objects.get(bulletin=bulletin).address == "cities@example.test"
