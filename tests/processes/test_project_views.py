"""项目库 pages: a region enters and proposes a project, the office admits it, plans its milestones, and a bimonthly
report is drafted, submitted with a photo and accepted — each page as the region's reporter, as the office, and as
another region's reporter, who finds none of it (404)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from processes.models import (
    Evidence,
    MilestoneKind,
    Obligation,
    ObligationKind,
    ObligationState,
    Plan,
    Project,
    ProjectAction,
    ProjectLibrary,
    ProjectState,
    Report,
    ReportStatus,
    Role,
    Unit,
    User,
)
from processes.services.projects import (
    ProjectData,
    library_ensure,
    project_admit,
    project_create,
    project_propose,
)
from tests.factories import UserFactory
from tests.lifecycle_helpers import PNG, upload

from .test_rounds import at
from .test_views import client_for

pytestmark = pytest.mark.django_db

NAME = "松原市废弃风电叶片综合利用项目"


@pytest.fixture
def library(plan: Plan) -> ProjectLibrary:
    return library_ensure(plan.issuer)


@pytest.fixture
def stranger(units: dict[str, Unit]) -> User:
    """Another region's reporter (长春)."""
    return UserFactory(username="changchun_reporter", unit=units["220100"], role=Role.REPORTER)


def _form(**changes: str) -> dict[str, str]:
    values = {
        "region": "",
        "company": "松原市某新能源有限公司",
        "name": NAME,
        "scale": "年处理废弃风电叶片2万吨",
        "field": "",
        "start_year": "2023",
        "end_year": "2024",
        "planned_investment": "12000.00",
        "yearly": "2023:8000\n2024:4000",
        "responsible_unit": "",
        "responsible_text": "松原市发展和改革委员会",
        "contact": "张三",
        "contact_phone": "0438-1234567",
    }
    values.update(changes)
    return values


def _project(library: ProjectLibrary, units: dict[str, Unit], by: User) -> Project:
    return project_create(
        library=library,
        data=ProjectData(
            name=NAME,
            region=units["220700"],
            company="松原市某新能源有限公司",
            start_year=2023,
            end_year=2024,
            planned_investment=Decimal("12000.00"),
            yearly={2023: Decimal("8000.00"), 2024: Decimal("4000.00")},
        ),
        by=by,
    )


def _admitted(library: ProjectLibrary, units: dict[str, Unit], reporter: User, office: User) -> Project:
    project = _project(library, units, reporter)
    project_propose(project=project, by=reporter)
    return project_admit(project=project, by=office, batch=1)


def _field_errors(html: str) -> dict[str, str]:
    """field name → its error text, as the form shows them."""
    found = {}
    for name, body in re.findall(r'data-field="(\w+)">(.*?)</div>\n', html, flags=re.S):
        errors = re.findall(r'data-testid="field-error">([^<]+)<', body)
        if errors:
            found[name] = " ".join(errors)
    return found


def test_the_menu_leads_to_the_library_of_the_viewers_region(
    library: ProjectLibrary, reporter: User, office_admin: User
) -> None:
    for person in (reporter, office_admin):
        response = client_for(person).get(reverse("plans:projects"))
        assert response.status_code == 302
        assert response["Location"] == reverse("plans:project_ledger", kwargs={"office": "JL-PRO"})
    page = client_for(reporter).get(reverse("plans:work")).content.decode()
    assert reverse("plans:projects") in page  # 项目库 in the side menu


