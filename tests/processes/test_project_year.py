"""项目库 over a replayed half-year: a small 2023 plan whose task 18 carries the province's library, with the demo's
松原 and 白城 projects (data/projects/), lived from 10 July to 31 December by replay_year (seed 1). The regions
file their projects' reports, the office accepts or returns them, milestones and lags climb the ladder into
numbered documents, projects start and go into operation, and the replay's counts agree with the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from processes.management.commands.load_demo import DEMO_PROJECTS, projects_load_csv
from processes.models import (
    IN_LIBRARY_STATES,
    FiredRung,
    MilestoneKind,
    Notice,
    NoticeState,
    Obligation,
    ObligationKind,
    ObligationState,
    Plan,
    Project,
    ProjectAction,
    ProjectEvent,
    ProjectMilestone,
    ProjectState,
    Role,
    Unit,
    User,
)
from processes.services.history import obligations_owed_as_of
from processes.services.lifecycle import NotAllowed
from processes.services.projects import library_ensure, project_report_save
from processes.services.replay import replay_year

from ..conftest import ImportFile
from .test_rounds import at

pytestmark = pytest.mark.django_db
PLAN_CSV = (
    "序号,任务,责任单位,完成时限\n"
    "1,建立“无废城市”建设工作台账,松原市生态环境局、白城市生态环境局,8月31日\n"
    "18,各地紧盯列入第一批项目库清单的项目，倒排工期、挂图作战，每两月及时上报各项目进展情况。,"
    "松原市生态环境局、白城市生态环境局,按频次要求持续推进\n"
).encode()


@pytest.fixture
def year(units: dict[str, Unit], import_file: ImportFile, office_admin: User) -> Plan:
    with at("2023-07-10 09:00"):
        assert import_file(PLAN_CSV, "plan-2023.csv", starts=dt.date(2023, 7, 10)).applied
        plan = Plan.objects.get(year=2023)
        library = library_ensure(plan.issuer)
        assert library.task_number == "18"
        projects_load_csv(
            data=Path(DEMO_PROJECTS).read_bytes(),
            filename="jilin-2023-projects.csv",
            library=library,
            by=office_admin,
            regions={"松原市", "白城市"},
        )
    return plan


def test_projects_live_their_half_year_on_the_ladder(year: Plan) -> None:
    figures = replay_year(year=2023, until=dt.date(2023, 12, 31), seed=1)
    end = dt.date(2023, 12, 31)

    # The library: 7 projects admitted into 第一批 (松原 4, 白城 3), 白城's 秸秆颗粒 project kept in reserve.
    projects = Project.objects.filter(library__office=year.issuer)
    assert projects.count() == 8 and projects.filter(state=ProjectState.RESERVE).count() == 1
    in_library = projects.filter(state__in=IN_LIBRARY_STATES)
    assert figures.projects == in_library.count() == 7
    # Their states moved: some 在建, some 建成投运, each by its 开工 / 竣工投运 confirmed by an accepted report.
    building = in_library.filter(state=ProjectState.BUILDING)
    completed = in_library.filter(state=ProjectState.COMPLETED)
    assert building.exists() and completed.exists()
    assert figures.projects_started == building.count() + completed.count()
    assert figures.projects_completed == completed.count()
    for project in in_library.filter(state__in=[ProjectState.BUILDING, ProjectState.COMPLETED]):
        start = project.milestones.get(kind=MilestoneKind.GROUNDBREAKING)
        assert start.confirmed and start.actual_date is not None and start.actual_date <= end
    for project in completed:
        operation = project.milestones.get(kind=MilestoneKind.OPERATION)
        assert operation.confirmed and operation.actual_date is not None and operation.actual_date <= end
        assert project.events.filter(action=ProjectAction.COMPLETED).exists()
    # Some 开工 was reached after its planned date, or not by the year's end.
    starts = ProjectMilestone.objects.filter(project__in=in_library, kind=MilestoneKind.GROUNDBREAKING)
    assert any(m.actual_date is None or m.actual_date > m.planned_date for m in starts)

    # Reports: the bimonthly reports due by the year's end (7–8月 and 9–10月 of each project), most filed, some
    # late, some never; the count the replay gives is the reports the projects' timelines record.
    due = Obligation.objects.filter(kind=ObligationKind.PROJECT_REPORT, due_date__lte=end)
    assert due.count() == 14
    reported = {
        event.data["obligation"]
        for event in ProjectEvent.objects.filter(action=ProjectAction.REPORTED)
        if Obligation.objects.get(pk=event.data["obligation"]).kind == ObligationKind.PROJECT_REPORT
    }
    assert figures.project_reports == len(reported) and 0 < len(reported) < due.count()
    assert due.filter(late=True).exists() and due.filter(state=ObligationState.ACCEPTED).exists()
    assert due.filter(submitted_at__isnull=True).exists()  # never filed

    # A project investing well behind its 序时进度: an explanation owed, which climbed the ladder.
    lags = Obligation.objects.filter(kind=ObligationKind.PROJECT_LAG)
    assert lags.exists()
    for lag in lags:
        points = Decimal(lag.label.split("滞后序时进度")[1].split("个")[0])
        assert points > Decimal(10)
    assert {"yellow", "red"} <= set(FiredRung.objects.filter(obligation__in=lags).values_list("rung__code", flat=True))
    assert figures.lag_explanations_owed == obligations_owed_as_of(lags, end).count()

    # Milestones and reports not handed in fired the rungs up to 督办, and the documents list the project's item.
    fired = FiredRung.objects.filter(obligation__project__isnull=False)
    for kind in (ObligationKind.PROJECT_MILESTONE, ObligationKind.PROJECT_REPORT):
        codes = set(fired.filter(obligation__kind=kind).values_list("rung__code", flat=True))
        assert {"due", "yellow", "red", "supervision"} <= codes, (kind, codes)
    listed = Notice.objects.filter(state=NoticeState.ISSUED, items__project__isnull=False).distinct()
    assert {"warning_letter", "supervision_notice"} <= set(listed.values_list("kind", flat=True))
    assert all("〔2023〕" in notice.doc_no for notice in listed)
    assert figures.notices == {
        kind: Notice.objects.filter(kind=kind, issued_on__lte=end, items__assignment__task__plan=year)
        .distinct()
        .count()
        for kind in figures.notices
    }
    item = listed.first()
    assert item is not None and any(
        o.label.split("：")[0] in set(in_library.values_list("name", flat=True)) for o in item.items.all()
    )

    # Scope: 白城's reporter cannot file 松原's report.
    songyuan_owed = due.filter(assignment__unit__code="220700").first()
    baicheng = User.objects.filter(unit__code="220800", role=Role.REPORTER).first()
    assert songyuan_owed is not None and baicheng is not None
    with at("2024-01-03 10:00"), pytest.raises(NotAllowed):
        project_report_save(
            obligation=songyuan_owed,
            by=baicheng,
            invested_period=Decimal(100),
            invested_total=Decimal(20000),
            image_progress="越权填报",
            submit=True,
        )
