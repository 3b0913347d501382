"""Importing from the browser: upload → preview of every row → confirm; the preview never writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from processes.models import Assignment, Plan, PlanImport, Role, Unit, User

from ..conftest import ANNEX_XLSX
from ..factories import UserFactory
from .test_views import client_for, counts

pytestmark = pytest.mark.django_db


def upload(client: Client, data: bytes, name: str, **fields: str) -> str:
    """Upload a file; return the preview URL it redirects to."""
    response = client.post(
        "/plans/import/",
        {
            "file": SimpleUploadedFile(name, data),
            "year": fields.get("year", "2023"),
            "title": fields.get("title", ""),
            "doc_no": fields.get("doc_no", ""),
            # The notice's date, as the office enters it: without it the start would be today's (or 1 January).
            "starts": fields.get("starts", "2023-07-10"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def test_the_office_admin_previews_then_confirms(no_plan_yet: None, office_admin: User) -> None:
    client = client_for(office_admin)
    preview_url = upload(client, ANNEX_XLSX.read_bytes(), "jilin-2023-tasks.xlsx", doc_no="吉环固体字〔2023〕15号")
    assert re.fullmatch(r"/plans/import/[0-9a-f]{32}/", preview_url)

    html = client.get(preview_url).content.decode()
    assert counts(html) == {"tasks": 39, "assignments": 289, "closed": 1, "warnings": 1, "errors": 0}
    assert len(re.findall(r"<tr data-number=", html)) == 39
    row22 = html.split('data-number="22"')[1].split("</tr>")[0]
    assert "长春市生态环境厅" in row22 and "app-problem--warning" in row22
    assert 'data-testid="confirm"' in html
    assert not Plan.objects.exists() and not Assignment.objects.exists()  # the preview wrote nothing

    response = client.post(f"{preview_url}confirm/", {"action": "confirm"})
    assert response.status_code == 302 and response["Location"] == "/plans/JL-PRO/2023/"
    plan = Plan.objects.get(year=2023)
    assert (plan.doc_no, plan.tasks.count(), Assignment.objects.count()) == ("吉环固体字〔2023〕15号", 39, 289)
    record = PlanImport.objects.get()
    assert (record.imported_by, record.filename, record.summary["assignments"]) == (
        office_admin,
        "jilin-2023-tasks.xlsx",
        289,
    )
    assert Assignment.objects.filter(task__number="1").get().transitions.get().by == office_admin
    assert client.get(preview_url).status_code == 404  # the staged file is gone once imported


def test_a_refused_file_shows_its_errors_and_cannot_be_confirmed(no_plan_yet: None, office_admin: User) -> None:
    client = client_for(office_admin)
    bad = "序号,任务,责任单位,完成时限\n1,任务甲,省生态环境厅,8月31日\n2,任务乙,火星市生态环境局,9月30日\n".encode()
    preview_url = upload(client, bad, "bad.csv")
    html = client.get(preview_url).content.decode()
    assert counts(html)["errors"] == 1
    assert 'data-testid="import-refused"' in html and 'data-testid="confirm"' not in html
    row2 = html.split('data-number="2"')[1].split("</tr>")[0]
    assert "火星市生态环境局" in row2 and "C列(责任单位)" in row2

    response = client.post(f"{preview_url}confirm/", {"action": "confirm"})  # a forged confirmation
    assert response.status_code == 422
    assert not Plan.objects.exists()


def test_a_file_refused_as_a_whole_shows_why(no_plan_yet: None, office_admin: User) -> None:
    client = client_for(office_admin)
    preview_url = upload(client, b"not a workbook", "plan.xlsx")
    html = client.get(preview_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "plain text" in html and counts(html)["errors"] == 1
    assert "纯文本" in client.get(preview_url).content.decode()  # the Chinese default


def test_the_upload_form_refuses_other_file_types(no_plan_yet: None, office_admin: User) -> None:
    response = client_for(office_admin).post(
        "/plans/import/", {"file": SimpleUploadedFile("plan.pdf", b"%PDF"), "year": "2023"}
    )
    assert response.status_code == 200
    assert "Unsupported file type" in response.content.decode() or "不支持" in response.content.decode()


def test_discarding_an_upload_writes_nothing(no_plan_yet: None, office_admin: User, settings) -> None:
    client = client_for(office_admin)
    preview_url = upload(client, ANNEX_XLSX.read_bytes(), "jilin-2023-tasks.xlsx")
    response = client.post(f"{preview_url}confirm/", {"action": "cancel"})
    assert response.status_code == 302 and response["Location"] == "/plans/import/"
    assert not Plan.objects.exists()
    assert list(Path(settings.IMPORT_STAGING_DIR).iterdir()) == []


def test_only_the_office_admin_may_import(no_plan_yet: None, reporter: User, supervisor: User) -> None:
    for user in (reporter, supervisor):
        client = client_for(user)
        assert client.get("/plans/import/").status_code == 403
        response = client.post(
            "/plans/import/", {"file": SimpleUploadedFile("p.xlsx", ANNEX_XLSX.read_bytes()), "year": "2023"}
        )
        assert response.status_code == 403
    assert not Plan.objects.exists()


def test_another_admins_upload_cannot_be_seen_or_confirmed(
    no_plan_yet: None, office_admin: User, units: dict[str, Unit]
) -> None:
    preview_url = upload(client_for(office_admin), ANNEX_XLSX.read_bytes(), "jilin-2023-tasks.xlsx")
    other = client_for(UserFactory(unit=units["JL-PRO"], role=Role.ADMIN))
    assert other.get(preview_url).status_code == 404
    assert other.post(f"{preview_url}confirm/", {"action": "confirm"}).status_code == 404
    assert other.get("/plans/import/" + "g" * 32 + "/").status_code == 404  # not a token: never a path
    assert other.get("/plans/import/..%2F..%2Fetc%2Fpasswd/").status_code == 404
    assert not Plan.objects.exists()


@pytest.fixture
def no_plan_yet(units: dict[str, Unit]) -> None:
    """Units loaded, no plan yet: the state an office is in before its first import."""
