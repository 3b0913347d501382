"""Sign-in lockout in a real Chromium: five wrong passwords lock 松原's reporter out, the right password is then
refused with the Chinese lockout message; 30 minutes later (the live server's clock moved by time-machine, which
patches the whole process) the right password works. In the second journey the office's administrator unlocks the
account in the admin instead, and the reporter signs in at once.

Every page of these journeys, the admin's included, is checked against the Content-Security-Policy (the ``page``
and ``person`` fixtures fail the test on any violation Chromium reports)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from processes.models import Role, Unit, User
from security.models import AuditEvent, AuditEventKind

from ..factories import PASSWORD, UserFactory
from .conftest import Person, Shot, log_in, prefixed

pytestmark = pytest.mark.e2e

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
LOCKED = "登录失败次数过多，账户已锁定30分钟"


def try_password(page: Page, username: str, password: str) -> int:
    """Submit the login form once; returns the answer's status."""
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    with page.expect_response(lambda r: "/accounts/login/" in r.url and r.request.method == "POST") as answer:
        page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    return answer.value.status


def lock_out(page: Page, user: User, shot: Shot) -> None:
    page.goto("/accounts/login/")
    for attempt in range(1, 5):
        assert try_password(page, user.username, f"wrong-{attempt}") != 429
        expect(page.locator('[data-testid="lockout"]')).to_have_count(0)
    assert try_password(page, user.username, "wrong-5") == 429
    expect(page.locator('[data-testid="lockout"]')).to_contain_text(LOCKED)
    shot("locked-out")
    assert try_password(page, user.username, PASSWORD) == 429  # the right password, refused
    expect(page.locator('[data-testid="lockout"]')).to_contain_text(LOCKED)
    expect(page.locator("[data-testid=current-user]")).to_have_count(0)
    assert "/accounts/login/" in page.url
    shot("right-password-refused")


def test_five_wrong_passwords_lock_the_account_for_thirty_minutes(page: Page, shot: Shot, reporter: User) -> None:
    with time_machine.travel(START, tick=True) as clock:
        lock_out(page, reporter, shot)
        clock.shift(dt.timedelta(minutes=31))
        log_in(page, reporter, shot)  # the right password works again
    kinds = list(AuditEvent.objects.filter(username=reporter.username).values_list("kind", flat=True))
    assert kinds.count(AuditEventKind.LOCKED_OUT) == 1 and kinds[0] == AuditEventKind.LOGIN


def test_the_office_unlocks_the_account_in_the_admin(
    page: Page, shot: Shot, person: Person, units: dict[str, Unit], reporter: User
) -> None:
    office = UserFactory(
        username="office_root", unit=units["JL-PRO"], role=Role.ADMIN, is_staff=True, is_superuser=True
    )
    with time_machine.travel(START, tick=True):
        lock_out(page, reporter, prefixed(shot, "reporter"))

        admin_page, admin_shot = person(office, "office")
        admin_page.goto(f"/admin/processes/user/?q={reporter.username}")
        admin_page.locator(f'input[name="_selected_action"][value="{reporter.pk}"]').check()
        admin_page.locator("select[name=action]").select_option("unlock_accounts")
        admin_shot("unlock")
        admin_page.locator("button[name=index]").click()
        expect(admin_page.locator("ul.messagelist")).to_contain_text("1")
        admin_shot("unlocked")
        admin_page.goto("/security/audit/?kind=unlocked")
        expect(admin_page.locator('[data-testid="audit-events"] tbody tr[data-kind="unlocked"]')).to_have_count(1)
        expect(admin_page.locator('[data-testid="audit-events"]')).to_contain_text(reporter.username)
        admin_shot("audit-log")

        page.goto("/accounts/login/")
        log_in(page, reporter, prefixed(shot, "reporter"))  # at once, well inside the 30 minutes
    assert AuditEvent.objects.get(kind=AuditEventKind.UNLOCKED).user == office
