"""包保督办 on a frozen clock: a pairing owes a visit per region every two months, the visits climb the ladder, a
visit settles its period, a 督办 outcome issues the notice to the region (read from a real SMTP sink and with
pdftotext), bad visits and overlapping pairings are refused whole, and each page keeps to its people."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from notifications.models import Message
from processes.models import (
    AssignmentTransition,
    FiredRung,
    FocusArea,
    Notice,
    Obligation,
    ObligationKind,
    ObligationState,
    Pairing,
    Plan,
    Role,
    TransitionAction,
    Unit,
    UnitLevel,
    User,
    Visit,
    VisitOutcome,
    VisitRating,
)
from processes.services.ladder import message_fired, sweep_day
from processes.services.lifecycle import InvalidInput, NotAllowed, assignment_report
from processes.services.notices import notice_answer
from processes.services.pairings import pairing_save, region_statuses, visit_record
from processes.services.signing import notices_sign

from ..conftest import ANNEX_XLSX, ImportFile, SmtpSink
from ..factories import UserFactory
from ..lifecycle_helpers import songyuan_item
from .test_rounds import at
from .test_views import client_for

pytestmark = pytest.mark.django_db
D = dt.date
SONGYUAN, BAICHENG, EEB = "220700", "220800", "JL-EEB"
GOOD = {area.value: 4 for area in FocusArea}


@pytest.fixture
def plan(units: dict[str, Unit], import_file: ImportFile) -> Iterator[Plan]:
    with at("2023-07-01 09:00"):
        assert import_file(ANNEX_XLSX, doc_no="吉环固体字〔2023〕15号").applied
        yield Plan.objects.get(year=2023)


@pytest.fixture
def people(
    units: dict[str, Unit], reporter: User, leader: User, supervisor: User, office_admin: User
) -> dict[str, User]:
    return {
        "reporter": reporter,
        "leader": leader,
        "supervisor": supervisor,
        "office": office_admin,
        "paired": UserFactory(username="baobao_leader", unit=units[EEB], role=Role.LEADER),
        "eeb_reporter": UserFactory(username="eeb_reporter", unit=units[EEB], role=Role.REPORTER),
        "baicheng": UserFactory(username="baicheng_reporter", unit=units[BAICHENG], role=Role.REPORTER),
    }


@pytest.fixture
def pairing(plan: Plan, people: dict[str, User], units: dict[str, Unit]) -> Pairing:
    with at("2023-07-01 10:00"):
        return pairing_save(
            plan=plan,
            level=UnitLevel.PROVINCE,
            leader=people["paired"],
            unit=units[EEB],
            regions=[units[SONGYUAN], units[BAICHENG]],
            start=D(2023, 7, 1),
            end=D(2023, 12, 31),
            by=people["office"],
        )


def visits_owed(pairing: Pairing) -> list[tuple[str, dt.date, str]]:
    return sorted(
        (o.region.code, o.due_date, o.label)
        for o in Obligation.objects.filter(pairing=pairing, kind=ObligationKind.VISIT).select_related("region")
    )


def test_a_pairing_owes_a_visit_per_region_every_two_months(pairing: Pairing, units: dict[str, Unit]) -> None:
    assert visits_owed(pairing) == [
        (SONGYUAN, D(2023, 8, 31), "2023年7—8月赴松原市现场督导"),
        (SONGYUAN, D(2023, 10, 31), "2023年9—10月赴松原市现场督导"),
        (SONGYUAN, D(2023, 12, 31), "2023年11—12月赴松原市现场督导"),
        (BAICHENG, D(2023, 8, 31), "2023年7—8月赴白城市现场督导"),
        (BAICHENG, D(2023, 10, 31), "2023年9—10月赴白城市现场督导"),
        (BAICHENG, D(2023, 12, 31), "2023年11—12月赴白城市现场督导"),
    ]
    # They are owed by the provincial department, on its assignment of task 11 (每两月对包保地区现场督导一次).
    owners = {(o.assignment.unit.code, o.assignment.task.number) for o in Obligation.objects.filter(pairing=pairing)}
    assert owners == {(EEB, "11")}
    # Shortened to the end of October: the last period goes, nothing else changes; saving again adds nothing.
    with at("2023-07-02 10:00"):
        pairing_save(
            plan=pairing.plan,
            level=pairing.level,
            leader=pairing.leader,
            unit=pairing.unit,
            regions=list(pairing.regions.all()),
            start=pairing.start,
            end=D(2023, 10, 31),
            by=User.objects.get(username="office_admin"),
            pairing=pairing,
        )
    assert [due for _code, due, _label in visits_owed(pairing)] == [D(2023, 8, 31), D(2023, 10, 31)] * 2


def test_a_region_paired_twice_at_one_level_at_once_is_refused_and_nothing_is_written(
    pairing: Pairing, people: dict[str, User], units: dict[str, Unit]
) -> None:
    before = (Pairing.objects.count(), Obligation.objects.count())
    other = UserFactory(username="drc_leader", unit=units["JL-DRC"], role=Role.LEADER)
    with pytest.raises(InvalidInput, match=r"松原市.*already paired"):
        pairing_save(
            plan=pairing.plan,
            level=UnitLevel.PROVINCE,
            leader=other,
            unit=units["JL-DRC"],
            regions=[units[SONGYUAN], units["220100"]],
            start=D(2023, 10, 1),
            end=D(2023, 12, 31),
            by=people["office"],
        )
    assert (Pairing.objects.count(), Obligation.objects.count()) == before
    # Before the first pairing starts, or at the other level, the same region may be paired.
    with at("2023-07-01 11:00"):
        pairing_save(
            plan=pairing.plan,
            level=UnitLevel.CITY,
            leader=None,
            unit=units["JL-DRC"],
            regions=[units[SONGYUAN]],
            start=D(2023, 10, 1),
            end=D(2023, 12, 31),
            by=people["office"],
        )
    assert Pairing.objects.count() == before[0] + 1
    with pytest.raises(NotAllowed):
        pairing_save(
            plan=pairing.plan,
            level=UnitLevel.PROVINCE,
            leader=None,
            unit=units["JL-DRC"],
            regions=[units["220100"]],
            start=D(2023, 7, 1),
            end=D(2023, 8, 31),
            by=people["supervisor"],
        )


def test_the_admin_refuses_an_overlapping_pairing_with_its_reason(
    pairing: Pairing, people: dict[str, User], units: dict[str, Unit]
) -> None:
    people["office"].is_superuser = True
    people["office"].save()
    client = client_for(people["office"])
    response = client.post(
        "/admin/processes/pairing/add/",
        {
            "plan": pairing.plan_id,
            "level": UnitLevel.PROVINCE,
            "unit": units["JL-DRC"].pk,
            "regions": [units[BAICHENG].pk],
            "start": "2023-11-01",
            "end": "2023-12-31",
            "visit_every_months": 2,
            "note": "",
        },
    )
    assert response.status_code == 200
    assert "白城市" in response.content.decode() and Pairing.objects.count() == 1
    response = client.post(
        "/admin/processes/pairing/add/",
        {
            "plan": pairing.plan_id,
            "level": UnitLevel.PROVINCE,
            "unit": units["JL-DRC"].pk,
            "regions": [units["220100"].pk],
            "start": "2023-11-01",
            "end": "2023-12-31",
            "visit_every_months": 2,
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    added = Pairing.objects.exclude(pk=pairing.pk).get()
    assert added.task.number == "11"  # the plan's task on visiting the paired regions
    assert visits_owed(added) == [("220100", D(2023, 12, 31), "2023年11—12月赴长春市现场督导")]


def test_the_visits_climb_the_ladder_and_a_recorded_visit_stops_its_own(
    pairing: Pairing, people: dict[str, User], units: dict[str, Unit]
) -> None:
    with at("2023-08-28 07:30"):
        sweep_day(D(2023, 8, 28))
    reminded = FiredRung.objects.filter(rung__code="reminder", obligation__pairing=pairing)
    assert sorted(f.obligation.region.code for f in reminded) == [SONGYUAN, BAICHENG]
    digest = Message.objects.get(recipient=people["eeb_reporter"], rung__code="reminder")
    assert "2023年7—8月赴松原市现场督导" in digest.body and "2023年7—8月赴白城市现场督导" in digest.body
    with at("2023-08-29 15:00"):
        visit = visit_record(
            pairing=pairing,
            region=units[SONGYUAN],
            by=people["paired"],
            visited_on=D(2023, 8, 29),
            participants="省厅包保负责人、固体处",
            ratings=GOOD,
            findings="领导小组已建立，项目按计划推进。",
        )
    owed = visit.obligation
    assert owed is not None and owed.state == ObligationState.SUBMITTED and not owed.late
    assert owed.region == units[SONGYUAN] and owed.due_date == D(2023, 8, 31)
    assert AssignmentTransition.objects.filter(
        action=TransitionAction.VISIT_RECORDED, obligation=owed, by=people["paired"]
    ).exists()
    assert visit.notice is None and not Notice.objects.exists()
    assert list(visit.ratings.values_list("area", "score")) == [(area.value, 4) for area in FocusArea]
    with at("2023-08-31 07:30"):
        sweep_day(D(2023, 8, 31))
    due = FiredRung.objects.filter(rung__code="due", obligation__pairing=pairing)
    assert [f.obligation.region.code for f in due] == [BAICHENG]  # 松原's visit was made


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"visited_on": D(2023, 9, 21)}, "in the future"),
        ({"visited_on": D(2023, 6, 30)}, "outside the pairing"),
        ({"ratings": {**GOOD, "publicity": 6}}, "outside the scale 1–5"),
        ({"ratings": {**GOOD, "projects": 0}}, "outside the scale 1–5"),
        ({"ratings": {k: v for k, v in GOOD.items() if k != "linkage"}}, "give a rating"),
        ({"ratings": {**GOOD, "division": "good"}}, "is not a rating"),
        ({"participants": "  "}, "participants"),
        ({"outcome": VisitOutcome.SUPERVISION, "reason": ""}, "needs its reason"),
        ({"outcome": VisitOutcome.WARNING, "reason": "weak_push", "findings": ""}, "needs the findings"),
    ],
)
def test_a_bad_visit_is_refused_with_its_reason_and_nothing_is_written(
    pairing: Pairing, people: dict[str, User], units: dict[str, Unit], changes: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {
        "pairing": pairing,
        "region": units[SONGYUAN],
        "by": people["paired"],
        "visited_on": D(2023, 9, 20),
        "participants": "省厅包保负责人",
        "ratings": GOOD,
        "findings": "",
        **changes,
    }
    with at("2023-09-20 16:00"), pytest.raises(InvalidInput, match=message):
        visit_record(**arguments)
    assert not Visit.objects.exists() and not VisitRating.objects.exists() and not Notice.objects.exists()
    assert not Obligation.objects.filter(pairing=pairing).exclude(state=ObligationState.OPEN).exists()


def test_only_the_pairing_records_its_visits_of_its_own_regions(
    pairing: Pairing, people: dict[str, User], units: dict[str, Unit]
) -> None:
    arguments: dict[str, Any] = {
        "pairing": pairing,
        "region": units[SONGYUAN],
        "visited_on": D(2023, 9, 20),
        "participants": "某人",
        "ratings": GOOD,
    }
    with at("2023-09-20 16:00"):
        for who in ("reporter", "leader", "supervisor", "baicheng"):
            with pytest.raises(NotAllowed):
                visit_record(by=people[who], **arguments)
        with pytest.raises(NotAllowed, match="长春市"):
            visit_record(by=people["paired"], **{**arguments, "region": units["220100"]})
    assert not Visit.objects.exists()


def test_a_supervision_visit_sends_the_region_its_notice_and_the_region_answers_it(
    pairing: Pairing,
    people: dict[str, User],
    signer: User,
    units: dict[str, Unit],
    smtp_sink: SmtpSink,
    celery_eager: None,
    django_capture_on_commit_callbacks: Any,
    tmp_path: Path,
) -> None:
    late_items = Obligation.objects.filter(
        assignment__unit=units[SONGYUAN], due_date__lt=D(2023, 9, 20), state=ObligationState.OPEN
    ).exclude(kind=ObligationKind.VISIT)
    expected_late = late_items.count()
    assert expected_late > 0  # task 2's deadline (31 August) and the bimonthly reports, among others
    with at("2023-09-20 16:00"), django_capture_on_commit_callbacks(execute=True):
        visit = visit_record(
            pairing=pairing,
            region=units[SONGYUAN],
            by=people["paired"],
            visited_on=D(2023, 9, 20),
            participants="省厅包保负责人、固体处处长",
            ratings={**GOOD, "projects": 2},
            findings="第一批入库项目开工率不足三成，未按期调度。",
            outcome=VisitOutcome.SUPERVISION,
            reason="slow_progress",
        )
    notice = visit.notice
    assert notice is not None
    # The outcome drafts the notice; the region hears nothing until the office's signer signs it (issue 11).
    assert (notice.unit.code, notice.kind, notice.state, notice.doc_no) == (
        SONGYUAN,
        "supervision_notice",
        "draft",
        None,
    )
    assert notice.items.count() == expected_late and not smtp_sink.received
    assert not Obligation.objects.filter(notice=notice).exists()
    with at("2023-09-21 09:00"), django_capture_on_commit_callbacks(execute=True):
        notices_sign(notices=[notice], by=signer, on=D(2023, 9, 21))
    notice.refresh_from_db()
    assert (notice.doc_no, notice.issued_on) == ("吉无废督〔2023〕1号", D(2023, 9, 21))
    assert notice.response_due == D(2023, 9, 28)  # five working days after it was signed on 21 September
    # The answer is owed on 松原's own assignment of task 11, in its 我的待办, and its ladder watches it.
    response = Obligation.objects.get(notice=notice)
    assert (response.assignment.unit.code, response.assignment.task.number) == (SONGYUAN, "11")
    assert (response.kind, response.due_date) == (ObligationKind.NOTICE_RESPONSE, D(2023, 9, 28))

    # 松原's reporter and leader each get the notice by email, with its PDF.
    mails = {str(m["To"]): m for m in smtp_sink.received}
    # 松原's reporter and leader; the 包保 leader who made the visit has the copy its 抄送 names.
    assert set(mails) == {people["reporter"].email, people["leader"].email, people["paired"].email}
    for mail in mails.values():
        assert "督办通知单" in str(mail["Subject"]) and "进展缓慢" in str(mail["Subject"])
        body = mail.get_body(("plain",)).get_content()
        assert "开工率不足三成" in body and "2023年9月28日" in body and f"/plans/notices/{notice.pk}/" in body
        (attachment,) = list(mail.iter_attachments())
        assert attachment.get_filename() == f"{notice.doc_no}.pdf"
    path = tmp_path / "notice.pdf"
    path.write_bytes(attachment.get_content())
    if shutil.which("pdftotext"):
        text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout)
        for expected in (
            "予以督办的通知",
            notice.doc_no,
            "松原市生态环境局",
            "吉林省生态环境厅",
            "进展缓慢",
            "开工率不足三成",
        ):
            assert expected in text, expected
        assert "2023年9月28日" in text and "2023年9月21日" in text  # the answer's deadline; 成文日期

    # The region answers in the app; the answer settles what the notice asked.
    with at("2023-09-25 10:00"):
        notice_answer(notice=notice, by=people["reporter"], text="已制定项目推进方案，倒排工期。")
    response.refresh_from_db()
    assert response.state == ObligationState.SUBMITTED


def test_the_red_rung_tells_the_paired_leader(pairing: Pairing, people: dict[str, User]) -> None:
    with at("2023-09-07 07:30"):
        sweep_day(D(2023, 9, 7))
    digest = Message.objects.get(recipient=people["paired"], rung__code="red")
    assert {unit.code for unit in digest.units.all()} >= {SONGYUAN, BAICHENG}  # and the department's own
    task2 = songyuan_item(pairing.plan, "2")
    assert message_fired(digest).filter(obligation__assignment=task2, obligation__kind=ObligationKind.DEADLINE).exists()
    assert not Message.objects.filter(recipient=people["paired"], rung__code="yellow").exists()


def test_the_paired_regions_at_a_glance(pairing: Pairing, people: dict[str, User], units: dict[str, Unit]) -> None:
    with at("2023-09-20 16:00"):
        visit_record(
            pairing=pairing,
            region=units[BAICHENG],
            by=people["eeb_reporter"],
            visited_on=D(2023, 9, 19),
            participants="固体处",
            ratings=GOOD,
        )
        statuses = {s.region.code: s for s in region_statuses([pairing])}
        page = client_for(people["paired"]).get("/plans/pairings/")
    songyuan = statuses[SONGYUAN]
    assert (
        songyuan.open_items
        == units[SONGYUAN].assignments.filter(task__plan=pairing.plan).exclude(state="closed").count()
    )
    assert 0 < songyuan.late_items <= songyuan.open_items
    assert sum(songyuan.lights.values()) == songyuan.open_items and songyuan.light == "red"
    assert songyuan.last_visit is None and songyuan.next_visit is not None
    assert songyuan.next_visit.due_date == D(2023, 8, 31)  # July–August's visit is still owed
    baicheng = statuses[BAICHENG]
    assert baicheng.last_visit is not None and baicheng.last_visit.visited_on == D(2023, 9, 19)
    assert baicheng.next_visit is not None and baicheng.next_visit.due_date == D(2023, 8, 31)
    html = page.content.decode()
    rows = re.findall(r'data-testid="region-row" data-region="(\w+)"', html)
    assert rows == [SONGYUAN, BAICHENG]
    assert f'data-testid="late">{songyuan.late_items}<' in html


def test_each_page_keeps_to_its_people(pairing: Pairing, people: dict[str, User], units: dict[str, Unit]) -> None:
    region_page = f"/plans/pairings/{pairing.pk}/regions/{units[SONGYUAN].pk}/"
    with at("2023-09-20 16:00"):
        assert client_for(people["paired"]).get(region_page).status_code == 200
        assert client_for(people["eeb_reporter"]).get(region_page).status_code == 200
        for who in ("reporter", "leader", "baicheng"):
            client = client_for(people[who])
            assert client.get(region_page).status_code == 404
            response = client.post(region_page, {"visited_on": "2023-09-20", "participants": "x", "outcome": "none"})
            assert response.status_code == 404
            assert 'data-testid="no-pairings"' in client.get("/plans/pairings/").content.decode()
        # A region the pairing does not cover, through the pairing's own address.
        other = f"/plans/pairings/{pairing.pk}/regions/{units['220100'].pk}/"
        assert client_for(people["paired"]).get(other).status_code == 404
        # The visit owed opens its region's page for the unit that owes it.
        owed = Obligation.objects.filter(pairing=pairing, region=units[SONGYUAN]).order_by("due_date").first()
        assert owed is not None
        response = client_for(people["eeb_reporter"]).get(f"/plans/obligations/{owed.pk}/")
        assert response.status_code == 302 and response["Location"] == region_page
    assert not Visit.objects.exists()


def test_a_visit_recorded_through_the_page(pairing: Pairing, people: dict[str, User], units: dict[str, Unit]) -> None:
    region_page = f"/plans/pairings/{pairing.pk}/regions/{units[SONGYUAN].pk}/"
    form = {
        "visited_on": "2023-09-20",
        "participants": "省厅包保负责人",
        "findings": "宣传引导不足。",
        "outcome": VisitOutcome.WARNING,
        "reason": "inattention",
        **{f"rating_{area}": "3" for area in GOOD},
    }
    with at("2023-09-20 16:00"):
        client: Client = client_for(people["paired"])
        refused = client.post(region_page, {**form, "rating_publicity": "9"})
        assert refused.status_code == 400 and not Visit.objects.exists()
        refused = client.post(region_page, {**form, "visited_on": "2023-09-22"})
        assert refused.status_code == 400 and "2023-09-22" in refused.content.decode()
        assert not Visit.objects.exists()
        done = client.post(region_page, form)
        assert done.status_code == 302 and done["Location"] == region_page
        page = client.get(region_page).content.decode()
    visit = Visit.objects.get()
    # The outcome drafts a 预警函 for the office's signer (issue 11: it used to be numbered at once).
    assert visit.notice is not None and visit.notice.state == "draft" and visit.notice.doc_no is None
    assert visit.notice.title in page and 'data-testid="visit"' in page
    # The 包保 leader reads the draft they caused; 白城's reporter does not.
    with at("2023-09-20 16:30"):
        assert client.get(f"/plans/notices/{visit.notice.pk}/").status_code == 200
        assert client_for(people["baicheng"]).get(f"/plans/notices/{visit.notice.pk}/").status_code == 404


def test_a_visit_recorded_later_issues_its_notice_dated_and_numbered_on_the_visit_day(
    pairing: Pairing, people: dict[str, User], units: dict[str, Unit], signer: User
) -> None:
    """Visits of 22 and 24 August 2023, recorded in March 2026: each draft is dated the visit day and lists what the
    region owed late that day — 松原's tasks 10 and 13 (due 31 July), though task 10 was reported done in September.
    Signed as of the visit day (a catch-up, as ``sign_documents --as-of`` does), each is numbered in 2023 and its
    answer due five working days after it."""
    with at("2023-09-01 10:00"):
        assignment_report(assignment=songyuan_item(pairing.plan, "10"), by=people["reporter"], text="已完成")
    concern = {"findings": "宣传引导不足。", "participants": "省厅包保负责人", "ratings": GOOD}
    with at("2026-03-02 10:00"):
        warned = visit_record(
            pairing=pairing,
            region=units[SONGYUAN],
            by=people["paired"],
            visited_on=D(2023, 8, 22),
            outcome=VisitOutcome.WARNING,
            reason="inattention",
            **concern,
        )
        supervised = visit_record(
            pairing=pairing,
            region=units[BAICHENG],
            by=people["paired"],
            visited_on=D(2023, 8, 24),
            outcome=VisitOutcome.SUPERVISION,
            reason="slow_progress",
            **concern,
        )
    warning, supervision = warned.notice, supervised.notice
    assert warning is not None and supervision is not None
    assert (warning.drafted_on, supervision.drafted_on) == (D(2023, 8, 22), D(2023, 8, 24))
    with at("2026-03-02 11:00"):
        with pytest.raises(InvalidInput):  # not before it was drafted
            notices_sign(notices=[supervision], by=signer, on=D(2023, 8, 23))
        notices_sign(notices=[warning], by=signer, on=D(2023, 8, 22))
        notices_sign(notices=[supervision], by=signer, on=D(2023, 8, 24))
    warning.refresh_from_db()
    supervision.refresh_from_db()
    assert (warning.doc_no, warning.year, warning.issued_on) == ("吉无废预〔2023〕1号", 2023, D(2023, 8, 22))
    assert warning.response_due == D(2023, 8, 29)
    assert (supervision.doc_no, supervision.issued_on) == ("吉无废督〔2023〕1号", D(2023, 8, 24))
    assert supervision.response_due == D(2023, 8, 31)
    listed = sorted(warning.items.values_list("assignment__task__number", "kind", "due_date"))
    assert listed == [("10", ObligationKind.DEADLINE, D(2023, 7, 31)), ("13", ObligationKind.DEADLINE, D(2023, 7, 31))]
    assert Obligation.objects.get(notice=warning).due_date == D(2023, 8, 29)
