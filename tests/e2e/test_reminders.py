"""催办 in a real Chromium: the province's supervisor ticks two of Songyuan's items on the ledger and reminds the unit
with a comment; the Songyuan reporter sees two unread messages under the bell, opens one, which shows its item and
counts as read, while the other stays unread; every message is also sent by email.

The supervisor works in the test's own page, the reporter in a browser context of their own (``person``), each
logged in through the login page. Celery runs eagerly (``celery_eager``): the email of each message is sent, in the
live server's thread, as soon as the reminder commits. Assertions rely on data-testid/data-* attributes and on the
published data (task text, unit names), not on the interface's wording, which is still being translated.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import Page, expect

from notifications.models import DeliveryState, Message
from notifications.services import message_deliver
from processes.models import AssignmentTransition, Plan, TransitionAction, Unit, User

from ..lifecycle_helpers import songyuan_item
from .conftest import Person, Shot, log_in, open_notifications, prefixed

pytestmark = pytest.mark.e2e

SONGYUAN = "220700"
SONGYUAN_NAME = "松原市生态环境局"
TASKS = {
    "2": "各地全面成立由政府主导的“无废城市”建设工作议事机构",
    "3": "各级生态环境部门充分发挥",
}
COMMENT = "请于本周内报送进展"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


def test_a_supervisor_reminds_two_items_from_the_ledger_and_the_unit_reads_it(
    celery_eager: None,
    page: Page,
    shot: Shot,
    person: Person,
    plan_2023: Plan,
    reporter: User,
    leader: User,
    supervisor: User,
) -> None:
    items = {number: songyuan_item(plan_2023, number) for number in TASKS}
    links = {number: f"/plans/items/{item.pk}/" for number, item in items.items()}
    songyuan_items = Unit.objects.get(code=SONGYUAN).assignments.filter(task__plan=plan_2023).count()

    # The province's supervisor opens the ledger and filters it to Songyuan.
    as_supervisor = prefixed(shot, "supervisor")
    log_in(page, supervisor, as_supervisor)
    page.goto("/plans/JL-PRO/2023/ledger/")
    expect(page.locator('[data-testid="remind-form"]')).to_be_visible()
    filters = page.locator('[data-testid="ledger-filters"]')
    filters.locator("select[name=unit]").select_option(label=SONGYUAN_NAME)
    as_supervisor("ledger-filter")
    filters.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/plans/JL-PRO/2023/ledger/\?.*\bunit=\d"))
    table = page.locator('[data-testid="ledger-table"]')
    expect(table.locator("tbody tr[data-item]")).to_have_count(songyuan_items)
    expect(table.locator(f'tbody tr[data-item]:not([data-unit="{SONGYUAN}"])')).to_have_count(0)
    as_supervisor("ledger")

    # It ticks tasks 2 and 3, writes a comment and reminds the unit of both at once.
    for number, item in items.items():
        row = table.locator(f'tr[data-task="{number}"]')
        expect(row).to_have_count(1)
        expect(row).to_have_attribute("data-item", str(item.pk))
        expect(row).to_have_attribute("data-unit", SONGYUAN)
        expect(row).to_contain_text(TASKS[number])
        expect(row.locator("[data-light]")).to_have_attribute("data-light", re.compile(r"^(red|yellow|green)$"))
        box = row.locator("input[name=items]")
        expect(box).to_have_attribute("form", "remind-form")
        box.check()
        expect(box).to_be_checked()
    expect(table.locator("input[name=items]:checked")).to_have_count(2)
    form = page.locator('[data-testid="remind-form"]')
    form.locator("input[name=comment]").fill(COMMENT)
    as_supervisor("remind-filled")
    assert not Message.objects.exists()
    form.locator('[data-testid="bulk-remind"]').click()
    expect(page.locator(".app-messages .app-message--success")).to_have_count(1)
    expect(page.locator(".app-messages .app-message--error")).to_have_count(0)
    assert re.search(r"/plans/JL-PRO/2023/ledger/\?.*\bunit=\d", page.url), page.url  # back on the filtered ledger
    expect(table.locator("input[name=items]:checked")).to_have_count(0)
    as_supervisor("reminded")

    # Each of Songyuan's reporters and leaders got one message per item, and each item's history keeps the 催办.
    for user in (reporter, leader):
        received = Message.objects.filter(recipient=user)
        assert sorted(received.values_list("link", flat=True)) == sorted(links.values())
        for message in received:
            assert COMMENT in message.body
            assert message.read_at is None
    assert Message.objects.count() == 4
    for item in items.values():
        entries = AssignmentTransition.objects.filter(assignment=item, action=TransitionAction.REMINDED)
        assert [(entry.by_id, entry.comment) for entry in entries] == [(supervisor.pk, COMMENT)]

    # The Songyuan reporter, on their own computer, sees two unread messages under the bell.
    reporter_page, as_reporter = person(reporter, "reporter")
    expect(reporter_page.locator('[data-testid="unread-count"]')).to_have_text("2")
    as_reporter("bell")
    listed = open_notifications(reporter_page)
    expect(listed).to_have_count(2)
    expect(reporter_page.locator('[data-testid="notifications"] li[data-unread="1"]')).to_have_count(2)
    for text in TASKS.values():
        expect(listed.filter(has_text=text)).to_have_count(1)
    for index in range(2):
        expect(listed.nth(index)).to_contain_text(COMMENT)
    as_reporter("notifications")

    # Opening the first one shows its item and counts it as read; the other stays unread.
    first = listed.first
    first_pk = int(first.get_attribute("data-message") or 0)
    opened = Message.objects.get(pk=first_pk, recipient=reporter)
    (number,) = [number for number, link in links.items() if link == opened.link]
    expect(first).to_contain_text(TASKS[number])
    first.locator(f'a[href="/notifications/{first_pk}/"]').click()
    reporter_page.wait_for_url(f"**{links[number]}")
    expect(reporter_page.locator('[data-testid="item"]')).to_have_attribute("data-item", str(items[number].pk))
    expect(reporter_page.locator('[data-testid="timeline"] li[data-action="reminded"]')).to_contain_text(COMMENT)
    expect(reporter_page.locator('[data-testid="unread-count"]')).to_have_text("1")
    as_reporter("item")
    listed = open_notifications(reporter_page)
    expect(reporter_page.locator(f'li[data-message="{first_pk}"]')).to_have_attribute("data-unread", "0")
    expect(reporter_page.locator('[data-testid="notifications"] li[data-unread="1"]')).to_have_count(1)
    expect(reporter_page.locator('[data-testid="unread-count"]')).to_have_text("1")
    as_reporter("notifications-after")
    opened.refresh_from_db()
    assert opened.read_at is not None
    assert Message.objects.filter(read_at__isnull=False).count() == 1  # the leader's copies stay unread

    # Every message was sent by email once; delivering again changes nothing (a sent row is never sent again).
    every = list(Message.objects.select_related("recipient").order_by("pk"))
    assert [message_deliver(message.pk) for message in every] == [DeliveryState.SENT] * len(every)
    for message in every:
        message.refresh_from_db()
        assert (message.state, message.attempts) == (DeliveryState.SENT, 1)
        assert message.sent_at is not None
    if settings.EMAIL_BACKEND == LOCMEM:
        sent = sorted((email.to[0], email.subject, email.extra_headers["X-Wufei-Message"]) for email in mail.outbox)
        assert sent == sorted((message.recipient.email, message.subject, message.dedupe_key) for message in every)
