"""Items, 待办 and evidence through the browser's requests: every step as a person posts it, every refusal."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from processes.models import Assignment, AssignmentState, AssignmentTransition, Evidence, Plan, Report, Role, Unit, User
from processes.services import lifecycle

from ..factories import UserFactory
from ..lifecycle_helpers import JPEG, PDF, pdf, songyuan_item, upload
from .test_views import client_for as browser_of
from .test_views import counts

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    """English pages, so that the assertions read the messages' source text (test_i18n checks the Chinese)."""
    return browser_of(user, language="en")


def step(client: Client, item: Assignment, name: str, **data: Any) -> Any:
    item.refresh_from_db()
    form = {"assignment": item.pk, "state": item.state, **data}
    return client.post(f"/plans/items/{item.pk}/{name}/", form)


def report_through_the_page(client: Client, item: Assignment, text: str, *files: Any) -> Any:
    item.refresh_from_db()
    return client.post(
        f"/plans/items/{item.pk}/report/",
        {"assignment": item.pk, "state": item.state, "text": text, "evidence": list(files)},
    )


def test_the_whole_journey_through_the_pages(
    plan_2023: Plan, reporter: User, supervisor: User, office_admin: User
) -> None:
    item = songyuan_item(plan_2023)
    as_reporter, as_supervisor, as_office = client_for(reporter), client_for(supervisor), client_for(office_admin)

    response = report_through_the_page(as_reporter, item, "已成立议事机构", pdf())
    assert response.status_code == 302 and response["Location"] == f"/plans/items/{item.pk}/"
    review = as_supervisor.get("/plans/work/").content.decode()
    assert f'data-item="{item.pk}"' in review.split('data-testid="review-queue"')[1]

    assert step(as_supervisor, item, "return", comment="缺少印发文件").status_code == 302
    page = as_reporter.get(f"/plans/items/{item.pk}/").content.decode()
    assert 'data-testid="return-reason"' in page and "缺少印发文件" in page.split('data-testid="return-reason"')[1]
    todo = as_reporter.get("/plans/work/").content.decode()
    rows = re.findall(r'<tr data-item="(\d+)" data-state="(\w+)"', todo)
    assert rows[0] == (str(item.pk), "returned")  # returned items first

    assert report_through_the_page(as_reporter, item, "补充了印发文件", pdf("印发通知.pdf")).status_code == 302
    assert step(as_supervisor, item, "verify").status_code == 302
    closing = as_office.get("/plans/work/").content.decode()
    assert f'data-item="{item.pk}"' in closing.split('data-testid="closeout-queue"')[1]
    assert step(as_office, item, "close").status_code == 302

    item.refresh_from_db()
    assert item.state == AssignmentState.CLOSED
    timeline = as_reporter.get(f"/plans/items/{item.pk}/").content.decode().split('data-testid="timeline"')[1]
    assert re.findall(r'data-action="(\w+)"', timeline) == [
        "created",
        "reported",
        "returned",
        "reported",
        "verified",
        "closed",
    ]
    ledger = as_supervisor.get("/plans/JL-PRO/2023/ledger/").content.decode()
    assert counts(ledger)["closed"] == 2  # task 1 (已完成) and this one


def test_evidence_is_served_only_to_those_who_may_see_the_item(
    plan_2023: Plan, units: dict[str, Unit], reporter: User, supervisor: User
) -> None:
    item = songyuan_item(plan_2023)
    report_through_the_page(client_for(reporter), item, "见附件", pdf("会议纪要.pdf"))
    evidence = Evidence.objects.get()
    assert Path(evidence.file.path).is_relative_to(Path(django_settings.PRIVATE_STORAGE_ROOT))
    assert (
        evidence.original_name == "会议纪要.pdf" and "会议纪要" not in evidence.file.name
    )  # stored under a random name
    for user in (reporter, supervisor):
        response = client_for(user).get(f"/plans/evidence/{evidence.pk}/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert "attachment" in response["Content-Disposition"] and response["X-Content-Type-Options"] == "nosniff"
    outsider = UserFactory(unit=units["220800"], role=Role.REPORTER)
    assert client_for(outsider).get(f"/plans/evidence/{evidence.pk}/").status_code == 404
    assert Client().get(f"/plans/evidence/{evidence.pk}/").status_code == 302  # to the login page
    media_url = f"/media/{evidence.file.name}"
    assert client_for(reporter).get(media_url).status_code == 404


def test_another_units_item_is_not_found_and_not_changed(
    plan_2023: Plan, units: dict[str, Unit], reporter: User
) -> None:
    baicheng = Assignment.objects.get(task__number="2", unit__code="220800")
    client = client_for(reporter)
    response = client.get(f"/plans/items/{baicheng.pk}/")
    assert response.status_code == 404 and "白城市生态环境局" not in response.content.decode()
    assert report_through_the_page(client, baicheng, "冒名填报", pdf()).status_code == 404
    assert (
        step(client_for(UserFactory(unit=units["220100"], role=Role.SUPERVISOR)), baicheng, "verify").status_code == 404
    )
    assert not Report.objects.exists()


def test_a_form_tampered_to_name_another_item_changes_nothing(plan_2023: Plan, reporter: User) -> None:
    mine, other = songyuan_item(plan_2023, "2"), songyuan_item(plan_2023, "3")
    response = client_for(reporter).post(
        f"/plans/items/{mine.pk}/report/", {"assignment": other.pk, "state": "assigned", "text": "已完成"}
    )
    assert response.status_code == 400 and "another item" in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("files", "text", "message"),
    [
        ([upload("说明.exe", b"MZ")], "已完成", "cannot be attached"),
        ([upload("扫描件.pdf", JPEG)], "已完成", "not what its name says"),
        ([pdf()], "", "cannot be empty"),
    ],
)
def test_bad_reports_are_refused_on_the_page(
    plan_2023: Plan, reporter: User, files: list[Any], text: str, message: str
) -> None:
    item = songyuan_item(plan_2023)
    response = report_through_the_page(client_for(reporter), item, text, *files)
    assert response.status_code == 400
    assert message in response.content.decode()
    item.refresh_from_db()
    assert item.state == AssignmentState.ASSIGNED and not Report.objects.exists()


