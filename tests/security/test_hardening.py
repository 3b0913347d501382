"""Production hardening of accounts: no demo data or demo account under production settings, a
Content-Security-Policy on every response, the admin only for staff and only from the listed networks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import Client

from processes.models import Plan, User
from security.models import AuditEvent, AuditEventKind
from security.services import account_mark_demo

from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_load_demo_refuses_under_production_settings() -> None:
    """The real production settings module, in a process of its own: the command stops before touching anything
    (its database address leads nowhere)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "workflow.settings.production",
        "SECRET_KEY": "k" * 60,
        "ALLOWED_HOSTS": "wufei.example",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:9/nowhere",
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "SITE_URL": "https://wufei.example",
    }
    env.pop("DEMO_ALLOWED", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "load_demo", "--no-replay"],
        cwd=Path(django_settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "DEMO_ALLOWED" in done.stderr and "Traceback" not in done.stderr


def test_load_demo_refuses_where_demo_is_not_allowed(settings: object) -> None:
    settings.DEMO_ALLOWED = False  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="DEMO_ALLOWED"):
        call_command("load_demo", "--no-replay")
    assert not Plan.objects.exists() and not User.objects.exists()


def test_demo_accounts_cannot_sign_in_where_demo_is_not_allowed(settings: object) -> None:
    demo = UserFactory(username="office_admin", is_staff=True)
    account_mark_demo(user=demo)
    real = UserFactory(username="real_admin", is_staff=True)
    settings.DEMO_ALLOWED = False  # type: ignore[attr-defined]
    refused = Client()
    assert refused.post("/accounts/login/", {"username": "office_admin", "password": PASSWORD}).status_code == 200
    assert "_auth_user_id" not in refused.session
    event = AuditEvent.objects.get(kind=AuditEventKind.LOGIN_FAILED)
    assert event.username == "office_admin" and event.detail == {"reason": "demo_account"}
    allowed = Client()
    assert allowed.post("/accounts/login/", {"username": real.username, "password": PASSWORD}).status_code == 302
    settings.DEMO_ALLOWED = True  # type: ignore[attr-defined]
    again = Client()
    assert again.post("/accounts/login/", {"username": "office_admin", "password": PASSWORD}).status_code == 302


def test_every_response_carries_the_content_security_policy() -> None:
    office = UserFactory(username="the_office", is_staff=True, is_superuser=True)
    client = Client()
    responses = [client.get("/accounts/login/")]
    client.force_login(office)
    responses += [client.get(path) for path in ("/plans/", "/notifications/", "/admin/", "/security/audit/")]
    responses.append(client.get("/plans/nowhere/"))  # a 404 too
    for response in responses:
        policy = response["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


def test_the_templates_have_no_inline_script() -> None:
    """What the policy forbids must not be written: no inline handlers, no inline script blocks."""
    import re

    offenders = []
    for path in (Path(django_settings.BASE_DIR) / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"\son[a-z]+\s*=", text) or re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", text):
            offenders.append(path.name)
    assert offenders == []


def test_the_admin_answers_only_staff() -> None:
    reporter = UserFactory(username="a_reporter")
    client = Client()
    client.force_login(reporter)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(("address", "reached"), [("10.20.30.40", True), ("192.0.2.1", False), ("::1", False)])
def test_the_admin_answers_only_the_listed_networks(settings: object, address: str, reached: bool) -> None:
    settings.ADMIN_ALLOWED_NETWORKS = ["10.0.0.0/8", "172.16.5.0/24"]  # type: ignore[attr-defined]
    office = UserFactory(username="the_office", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR=address)
    client.force_login(office)
    assert client.get("/admin/").status_code == (200 if reached else 404)
    assert client.get("/admin/login/").status_code == (302 if reached else 404)
    assert client.get("/plans/").status_code == 200  # the site itself is not restricted
    refused = AuditEvent.objects.filter(kind=AuditEventKind.ACCESS_DENIED)
    assert refused.count() == (0 if reached else 2)


def test_any_network_reaches_the_admin_when_none_is_listed() -> None:
    office = UserFactory(username="the_office", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR="203.0.113.50")
    client.force_login(office)
    assert client.get("/admin/").status_code == 200
