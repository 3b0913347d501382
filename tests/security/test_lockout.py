"""Sign-in lockout (django-axes through security.backends.LoginGateBackend): five failed sign-ins lock the account for
30 minutes whatever the address, the page says so in Chinese, an office admin unlocks it early."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client

from processes.models import Role, User
from security.models import AuditEvent, AuditEventKind

from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
LOCKED_ZH = "登录失败次数过多，账户已锁定30分钟"


def sign_in(username: str, password: str, address: str = "127.0.0.1") -> tuple[Client, object]:
    client = Client(REMOTE_ADDR=address)
    return client, client.post(LOGIN, {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def kinds(username: str) -> list[str]:
    return list(AuditEvent.objects.filter(username=username).order_by("at", "pk").values_list("kind", flat=True))


def test_five_failures_lock_the_account_for_thirty_minutes_and_the_page_says_so_in_chinese() -> None:
    user = UserFactory(username="lock_me")
    with time_machine.travel(START, tick=False) as clock:
        for attempt in range(1, 5):
            _, response = sign_in(user.username, "wrong-password")
            assert response.status_code == 200, attempt  # the login page again, with the usual error
        _, fifth = sign_in(user.username, "wrong-password")
        assert fifth.status_code == 429
        assert LOCKED_ZH in fifth.content.decode()
        assert 'data-testid="lockout"' in fifth.content.decode()

        clock.shift(dt.timedelta(minutes=29, seconds=59))
        client, right = sign_in(user.username, PASSWORD)
        assert right.status_code == 429 and LOCKED_ZH in right.content.decode()
        assert not signed_in(client)

        clock.shift(dt.timedelta(seconds=2))  # 30 minutes and one second after the fifth failure
        client, after = sign_in(user.username, PASSWORD)
        assert after.status_code == 302 and signed_in(client)
    assert not AccessAttempt.objects.filter(username=user.username).exists()  # reset on success
    assert kinds(user.username) == [
        *[AuditEventKind.LOGIN_FAILED] * 4,
        AuditEventKind.LOCKED_OUT,  # recorded as the fifth failure is counted …
        AuditEventKind.LOGIN_FAILED,  # … which is then recorded itself
        AuditEventKind.LOGIN_FAILED,  # the right password, refused during the lockout
        AuditEventKind.LOGIN,
    ]
    failures = AuditEvent.objects.filter(username=user.username, kind=AuditEventKind.LOGIN_FAILED).order_by("pk")
    assert [event.detail["reason"] for event in failures] == ["credentials"] * 5 + ["locked_out"]
    assert AuditEvent.objects.get(username=user.username, kind=AuditEventKind.LOCKED_OUT).detail == {"failures": 5}


def test_the_lockout_counts_by_account_whatever_the_address() -> None:
    user = UserFactory(username="roaming")
    with time_machine.travel(START, tick=False):
        for n in range(5):
            sign_in(user.username, "wrong-password", address=f"10.0.0.{n + 1}")
        client, response = sign_in(user.username, PASSWORD, address="10.9.9.9")
        assert response.status_code == 429 and not signed_in(client)
        # Another account from the same addresses is not affected.
        other = UserFactory(username="bystander")
        client, response = sign_in(other.username, PASSWORD, address="10.0.0.1")
        assert response.status_code == 302 and signed_in(client)
    assert AuditEvent.objects.get(kind=AuditEventKind.LOCKED_OUT).username == "roaming"


def test_a_success_before_the_limit_clears_the_count() -> None:
    user = UserFactory(username="forgetful")
    with time_machine.travel(START, tick=False):
        for _ in range(4):
            sign_in(user.username, "wrong-password")
        assert sign_in(user.username, PASSWORD)[1].status_code == 302
        for _ in range(4):
            sign_in(user.username, "wrong-password")
        assert sign_in(user.username, PASSWORD)[1].status_code == 302


def test_an_office_admin_unlocks_an_account_from_the_user_admin() -> None:
    user = UserFactory(username="locked_reporter")
    admin_user = UserFactory(username="the_admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            sign_in(user.username, "wrong-password")
        assert sign_in(user.username, PASSWORD)[1].status_code == 429

        office = Client()
        office.force_login(admin_user)
        response = office.post(
            "/admin/processes/user/", {"action": "unlock_accounts", "_selected_action": [user.pk]}, follow=True
        )
        assert response.status_code == 200
        client, again = sign_in(user.username, PASSWORD)
        assert again.status_code == 302 and signed_in(client)
    unlocked = AuditEvent.objects.get(kind=AuditEventKind.UNLOCKED)
    assert unlocked.user == admin_user and unlocked.detail == {"account": "locked_reporter"}


def test_a_reporter_cannot_unlock_anyone(client: Client) -> None:
    user = UserFactory(username="still_locked")
    reporter = UserFactory(username="nosy", role=Role.REPORTER)
    for _ in range(5):
        sign_in(user.username, "wrong-password")
    client.force_login(reporter)
    response = client.post("/admin/processes/user/", {"action": "unlock_accounts", "_selected_action": [user.pk]})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert AccessAttempt.objects.filter(username="still_locked").exists()
    assert not User.objects.get(username="nosy").is_staff