def test_a_region_enters_a_project_and_a_wrong_entry_keeps_what_was_typed(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, stranger: User
) -> None:
    client = client_for(reporter)
    url = reverse("plans:project_new", kwargs={"office": "JL-PRO"})
    page = client.get(url).content.decode()
    # 松原's reporter enters for 松原 only
    assert re.findall(r'<option value="(\d+)"[^>]*>', page.split('name="region"')[1].split("</select>")[0]) == [
        str(units["220700"].pk)
    ]
    region = str(units["220700"].pk)

    # years out of order: refused on the field, everything typed still there
    response = client.post(url, _form(region=region, start_year="2024", end_year="2023"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "end_year" in _field_errors(html)
    assert NAME in html and "年处理废弃风电叶片2万吨" in html and "0438-1234567" in html and "2024:4000" in html
    # a yearly line that is not one
    response = client.post(url, _form(region=region, yearly="2023：八千"))
    assert response.status_code == 400 and "yearly" in _field_errors(response.content.decode())
    # yearly amounts above the total: the service's refusal on the yearly field
    response = client.post(url, _form(region=region, yearly="2023:8000\n2024:5000"))
    assert response.status_code == 400
    assert "13000" in _field_errors(response.content.decode())["yearly"]
    assert not Project.objects.exists()

    response = client.post(url, _form(region=region, planned_investment="12000.5"))
    project = Project.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("plans:project", kwargs={"pk": project.pk})
    assert (project.region.code, project.state, project.planned_investment) == (
        "220700",
        ProjectState.RESERVE,
        Decimal("12000.50"),
    )
    assert dict(project.yearly.values_list("year", "amount")) == {2023: Decimal("8000.00"), 2024: Decimal("4000.00")}
    assert (project.responsible_text, project.contact, project.created_by) == (
        "松原市发展和改革委员会",
        "张三",
        reporter,
    )

    # the same name again for the same region: on the name field
    response = client.post(url, _form(region=region))
    assert response.status_code == 400 and "name" in _field_errors(response.content.decode())

    # 长春's reporter cannot enter a project for 松原, neither by the link nor by a forged form
    other = client_for(stranger)
    assert other.get(url + "?region=220700").status_code == 404
    response = other.post(url, _form(region=region, name="越权项目"))
    assert response.status_code == 400 and "region" in _field_errors(response.content.decode())
    assert not Project.objects.filter(name="越权项目").exists()


def test_the_office_enters_for_any_region_of_its_library(
    library: ProjectLibrary, units: dict[str, Unit], office_admin: User
) -> None:
    client = client_for(office_admin)
    url = reverse("plans:project_new", kwargs={"office": "JL-PRO"})
    page = client.get(url + "?region=220100").content.decode()
    assert f'<option value="{units["220100"].pk}" selected>' in page
    client.post(url, _form(region=str(units["220100"].pk), name="长春项目"))
    assert Project.objects.get(name="长春项目").region.code == "220100"


def test_another_regions_reporter_finds_no_page_and_no_step(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User, stranger: User
) -> None:
    project = _admitted(library, units, reporter, office_admin)
    owed = Obligation.objects.filter(project=project, kind=ObligationKind.PROJECT_REPORT).first()
    assert owed is not None
    other = client_for(stranger)
    pk = {"pk": project.pk}
    for name in ("plans:project", "plans:project_edit", "plans:project_milestones"):
        assert other.get(reverse(name, kwargs=pk)).status_code == 404, name
    for step in ("propose", "admit", "send_back", "withdraw_request", "withdraw_decide"):
        response = other.post(
            reverse("plans:project_step", kwargs={**pk, "step": step}),
            {"reason": "越权", "batch": "2", "decision": "approve"},
        )
        assert response.status_code == 404, step
    assert other.post(reverse("plans:project_milestones", kwargs=pk), {"new_label": "x"}).status_code == 404
    report_url = reverse("plans:project_report", kwargs={"pk": owed.pk})
    assert other.get(report_url).status_code == 404
    response = other.post(report_url, {"action": "submit", "invested_period": "1", "invested_total": "1"})
    assert response.status_code == 404
    project.refresh_from_db()
    assert (project.state, project.withdraw_requested_at) == (ProjectState.ADMITTED, None)
    assert not Report.objects.filter(obligation=owed).exists()


def test_the_way_into_the_library_on_the_project_page(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = _project(library, units, reporter)
    url = reverse("plans:project", kwargs={"pk": project.pk})
    region, office = client_for(reporter), client_for(office_admin)

    def step(client: Client, name: str, **data: str) -> Any:
        return client.post(reverse("plans:project_step", kwargs={"pk": project.pk, "step": name}), data)

    page = region.get(url).content.decode()
    assert 'data-testid="propose"' in page and 'data-testid="admit"' not in page
    assert step(region, "propose").status_code == 302
    assert step(region, "admit", batch="1").status_code == 403  # not the region's step

    page = office.get(url).content.decode()
    assert 'data-testid="admit"' in page and 'data-testid="send-back"' in page and 'data-testid="propose"' not in page
    response = step(office, "send_back", reason="  ")
    assert response.status_code == 400 and 'data-testid="form-error"' in response.content.decode()
    assert step(office, "send_back", reason="补充建设规模").status_code == 302
    project.refresh_from_db()
    assert (project.state, project.return_reason) == (ProjectState.RESERVE, "补充建设规模")
    assert "补充建设规模" in region.get(url).content.decode()  # the region reads why

    step(region, "propose")
    response = step(office, "admit", batch="x", comment="材料齐全")
    assert response.status_code == 400 and 'value="x"' in response.content.decode()  # what was typed stays
    assert step(office, "admit", batch="1").status_code == 302
    project.refresh_from_db()
    assert (project.state, project.batch_label) == (ProjectState.ADMITTED, "第一批")
    assert step(office, "admit", batch="1").status_code == 302  # a second admission: told it was handled

    page = region.get(url).content.decode()
    assert 'data-testid="project-state"><span class="app-state app-state--admitted"' in page
    assert "第一批" in page
    # the four milestones, the reports owed from July on
    assert re.findall(r'<tr data-milestone="(\w+)"', page) == ["preparation", "start", "main_works", "operation"]
    assert "2023年7—8月项目进展" in page
    assert re.findall(r'<li data-action="(\w+)"', page) == [
        ProjectAction.ENTERED,
        ProjectAction.PROPOSED,
        ProjectAction.SENT_BACK,
        ProjectAction.PROPOSED,
        ProjectAction.ADMITTED,
    ]
    assert "谋划储备</del> → 申报入库" in page


def test_editing_shows_in_the_timeline_from_and_to(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = _project(library, units, reporter)
    region = client_for(reporter)
    edit = reverse("plans:project_edit", kwargs={"pk": project.pk})
    page = region.get(edit).content.decode()
    assert NAME in page and "2023:8000.00" in page
    response = region.post(edit, _form(planned_investment="-5"))
    assert response.status_code == 400 and "planned_investment" in _field_errors(response.content.decode())
    assert region.post(edit, _form(planned_investment="15000", yearly="2023:9000\n2024:6000")).status_code == 302
    project.refresh_from_db()
    assert project.planned_investment == Decimal("15000.00")
    page = region.get(reverse("plans:project", kwargs={"pk": project.pk})).content.decode()
    assert "<del>12000.00</del> → 15000.00" in page
    assert "<del>2023年 8000.00；2024年 4000.00</del> → 2023年 9000.00；2024年 6000.00" in page

    project_propose(project=project, by=reporter)
    assert region.get(edit).status_code == 403  # proposed: the office's now
    assert region.post(edit, _form()).status_code == 403
    assert client_for(office_admin).post(edit, _form(contact="李四")).status_code == 302
    assert Project.objects.get(pk=project.pk).contact == "李四"


def test_the_office_plans_the_milestones_backwards(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = _admitted(library, units, reporter, office_admin)
    url = reverse("plans:project_milestones", kwargs={"pk": project.pk})
    office = client_for(office_admin)
    page = office.get(url).content.decode()
    keys = dict(re.findall(r'<tr data-milestone="(\w+)" data-key="(\d+)"', page))
    assert set(keys) == {"preparation", "start", "main_works", "operation"}
    dates = {f"date_{key}": value for key, value in re.findall(r'name="date_(\d+)" value="([\d-]+)"', page)}
    start = project.milestones.get(kind=MilestoneKind.GROUNDBREAKING)
    default = start.planned_date  # admitted in July: the end of the month after next, not a day already gone
    assert default == dt.date(2023, 9, 30)

    # a date that is not one: refused, what was typed stays
    response = office.post(url, {**dates, f"date_{start.pk}": "2023-13-01", "new_label": "设备安装"})
    assert response.status_code == 400 and 'value="2023-13-01"' in response.content.decode()
    assert 'value="设备安装"' in response.content.decode()

    response = office.post(
        url, {**dates, f"date_{start.pk}": "2023-08-15", "new_label": "设备安装", "new_date": "2023-11-30"}
    )
    assert response.status_code == 302
    start.refresh_from_db()
    assert start.planned_date == dt.date(2023, 8, 15)
    assert Obligation.objects.get(project_milestone=start).due_date == dt.date(2023, 8, 15)
    own = project.milestones.get(label="设备安装")
    assert own.kind == MilestoneKind.OTHER

    # and removes its own one again; a standard one stays
    assert office.post(url, {"remove": str(own.pk)}).status_code == 302
    assert not project.milestones.filter(label="设备安装").exists()
    response = office.post(url, {"remove": str(start.pk)})
    assert response.status_code == 400 and project.milestones.filter(pk=start.pk).exists()
    page = client_for(reporter).get(reverse("plans:project", kwargs={"pk": project.pk})).content.decode()
    assert "<del>2023-09-30</del> → 2023-08-15" in page and "<del>2023-11-30</del> → —" in page


def test_a_report_is_drafted_then_submitted_with_a_photo_and_the_office_accepts_it(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User, stranger: User
) -> None:
    project = _admitted(library, units, reporter, office_admin)
    start = project.milestones.get(kind=MilestoneKind.GROUNDBREAKING)
    owed = Obligation.objects.get(project=project, kind=ObligationKind.PROJECT_REPORT, period_end=dt.date(2023, 8, 31))
    url = reverse("plans:project_report", kwargs={"pk": owed.pk})
    with at("2023-09-04 10:00"):
        region, office = client_for(reporter), client_for(office_admin)
        page = region.get(url).content.decode()
        assert 'data-testid="project-report-form"' in page and f'name="milestone_{start.pk}"' in page
        assert 'data-testid="accept"' not in page
        # 序时进度 at the end of August: 243/365 × 8000 = 5326.03, 44.38 % of 12000
        assert "5326.03" in page and "44.38" in page

        response = region.post(
            url,
            {
                "action": "draft",
                "invested_period": "4500",
                "invested_total": "4500",
                "image_progress": "主体厂房基础施工",
                "problems": "用地审批滞后",
                "coordination": "请协调自然资源部门加快审批",
                f"milestone_{start.pk}": "2023-08-20",
            },
        )
        assert response.status_code == 302
        draft = Report.objects.get(obligation=owed)
        assert draft.status == ReportStatus.DRAFT and draft.project_progress.invested_total == Decimal("4500.00")
        page = region.get(url).content.decode()
        assert 'value="4500.00"' in page and "请协调自然资源部门加快审批" in page and 'value="2023-08-20"' in page

        # 累计 less than 本期: on the field, the figures typed kept
        response = region.post(
            url, {"action": "submit", "invested_period": "4500", "invested_total": "400", "image_progress": "施工"}
        )
        assert response.status_code == 400
        assert "invested_total" in _field_errors(response.content.decode())
        assert 'value="400"' in response.content.decode()
        # a "photo" that is not one
        response = region.post(
            url,
            {
                "action": "submit",
                "invested_period": "4500",
                "invested_total": "4500",
                "image_progress": "主体厂房基础施工",
                "evidence": upload("现场.png", b"not an image at all"),
            },
        )
        assert response.status_code == 400 and "evidence" in _field_errors(response.content.decode())

        response = region.post(
            url,
            {
                "action": "submit",
                "invested_period": "4500",
                "invested_total": "4500",
                "image_progress": "主体厂房基础施工",
                "problems": "用地审批滞后",
                "coordination": "请协调自然资源部门加快审批",
                f"milestone_{start.pk}": "2023-08-20",
                "evidence": upload("现场照片.png", PNG),
            },
        )
        assert response.status_code == 302
        owed.refresh_from_db()
        assert owed.state == ObligationState.SUBMITTED and not owed.late
        photo = Evidence.objects.get(report__obligation=owed)
        assert photo.original_name == "现场照片.png"

        # the office sees the figures against the 序时进度 and accepts
        page = office.get(url).content.decode()
        assert 'data-testid="accept"' in page and 'data-testid="project-report-form"' not in page
        assert re.search(r'data-testid="invested-total">4500.00 万元 \(37.50 %\)', page)
        assert 'data-testid="report-expected">44.38 %' in page
        assert reverse("plans:evidence", kwargs={"pk": photo.pk}) in page
        assert region.post(url, {"action": "accept"}).status_code == 403  # not the region's step
        assert office.post(url, {"action": "return", "reason": ""}).status_code == 400
    with at("2023-09-06 10:00"):
        office = client_for(office_admin)
        assert office.post(url, {"action": "accept"}).status_code == 302
        owed.refresh_from_db()
        project.refresh_from_db()
        start.refresh_from_db()
        assert owed.state == ObligationState.ACCEPTED
        assert project.state == ProjectState.BUILDING
        assert (start.actual_date, start.confirmed) == (dt.date(2023, 8, 20), True)
        assert not Obligation.objects.filter(project=project, kind=ObligationKind.PROJECT_LAG).exists()  # 6.88 pts

        region = client_for(reporter)
        page = region.get(reverse("plans:project", kwargs={"pk": project.pk})).content.decode()
        assert 'app-state--building"' in page
        assert 'data-money="invested">4500.00<' in page and 'data-money="invested-percent">37.50 %<' in page
        assert re.findall(r'<li data-action="(\w+)"', page) == [
            ProjectAction.ENTERED,
            ProjectAction.PROPOSED,
            ProjectAction.ADMITTED,
            ProjectAction.REPORTED,
            ProjectAction.REPORT_ACCEPTED,
            ProjectAction.MILESTONE_REACHED,
            ProjectAction.STARTED,
        ]
        assert "<del>已入库</del> → 在建" in page
        # the photo: to the region and the office, not to another region
        evidence = reverse("plans:evidence", kwargs={"pk": photo.pk})
        assert region.get(evidence).status_code == 200
        assert client_for(stranger).get(evidence).status_code == 404
        # the next period's form starts from what was reported last
        following = Obligation.objects.get(
            project=project, kind=ObligationKind.PROJECT_REPORT, period_end=dt.date(2023, 10, 31)
        )
        page = region.get(reverse("plans:project_report", kwargs={"pk": following.pk})).content.decode()
        assert 'placeholder="4500.00"' in page and 'data-testid="last-total">4500.00' in page


def test_a_late_milestone_is_marked_with_its_light(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = _admitted(library, units, reporter, office_admin)  # admitted in July: 开工 by 30 September
    with at("2023-10-20 10:00"):  # ten working days late
        page = client_for(reporter).get(reverse("plans:project", kwargs={"pk": project.pk})).content.decode()
    row = re.search(r'<tr data-milestone="start".*?</tr>', page, flags=re.S)
    assert row is not None and 'data-light="red"' in row.group(0)
    row = re.search(r'<tr data-milestone="main_works".*?</tr>', page, flags=re.S)
    assert row is not None and "data-light" not in row.group(0)


def test_a_milestone_obligation_takes_the_day_it_was_reached(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = _admitted(library, units, reporter, office_admin)
    preparation = project.milestones.get(kind=MilestoneKind.PREPARATION)
    owed = Obligation.objects.get(project_milestone=preparation)
    url = reverse("plans:project_report", kwargs={"pk": owed.pk})
    with at("2023-07-10 10:00"):
        region = client_for(reporter)
        page = region.get(url).content.decode()
        assert 'name="invested_total"' not in page and f'name="milestone_{preparation.pk}"' in page
        response = region.post(url, {"action": "submit", "image_progress": "前期手续办结"})
        assert response.status_code == 400  # the day is what it owes
        response = region.post(
            url, {"action": "submit", "image_progress": "前期手续办结", f"milestone_{preparation.pk}": "2023-07-05"}
        )
        assert response.status_code == 302
        client_for(office_admin).post(url, {"action": "accept"})
    preparation.refresh_from_db()
    assert (preparation.actual_date, preparation.confirmed) == (dt.date(2023, 7, 5), True)


def test_leaving_the_library_from_the_page(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = _admitted(library, units, reporter, office_admin)
    region, office = client_for(reporter), client_for(office_admin)

    def step(client: Client, name: str, **data: str) -> Any:
        return client.post(reverse("plans:project_step", kwargs={"pk": project.pk, "step": name}), data)

    assert step(region, "withdraw_request", reason=" ").status_code == 400
    assert step(region, "withdraw_request", reason="企业经营困难，项目终止").status_code == 302
    assert step(region, "withdraw_decide", decision="approve").status_code == 403
    response = step(office, "withdraw_decide", decision="refuse", comment="")
    assert response.status_code == 400
    assert step(office, "withdraw_decide", decision="refuse", comment="请继续推进").status_code == 302
    project.refresh_from_db()
    assert (project.state, project.withdraw_requested_at) == (ProjectState.ADMITTED, None)
    step(region, "withdraw_request", reason="企业经营困难，项目终止")
    assert step(office, "withdraw_decide", decision="approve").status_code == 302
    project.refresh_from_db()
    assert project.state == ProjectState.WITHDRAWN
    page = region.get(reverse("plans:project", kwargs={"pk": project.pk})).content.decode()
    assert 'data-testid="withdrawn"' in page and "企业经营困难" in page
    assert re.findall(r'<li data-action="(\w+)"', page)[-4:] == [
        ProjectAction.WITHDRAW_REQUESTED,
        ProjectAction.WITHDRAW_REFUSED,
        ProjectAction.WITHDRAW_REQUESTED,
        ProjectAction.WITHDRAWN,
    ]


def test_a_project_obligation_leads_to_its_report_page_from_the_work_list_and_the_old_address(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = _admitted(library, units, reporter, office_admin)
    owed = Obligation.objects.get(project=project, kind=ObligationKind.PROJECT_REPORT, period_end=dt.date(2023, 8, 31))
    region = client_for(reporter)
    report_url = reverse("plans:project_report", kwargs={"pk": owed.pk})
    response = region.get(reverse("plans:obligation", kwargs={"pk": owed.pk}))
    assert response.status_code == 302 and response["Location"] == report_url
    page = region.get(reverse("plans:work")).content.decode()
    assert f'href="{report_url}"' in page and "2023年7—8月项目进展" in page


def test_digits_that_are_not_ascii_are_refused_not_a_server_error(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = _project(library, units, reporter)
    project_propose(project=project, by=reporter)
    office = client_for(office_admin)
    response = office.post(reverse("plans:project_step", kwargs={"pk": project.pk, "step": "admit"}), {"batch": "²"})
    assert response.status_code == 400
    project.refresh_from_db()
    assert project.state == ProjectState.PROPOSED
    ledger = reverse("plans:project_ledger", kwargs={"office": "JL-PRO"})
    assert office.get(ledger, {"batch": "²", "field": "٣"}).status_code == 200
    milestones = reverse("plans:project_milestones", kwargs={"pk": project.pk})
    assert office.post(milestones, {"remove": "²"}).status_code == 404  # no such milestone
