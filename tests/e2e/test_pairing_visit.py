"""包保 in a real Chromium: the provincial department's 包保 leader opens 我的包保 from the menu, sees 松原 and 白城
with their lights, opens 松原, is refused a visit dated in the future, then records a visit with a 督办 outcome
(进展缓慢); the 督办通知单 is drafted, and the office's 签发人, in a browser of their own, finds it in 我的待办, opens
it and signs it; only then does 松原's reporter, in a third browser, find it under the bell, open it and see the
reason and the findings, with the answer form.

Assertions rely on data-testid attributes and on the records, not on the interface's wording."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from notifications.models import Message
from processes.models import FocusArea, Notice, Pairing, Plan, Role, Unit, UnitLevel, User, Visit
from processes.services.pairings import pairing_save

from ..factories import UserFactory
from .conftest import Person, Shot, log_in, open_my_todo, open_notifications, prefixed

pytestmark = pytest.mark.e2e

SONGYUAN, BAICHENG = "220700", "220800"
FINDINGS = "第一批入库项目开工率不足三成"


@pytest.fixture
def pairing(plan_2023: Plan, office_admin: User) -> Pairing:
    office_admin.is_superuser = True
    office_admin.save()
    leader = UserFactory(username="baobao_leader", unit=Unit.objects.get(code="JL-EEB"), role=Role.LEADER)
    return pairing_save(
        plan=plan_2023,
        level=UnitLevel.PROVINCE,
        leader=leader,
        unit=leader.unit,  # type: ignore[arg-type]
        regions=list(Unit.objects.filter(code__in=[SONGYUAN, BAICHENG])),
        start=dt.date(2023, 7, 1),
        end=dt.date(2023, 12, 31),
        by=office_admin,
    )


def test_a_paired_leader_records_a_supervision_visit_and_the_region_finds_the_notice(
    celery_eager: None,
    page: Page,
    shot: Shot,
    person: Person,
    pairing: Pairing,
    reporter: User,
    leader: User,
    signer: User,
) -> None:
    paired = pairing.leader
    assert paired is not None
    as_paired = prefixed(shot, "paired")
    log_in(page, paired, as_paired)

    # 我的包保 from the menu: both regions, 松原 with late items and a red light (the plan is long past due).
    page.locator('[data-testid="menu-pairings"]').first.click()
    page.wait_for_url("**/plans/pairings/")
    rows = page.locator('[data-testid="region-row"]')
    expect(rows).to_have_count(2)
    songyuan = page.locator(f'[data-testid="region-row"][data-region="{SONGYUAN}"]')
    expect(songyuan.locator("[data-light]")).to_have_attribute("data-light", "red")
    assert int(songyuan.locator('[data-testid="late"]').inner_text()) > 0
    as_paired("pairings")
    songyuan.locator("a").first.click()
    page.wait_for_url(re.compile(r"/plans/pairings/\d+/regions/\d+/$"))
    expect(page.locator('[data-testid="late-items"] tbody tr').first).to_be_visible()
    as_paired("region")

    form = page.locator('[data-testid="visit-form"] form')

    def fill(visited_on: str) -> None:
        form.locator("input[name=visited_on]").fill(visited_on)
        form.locator("textarea[name=participants]").fill("省厅包保负责人、固体处处长")
        form.locator("textarea[name=findings]").fill(FINDINGS)
        for area in FocusArea:
            form.locator(f"select[name=rating_{area.value}]").select_option("2" if area == "projects" else "4")
        form.locator("input[name=outcome][value=supervision]").check()
        form.locator("select[name=reason]").select_option("slow_progress")

    # A visit dated in the future is refused with its reason, and nothing is written.
    fill("2099-01-05")
    form.locator('[data-testid="record-visit"]').click()
    expect(page.locator('[data-testid="error"]')).to_contain_text("2099-01-05")
    assert not Visit.objects.exists() and not Notice.objects.exists()
    as_paired("refused")

    fill("2023-09-20")
    as_paired("filled")
    page.locator('[data-testid="visit-form"] [data-testid="record-visit"]').click()
    expect(page.locator(".app-messages .app-message--success")).to_have_count(1)
    visit = Visit.objects.get()
    notice = visit.notice
    assert notice is not None and notice.unit.code == SONGYUAN and notice.kind == "supervision_notice"
    assert notice.state == "draft" and not Message.objects.filter(notices=notice).exists()
    expect(page.locator('[data-testid="visit"]')).to_have_count(1)
    expect(page.locator('[data-testid="visit-notice"]')).to_contain_text(notice.title)
    as_paired("recorded")

    # The office's 签发人 finds the draft in 我的待办, opens it, has its preview, and signs it.
    signer_page, as_signer = person(signer, "signer")
    open_my_todo(signer_page)
    queue = signer_page.locator('[data-testid="signing-queue"]')
    expect(queue.locator(f'tr[data-draft="{notice.pk}"]')).to_contain_text(notice.title)
    as_signer("todo")
    queue.locator(f'tr[data-draft="{notice.pk}"] a').click()
    signer_page.wait_for_url(f"**/plans/notices/{notice.pk}/")
    expect(signer_page.locator('[data-testid="notice-pdf"]')).to_have_attribute(
        "href", f"/plans/notices/{notice.pk}/pdf/"
    )
    expect(signer_page.locator('[data-testid="draft-edit"] textarea[name=body]')).to_contain_text(FINDINGS)
    as_signer("draft")
    signer_page.locator('[data-testid="sign"]').click()
    expect(signer_page.locator(".app-messages .app-message--success")).to_have_count(1)
    notice.refresh_from_db()
    assert notice.state == "issued" and notice.doc_no and notice.signed_by == signer
    expect(signer_page.locator('[data-testid="notice"]')).to_have_attribute("data-state", "issued")
    expect(signer_page.locator('[data-testid="signed-by"]')).to_contain_text(str(signer))
    as_signer("signed")

    # 松原's reporter finds the notice under the bell and opens it: the reason, the findings, the answer form.
    assert Message.objects.filter(recipient__in=[reporter, leader], notices=notice).count() == 2
    reporter_page, as_reporter = person(reporter, "reporter")
    expect(reporter_page.locator('[data-testid="unread-count"]')).to_have_text("1")
    listed = open_notifications(reporter_page)
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text(notice.doc_no)
    as_reporter("notifications")
    listed.first.locator("a").first.click()
    reporter_page.wait_for_url(f"**/plans/notices/{notice.pk}/")
    expect(reporter_page.locator('[data-testid="notice-visit"]')).to_contain_text(FINDINGS)
    expect(reporter_page.locator('[data-testid="notice-answer"]')).to_be_visible()
    as_reporter("notice")
