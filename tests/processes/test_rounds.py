"""Dispatch rounds on a frozen clock: the schedule, opening (idempotent), reports, who is missing, late reports,
the review, recurring occurrences and milestones, and what is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from processes.models import (
    Assignment,
    AssignmentState,
    Obligation,
    ObligationKind,
    ObligationState,
    Plan,
    Report,
    ReportStatus,
    Role,
    Round,
    RoundFrequency,
    Unit,
    User,
)
from processes.services.lifecycle import AlreadyHandled, InvalidInput, NotAllowed
from processes.services.rounds import (
    obligations_sync,
    plan_round_schedule,
    progress_accept,
    progress_return,
    progress_save,
    round_close,
    round_missing_units,
    round_open,
    rounds_open_due,
)

from ..builders import csv_bytes
from ..conftest import ANNEX_XLSX, ImportFile
from ..factories import UserFactory
from ..lifecycle_helpers import pdf

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(text: str) -> Any:
    return time_machine.travel(dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def plan(units: dict[str, Unit], import_file: ImportFile) -> Iterator[Plan]:
    """The 2023 plan, imported on 1 July 2023, and the clock left there."""
    with at("2023-07-01 09:00"):
        assert import_file(ANNEX_XLSX, doc_no="吉环固体字〔2023〕15号").applied
        yield Plan.objects.get(year=2023)


def august(plan: Plan, by: User) -> Round:
    spec = next(s for s in plan_round_schedule(plan) if s.period_start == dt.date(2023, 8, 1))
    round_, _created = round_open(
        plan=plan, by=by, period_start=spec.period_start, period_end=spec.period_end, due_date=spec.due_date
    )
    return round_


def obligation(round_: Round, number: str, unit: str) -> Obligation:
    return Obligation.objects.get(round=round_, assignment__task__number=number, assignment__unit__code=unit)


def test_the_schedule_follows_the_official_calendar(plan: Plan) -> None:
    due = {spec.period_start.month: spec.due_date for spec in plan_round_schedule(plan)}
    assert due[8] == dt.date(2023, 9, 5)  # a Tuesday
    assert due[9] == dt.date(2023, 10, 7)  # the 5th is in the National Day holiday; the 7th is a make-up workday
    assert due[1] == dt.date(2023, 2, 6)  # the 5th is a Sunday
    plan.round_frequency = RoundFrequency.BIMONTHLY
    schedule = plan_round_schedule(plan)
    assert [(s.period_start.month, s.period_end.month) for s in schedule] == [
        (1, 2),
        (3, 4),
        (5, 6),
        (7, 8),
        (9, 10),
        (11, 12),
    ]
    assert schedule[3].title == "2023年7—8月调度" and schedule[3].due_date == dt.date(2023, 9, 5)


def test_opening_a_round_owes_one_report_per_open_assignment_and_twice_creates_nothing(
    plan: Plan, office_admin: User
) -> None:
    with at("2023-09-01 08:00"):
        round_ = august(plan, office_admin)
        assert round_.obligations.count() == 288  # every assignment but task 1's, closed at publication
        again, created = round_open(
            plan=plan,
            by=office_admin,
            period_start=round_.period_start,
            period_end=round_.period_end,
            due_date=round_.due_date,
        )
    assert (again.pk, created) == (round_.pk, 0)
    assert Round.objects.count() == 1 and round_.obligations.count() == 288


def test_the_daily_job_opens_the_rounds_whose_period_has_ended(plan: Plan) -> None:
    with at("2023-09-01 06:10"):
        opened = rounds_open_due(plan=plan, as_of=dt.date(2023, 9, 1))
    # The plan took effect on 1 July (its import day): January to June are not owed.
    assert [r.title for r in opened] == [f"2023年{m}月调度" for m in range(7, 9)]
    assert rounds_open_due(plan=plan, as_of=dt.date(2023, 9, 1)) == []


def test_reports_missing_units_late_reports_and_the_review(
    plan: Plan, reporter: User, supervisor: User, office_admin: User, units: dict[str, Unit]
) -> None:
    baicheng_reporter = UserFactory(unit=units["220800"], role=Role.REPORTER)
    with at("2023-09-01 08:00"):
        round_ = august(plan, office_admin)
    songyuan_owed = list(Obligation.objects.filter(round=round_, assignment__unit__code="220700"))
    assert len(songyuan_owed) == 25
    with at("2023-09-04 10:00"):
        for owed in songyuan_owed:
            progress_save(obligation=owed, by=reporter, text="按计划推进", percent=60, submit=True)
    missing = {unit.code for unit in round_missing_units(round_)}
    assert "220700" not in missing and {"220800", "220100", "JL-EEB"} <= missing

    with at("2023-09-06 09:00"):  # a day after the due date
        late = progress_save(
            obligation=obligation(round_, "2", "220800"), by=baicheng_reporter, text="已成立", submit=True
        )
    assert late.late and obligation(round_, "2", "220800").late
    assert not Report.objects.filter(obligation__in=songyuan_owed, late=True).exists()

    first = obligation(round_, "2", "220700")
    progress_accept(obligation=first, by=supervisor)
    with pytest.raises(AlreadyHandled):
        progress_return(obligation=first, by=supervisor, reason="晚了")
    second = obligation(round_, "3", "220700")
    with pytest.raises(InvalidInput):
        progress_return(obligation=second, by=supervisor, reason=" ")
    progress_return(obligation=second, by=supervisor, reason="请补充会商纪要")
    assert (obligation(round_, "2", "220700").state, obligation(round_, "3", "220700").state) == (
        ObligationState.ACCEPTED,
        ObligationState.RETURNED,
    )
    with at("2023-09-07 09:00"):
        progress_save(obligation=second, by=reporter, text="补充了纪要", percent=70, submit=True)
    assert obligation(round_, "3", "220700").state == ObligationState.SUBMITTED


def test_a_draft_is_kept_until_it_is_submitted(plan: Plan, reporter: User, office_admin: User) -> None:
    with at("2023-09-01 08:00"):
        owed = obligation(august(plan, office_admin), "2", "220700")
        progress_save(obligation=owed, by=reporter, text="草稿", percent=30, submit=False)
        progress_save(obligation=owed, by=reporter, text="草稿二", percent=40, submit=False)
    assert Report.objects.filter(obligation=owed).count() == 1
    assert Report.objects.get(obligation=owed).status == ReportStatus.DRAFT
    assert obligation(owed.round, "2", "220700").state == ObligationState.OPEN
    with at("2023-09-02 08:00"):
        progress_save(
            obligation=owed, by=reporter, text="正式报送", percent=40, submit=True, files=[pdf("进展材料.pdf")]
        )
    report = Report.objects.get(obligation=owed)
    assert (report.status, report.text, report.percent) == (ReportStatus.SUBMITTED, "正式报送", 40)
    assert list(report.evidence.values_list("original_name", flat=True)) == ["进展材料.pdf"]


def test_progress_out_of_range_or_backwards_without_a_reason_is_refused(
    plan: Plan, reporter: User, office_admin: User
) -> None:
    with at("2023-09-01 08:00"):
        round_ = august(plan, office_admin)
        first, second = obligation(round_, "2", "220700"), obligation(round_, "3", "220700")
        for percent in (-1, 101):
            with pytest.raises(InvalidInput, match="between 0 and 100"):
                progress_save(obligation=first, by=reporter, text="x", percent=percent, submit=True)
        progress_save(obligation=first, by=reporter, text="x", percent=80, submit=True)
    with at("2023-10-02 08:00"):
        september = next(s for s in plan_round_schedule(plan) if s.period_start.month == 9)
        later, _ = round_open(
            plan=plan,
            by=office_admin,
            period_start=september.period_start,
            period_end=september.period_end,
            due_date=september.due_date,
        )
        owed = obligation(later, "2", "220700")
        with pytest.raises(InvalidInput, match="below what was last reported"):
            progress_save(obligation=owed, by=reporter, text="进度回调", percent=50, submit=True)
        progress_save(
            obligation=owed, by=reporter, text="进度回调", percent=50, problems="部分项目因资金暂停", submit=True
        )
    assert Report.objects.filter(obligation=second).count() == 0


def test_reports_for_a_closed_round_or_another_unit_are_refused(
    plan: Plan, reporter: User, office_admin: User, units: dict[str, Unit]
) -> None:
    with at("2023-09-01 08:00"):
        round_ = august(plan, office_admin)
    baicheng = obligation(round_, "2", "220800")
    with pytest.raises(NotAllowed):
        progress_save(obligation=baicheng, by=reporter, text="冒名", submit=True)
    round_close(round_=round_, by=office_admin)
    with pytest.raises(InvalidInput, match="closed"):
        progress_save(obligation=obligation(round_, "2", "220700"), by=reporter, text="太晚", submit=True)
    assert not Report.objects.exists()


def test_asking_for_close_out_from_the_round_report_starts_the_completion_flow(
    plan: Plan, reporter: User, office_admin: User
) -> None:
    with at("2023-09-01 08:00"):
        owed = obligation(august(plan, office_admin), "2", "220700")
        progress_save(
            obligation=owed, by=reporter, text="议事机构已成立", percent=100, submit=True, request_completion=True
        )
    item = Assignment.objects.get(pk=owed.assignment_id)
    assert item.state == AssignmentState.REPORTED
    assert list(item.transitions.values_list("action", flat=True)) == ["created", "progress_submitted", "reported"]


def test_recurring_tasks_owe_an_occurrence_per_period_and_milestones_owe_theirs(
    plan: Plan, units: dict[str, Unit], import_file: ImportFile
) -> None:
    quarterly = Obligation.objects.filter(
        kind=ObligationKind.OCCURRENCE, assignment__task__number="4", assignment__unit__code="220700"
    )
    # The plan took effect on 1 July: the periods that ended before it owe nothing.
    assert list(quarterly.values_list("label", "due_date")) == [
        ("2023年第3季度", dt.date(2023, 9, 30)),
        ("2023年第4季度", dt.date(2023, 12, 31)),
    ]
    bimonthly = Obligation.objects.filter(
        kind=ObligationKind.OCCURRENCE, assignment__task__number="11", assignment__unit__code="220700"
    )
    assert [d.month for d in bimonthly.values_list("due_date", flat=True)] == [8, 10, 12]
    assert Obligation.objects.filter(kind=ObligationKind.OCCURRENCE).count() == 152  # half the year: 304 from January
    assert obligations_sync(plan=plan) == 0  # idempotent

    rows = [
        ["序号", "任务", "责任单位", "完成时限", ""],
        ["", "", "", "2022-2024年", "2024-2025年"],
        ["1", "建立考核机制", "省生态环境厅", "出台办法", "全面实施"],
    ]
    with at("2024-01-02 09:00"):
        assert import_file(csv_bytes(rows), "plan.csv", year=2024).applied
    milestones = Obligation.objects.filter(kind=ObligationKind.MILESTONE, assignment__task__plan__year=2024)
    assert list(milestones.values_list("label", "due_date")) == [
        ("2022-2024年", dt.date(2024, 12, 31)),
        ("2024-2025年", dt.date(2025, 12, 31)),
    ]


def test_my_to_do_lists_what_is_owed_and_what_to_review(
    plan: Plan, reporter: User, supervisor: User, office_admin: User
) -> None:
    from .test_views import client_for

    with at("2023-09-01 08:00"):
        round_ = august(plan, office_admin)
        owed = obligation(round_, "2", "220700")
        page = client_for(reporter).get("/plans/work/").content.decode()
        assert f'data-obligation="{owed.pk}"' in page.split('data-testid="owed"')[1]
        progress_save(obligation=owed, by=reporter, text="按计划推进", submit=True)
        review = client_for(supervisor).get("/plans/work/").content.decode()
    assert f'data-obligation="{owed.pk}"' in review.split('data-testid="progress-queue"')[1]
    assert round_.number == 8  # its place in the schedule, though it was the first opened
