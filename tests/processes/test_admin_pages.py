"""Every page of the admin opens for the office's admin: each registered model's list and the change page of one of
its rows, on a plan that has lived a little (reports with evidence, a signed document and a published bulletin, whose
PDFs are private files without a URL), never a 500. A private file shows as a link to the view that checks who reads
it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, SolarSchedule

from processes.models import (
    Bulletin,
    CalendarOverride,
    CalendarYear,
    Distribution,
    DistributionLine,
    DocumentSettings,
    Evidence,
    FocusArea,
    Notice,
    Plan,
    RegionWarning,
    RegionWarningRule,
    Unit,
    UnitLevel,
    User,
)
from processes.services.assessment import scheme_ensure
from processes.services.bulletins import bulletin_draft, bulletin_publish
from processes.services.deadlines import extension_request
from processes.services.lifecycle import assignment_report
from processes.services.pairings import pairing_save, visit_record
from processes.services.projects import ProjectData, library_ensure, project_admit, project_create, project_propose
from processes.services.rounds import plan_round_schedule, round_open
from processes.services.signing import notices_sign

from ..lifecycle_helpers import office_files, songyuan_item
from .test_ladder import sweep
from .test_rounds import at
from .test_views import client_for

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def lived_in(plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any) -> Plan:
    """The 2023 plan with a report and its evidence, the ladder's documents drafted and one signed (its PDF kept),
    a published bulletin (its PDF kept), and a row of every other kind the admin lists."""
    units = {unit.code: unit for unit in Unit.objects.filter(code__in=("JL-EEB", "220700", "220800"))}
    with at("2023-07-03 09:00"):
        pairing = pairing_save(
            plan=plan,
            level=UnitLevel.PROVINCE,
            leader=people["upper"],
            unit=units["JL-EEB"],
            regions=[units["220700"], units["220800"]],
            start=D(2023, 7, 1),
            end=D(2023, 12, 31),
            by=people["office"],
        )
        extension_request(
            assignment=songyuan_item(plan, "2"), by=people["reporter"], new_date=D(2023, 9, 29), reason="机构改革"
        )
    with at("2023-08-29 10:00"):
        visit_record(
            pairing=pairing,
            region=units["220700"],
            by=people["upper"],
            visited_on=D(2023, 8, 29),
            participants="省厅包保负责人",
            ratings={area.value: 4 for area in FocusArea},
        )
    with at("2023-08-30 10:00"):
        assignment_report(
            assignment=songyuan_item(plan, "3"), by=people["reporter"], text="已完成", files=office_files()
        )
    with at("2023-09-01 08:00"):
        august = next(s for s in plan_round_schedule(plan) if s.period_start.month == 8)
        round_open(
            plan=plan,
            by=people["office"],
            period_start=august.period_start,
            period_end=august.period_end,
            due_date=august.due_date,
        )
    sweep("2023-09-14", django_capture_on_commit_callbacks)
    draft = Notice.objects.filter(unit__code="220700", rung__code="supervision").get()
    with at("2023-09-15 09:00"):
        notices_sign(notices=[draft], by=signer, on=D(2023, 9, 15))
    Distribution.objects.create(name="各市（州）生态环境局", email="cities@example.test", line=DistributionLine.SEND_TO)
    with at("2023-10-09 09:00"):
        bulletin = bulletin_draft(plan=plan, by=people["office"], period_start=D(2023, 8, 1), period_end=D(2023, 9, 30))
        bulletin_publish(bulletin=bulletin, by=people["office"])
    scheme_ensure(plan)
    RegionWarningRule.objects.get_or_create(plan=plan)
    CalendarOverride.objects.create(date=D(2023, 10, 7), is_workday=True, note="调休")
    DocumentSettings.current()
    RegionWarning.objects.create(
        plan=plan,
        region=units["220800"],
        period_start=D(2023, 7, 1),
        period_end=D(2023, 9, 30),
        day=D(2023, 9, 15),
        items=20,
        late=5,
        elapsed=Decimal("80.0"),
        progress=Decimal("40.0"),
    )
    CalendarYear.objects.create(
        year=2024, notice_text="国务院办公厅关于2024年部分节假日安排的通知", confirmed_at=timezone.now()
    )
    project = project_create(
        library=library_ensure(plan.issuer),
        data=ProjectData(
            name="松原市废弃风电叶片综合利用项目",
            region=units["220700"],
            start_year=2023,
            end_year=2024,
            planned_investment=Decimal("12000"),
            yearly={2023: Decimal("8000")},
        ),
        by=people["reporter"],
    )
    project_propose(project=project, by=people["reporter"])
    project_admit(project=project, by=people["office"], batch=1)
    Group.objects.create(name="督办")
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    SolarSchedule.objects.create(event="sunrise", latitude=Decimal("43.88"), longitude=Decimal("125.32"))
    # A wrong password: the count axes keeps towards a lockout (its access attempts, which the office can clear).
    Client().post(reverse("login"), {"username": people["reporter"].username, "password": "not-the-password"})
    return plan


@pytest.fixture
def office_admin_superuser(people: dict[str, User]) -> User:
    """The office's admin as ``load_demo`` and the first start make them: staff and superuser."""
    office = people["office"]
    office.is_superuser = True
    office.save(update_fields=["is_superuser"])
    return office


