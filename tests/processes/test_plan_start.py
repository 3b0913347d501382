"""A plan's start (印发/实施 date): items exist from it, the ledger and burn-down read history from it, rounds and
occurrences of periods that ended before it are not owed, and the sweep reads each day's states, not today's."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from processes.models import (
    AssignmentTransition,
    FiredRung,
    Notice,
    Obligation,
    ObligationKind,
    Plan,
    Round,
    TransitionAction,
    Unit,
    User,
)
from processes.services.ladder import sweep_day, sweep_range
from processes.services.ledger import burndown, ledger_as_of
from processes.services.lifecycle import InvalidInput, assignment_report
from processes.services.notices import notice_answer
from processes.services.rounds import plan_round_schedule, round_open, rounds_open_due
from processes.services.signing import sign_waiting

from ..conftest import ANNEX_XLSX, ImportFile
from ..lifecycle_helpers import songyuan_item
from .test_rounds import at
from .test_views import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def late_import(units: dict[str, Unit], import_file: ImportFile) -> Plan:
    """The 2023 plan took effect on 10 July and was entered on 20 July."""
    with at("2023-07-20 15:00"):
        report = import_file(ANNEX_XLSX, starts=dt.date(2023, 7, 10))
        assert report.applied, report.errors
        assert report.as_dict()["starts"] == "2023-07-10"
    return Plan.objects.get(year=2023)


def test_items_exist_from_the_start_and_their_timeline_says_when_they_were_entered(late_import: Plan) -> None:
    assert late_import.starts_on == dt.date(2023, 7, 10)
    first = AssignmentTransition.objects.filter(assignment=songyuan_item(late_import)).earliest("at", "pk")
    assert first.action == TransitionAction.CREATED
    assert first.at.date() <= dt.date(2023, 7, 10) and "2023-07-20" in first.comment and "2023-07-10" in first.comment
    ledger = ledger_as_of(late_import, None, dt.date(2023, 7, 15))  # between the start and the import
    assert ledger.total == 289 and ledger.closed == 1
    with pytest.raises(InvalidInput, match="2023-07-10"):
        ledger_as_of(late_import, None, dt.date(2023, 7, 9))


def test_nothing_is_owed_for_periods_that_ended_before_the_start(late_import: Plan, office_admin: User) -> None:
    with at("2023-08-02 06:10"):
        opened = rounds_open_due(plan=late_import, as_of=dt.date(2023, 8, 2))
    assert [r.period_start for r in opened] == [dt.date(2023, 7, 1)]  # July: it ends after the start; June does not
    june = next(s for s in plan_round_schedule(late_import) if s.period_start.month == 6)
    with pytest.raises(InvalidInput, match="2023-07-10"):
        round_open(
            plan=late_import,
            by=office_admin,
            period_start=june.period_start,
            period_end=june.period_end,
            due_date=june.due_date,
        )
    occurrences = Obligation.objects.filter(assignment__task__plan=late_import, kind=ObligationKind.OCCURRENCE)
    assert occurrences.exists() and not occurrences.filter(period_end__lt=dt.date(2023, 7, 10)).exists()
    assert all(o.created_at.date() <= dt.date(2023, 7, 10) for o in occurrences)


def test_the_burndown_starts_at_the_start(late_import: Plan, supervisor: User) -> None:
    with at("2023-09-20 09:00"):
        rounds_open_due(plan=late_import, as_of=dt.date(2023, 9, 20))
        points = burndown(late_import, supervisor)
    assert points[0].day == dt.date(2023, 7, 10) and points[0].open == 288
    assert [p.day for p in points[1:-1]] == list(
        Round.objects.filter(plan=late_import).order_by("due_date").values_list("due_date", flat=True)
    )


def test_the_upload_form_takes_the_start(units: dict[str, Unit], office_admin: User) -> None:
    client = client_for(office_admin)
    with ANNEX_XLSX.open("rb") as handle, at("2023-07-20 15:00"):
        response = client.post(
            "/plans/import/", {"file": handle, "year": "2023", "starts": "2023-07-10", "title": "", "doc_no": ""}
        )
        assert response.status_code == 302
        preview = client.get(response["Location"])
        assert "2023-07-10" in preview.content.decode()
        client.post(response["Location"] + "confirm/")
    assert Plan.objects.get(year=2023).starts_on == dt.date(2023, 7, 10)


def test_a_start_outside_the_year_is_refused(units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(ANNEX_XLSX, starts=dt.date(2022, 12, 1))
    assert not report.applied and "2022-12-01" in report.errors[0].message
    out = io.StringIO()
    with pytest.raises(Exception, match="error"):
        call_command("import_plan", str(ANNEX_XLSX), "--year", "2023", "--starts", "2024-01-02", "--json", stdout=out)
    assert json.loads(out.getvalue())["errors"][0]["field"] == "starts"


def test_a_replayed_day_reads_that_days_states(late_import: Plan, reporter: User) -> None:
    """Task 2 (due 8-31) reported done on 9-20; sweeping 9-07 afterwards still finds it owed that day."""
    item = songyuan_item(late_import, "2")
    with at("2023-09-20 10:00"):
        assignment_report(assignment=item, by=reporter, text="已完成")
        fired = sweep_day(dt.date(2023, 9, 7))
    assert any(f.task == "2" and f.unit == "220700" and f.rung == "red" for f in fired)
    with at("2023-09-21 10:00"):
        assert not [f for f in sweep_day(dt.date(2023, 9, 21)) if f.task == "2" and f.unit == "220700"]


def test_a_notice_answer_is_never_put_on_another_notice(late_import: Plan, leader: User, signer: User) -> None:
    """Nobody answers: the answers owed climb to the supervisors once; each unit has at most one open notice of a
    kind, and no notice lists an answer owed to another."""
    day = dt.date(2023, 7, 10)
    while day <= dt.date(2023, 12, 29):  # the daily jobs, each on its day, and the signer signing what they drafted
        with at(f"{day.isoformat()} 07:30"):
            rounds_open_due(plan=late_import, as_of=day)
            sweep_day(day)
        with at(f"{day.isoformat()} 09:00"):
            sign_waiting(by=signer, as_of=day)
        day += dt.timedelta(days=1)
    assert not Obligation.objects.filter(notices__isnull=False, kind=ObligationKind.NOTICE_RESPONSE).exists()
    answer_rungs = set(
        FiredRung.objects.filter(obligation__kind=ObligationKind.NOTICE_RESPONSE).values_list("rung__code", flat=True)
    )
    assert answer_rungs == {"reminder", "due", "yellow"}
    songyuan = Notice.objects.filter(unit__code="220700").order_by("issued_on")
    kinds = [notice.kind for notice in songyuan]
    assert kinds.count("warning_letter") == 1 and kinds.count("supervision_notice") == 1  # both stay open
    assert all("〔2023〕" in notice.doc_no for notice in songyuan)


def test_an_answered_notice_lets_the_next_one_be_issued(late_import: Plan, leader: User, signer: User) -> None:
    with at("2023-08-02 06:10"):
        rounds_open_due(plan=late_import, as_of=dt.date(2023, 8, 2))
    with at("2023-08-15 08:00"):
        sweep_range(dt.date(2023, 7, 10), dt.date(2023, 8, 15))
        sign_waiting(by=signer, as_of=dt.date(2023, 8, 15))
        letter = Notice.objects.get(unit__code="220700", kind="warning_letter")
        notice_answer(notice=letter, by=leader, text="已整改")
    with at("2023-08-25 08:00"):  # the 督办通知单 of 8-21 answered too: 松原 is under no open notice
        sweep_range(dt.date(2023, 8, 16), dt.date(2023, 8, 25))
        sign_waiting(by=signer, as_of=dt.date(2023, 8, 25))
        for notice in Notice.objects.filter(unit__code="220700", answered_at__isnull=True):
            notice_answer(notice=notice, by=leader, text="已整改")
    with at("2023-09-02 06:10"):
        rounds_open_due(plan=late_import, as_of=dt.date(2023, 9, 2))
    with at("2023-10-20 08:00"):
        sweep_range(dt.date(2023, 8, 26), dt.date(2023, 10, 20))
        sign_waiting(by=signer, as_of=dt.date(2023, 10, 20))
    letters = Notice.objects.filter(unit__code="220700", kind="warning_letter").order_by("issued_on")
    assert letters.count() == 2 and letters[1].issued_on > dt.date(2023, 8, 25)


def test_pages_of_a_plan_in_a_provisional_year_say_its_dates_are_provisional(
    units: dict[str, Unit], import_file: ImportFile, reporter: User
) -> None:
    """2027's holiday notice is not out (nor confirmed): a reporter reading its ledger is told the dates are
    provisional; the 2023 plan's pages say nothing of the kind."""
    with at("2026-12-02 09:00"):
        assert import_file(ANNEX_XLSX, year=2027, starts=dt.date(2027, 1, 4)).as_dict()["calendar"] == "provisional"
        assert import_file(ANNEX_XLSX, year=2023, starts=dt.date(2023, 7, 10)).as_dict()["calendar"] == "confirmed"
        client = client_for(reporter)
        assert (
            'data-testid="provisional-plan"'
            in client.get("/plans/JL-PRO/2027/ledger/?as_of=2027-03-01").content.decode()
        )
        assert 'data-testid="provisional-plan"' not in client.get("/plans/JL-PRO/2023/ledger/").content.decode()
