"""The 2023 annex lived from 10 July to 31 December by replay_year (seed 1): the bounds an office can live with,
the ledger and its PDF as of a past date, the burn-down, documents numbered in their own year, and the refusals."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from notifications.models import Message
from processes.models import AssignmentTransition, Bulletin, Notice, Plan, ReplayState, Round, Unit, User, Visit
from processes.services.exports import ledger_pdf
from processes.services.ledger import burndown, ledger_as_of
from processes.services.lifecycle import assignment_report
from processes.services.replay import ReplayRefused, replay_year

from ..conftest import ANNEX_XLSX, ImportFile
from ..lifecycle_helpers import songyuan_item
from .test_rounds import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(units: dict[str, Unit], import_file: ImportFile) -> Plan:
    with at("2023-07-20 10:00"):
        assert import_file(ANNEX_XLSX, starts=dt.date(2023, 7, 10)).applied
    return Plan.objects.get(year=2023)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (Debian package poppler-utils) to read the PDF back")
    path = tmp_path / "ledger.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_2023_annex_replayed_from_july_to_december(started: Plan, tmp_path: Path) -> None:
    out = io.StringIO()
    with at("2026-12-02 09:00"):
        call_command("replay_year", "--year", "2023", "--until", "2023-12-31", "--seed", "1", "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["days"] == 175 and figures["calendar"] == "confirmed"
    # Monthly rounds from July (its period ends after the start) to November; December's opens on 1 January.
    assert figures["rounds"] == 5
    assert not Round.objects.filter(period_end__lt=dt.date(2023, 7, 10)).exists()
    assert min(Round.objects.values_list("opened_at", flat=True)).date() >= dt.date(2023, 7, 10)
    # People: most reports on time, some late, a few missing; supervisors returned some.
    assert figures["reports_on_time"] > figures["reports_late"] > 0 and figures["reports_missing"] > 0
    assert figures["returned"] > 0 and figures["visits"] > 0 and figures["bulletins"] >= 1
    # No storms.
    assert figures["max_notices_per_unit_per_month"] <= 4
    # The signer signs each working morning what was drafted before: at the end only the last day's drafts wait.
    assert (
        figures["documents_waiting"] == Notice.objects.filter(state="draft", drafted_on=dt.date(2023, 12, 31)).count()
    )
    assert figures["max_messages_per_person_per_day"] <= 3
    assert set(figures["notices"]) <= {"warning_letter", "supervision_notice"} and figures["notices"]
    assert figures["closed"] + figures["open"] == 289 and figures["closed"] > 1
    # Documents carry their own year, whatever today is.
    issued = Notice.objects.filter(state="issued").values_list("doc_no", flat=True)
    assert issued and all("〔2023〕" in doc_no for doc_no in issued)
    assert all(b.year == 2023 for b in Bulletin.objects.all())
    # Each issue carries the office's progress and highlights from the units' reports, and nothing that ranks.
    assert all(b.pieces.filter(report__isnull=False).count() == 2 for b in Bulletin.objects.all())
    assert not any("ranking" in b.figures or "late_items" in b.figures for b in Bulletin.objects.all())
    # Every row carries the simulated day's time.
    assert AssignmentTransition.objects.latest("at").at.date() <= dt.date(2023, 12, 31)
    assert Message.objects.latest("created_at").created_at.date() <= dt.date(2023, 12, 31)
    assert Visit.objects.filter(recorded_at__year=2023).count() == figures["visits"]
    # The ledger as of a past date, and its PDF.
    ledger = ledger_as_of(started, None, dt.date(2023, 9, 30))
    assert ledger.total == 289 and 1 <= ledger.closed < figures["closed"]
    text = pdf_text(ledger_pdf(ledger), tmp_path)
    assert "2023年9月30日" in text and re.search(rf"已销号\)?\s*{ledger.closed}\b", text)
    # The burn-down: the start, then one point per round due by the end.
    supervisor = User.objects.filter(unit__is_office=True, role="supervisor").first()
    with at("2024-01-02 09:00"):
        points = burndown(started, supervisor, until=dt.date(2023, 12, 31))
    due = list(Round.objects.filter(due_date__lte=dt.date(2023, 12, 31)).values_list("due_date", flat=True))
    assert points[0].day == dt.date(2023, 7, 10) and [p.day for p in points[1 : 1 + len(due)]] == sorted(due)
    assert points[-1].open == figures["open"]


def test_the_replay_continues_and_adds_nothing_twice(started: Plan) -> None:
    with at("2026-12-02 09:00"):
        first = replay_year(year=2023, until=dt.date(2023, 8, 15), seed=1)
        rows = AssignmentTransition.objects.count()
        again = replay_year(year=2023, until=dt.date(2023, 8, 15), seed=1)
        assert AssignmentTransition.objects.count() == rows and again.as_dict() == first.as_dict()
        later = replay_year(year=2023, until=dt.date(2023, 8, 31), seed=1)
    assert ReplayState.objects.get(plan=started).last_day == dt.date(2023, 8, 31)
    assert later.days == 53 and later.rounds >= 1


def test_the_replay_refuses_production_and_plans_people_work_on(
    started: Plan, reporter: User, settings: object
) -> None:
    with at("2023-07-25 10:00"):
        assignment_report(assignment=songyuan_item(started), by=reporter, text="已完成")
    with pytest.raises(ReplayRefused, match="people"):
        replay_year(year=2023, until=dt.date(2023, 8, 1), seed=1)
    settings.SIMULATION_ALLOWED = False  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="production"):
        call_command("replay_year", "--year", "2023", "--until", "2023-08-01")
