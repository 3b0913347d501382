"""The first start of a deployment: the office and its administrator, without demo data."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from processes.models import Plan, Role, Unit, User

pytestmark = pytest.mark.django_db
PASSWORD = "Jilin-office-2027"


def test_the_office_and_its_admin(units: dict[str, Unit], monkeypatch: pytest.MonkeyPatch) -> None:
    Unit.objects.update(is_office=False)
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("setup_office", "JL-PRO", "--admin", "wang_admin", "--name", "王管理", "--noinput")
    admin = User.objects.get(username="wang_admin")
    assert admin.unit == units["JL-PRO"] and admin.role == Role.ADMIN and admin.is_staff and admin.last_name == "王管理"
    assert list(Unit.objects.filter(is_office=True).values_list("code", flat=True)) == ["JL-PRO"]
    assert User.objects.count() == 1 and not Plan.objects.exists()  # no demo accounts, no demo plan
    client = Client()
    assert client.login(username="wang_admin", password=PASSWORD)
    assert client.get("/admin/processes/user/add/").status_code == 200  # creates everyone else


def test_the_password_is_asked_twice(units: dict[str, Unit], monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="differ"):
        call_command("setup_office", "JL-PRO", "--admin", "wang_admin")
    answers = iter([PASSWORD, PASSWORD])
    call_command("setup_office", "JL-PRO", "--admin", "wang_admin")
    assert User.objects.get(username="wang_admin").check_password(PASSWORD)


@pytest.mark.parametrize(
    ("code", "password", "message"),
    [("XX-NONE", PASSWORD, "load_units"), ("JL-PRO", "12345678", "password"), ("JL-PRO", "", "DJANGO_SUPERUSER")],
)
def test_refused_and_nothing_written(
    units: dict[str, Unit], monkeypatch: pytest.MonkeyPatch, code: str, password: str, message: str
) -> None:
    Unit.objects.update(is_office=False)
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)
    with pytest.raises(CommandError, match=message):
        call_command("setup_office", code, "--admin", "wang_admin", "--noinput")
    assert not User.objects.exists() and not Unit.objects.filter(is_office=True).exists()


def test_an_existing_account_is_not_changed(units: dict[str, Unit], monkeypatch: pytest.MonkeyPatch) -> None:
    existing: Any = User.objects.create_user("wang_admin", password="their-own-Pass-1")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="exists"):
        call_command("setup_office", "JL-PRO", "--admin", "wang_admin", "--noinput")
    existing.refresh_from_db()
    assert existing.check_password("their-own-Pass-1") and not existing.is_staff