def test_an_oversized_file_is_refused_on_the_page(plan_2023: Plan, reporter: User, settings: Any) -> None:
    settings.EVIDENCE_MAX_BYTES = 100
    response = report_through_the_page(client_for(reporter), songyuan_item(plan_2023), "已完成", pdf(data=PDF * 10))
    assert response.status_code == 400 and "too large" in response.content.decode()
    assert not Report.objects.exists()


def test_return_without_a_reason_is_refused(plan_2023: Plan, reporter: User, supervisor: User) -> None:
    item = songyuan_item(plan_2023)
    lifecycle.assignment_report(assignment=item, by=reporter, text="已完成")
    response = step(client_for(supervisor), item, "return", comment="  ")
    assert response.status_code == 400 and "reason" in response.content.decode()
    item.refresh_from_db()
    assert item.state == AssignmentState.REPORTED


def test_a_step_not_allowed_is_forbidden_with_its_reason(plan_2023: Plan, reporter: User, supervisor: User) -> None:
    item = songyuan_item(plan_2023)
    response = step(client_for(supervisor), item, "verify")
    assert response.status_code == 403 and "cannot be taken while the item is" in response.content.decode()
    response = step(client_for(reporter), item, "close")
    assert response.status_code == 403
    assert AssignmentTransition.objects.filter(assignment=item).count() == 1


def test_a_stale_page_gets_already_handled_and_a_reload_never_a_500(
    plan_2023: Plan, units: dict[str, Unit], reporter: User, supervisor: User
) -> None:
    item = songyuan_item(plan_2023)
    lifecycle.assignment_report(assignment=item, by=reporter, text="已完成")
    other_supervisor = UserFactory(unit=units["JL-PRO"], role=Role.SUPERVISOR)
    stale = {"assignment": item.pk, "state": AssignmentState.REPORTED}
    assert client_for(supervisor).post(f"/plans/items/{item.pk}/verify/", stale).status_code == 302
    client = client_for(other_supervisor)
    response = client.post(f"/plans/items/{item.pk}/return/", {**stale, "comment": "材料不全"})
    assert response.status_code == 302 and response["Location"] == f"/plans/items/{item.pk}/"
    assert "该事项已被他人处理" in client.get(response["Location"]).content.decode()
    assert AssignmentTransition.objects.filter(assignment=item, action="returned").count() == 0


def test_bulk_verify_from_the_review_queue(plan_2023: Plan, reporter: User, supervisor: User) -> None:
    items = [songyuan_item(plan_2023, number) for number in ("2", "3")]
    for item in items:
        lifecycle.assignment_report(assignment=item, by=reporter, text="已完成")
    client = client_for(supervisor)
    queue = client.get("/plans/work/").content.decode().split('data-testid="review-queue"')[1]
    assert re.findall(r'<tr data-item="(\d+)"', queue) == [str(items[0].pk), str(items[1].pk)]  # oldest first
    response = client.post("/plans/work/bulk/", {"step": "verify", "items": [str(i.pk) for i in items]})
    assert response.status_code == 302
    assert set(Assignment.objects.filter(pk__in=[i.pk for i in items]).values_list("state", flat=True)) == {"verified"}


def test_bulk_naming_an_item_out_of_scope_changes_nothing(
    plan_2023: Plan, units: dict[str, Unit], reporter: User
) -> None:
    city_supervisor = UserFactory(unit=units["220700"], role=Role.SUPERVISOR)
    mine = songyuan_item(plan_2023)
    lifecycle.assignment_report(assignment=mine, by=reporter, text="已完成")
    baicheng = Assignment.objects.get(task__number="2", unit__code="220800")
    response = client_for(city_supervisor).post(
        "/plans/work/bulk/", {"step": "verify", "items": [mine.pk, baicheng.pk]}
    )
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.state == AssignmentState.REPORTED


def test_the_leader_signs_off_from_the_page(plan_2023: Plan, reporter: User, leader: User) -> None:
    Unit.objects.filter(code="220700").update(requires_signoff=True)
    item = songyuan_item(plan_2023)
    lifecycle.assignment_report(assignment=item, by=reporter, text="已完成")
    client = client_for(leader)
    todo = client.get("/plans/work/").content.decode()
    assert f'data-item="{item.pk}"' in todo.split('data-testid="signoff-queue"')[1]
    assert step(client, item, "approve").status_code == 302
    item.refresh_from_db()
    assert item.state == AssignmentState.REPORTED


def test_escalation_shows_on_the_ledger_and_in_the_offices_to_do(
    plan_2023: Plan, supervisor: User, office_admin: User
) -> None:
    item = songyuan_item(plan_2023)
    assert step(client_for(supervisor), item, "escalate", comment="进展缓慢").status_code == 302
    ledger = client_for(supervisor).get(f"/plans/JL-PRO/2023/ledger/?unit={item.unit_id}&q=2").content.decode()
    assert "data-escalated" in ledger
    todo = client_for(office_admin).get("/plans/work/").content.decode()
    assert "进展缓慢" in todo.split('data-testid="escalation-queue"')[1]
