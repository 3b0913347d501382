"""项目库: a region enters and proposes a project, the office admits it into a batch, its milestones and bimonthly
reports are obligations on its region's item of task 18, an accepted report confirms milestones and moves the
project on, and investment behind the 序时进度 leaves an explanation owed that climbs the ladder."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from processes.models import (
    OWED_STATES,
    AssignmentTransition,
    FiredRung,
    MilestoneKind,
    Obligation,
    ObligationKind,
    ObligationState,
    Plan,
    Project,
    ProjectAction,
    ProjectLibrary,
    ProjectState,
    TransitionAction,
    Unit,
    User,
)
from processes.rules import projects_in_scope
from processes.services.history import obligations_owed_as_of
from processes.services.ladder import sweep_range
from processes.services.late_items import late_items_as_of
from processes.services.lifecycle import AlreadyHandled, InvalidInput, NotAllowed
from processes.services.projects import (
    PlannedMilestone,
    ProjectData,
    investment_lag,
    latest_progress,
    library_ensure,
    milestones_plan,
    planned_by,
    project_admit,
    project_create,
    project_propose,
    project_report_accept,
    project_report_return,
    project_report_save,
    project_send_back,
    project_update,
    project_withdraw_decide,
    project_withdraw_request,
    projects_sync,
)
from tests.factories import UserFactory

from .test_rounds import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(plan: Plan) -> ProjectLibrary:
    return library_ensure(plan.issuer)


def _data(units: dict[str, Unit], **changes: object) -> ProjectData:
    values: dict[str, object] = {
        "name": "松原市废弃风电叶片综合利用项目",
        "region": units["220700"],
        "company": "松原市某新能源有限公司",
        "scale": "年处理废弃风电叶片2万吨",
        "start_year": 2023,
        "end_year": 2024,
        "planned_investment": Decimal("12000.00"),
        "yearly": {2023: Decimal("8000.00"), 2024: Decimal("4000.00")},
    }
    values.update(changes)
    return ProjectData(**values)  # type: ignore[arg-type]


def test_the_library_reports_through_task_18(library: ProjectLibrary) -> None:
    assert library.task_number == "18"
    assert library.name == "推进组办公室“无废城市”建设项目库"


def test_a_region_proposes_and_the_office_admits_into_a_batch(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = project_create(library=library, data=_data(units), by=reporter)
    assert project.state == ProjectState.RESERVE
    project = project_propose(project=project, by=reporter)
    assert project.state == ProjectState.PROPOSED
    with pytest.raises(NotAllowed):
        project_admit(project=project, by=reporter, batch=1)
    project = project_send_back(project=project, by=office_admin, reason="补充建设规模")
    assert (project.state, project.return_reason) == (ProjectState.RESERVE, "补充建设规模")
    project_propose(project=project, by=reporter)
    project = project_admit(project=project, by=office_admin, batch=1)
    assert (project.state, project.batch_label) == (ProjectState.ADMITTED, "第一批")
    with pytest.raises(AlreadyHandled):
        project_admit(project=project, by=office_admin, batch=1)
    assert list(project.events.values_list("action", flat=True)) == [
        ProjectAction.ENTERED,
        ProjectAction.PROPOSED,
        ProjectAction.SENT_BACK,
        ProjectAction.PROPOSED,
        ProjectAction.ADMITTED,
    ]
    # Admitted: the four milestones, owed on 松原's item of task 18, and a report for every period from July.
    kinds = list(project.milestones.values_list("kind", flat=True))
    assert kinds == [
        MilestoneKind.PREPARATION,
        MilestoneKind.GROUNDBREAKING,
        MilestoneKind.MAIN_WORKS,
        MilestoneKind.OPERATION,
    ]
    owed = Obligation.objects.filter(project=project)
    assert {o.assignment.task.number for o in owed} == {"18"}
    assert {o.assignment.unit.code for o in owed} == {"220700"}
    reports = owed.filter(kind=ObligationKind.PROJECT_REPORT).order_by("due_date")
    assert [r.label.split("：")[1] for r in reports] == [
        "2023年7—8月项目进展",
        "2023年9—10月项目进展",
        "2023年11—12月项目进展",
    ]
    # the 2023 milestones only (主体完工 and 竣工投运 fall in 2024)
    assert owed.filter(kind=ObligationKind.PROJECT_MILESTONE).count() == 2
    assert projects_sync(library=library, as_of=dt.date(2023, 7, 2)) == 0


def test_a_region_sees_only_its_own_projects(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, supervisor: User
) -> None:
    mine = project_create(library=library, data=_data(units), by=reporter)
    theirs = project_create(library=library, data=_data(units, region=units["220100"], name="长春项目"), by=supervisor)
    other = UserFactory(username="changchun_reporter", unit=units["220100"], role="reporter")
    assert list(projects_in_scope(reporter)) == [mine]
    assert list(projects_in_scope(other)) == [theirs]
    assert set(projects_in_scope(supervisor)) == {mine, theirs}
    with pytest.raises(NotAllowed):
        project_create(library=library, data=_data(units, region=units["220100"], name="越权"), by=reporter)
    with pytest.raises(NotAllowed):
        project_propose(project=theirs, by=reporter)


def test_sequential_progress_by_the_yearly_plan(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User
) -> None:
    project = project_create(library=library, data=_data(units), by=reporter)
    # 2023: 8000 planned; by 30 June 181/365 of it: 3967.12; by the end of 2023 all of it; by the end of 2024 all.
    assert planned_by(project, dt.date(2023, 6, 30)) == Decimal("3967.12")
    assert planned_by(project, dt.date(2023, 12, 31)) == Decimal("8000.00")
    assert planned_by(project, dt.date(2024, 12, 31)) == Decimal("12000.00")
    # 10 points of threshold: at the end of August 2023, 243/365 × 8000 = 5326.03 (44.38 %); 4000 is 33.33 %.
    lag = investment_lag(project, Decimal("4000"), dt.date(2023, 8, 31))
    assert lag is not None and (lag.expected_percent, lag.invested_percent) == (Decimal("44.38"), Decimal("33.33"))
    assert investment_lag(project, Decimal("4200"), dt.date(2023, 8, 31)) is None  # 35.00 %: 9.38 points


def test_a_bimonthly_report_confirms_milestones_and_a_lag_climbs_the_ladder(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = project_create(library=library, data=_data(units), by=reporter)
    project_propose(project=project, by=reporter)
    project = project_admit(project=project, by=office_admin, batch=1)
    start = project.milestones.get(kind=MilestoneKind.GROUNDBREAKING)
    milestones_plan(
        project=project,
        by=office_admin,
        milestones=[
            PlannedMilestone(m.label, dt.date(2023, 8, 15) if m.pk == start.pk else m.planned_date, m.kind, m.pk)
            for m in project.milestones.all()
        ]
        + [PlannedMilestone("设备安装", dt.date(2023, 11, 30))],
    )
    start_owed = Obligation.objects.get(project_milestone=start)
    assert start_owed.due_date == dt.date(2023, 8, 15) and start_owed.cycle == 1
    report_owed = Obligation.objects.get(
        project=project, kind=ObligationKind.PROJECT_REPORT, period_end=dt.date(2023, 8, 31)
    )
    assert report_owed.due_date == dt.date(2023, 9, 5)
    with at("2023-09-04 10:00"):
        with pytest.raises(InvalidInput):
            project_report_save(
                obligation=report_owed,
                by=reporter,
                invested_period=Decimal("500"),
                invested_total=Decimal("400"),
                image_progress="主体厂房基础施工",
                submit=True,
            )
        project_report_save(
            obligation=report_owed,
            by=reporter,
            invested_period=Decimal("4000"),
            invested_total=Decimal("4000"),
            image_progress="主体厂房基础施工",
            problems="用地审批滞后",
            coordination="请协调自然资源部门加快审批",
            milestones_reached={start.pk: dt.date(2023, 8, 20)},
            submit=True,
        )
    start_owed.refresh_from_db()
    assert start_owed.state == ObligationState.SUBMITTED and start_owed.late
    with at("2023-09-06 10:00"):
        project_report_accept(obligation=report_owed, by=office_admin)
    project.refresh_from_db()
    start.refresh_from_db()
    assert project.state == ProjectState.BUILDING
    assert (start.actual_date, start.confirmed) == (dt.date(2023, 8, 20), True)
    lag = Obligation.objects.get(project=project, kind=ObligationKind.PROJECT_LAG)
    assert lag.due_date == dt.date(2023, 9, 6) and "10.0" not in lag.label and "11.05" in lag.label
    # The lag climbs the ladder: yellow the next working day, red five working days after.
    with at("2023-09-20 08:00"):
        sweep_range(dt.date(2023, 9, 6), dt.date(2023, 9, 20))
    fired = set(FiredRung.objects.filter(obligation=lag).values_list("rung__code", flat=True))
    assert {"due", "yellow", "red", "supervision"} <= fired
    actions = list(project.events.values_list("action", flat=True))
    assert ProjectAction.STARTED in actions and ProjectAction.LAGGING in actions


def test_a_returned_report_makes_its_milestones_owed_again(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = project_create(library=library, data=_data(units), by=reporter)
    project_propose(project=project, by=reporter)
    project = project_admit(project=project, by=office_admin, batch=1)
    preparation = project.milestones.get(kind=MilestoneKind.PREPARATION)
    report_owed = Obligation.objects.get(
        project=project, kind=ObligationKind.PROJECT_REPORT, period_end=dt.date(2023, 8, 31)
    )
    with at("2023-09-01 10:00"):
        project_report_save(
            obligation=report_owed,
            by=reporter,
            invested_period=Decimal("6000"),
            invested_total=Decimal("6000"),
            image_progress="前期手续办结",
            milestones_reached={preparation.pk: dt.date(2023, 8, 1)},
            submit=True,
        )
        project_report_return(obligation=report_owed, by=office_admin, reason="缺少批复文件照片")
    preparation.refresh_from_db()
    assert preparation.actual_date is None
    assert Obligation.objects.get(project_milestone=preparation).state == ObligationState.RETURNED


def test_leaving_the_library_needs_a_reason_and_the_office(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = project_create(library=library, data=_data(units), by=reporter)
    project_propose(project=project, by=reporter)
    project_admit(project=project, by=office_admin, batch=1)
    with pytest.raises(InvalidInput):
        project_withdraw_request(project=project, by=reporter, reason=" ")
    project_withdraw_request(project=project, by=reporter, reason="企业经营困难，项目终止")
    with pytest.raises(NotAllowed):
        project_withdraw_decide(project=project, by=reporter, approve=True)
    project = project_withdraw_decide(project=project, by=office_admin, approve=True)
    assert project.state == ProjectState.WITHDRAWN and project.withdraw_reason == "企业经营困难，项目终止"
    assert Project.objects.filter(state=ProjectState.WITHDRAWN).count() == 1


def test_a_late_milestone_is_answered_on_its_own_and_moves_the_project(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = project_create(library=library, data=_data(units, start_year=2023, end_year=2023, yearly={}), by=reporter)
    project_propose(project=project, by=reporter)
    project = project_admit(project=project, by=office_admin, batch=2)
    operation = project.milestones.get(kind=MilestoneKind.OPERATION)
    owed = Obligation.objects.get(project_milestone=operation)
    assert owed.get_absolute_url() == f"/plans/projects/reports/{owed.pk}/"
    with at("2024-01-03 10:00"):
        with pytest.raises(InvalidInput):  # the day it was reached is what the milestone asks for
            project_report_save(
                obligation=owed,
                by=reporter,
                invested_period=None,
                invested_total=None,
                image_progress="已投运",
                submit=True,
            )
        project_report_save(
            obligation=owed,
            by=reporter,
            invested_period=None,
            invested_total=None,
            image_progress="已建成投运",
            milestones_reached={operation.pk: dt.date(2023, 12, 28)},
            submit=True,
        )
        project_report_accept(obligation=owed, by=office_admin)
    project.refresh_from_db()
    assert project.state == ProjectState.COMPLETED
    assert Obligation.objects.get(pk=owed.pk).state == ObligationState.ACCEPTED


def _admitted(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User, **changes: object
) -> Project:
    project = project_create(library=library, data=_data(units, **changes), by=reporter)
    project_propose(project=project, by=reporter)
    return project_admit(project=project, by=office_admin, batch=1)


def test_a_project_admitted_mid_year_is_not_late_from_the_day_it_is_admitted(
    library: ProjectLibrary, plan: Plan, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    with at("2023-07-03 09:00"):
        project = _admitted(library, units, reporter, office_admin)
        late = [i for i in late_items_as_of(plan, dt.date(2023, 7, 3)) if i["unit_id"] == units["220700"].pk]
    assert late == []
    dates = dict(project.milestones.values_list("kind", "planned_date"))
    # 31 March and 30 June had gone: the end of September for both; 2024's stay where they were
    assert dates == {
        MilestoneKind.PREPARATION: dt.date(2023, 9, 30),
        MilestoneKind.GROUNDBREAKING: dt.date(2023, 9, 30),
        MilestoneKind.MAIN_WORKS: dt.date(2024, 9, 30),
        MilestoneKind.OPERATION: dt.date(2024, 12, 31),
    }


def test_a_project_out_of_the_library_owes_nothing_more(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = _admitted(library, units, reporter, office_admin)
    owed = Obligation.objects.filter(project=project, state__in=OWED_STATES)
    assert owed.count() == 5  # 前期手续, 开工 and three reports
    report = owed.filter(kind=ObligationKind.PROJECT_REPORT).first()
    with at("2023-08-01 09:00"):
        project_withdraw_request(project=project, by=reporter, reason="企业经营困难，项目终止")
        project_withdraw_decide(project=project, by=office_admin, approve=True)
    assert not owed.exists()
    assert set(Obligation.objects.filter(project=project).values_list("state", flat=True)) == {ObligationState.WAIVED}
    assert AssignmentTransition.objects.filter(obligation__project=project, action=TransitionAction.WAIVED).count() == 5
    # read as of an earlier day, they were owed then; after, not
    item = Obligation.objects.filter(project=project)
    assert obligations_owed_as_of(item, dt.date(2023, 7, 31)).count() == 5
    assert obligations_owed_as_of(item, dt.date(2023, 8, 2)).count() == 0
    with at("2023-09-01 09:00"), pytest.raises(InvalidInput):
        project_report_save(
            obligation=report,
            by=reporter,
            invested_period=Decimal(1),
            invested_total=Decimal(1),
            image_progress="x",
            submit=True,
        )


def test_a_project_in_operation_owes_no_later_report(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = _admitted(library, units, reporter, office_admin, start_year=2023, end_year=2023, yearly={})
    operation = project.milestones.get(kind=MilestoneKind.OPERATION)
    july = Obligation.objects.get(project=project, kind=ObligationKind.PROJECT_REPORT, period_end=dt.date(2023, 8, 31))
    with at("2023-09-04 10:00"):
        project_report_save(
            obligation=july,
            by=reporter,
            invested_period=Decimal("12000"),
            invested_total=Decimal("12000"),
            image_progress="建成投运",
            milestones_reached={operation.pk: dt.date(2023, 8, 30)},
            submit=True,
        )
        project_report_accept(obligation=july, by=office_admin)
    project.refresh_from_db()
    assert project.state == ProjectState.COMPLETED
    later = Obligation.objects.filter(
        project=project, kind=ObligationKind.PROJECT_REPORT, period_end__gt=dt.date(2023, 8, 31)
    )
    assert set(later.values_list("state", flat=True)) == {ObligationState.WAIVED}
    assert not Obligation.objects.filter(project=project, state__in=OWED_STATES).exists()


def test_the_region_plans_milestones_only_while_the_project_is_its_own_reserve(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = _admitted(library, units, reporter, office_admin)
    start = project.milestones.get(kind=MilestoneKind.GROUNDBREAKING)
    moved = [PlannedMilestone(m.label, dt.date(2024, 12, 31) if m.pk == start.pk else m.planned_date, m.kind, m.pk)
             for m in project.milestones.all()]  # fmt: skip
    with pytest.raises(NotAllowed):
        milestones_plan(project=project, by=reporter, milestones=moved)
    assert Obligation.objects.get(project_milestone=start).cycle == 0
    milestones_plan(project=project, by=office_admin, milestones=moved)
    assert Obligation.objects.get(project_milestone=start).due_date == dt.date(2024, 12, 31)


def test_the_office_not_the_regions_own_supervisor_reviews_a_project_report(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = _admitted(library, units, reporter, office_admin)
    own = UserFactory(username="songyuan_supervisor", unit=units["220700"], role="supervisor")
    start = project.milestones.get(kind=MilestoneKind.GROUNDBREAKING)
    owed = Obligation.objects.get(project=project, kind=ObligationKind.PROJECT_REPORT, period_end=dt.date(2023, 8, 31))
    with at("2023-09-04 10:00"):
        project_report_save(
            obligation=owed,
            by=reporter,
            invested_period=Decimal("5000"),
            invested_total=Decimal("5000"),
            image_progress="开工",
            milestones_reached={start.pk: dt.date(2023, 8, 1)},
            submit=True,
        )
        with pytest.raises(NotAllowed):
            project_report_accept(obligation=owed, by=own)
        with pytest.raises(NotAllowed):
            project_report_return(obligation=owed, by=own, reason="x")
    project.refresh_from_db()
    assert project.state == ProjectState.ADMITTED


def test_a_rename_onto_another_project_of_the_region_is_refused(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User
) -> None:
    project_create(library=library, data=_data(units), by=reporter)
    other = project_create(library=library, data=_data(units, name="松原市秸秆颗粒项目"), by=reporter)
    with pytest.raises(InvalidInput) as refused:
        project_update(project=other, data=_data(units), by=reporter)
    assert refused.value.field == "name"


def test_a_returned_earlier_report_is_resubmitted_with_its_own_figure(
    library: ProjectLibrary, units: dict[str, Unit], reporter: User, office_admin: User
) -> None:
    project = _admitted(library, units, reporter, office_admin)
    reports = Obligation.objects.filter(project=project, kind=ObligationKind.PROJECT_REPORT).order_by("period_end")
    july, september = reports[0], reports[1]
    figures = {"image_progress": "施工中", "submit": True}
    with at("2023-09-04 10:00"):
        project_report_save(
            obligation=july, by=reporter, invested_period=Decimal(1000), invested_total=Decimal(1000), **figures
        )  # type: ignore[arg-type]
        project_report_return(obligation=july, by=office_admin, reason="缺少照片")
    with at("2023-11-03 10:00"):
        project_report_save(
            obligation=september, by=reporter, invested_period=Decimal(2000), invested_total=Decimal(3000), **figures
        )  # type: ignore[arg-type]
        project_report_accept(obligation=september, by=office_admin)
        # 7—8月 again, with its own 1000: not refused as below the 3000 of a later period
        project_report_save(
            obligation=july, by=reporter, invested_period=Decimal(1000), invested_total=Decimal(1000), **figures
        )  # type: ignore[arg-type]
    assert latest_progress([project.pk])[project.pk].invested_total == Decimal("3000.00")
