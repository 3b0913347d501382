"""工作简报 in a real Chromium: the office admin drafts the period's bulletin, picks a unit's report as a highlight,
edits the progress text, previews the PDF and publishes it; the bulletin is numbered, emailed to the distribution
list, and 松原's reporter finds it among the plan's bulletins and opens its PDF, while drafts stay the office's.
The office admin then reads the dashboard, where the figures are the ledger's."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from notifications.models import Message
from processes.models import Assignment, Bulletin, Distribution, DistributionLine, Plan, User
from processes.services.lifecycle import assignment_report

from ..lifecycle_helpers import songyuan_item
from .conftest import Person, Shot, log_in, prefixed

pytestmark = pytest.mark.e2e
HIGHLIGHT = "松原市已建立“无废城市”建设工作议事机构，明确责任分工"


def test_the_office_publishes_a_bulletin_and_a_unit_reads_it(
    celery_eager: None, page: Page, shot: Shot, person: Person, plan_2023: Plan, reporter: User, office_admin: User
) -> None:
    office_admin.is_superuser = True
    office_admin.save()
    assignment_report(assignment=songyuan_item(plan_2023, "2"), by=reporter, text=HIGHLIGHT)
    Distribution.objects.create(name="各市（州）生态环境局", email="cities@example.test", line=DistributionLine.SEND_TO)
    today = timezone.localdate().isoformat()

    as_office = prefixed(shot, "office")
    log_in(page, office_admin, as_office)
    page.goto("/plans/2023/bulletins/")
    form = page.locator('[data-testid="bulletin-new"] form')
    form.locator("input[name=period_start]").fill("2023-01-01")
    form.locator("input[name=period_end]").fill(today)
    as_office("new")
    form.locator('[data-testid="draft-bulletin"]').click()
    page.wait_for_url(re.compile(r"/plans/bulletins/\d+/$"))
    expect(page.locator('[data-testid="bulletin"]')).to_have_attribute("data-state", "draft")
    as_office("draft")

    # A highlight picked from 松原's report, then the progress text edited and saved.
    candidates = page.locator('[data-testid="highlight-candidates"]')
    candidates.locator("tr", has_text=HIGHLIGHT).locator("input[type=checkbox]").check()
    candidates.locator('[data-testid="add-highlights"]').click()
    edit = page.locator('[data-testid="bulletin-edit"]')
    expect(edit.locator("textarea[name=highlights]")).to_have_value(re.compile(re.escape(HIGHLIGHT)))
    summary = edit.locator("textarea[name=summary]")
    summary.fill(summary.input_value() + "\n各地要对照清单加快推进。")
    edit.locator('[data-testid="save-bulletin"]').click()
    expect(page.locator(".app-messages .app-message--success")).to_have_count(1)
    preview = page.request.get(page.locator('[data-testid="bulletin-pdf"]').get_attribute("href") or "")
    assert preview.ok and preview.body().startswith(b"%PDF")
    as_office("edited")

    page.locator('[data-testid="publish-bulletin"]').click()
    expect(page.locator('[data-testid="bulletin"]')).to_have_attribute("data-state", "published")
    expect(page.locator('[data-testid="bulletin-edit"]')).to_have_count(0)
    as_office("published")
    bulletin = Bulletin.objects.get()
    assert (bulletin.number, bulletin.total_number) == (1, 1)
    assert "各地要对照清单加快推进" in bulletin.summary and HIGHLIGHT in bulletin.highlights
    sent = Message.objects.get(bulletin=bulletin)
    assert sent.address == "cities@example.test" and sent.state == "sent"

    # 松原's reporter finds the published issue and its PDF.
    reporter_page, as_reporter = person(reporter, "reporter")
    reporter_page.goto("/plans/2023/bulletins/")
    rows = reporter_page.locator('[data-testid="bulletin-row"]')
    expect(rows).to_have_count(1)
    rows.first.locator("a").click()
    reporter_page.wait_for_url(f"**/plans/bulletins/{bulletin.pk}/")
    expect(reporter_page.locator('[data-testid="bulletin"]')).to_contain_text(HIGHLIGHT)
    pdf = reporter_page.request.get(f"/plans/bulletins/{bulletin.pk}/pdf/")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    as_reporter("bulletin")

    # The dashboard, from the menu: its counts are the plan's.
    page.locator('[data-testid="menu-dashboard"]').first.click()
    page.wait_for_url("**/plans/2023/dashboard/")
    items = Assignment.objects.filter(task__plan=plan_2023).count()
    expect(page.locator('[data-count="total"]')).to_have_text(str(items))
    expect(page.locator('[data-testid="progress-chart"] g[data-label]').first).to_be_visible()
    as_office("dashboard")
