"""Password rules (length ≥ 10, three kinds of character, not the username, not common) and the change owed at the
first sign-in of an account the office makes, after an administrator sets a password, and when a password expires."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from processes.models import Role, User
from security.models import AccountSecurity, AuditEvent, AuditEventKind, SecuritySettings

from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WORK = "/plans/work/"
CHANGE = "/accounts/password_change/"
GOOD = "Lvse-Chengshi7"


def errors(password: str, user: User | None = None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def test_the_demo_password_fails_and_says_why_in_chinese() -> None:
    user = User(username="songyuan_reporter")
    with translation.override("zh-hans"):
        found = errors("zhongguo2023", user)
    assert "密码须至少包含小写字母、大写字母、数字、符号四类字符中的3类。" in found


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Ab1-Ab1-A", "password_too_short"),  # nine characters, four kinds
        ("lowercase-only!", "password_too_simple"),  # two kinds: lower and symbols
        ("UPPER12345678", "password_too_simple"),  # two kinds
        ("x-Songyuan_Reporter-9", "password_contains_username"),  # any case
        ("Password123", "password_too_common"),
    ],
)
def test_passwords_the_rules_refuse(password: str, code: str) -> None:
    user = User(username="songyuan_reporter")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert code in [error.code for error in refused.value.error_list]


@pytest.mark.parametrize("password", [GOOD, "Baicheng2023x", "wufei#2026ok", "绿色城市Ab12345"])
def test_passwords_the_rules_accept(password: str) -> None:
    assert errors(password, User(username="songyuan_reporter")) == []


def test_an_account_the_office_makes_in_the_admin_must_change_its_password_first() -> None:
    office = UserFactory(username="the_office", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(office)
    response = client.post(
        "/admin/processes/user/add/",
        {
            "username": "new_reporter",
            "password1": "Chuzhi-Mima-2026",
            "password2": "Chuzhi-Mima-2026",
            "role": "reporter",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    newcomer = User.objects.get(username="new_reporter")
    assert AccountSecurity.objects.get(user=newcomer).must_change_password

    person = Client()
    assert (
        person.post("/accounts/login/", {"username": "new_reporter", "password": "Chuzhi-Mima-2026"}).status_code == 302
    )
    for page in (WORK, "/plans/", "/notifications/", "/admin/"):
        response = person.get(page)
        assert response.status_code == 302 and response["Location"] == CHANGE, page
    page = person.get(CHANGE)
    assert page.status_code == 200 and "请先将办公室分配的初始密码修改为您自己的密码" in page.content.decode()

    weak = person.post(
        CHANGE, {"old_password": "Chuzhi-Mima-2026", "new_password1": "zhongguo2023", "new_password2": "zhongguo2023"}
    )
    assert weak.status_code == 200 and "四类字符" in weak.content.decode()
    assert person.get(WORK).status_code == 302

    done = person.post(CHANGE, {"old_password": "Chuzhi-Mima-2026", "new_password1": GOOD, "new_password2": GOOD})
    assert done.status_code == 302
    assert person.get(WORK).status_code == 200
    state = AccountSecurity.objects.get(user=newcomer)
    assert not state.must_change_password and state.password_changed_at is not None
    changed = AuditEvent.objects.get(kind=AuditEventKind.PASSWORD_CHANGED)
    assert changed.user == newcomer and changed.detail == {}


def test_a_password_an_administrator_sets_must_be_changed_by_its_owner() -> None:
    office = UserFactory(username="the_office", role=Role.ADMIN, is_staff=True, is_superuser=True)
    owner = UserFactory(username="forgot_it")
    client = Client()
    client.force_login(office)
    response = client.post(
        f"/admin/processes/user/{owner.pk}/password/", {"password1": "Reset-Mima-2026", "password2": "Reset-Mima-2026"}
    )
    assert response.status_code == 302
    assert AccountSecurity.objects.get(user=owner).must_change_password
    event = AuditEvent.objects.get(kind=AuditEventKind.PASSWORD_CHANGED)
    assert event.user == office
    assert event.detail == {"account": "forgot_it", "set_by_administrator": True}
    person = Client()
    person.post("/accounts/login/", {"username": "forgot_it", "password": "Reset-Mima-2026"})
    assert person.get(WORK)["Location"] == CHANGE


def test_the_admin_refuses_a_weak_password_for_a_new_account() -> None:
    office = UserFactory(username="the_office", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(office)
    response = client.post(
        "/admin/processes/user/add/",
        {"username": "weakling", "password1": "zhongguo2023", "password2": "zhongguo2023", "role": "reporter"},
    )
    assert response.status_code == 200 and not User.objects.filter(username="weakling").exists()


def test_people_the_tests_and_the_demo_make_directly_are_not_sent_to_the_change() -> None:
    user = UserFactory(username="plain_reporter")
    client = Client()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    assert client.get(WORK).status_code == 200


SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("age_days", "forced"), [(89, False), (90, True)])
def test_an_expired_password_must_be_changed(age_days: int, forced: bool) -> None:
    settings_row = SecuritySettings.current()
    settings_row.password_max_age_days = 90
    settings_row.save()
    changed = dt.datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)
    user = UserFactory(username="old_password")
    AccountSecurity.objects.create(user=user, password_changed_at=changed)
    with time_machine.travel(changed + dt.timedelta(days=age_days), tick=False):
        client = Client()
        assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
        response = client.get(WORK)
    if forced:
        assert response.status_code == 302 and response["Location"] == CHANGE
    else:
        assert response.status_code == 200


def test_passwords_never_expire_by_default() -> None:
    user = UserFactory(username="old_timer")
    AccountSecurity.objects.create(user=user, password_changed_at=dt.datetime(2020, 1, 1, tzinfo=SHANGHAI))
    client = Client()
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert client.get(WORK).status_code == 200


def test_a_password_set_from_the_reset_link_is_recorded_and_settles_the_change_owed() -> None:
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = UserFactory(username="reset_me", email="reset_me@example.test")
    AccountSecurity.objects.create(user=user, must_change_password=True)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    client = Client()
    landing = client.get(f"/accounts/reset/{uid}/{default_token_generator.make_token(user)}/")
    assert landing.status_code == 302
    done = client.post(landing["Location"], {"new_password1": GOOD, "new_password2": GOOD})
    assert done.status_code == 302
    assert not AccountSecurity.objects.get(user=user).must_change_password
    assert AuditEvent.objects.get(kind=AuditEventKind.PASSWORD_CHANGED).user == user
