"""A dispatch round (调度) in a real Chromium: the office opens August 2023's round, the Songyuan reporter saves a
draft of the progress report on task 2 and then submits it with a PDF, the province's supervisor accepts it, and
the round page and the ledger show it.

Each person works in their own browser context, logged in through the login page: the reporter in the test's own
page, the office admin and the supervisor in contexts of their own (``person``). Every step's screenshot also takes
one of the test's own page first (see ``shot_of``): the reporter's pages are short, the round page's 288 rows are
not, hence this casting.

The clock is held at a Monday morning before the round's due date (5 September 2023) for the whole test, the live
server's thread included (time-machine patches the process), so that the plan is imported, the round opened and
the report submitted on time, as they would have been. Assertions rely on data-testid/data-* attributes and on the
published data (task text, unit names), not on the interface's wording.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Locator, Page, expect

from processes.models import (
    AssignmentState,
    AssignmentTransition,
    Obligation,
    ObligationKind,
    ObligationState,
    Plan,
    Report,
    ReportKind,
    ReportStatus,
    Round,
    Unit,
    User,
)
from processes.services.rounds import round_missing_units

from ..conftest import ANNEX_XLSX, ImportFile
from ..lifecycle_helpers import PDF, songyuan_item
from .conftest import Person, Shot, log_in, open_my_todo, prefixed

pytestmark = pytest.mark.e2e

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2023, 9, 4, 9, 0, tzinfo=SHANGHAI)  # a Monday; August's reports are due on Tuesday 5 September
AUGUST = 8  # the schedule's number of the August 2023 round
OWED = 288  # every assignment of the plan but task 1's, closed at publication
SONGYUAN = "220700"
SONGYUAN_NAME = "松原市生态环境局"
TASK_2 = "各地全面成立由政府主导的“无废城市”建设工作议事机构"
DRAFT = "草稿：议事机构组建方案已报市政府审定。"
PROGRESS = "松原市已成立由市长任组长的“无废城市”建设工作领导小组，8月召开第一次会议。"  # < 80: the ledger truncates
PROBLEMS = "部分县区议事机构尚未明确专职人员。"
NEXT_STEPS = "9月底前印发领导小组工作规则。"
EVIDENCE = "8月进展材料.pdf"


@pytest.fixture
def august_2023() -> Iterator[None]:
    """The clock at ``NOW`` and ticking, from before the plan is imported to the end of the test."""
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def plan_2023(units: dict[str, Unit], import_file: ImportFile) -> Plan:
    """The plan took effect on 10 July and is entered on the held clock: August's round is owed."""
    report = import_file(ANNEX_XLSX, doc_no="吉环固体字〔2023〕15号", starts=dt.date(2023, 7, 10))
    assert report.applied, report.errors
    return Plan.objects.get(year=2023)


def count(page: Page, name: str) -> Locator:
    return page.locator(f'[data-testid="round-counts"] [data-count="{name}"]')


def obligation_card(page: Page) -> Locator:
    return page.locator('[data-testid="obligation"]')