def test_files_in_private_storage_are_there_to_be_shown(lived_in: Plan) -> None:
    assert Notice.objects.exclude(pdf="").exists()
    assert Bulletin.objects.exclude(pdf="").exists()
    assert Evidence.objects.count() == len(office_files())


def test_every_admin_page_opens_for_the_office(lived_in: Plan, office_admin_superuser: User) -> None:
    client = client_for(office_admin_superuser)
    opened: list[str] = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        name = f"{opts.app_label}.{opts.model_name}"
        listing = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert listing.status_code in (200, 302), name
        row: Model | None = model_admin.get_queryset(_request(office_admin_superuser)).first()
        if row is None:
            continue
        page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk]))
        assert page.status_code == 200, name
        opened.append(name)
    # Every model's page was opened with a row, those whose rows carry private files (or show them inline) among them.
    assert set(opened) == {f"{model._meta.app_label}.{model._meta.model_name}" for model in admin.site._registry}, (
        "a model has no row to open: add one to lived_in"
    )
    assert {"processes.notice", "processes.bulletin", "processes.report"} <= set(opened)


def test_a_private_file_in_the_admin_is_a_link_to_the_view_that_checks_the_reader(
    lived_in: Plan, office_admin_superuser: User
) -> None:
    client = client_for(office_admin_superuser)
    notice = Notice.objects.exclude(pdf="").get()
    page = client.get(reverse("admin:processes_notice_change", args=[notice.pk])).content.decode()
    assert f'href="{reverse("plans:notice_pdf", kwargs={"pk": notice.pk})}"' in page
    bulletin = Bulletin.objects.exclude(pdf="").get()
    page = client.get(reverse("admin:processes_bulletin_change", args=[bulletin.pk])).content.decode()
    assert f'href="{reverse("plans:bulletin_pdf", kwargs={"pk": bulletin.pk})}"' in page
    evidence = Evidence.objects.first()
    assert evidence is not None
    page = client.get(reverse("admin:processes_report_change", args=[evidence.report_id])).content.decode()
    assert f'href="{reverse("plans:evidence", kwargs={"pk": evidence.pk})}"' in page
    # What the links lead to answers the office (and checks everyone else's scope, as the pages' links do).
    for url in (
        reverse("plans:notice_pdf", kwargs={"pk": notice.pk}),
        reverse("plans:bulletin_pdf", kwargs={"pk": bulletin.pk}),
        reverse("plans:evidence", kwargs={"pk": evidence.pk}),
    ):
        assert client.get(url).status_code == 200, url


def test_no_admin_form_shows_a_private_file_field(office_admin_superuser: User) -> None:
    """A FileField of private storage, shown as is, asks the storage for a URL it refuses to give: every admin and
    inline shows such a file as a link instead (a model added later, with no row yet in the walk above, too)."""
    from processes.storage import PrivateStorage

    def private_fields(model: type[Model]) -> set[str]:
        return {
            field.name
            for field in model._meta.get_fields()
            if getattr(field, "storage", None) is not None and isinstance(field.storage, PrivateStorage)
        }

    request = _request(office_admin_superuser)
    checked = set()
    for model, model_admin in admin.site._registry.items():
        for shown, fields in [
            (model, model_admin.get_fields(request)),
            *((inline.model, inline.get_fields(request)) for inline in model_admin.get_inline_instances(request)),
        ]:
            private = private_fields(shown)
            assert not private & set(fields), (model_admin, shown)
            checked |= {f"{shown._meta.model_name}.{name}" for name in private}
    assert checked == {"notice.pdf", "bulletin.pdf", "evidence.file"}


def _request(user: User) -> Any:
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request
