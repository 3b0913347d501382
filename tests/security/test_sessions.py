"""Idle session timeout (the office's SecuritySettings, 30 minutes by default), sessions that end with the browser,
and the cookies' flags."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from security.models import AuditEvent, AuditEventKind, SecuritySettings

from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
PAGE = "/notifications/"
TIMED_OUT_ZH = "您已连续30分钟未操作，为保护账户安全已自动退出，请重新登录。"


def signed_in_client() -> Client:
    user = UserFactory(username="idle_person")
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_thirty_idle_minutes_end_the_session_and_the_login_page_says_why() -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in_client()
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(PAGE).status_code == 200  # activity: the clock starts again
        clock.shift(dt.timedelta(minutes=30))
        assert client.get(PAGE).status_code == 200  # exactly 30 minutes idle: still in
        clock.shift(dt.timedelta(minutes=30, seconds=1))
        response = client.get(PAGE)
        assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={PAGE}"
        assert "_auth_user_id" not in client.session
        login = client.get(response["Location"]).content.decode()
        assert TIMED_OUT_ZH in login
        assert client.get(PAGE).status_code == 302  # still signed out
    event = AuditEvent.objects.get(kind=AuditEventKind.SESSION_TIMEOUT)
    assert event.username == "idle_person" and event.detail == {"idle_minutes": 30}
    assert not AuditEvent.objects.filter(kind=AuditEventKind.LOGOUT).exists()


def test_the_office_sets_the_timeout() -> None:
    row = SecuritySettings.current()
    row.idle_timeout_minutes = 5
    row.save()
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in_client()
        clock.shift(dt.timedelta(minutes=5, seconds=1))
        assert client.get(PAGE).status_code == 302


def test_the_office_changes_the_timeout_in_the_admin() -> None:
    office = UserFactory(username="the_office", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(office)
    row = SecuritySettings.current()
    url = f"/admin/security/securitysettings/{row.pk}/change/"
    ok = client.post(url, {"idle_timeout_minutes": 15, "password_max_age_days": 90, "audit_retention_days": 365})
    assert ok.status_code == 302
    row.refresh_from_db()
    assert (row.idle_timeout_minutes, row.password_max_age_days, row.audit_retention_days) == (15, 90, 365)
    refused = client.post(url, {"idle_timeout_minutes": 15, "password_max_age_days": 0, "audit_retention_days": 179})
    assert refused.status_code == 200
    row.refresh_from_db()
    assert row.audit_retention_days == 365
    assert AuditEvent.objects.filter(kind=AuditEventKind.ADMIN_CHANGE, user=office).count() == 1


def test_the_retention_cannot_be_set_below_180_days() -> None:
    row = SecuritySettings.current()
    row.audit_retention_days = 179
    with pytest.raises(ValidationError):
        row.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_the_session_cookie_ends_with_the_browser_and_scripts_cannot_read_it() -> None:
    user = UserFactory(username="cookie_person")
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    assert response.cookies["csrftoken"]["samesite"] == "Lax"