def test_a_unit_reports_progress_in_a_round_and_the_supervisor_accepts_it(
    august_2023: None,  # first: the plan is imported on the held clock
    page: Page,
    shot: Shot,
    person: Person,
    plan_2023: Plan,
    reporter: User,
    supervisor: User,
    office_admin: User,
    tmp_path: Path,
) -> None:
    item = songyuan_item(plan_2023)
    evidence = tmp_path / EVIDENCE
    evidence.write_bytes(PDF)

    # The office admin opens August's round from the plan's schedule.
    office_page, as_office = person(office_admin, "office")
    office_page.goto("/plans/JL-PRO/2023/rounds/")
    august_row = office_page.locator(f'[data-testid="rounds"] tr[data-number="{AUGUST}"]')
    expect(august_row).to_contain_text("2023-08-01")
    expect(august_row).to_contain_text("2023-09-05")  # due on the 5th of the following month, a Tuesday
    as_office("rounds")
    assert not Round.objects.exists()
    office_page.locator(f'[data-testid="open-round-{AUGUST}"]').click()
    office_page.wait_for_url(re.compile(r"/plans/rounds/\d+/$"))
    round_ = Round.objects.get(plan=plan_2023)
    assert (round_.period_start, round_.period_end, round_.due_date) == (
        dt.date(2023, 8, 1),
        dt.date(2023, 8, 31),
        dt.date(2023, 9, 5),
    )
    assert office_page.url.endswith(f"/plans/rounds/{round_.pk}/")
    expect(office_page.locator('[data-testid="round"]')).to_have_attribute("data-round", str(round_.pk))
    expect(office_page.locator(".app-messages .app-message--success")).to_contain_text(str(OWED))
    expect(count(office_page, "owed")).to_have_text(str(OWED))
    expect(count(office_page, "reported")).to_have_text("0")
    missing = round_missing_units(round_)
    expect(count(office_page, "missing")).to_have_text(str(len(missing)))
    expect(office_page.locator('[data-testid="missing-units"] span[data-unit]')).to_have_count(len(missing))
    expect(office_page.locator(f'[data-testid="missing-units"] span[data-unit="{SONGYUAN}"]')).to_have_text(
        SONGYUAN_NAME
    )
    expect(office_page.locator('[data-testid="round-table"] tr[data-obligation]')).to_have_count(OWED)
    owed = Obligation.objects.get(round=round_, assignment=item)
    row = office_page.locator(f'[data-testid="round-table"] tr[data-obligation="{owed.pk}"]')
    expect(row).to_have_attribute("data-unit", SONGYUAN)
    expect(row).to_have_attribute("data-state", ObligationState.OPEN)
    as_office("round-opened")
    assert round_.obligations.count() == OWED
    assert (owed.kind, owed.state, owed.due_date) == (ObligationKind.ROUND, ObligationState.OPEN, round_.due_date)
    assert SONGYUAN in {unit.code for unit in missing}

    # The Songyuan reporter finds August's report on task 2 among what the unit owes.
    as_reporter = prefixed(shot, "reporter")
    log_in(page, reporter, as_reporter)
    open_my_todo(page)
    owed_row = page.locator(f'[data-testid="owed"] tr[data-obligation="{owed.pk}"]')
    expect(owed_row).to_have_attribute("data-kind", ObligationKind.ROUND)
    expect(owed_row).to_contain_text(TASK_2)
    expect(owed_row).to_contain_text(round_.title)
    as_reporter("todo")
    owed_row.locator(f'a[href="/plans/obligations/{owed.pk}/"]').click()
    page.wait_for_url(f"**/plans/obligations/{owed.pk}/")
    expect(obligation_card(page)).to_have_attribute("data-state", ObligationState.OPEN)
    expect(page.locator('[data-testid="progress-review"]')).to_have_count(0)  # a reporter reviews nothing
    form = page.locator('[data-testid="progress-form"]')

    # A first draft, text only, is kept: the form shows it again after a reload, and nothing is submitted.
    form.locator("textarea[name=text]").fill(DRAFT)
    as_reporter("draft-filled")
    form.locator('[data-testid="save-draft"]').click()
    expect(page.locator(".app-messages .app-message--success")).to_have_count(1)
    page.reload()
    expect(form.locator("textarea[name=text]")).to_have_value(DRAFT)
    expect(form.locator("input[name=percent]")).to_have_value("")
    expect(obligation_card(page)).to_have_attribute("data-state", ObligationState.OPEN)
    expect(page.locator('[data-testid="progress-report"]')).to_have_count(0)
    as_reporter("draft-kept")
    draft = Report.objects.get(obligation=owed)
    assert (draft.status, draft.text, draft.percent, draft.submitted_at) == (ReportStatus.DRAFT, DRAFT, None, None)

    # The full report, with the progress, the problems, the next steps and a PDF, is submitted.
    form.locator("textarea[name=text]").fill(PROGRESS)
    form.locator("input[name=percent]").fill("60")
    form.locator("textarea[name=problems]").fill(PROBLEMS)
    form.locator("textarea[name=next_steps]").fill(NEXT_STEPS)
    form.locator("input[name=evidence]").set_input_files(evidence)
    expect(form.locator("input[name=request_completion]")).not_to_be_checked()  # progress only, no 申请销号
    as_reporter("report-filled")
    form.locator('[data-testid="submit-progress"]').click()
    expect(obligation_card(page)).to_have_attribute("data-state", ObligationState.SUBMITTED)
    expect(page.locator('[data-testid="progress-form"]')).to_have_count(0)
    submitted = page.locator('[data-testid="progress-report"]')
    expect(submitted).to_have_count(1)
    for text in (PROGRESS, "60 %", PROBLEMS, NEXT_STEPS):
        expect(submitted).to_contain_text(text)
    expect(submitted.locator(".app-files a")).to_have_text(EVIDENCE)
    as_reporter("submitted")
    report = Report.objects.get(obligation=owed)  # the draft became the report: still one
    assert report.pk == draft.pk
    assert (report.kind, report.status, report.assignment_id, report.submitted_by_id) == (
        ReportKind.PROGRESS,
        ReportStatus.SUBMITTED,
        item.pk,
        reporter.pk,
    )
    assert (report.text, report.percent, report.problems, report.next_steps) == (PROGRESS, 60, PROBLEMS, NEXT_STEPS)
    assert report.submitted_at is not None and not report.late
    files = list(report.evidence.all())
    assert [evidence.original_name for evidence in files] == [EVIDENCE]
    with files[0].file.open("rb") as stored:
        assert stored.read() == PDF
    owed.refresh_from_db()
    assert (owed.state, owed.submitted_at, owed.late) == (ObligationState.SUBMITTED, report.submitted_at, False)

    # The province's supervisor finds it among the progress reports to review, and accepts it.
    supervisor_page, as_supervisor = person(supervisor, "supervisor")
    open_my_todo(supervisor_page)
    queued = supervisor_page.locator(f'[data-testid="progress-queue"] tr[data-obligation="{owed.pk}"]')
    expect(queued).to_contain_text(TASK_2)
    expect(queued).to_contain_text(SONGYUAN_NAME)
    expect(supervisor_page.locator('[data-testid="progress-queue"] tr[data-obligation]')).to_have_count(1)
    as_supervisor("todo")
    queued.locator(f'a[href="/plans/obligations/{owed.pk}/"]').click()
    supervisor_page.wait_for_url(f"**/plans/obligations/{owed.pk}/")
    expect(obligation_card(supervisor_page)).to_have_attribute("data-state", ObligationState.SUBMITTED)
    expect(supervisor_page.locator('[data-testid="progress-form"]')).to_have_count(0)
    expect(supervisor_page.locator('[data-testid="progress-report"]')).to_contain_text(PROGRESS)
    review = supervisor_page.locator('[data-testid="progress-review"]')
    as_supervisor("report")
    review.locator('[data-testid="accept"]').click()
    expect(obligation_card(supervisor_page)).to_have_attribute("data-state", ObligationState.ACCEPTED)
    expect(supervisor_page.locator('[data-testid="progress-review"]')).to_have_count(0)
    as_supervisor("accepted")
    owed.refresh_from_db()
    assert owed.state == ObligationState.ACCEPTED
    item.refresh_from_db()
    assert item.state == AssignmentState.ASSIGNED  # progress, not completion: the item stays on the ledger
    transitions = AssignmentTransition.objects.filter(obligation=owed).order_by("at", "pk")
    assert [(entry.action, entry.by_id) for entry in transitions] == [
        ("progress_submitted", reporter.pk),
        ("progress_accepted", supervisor.pk),
    ]

    # The office admin, back on the round page, sees one report in and Songyuan's task 2 accepted.
    office_page.reload()
    expect(count(office_page, "owed")).to_have_text(str(OWED))
    expect(count(office_page, "reported")).to_have_text("1")
    expect(row).to_have_attribute("data-state", ObligationState.ACCEPTED)
    expect(row).to_contain_text("2023-09-04")  # reported at
    expect(office_page.locator('[data-testid="round-table"] tr[data-state="accepted"]')).to_have_count(1)
    # Songyuan still owes its 24 other reports on this round
    expect(office_page.locator(f'[data-testid="missing-units"] span[data-unit="{SONGYUAN}"]')).to_have_count(1)
    as_office("round-after")
    assert round_.obligations.filter(state__in=[ObligationState.SUBMITTED, ObligationState.ACCEPTED]).count() == 1

    # The ledger, filtered to Songyuan, shows the accepted report's progress on task 2.
    office_page.goto("/plans/JL-PRO/2023/ledger/")
    filters = office_page.locator('[data-testid="ledger-filters"]')
    filters.locator("select[name=unit]").select_option(label=SONGYUAN_NAME)
    as_office("ledger-filter")
    filters.locator("button[type=submit]").click()
    office_page.wait_for_url(re.compile(r"/plans/JL-PRO/2023/ledger/\?.*\bunit=\d"))
    songyuan = Unit.objects.get(code=SONGYUAN)
    expect(office_page.locator('[data-testid="ledger-table"] tbody tr')).to_have_count(songyuan.assignments.count())
    ledger_row = office_page.locator(f'[data-testid="ledger-table"] tr[data-unit="{SONGYUAN}"][data-task="2"]')
    expect(ledger_row).to_contain_text(SONGYUAN_NAME)
    expect(ledger_row).to_contain_text(PROGRESS)
    expect(ledger_row).not_to_contain_text(DRAFT)
    expect(ledger_row).to_contain_text("2023-09-04")  # last report
    expect(ledger_row.locator("[data-state]")).to_have_attribute("data-state", AssignmentState.ASSIGNED)
    as_office("ledger")
