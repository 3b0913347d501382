"""The ladder on a frozen clock: each rung's day at the boundaries, the sweep firing once, the messages read from a
real SMTP server, the documents read with pdftotext, and what stops, moves or restarts the clock."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications.models import DeliveryState, Message
from processes.models import (
    Assignment,
    AssignmentState,
    CalendarOverride,
    ExtensionState,
    FiredRung,
    Light,
    Notice,
    NoticeState,
    Obligation,
    ObligationKind,
    ObligationState,
    Plan,
    Role,
    SweepState,
    Unit,
    User,
)
from processes.services import deadlines, lifecycle
from processes.services.ladder import fire_date, message_fired, sweep_day, sweep_scheduled
from processes.services.lights import Standing, light_for, lights_for, standings_for
from processes.services.notices import notice_answer
from processes.services.signing import notices_sign
from processes.workdays import refresh

from ..conftest import SmtpSink
from ..factories import UserFactory
from ..lifecycle_helpers import pdf, songyuan_item
from .test_rounds import at
from .test_views import client_for

pytestmark = pytest.mark.django_db
D = dt.date
TASK2_RUNGS = {
    D(2023, 8, 28): "reminder",
    D(2023, 8, 31): "due",
    D(2023, 9, 1): "yellow",
    D(2023, 9, 7): "red",
    D(2023, 9, 14): "supervision",
}


@pytest.mark.parametrize(
    ("offset", "fires"),
    [(-3, D(2023, 8, 28)), (0, D(2023, 8, 31)), (1, D(2023, 9, 1)), (5, D(2023, 9, 7)), (10, D(2023, 9, 14))],
)
def test_each_rung_fires_on_its_working_day(offset: int, fires: dt.date) -> None:
    assert fire_date(D(2023, 8, 31), offset) == fires


def test_the_due_day_rung_of_a_holiday_deadline_fires_the_working_day_before() -> None:
    assert fire_date(D(2023, 10, 1), 0) == D(2023, 9, 28)  # 29 Sep–6 Oct: Mid-Autumn and National Day
    assert fire_date(D(2023, 10, 1), 1) == D(2023, 10, 7)  # the first working day after: a make-up Saturday
    assert fire_date(D(2023, 9, 30), -3) == D(2023, 9, 26)  # 28, 27, 26 September: the 29th is a holiday


def test_a_correction_in_the_admin_moves_the_rungs() -> None:
    CalendarOverride.objects.create(date=D(2023, 8, 28), is_workday=False, note="临时停工")
    refresh()
    assert fire_date(D(2023, 8, 31), -3) == D(2023, 8, 25)
    CalendarOverride.objects.all().delete()
    refresh()


def fired_for(plan: Plan, day: dt.date) -> list[str]:
    return sorted(
        f.rung.code
        for f in FiredRung.objects.filter(
            fired_on=day, obligation__kind=ObligationKind.DEADLINE, obligation__assignment=songyuan_item(plan, "2")
        )
    )


def sweep(day: str, capture: Any) -> list[Any]:
    with at(f"{day} 07:30"), capture(execute=True):
        return sweep_day(D.fromisoformat(day))


def test_an_unreported_item_climbs_every_rung_and_each_email_arrives(
    plan: Plan,
    people: dict[str, User],
    signer: User,
    smtp_sink: SmtpSink,
    celery_eager: None,
    django_capture_on_commit_callbacks: Any,
    tmp_path: Path,
) -> None:
    """Each rung's digest reaches the people it names; a document rung drafts a notice, which reaches 松原's people —
    numbered, dated and attached — only once the office's signer has signed it (issue 11: before, the sweep numbered
    and attached it at once)."""
    item = songyuan_item(plan, "2")
    expected = {
        "reminder": {"reporter"},
        "due": {"reporter", "leader"},
        "yellow": {"leader", "supervisor"},
        "red": {"leader", "office"},
        "supervision": {"reporter", "leader", "upper"},
    }
    names = {"提醒": "reminder", "到期催办": "due", "黄色预警": "yellow", "红色预警": "red", "督办": "supervision"}
    for day, rung in TASK2_RUNGS.items():
        before = len(smtp_sink.received)
        sweep(day.isoformat(), django_capture_on_commit_callbacks)
        assert fired_for(plan, day) == [rung], day
        # Each person the rung tells gets one email (a digest of their units' items) covering task 2 of 松原.
        emails = {str(m["X-Wufei-Message"]): m for m in smtp_sink.received[before:]}
        assert len(emails) == len(smtp_sink.received) - before  # no message went out twice
        covering = [
            message
            for message in Message.objects.filter(rung__code=rung, sweep__day=day).select_related("recipient")
            if message_fired(message)
            .filter(obligation__assignment=item, obligation__kind=ObligationKind.DEADLINE)
            .exists()
        ]
        assert {m.recipient.username for m in covering} == {people[who].username for who in expected[rung]}, rung
        notice = Notice.objects.filter(unit__code="220700", rung__code=rung, items__assignment=item).first()
        for message in covering:
            mail = emails[message.dedupe_key]
            assert names[re.match(r"【(.+?)】", str(mail["Subject"]).strip())[1]] == rung
            assert str(mail["To"]) == message.recipient.email
            body = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
            assert body.strip() == message.body.strip()
            assert message.items == 1 or f"{message.items} 个事项" in str(mail["Subject"])
            assert not list(mail.iter_attachments())  # a digest never carries an unsigned document
            if message.recipient.unit_id != item.unit_id:
                continue  # the office's and the upper unit's digests list many units' items, 松原's among them
            # 松原's own people: their digest lists every one of its items that reached the rung, task 2 with them.
            assert "松原市生态环境局" in body and "完成时限" in body and "2023年8月31日" in body
            assert f"/plans/items/{item.pk}/" in body
            if rung == "yellow":
                assert "已逾期1个工作日" in body
            assert "待签发" not in body  # a draft is the office's: the unit hears of the document once it is signed
        if rung not in ("red", "supervision"):
            assert notice is None
            continue
        assert notice is not None and notice.state == NoticeState.DRAFT and notice.doc_no is None
        # The signer signs it the next working day: numbered, dated that day, sent to 松原's reporter and leader.
        signed_on = workdays_after(day, 1)
        before = len(smtp_sink.received)
        with at(f"{signed_on} 09:00"), django_capture_on_commit_callbacks(execute=True):
            notices_sign(notices=[notice], by=signer, on=signed_on)
        notice.refresh_from_db()
        assert notice.issued_on == signed_on and notice.signed_by == signer
        sent = smtp_sink.received[before:]
        # To 松原's reporter and leader; a 督办通知单 also to the leader one level up, whom its 抄送 names.
        copied = {people["upper"].email} if rung == "supervision" else set()
        assert {str(m["To"]) for m in sent} == {people["reporter"].email, people["leader"].email} | copied
        for mail in [m for m in sent if str(m["To"]) not in copied]:
            attachment = {a.get_filename(): a for a in mail.iter_attachments()}[f"{notice.doc_no}.pdf"]
            path = tmp_path / attachment.get_filename()
            path.write_bytes(attachment.get_content())
            text = re.sub(
                r"\s+",
                "",
                subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout,
            )
            title = "予以督办的通知" if rung == "supervision" else "予以预警的函"
            assert title in text and notice.doc_no in text and "松原市生态环境局" in text
            assert "各地全面成立由政府主导" in text
            due = notice.response_due
            assert f"{due.year}年{due.month}月{due.day}日" in text
            assert f"{signed_on.year}年{signed_on.month}月{signed_on.day}日" in text  # 成文日期: the signing day
    prefix = {"red": "吉无废预〔2023〕", "supervision": "吉无废督〔2023〕"}
    notices = Notice.objects.filter(unit__code="220700", items__assignment=item)
    assert {n.doc_no[: len(prefix[n.rung.code])] for n in notices} == set(prefix.values())
    supervision = notices.get(rung__code="supervision")
    assert supervision.issued_on == D(2023, 9, 15)
    assert supervision.response_due == D(2023, 9, 22)  # five working days after it was signed on 15 September
    assert supervision.pdf  # stored as issued


def workdays_after(day: dt.date, count: int) -> dt.date:
    from processes.workdays import add_workdays

    return add_workdays(day, count)


def test_a_day_swept_twice_fires_nothing_the_second_time(
    plan: Plan, people: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    first = sweep("2023-08-31", django_capture_on_commit_callbacks)
    messages = Message.objects.count()
    assert first and messages
    assert sweep("2023-08-31", django_capture_on_commit_callbacks) == []
    assert Message.objects.count() == messages


def counted_sweep(day: str) -> tuple[int, int]:
    """Sweep ``day`` inside a transaction that is rolled back; what fired and how many SQL queries it took."""
    with at(f"{day} 07:30"), CaptureQueriesContext(connection) as queries, transaction.atomic():
        fired = sweep_day(D.fromisoformat(day))
        transaction.set_rollback(True)
    return len(fired), len(queries)


@pytest.mark.parametrize("day", ["2023-08-31", "2023-09-07"])  # the due-day rung; the red rung, with notices
def test_the_sweep_takes_as_many_queries_for_three_times_the_obligations(
    plan: Plan, people: dict[str, User], day: str
) -> None:
    fired, queries = counted_sweep(day)
    assert fired > 50
    # Two more obligations due 31 August on each item that has one: the same units, three times the firings.
    due = list(Obligation.objects.filter(due_date=D(2023, 8, 31)).select_related("assignment"))
    Obligation.objects.bulk_create(
        Obligation(
            assignment=o.assignment,
            kind=ObligationKind.OCCURRENCE,
            label=f"附加{n}",
            period_end=D(2023, 8, n),
            due_date=o.due_date,
        )
        for o in due
        for n in (1, 2)
    )
    fired_more, queries_more = counted_sweep(day)
    assert fired_more == fired + 2 * len(due) > 2 * fired
    assert queries_more == queries


def test_a_report_stops_the_ladder_and_a_return_restarts_it_from_where_it_stands(
    plan: Plan, people: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    item = songyuan_item(plan, "2")
    sweep("2023-08-28", django_capture_on_commit_callbacks)
    with at("2023-08-29 10:00"):
        lifecycle.assignment_report(assignment=item, by=people["reporter"], text="已成立")
    for day in ("2023-08-31", "2023-09-01"):
        sweep(day, django_capture_on_commit_callbacks)
        assert fired_for(plan, D.fromisoformat(day)) == []
    with at("2023-09-04 10:00"):
        lifecycle.assignment_return(assignment=item, by=people["supervisor"], reason="缺少文件")
    for day in ("2023-09-05", "2023-09-06"):
        sweep(day, django_capture_on_commit_callbacks)
    assert fired_for(plan, D(2023, 9, 1)) == []  # what passed while it was reported does not fire late
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    assert fired_for(plan, D(2023, 9, 7)) == ["red"]


def test_an_approved_extension_moves_the_deadline_and_rearms_the_ladder(
    plan: Plan, people: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    item = songyuan_item(plan, "2")
    sweep("2023-08-28", django_capture_on_commit_callbacks)
    with at("2023-08-29 10:00"):
        with pytest.raises(lifecycle.InvalidInput):
            deadlines.extension_request(assignment=item, by=people["reporter"], new_date=D(2023, 8, 30), reason="x")
        request = deadlines.extension_request(
            assignment=item, by=people["reporter"], new_date=D(2023, 9, 29), reason="机构改革"
        )
        with pytest.raises(lifecycle.NotAllowed):
            deadlines.extension_decide(request=request, by=people["reporter"], approve=True)
        deadlines.extension_decide(request=request, by=people["supervisor"], approve=True, comment="同意")
    item.refresh_from_db()
    assert item.due_date == D(2023, 9, 29)
    assert request.__class__.objects.get(pk=request.pk).state == ExtensionState.APPROVED
    extended = item.transitions.get(action="extended")
    assert "2023-08-31" in extended.comment and "2023-09-29" in extended.comment
    sweep("2023-08-31", django_capture_on_commit_callbacks)
    assert fired_for(plan, D(2023, 8, 31)) == []  # the old due day no longer fires
    sweep("2023-09-26", django_capture_on_commit_callbacks)
    assert fired_for(plan, D(2023, 9, 26)) == ["reminder"]  # the reminder fires again, for the new date


def test_an_extension_is_asked_for_only_before_the_deadline(plan: Plan, people: dict[str, User]) -> None:
    with at("2023-09-01 10:00"), pytest.raises(lifecycle.InvalidInput, match="only before the deadline"):
        deadlines.extension_request(
            assignment=songyuan_item(plan, "2"), by=people["reporter"], new_date=D(2023, 9, 29), reason="晚了"
        )


def test_a_suspended_item_stands_still_and_resumes_later(
    plan: Plan, people: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    item = songyuan_item(plan, "2")
    with at("2023-08-21 10:00"):
        with pytest.raises(lifecycle.NotAllowed):
            deadlines.assignment_suspend(assignment=item, by=people["supervisor"], reason="x")
        deadlines.assignment_suspend(assignment=item, by=people["office"], reason="上级政策调整")
    for day in ("2023-08-28", "2023-08-31", "2023-09-01"):
        sweep(day, django_capture_on_commit_callbacks)
        assert fired_for(plan, D.fromisoformat(day)) == []
    with at("2023-09-04 10:00"):
        deadlines.assignment_resume(assignment=item, by=people["office"])
    item.refresh_from_db()
    assert item.suspended_at is None
    assert item.due_date == D(2023, 9, 14)  # 10 working days stood still, 21 Aug – 4 Sep
    assert Obligation.objects.get(assignment=item, kind=ObligationKind.DEADLINE).due_date == D(2023, 9, 14)


def test_three_days_without_beat_are_caught_up_each_on_its_day(plan: Plan, people: dict[str, User]) -> None:
    SweepState.objects.update_or_create(name="daily", defaults={"last_swept": D(2023, 8, 30)})
    with at("2023-09-01 07:30"):  # beat missed nothing yet; the sweep covers 31 Aug and 1 Sep
        fired = sweep_scheduled()
    days = {(f.date, f.rung) for f in fired if f.task == "2" and f.unit == "220700" and f.kind == "deadline"}
    assert days == {(D(2023, 8, 31), "due"), (D(2023, 9, 1), "yellow")}
    SweepState.objects.filter(name="daily").update(last_swept=D(2023, 9, 3))
    with at("2023-09-07 07:30"):  # beat down 4–6 September
        fired = sweep_scheduled()
    assert {f.date for f in fired} <= {D(2023, 9, 4), D(2023, 9, 5), D(2023, 9, 6), D(2023, 9, 7)}
    assert (D(2023, 9, 7), "red") in {(f.date, f.rung) for f in fired if f.task == "2" and f.unit == "220700"}
    assert SweepState.objects.get(name="daily").last_swept == D(2023, 9, 7)


def test_a_rolled_back_change_sends_no_message(
    plan: Plan,
    people: dict[str, User],
    celery_eager: None,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    item = songyuan_item(plan, "2")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        deadlines.reminders_send(assignments=[item], by=people["supervisor"], comment="请加快")
        raise RuntimeError("the rest of the change failed")
    assert not Message.objects.exists() and smtp_sink.received == []
    with django_capture_on_commit_callbacks(execute=True):
        assert deadlines.reminders_send(assignments=[item], by=people["supervisor"], comment="请加快") == 2
    assert {str(m["To"]) for m in smtp_sink.received} == {people["reporter"].email, people["leader"].email}
    assert set(Message.objects.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_a_failed_delivery_is_recorded_and_retried_later(
    plan: Plan, people: dict[str, User], smtp_sink: SmtpSink
) -> None:
    from notifications.services import message_deliver, messages_due

    deadlines.reminders_send(assignments=[songyuan_item(plan, "2")], by=people["supervisor"])
    message = Message.objects.filter(recipient=people["reporter"]).get()
    smtp_sink.down = True
    assert message_deliver(message.pk) == DeliveryState.FAILED
    message.refresh_from_db()
    assert message.attempts == 1 and "421" in message.last_error and message.next_attempt_at is not None
    smtp_sink.down = False
    with at(
        (message.next_attempt_at + dt.timedelta(seconds=1))
        .astimezone(dt.timezone(dt.timedelta(hours=8)))
        .replace(tzinfo=None)
        .isoformat()
    ):
        assert message.pk in messages_due()
        assert message_deliver(message.pk) == DeliveryState.SENT
        assert message_deliver(message.pk) == DeliveryState.SENT  # a second attempt sends nothing more
    assert len(smtp_sink.by_subject("催办")) == 1


def test_a_notice_is_answered_in_the_app(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    notice = Notice.objects.get(unit__code="220700", rung__code="red")
    # A draft is the office's: the unit it is addressed to does not see it before it is signed.
    assert client_for(people["reporter"]).get(f"/plans/notices/{notice.pk}/").status_code == 404
    with at("2023-09-08 09:00"):
        notices_sign(notices=[notice], by=signer, on=D(2023, 9, 8))
    notice.refresh_from_db()
    responses = Obligation.objects.filter(notice=notice)
    assert responses.count() == notice.items.values("assignment").distinct().count()
    with pytest.raises(lifecycle.NotAllowed):
        notice_answer(notice=notice, by=people["supervisor"], text="代答")
    with at("2023-09-12 10:00"):
        notice_answer(notice=notice, by=people["reporter"], text="已制定整改方案", files=[pdf("整改方案.pdf")])
    notice.refresh_from_db()
    assert notice.answered_at is not None and notice.answer.evidence.count() == 1
    assert set(responses.values_list("state", flat=True)) == {ObligationState.SUBMITTED}
    page = client_for(people["reporter"]).get(f"/plans/notices/{notice.pk}/")
    assert page.status_code == 200 and "已制定整改方案" in page.content.decode()
    outsider = UserFactory(unit=Unit.objects.get(code="220800"), role=Role.REPORTER)
    assert client_for(outsider).get(f"/plans/notices/{notice.pk}/").status_code == 404
    assert client_for(outsider).get(f"/plans/notices/{notice.pk}/pdf/").status_code == 404


def test_lights_follow_one_rule(plan: Plan, people: dict[str, User], django_capture_on_commit_callbacks: Any) -> None:
    assert light_for(0) == Light.GREEN and light_for(1) == Light.YELLOW and light_for(5) == Light.RED
    assert light_for(0, [Light.YELLOW]) == Light.YELLOW and light_for(0, [Light.RED]) == Light.RED
    assert light_for(0, notice_open=True) == Light.RED
    item = songyuan_item(plan, "2")
    done = Assignment.objects.get(task__number="1")
    assert lights_for([item.pk, done.pk], D(2023, 8, 31)) == {item.pk: Light.GREEN, done.pk: Light.GREEN}
    # Task 2's deadline is met by 31 August; by 1 September other things owed by 松原 also count.
    assert lights_for([item.pk], D(2023, 9, 1))[item.pk] == Light.YELLOW
    assert lights_for([item.pk], D(2023, 9, 7))[item.pk] == Light.RED
    # With how late it was: the working days since the earliest due date it still owed (none: not late).
    assert standings_for([item.pk, done.pk], D(2023, 9, 7)) == {
        item.pk: Standing(Light.RED, 5),
        done.pk: Standing(Light.GREEN, 0),
    }
    with at("2023-09-01 09:00"):
        html = (
            client_for(people["supervisor"]).get(f"/plans/JL-PRO/2023/ledger/?unit={item.unit_id}&q=2").content.decode()
        )
    assert 'data-light="yellow"' in html.split(f'data-item="{item.pk}"')[1].split("</tr>")[0]


def test_a_bulk_reminder_from_the_ledger(plan: Plan, people: dict[str, User], units: dict[str, Unit]) -> None:
    mine = [songyuan_item(plan, n) for n in ("2", "3")]
    response = client_for(people["supervisor"]).post(
        "/plans/JL-PRO/2023/ledger/remind/", {"items": [a.pk for a in mine], "comment": "请于本周报送"}
    )
    assert response.status_code == 302
    assert Message.objects.filter(recipient=people["reporter"]).count() == 2
    inbox = client_for(people["reporter"]).get("/notifications/").content.decode()
    assert inbox.count('data-unread="1"') == 2 and "请于本周报送" in inbox
    city_supervisor = UserFactory(unit=units["220800"], role=Role.SUPERVISOR)
    baicheng = Assignment.objects.get(task__number="2", unit__code="220800")
    before = Message.objects.count()
    assert (
        client_for(city_supervisor)
        .post("/plans/JL-PRO/2023/ledger/remind/", {"items": [baicheng.pk, mine[0].pk]})
        .status_code
        == 403
    )
    assert Message.objects.count() == before
    assert (
        client_for(people["reporter"]).post("/plans/JL-PRO/2023/ledger/remind/", {"items": [mine[0].pk]}).status_code
        == 403
    )


def test_opening_a_notification_marks_it_read(plan: Plan, people: dict[str, User]) -> None:
    deadlines.reminders_send(assignments=[songyuan_item(plan, "2")], by=people["supervisor"])
    message = Message.objects.get(recipient=people["reporter"])
    client = client_for(people["reporter"])
    assert 'data-testid="unread-count">1<' in client.get("/plans/work/").content.decode()
    response = client.get(f"/notifications/{message.pk}/")
    assert response.status_code == 302 and response["Location"] == message.link
    message.refresh_from_db()
    assert message.read_at is not None
    assert client_for(people["leader"]).get(f"/notifications/{message.pk}/").status_code == 404


def test_the_sweep_command_prints_what_fired(plan: Plan) -> None:
    out = io.StringIO()
    with at("2023-10-01 09:00"):
        call_command("sweep_deadlines", "--since", "2023-08-01", "--as-of", "2023-09-30", "--json", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed["calendar"] == "confirmed"
    fired = printed["fired"]
    mine = sorted(f["date"] for f in fired if f["task"] == "2" and f["unit"] == "220700")
    assert mine == [d.isoformat() for d in TASK2_RUNGS]
    assert {"date", "task", "unit", "rung", "obligation"} <= set(fired[0])
    again = io.StringIO()
    call_command("sweep_deadlines", "--as-of", "2023-09-30", "--json", stdout=again)
    assert json.loads(again.getvalue())["fired"] == []
    assert Assignment.objects.filter(state=AssignmentState.ASSIGNED).exists()


def test_an_item_out_of_scope_has_no_extension_or_reminder(
    plan: Plan, people: dict[str, User], units: dict[str, Unit]
) -> None:
    baicheng = Assignment.objects.get(task__number="2", unit__code="220800")
    with pytest.raises(lifecycle.NotAllowed):
        deadlines.reminders_send(assignments=[baicheng], by=UserFactory(unit=units["220700"], role=Role.SUPERVISOR))
    with at("2023-08-20 10:00"), pytest.raises(lifecycle.NotAllowed):
        deadlines.extension_request(assignment=baicheng, by=people["reporter"], new_date=D(2023, 9, 30), reason="x")
    assert not Message.objects.exists()


def test_the_admin_warns_of_a_year_without_an_official_calendar(db: None) -> None:
    admin = UserFactory(username="root", is_staff=True, is_superuser=True, unit=None)
    with at("2026-11-23 10:00"):
        page = client_for(admin).get("/admin/processes/calendaroverride/").content.decode()
    assert "2027" in page and ("provisional" in page or "暂按" in page)


def test_the_item_page_takes_the_extension_and_suspension_steps(
    plan: Plan, people: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    item = songyuan_item(plan, "2")
    with at("2023-08-20 10:00"):
        reporter = client_for(people["reporter"])
        assert 'data-testid="step-extension"' in reporter.get(f"/plans/items/{item.pk}/").content.decode()
        response = reporter.post(f"/plans/items/{item.pk}/extension/", {"new_date": "2023-09-29", "reason": "机构调整"})
        assert response.status_code == 302
        supervisor = client_for(people["supervisor"])
        todo = supervisor.get("/plans/work/").content.decode()
        assert f'data-item="{item.pk}"' in todo.split('data-testid="extension-queue"')[1]
        form = {"assignment": item.pk, "state": item.state, "comment": "同意"}
        assert supervisor.post(f"/plans/items/{item.pk}/approve_extension/", form).status_code == 302
        item.refresh_from_db()
        assert item.due_date == D(2023, 9, 29)
        office = client_for(people["office"])
        assert office.post(f"/plans/items/{item.pk}/suspend/", {**form, "comment": ""}).status_code == 400
        assert office.post(f"/plans/items/{item.pk}/suspend/", {**form, "comment": "政策调整"}).status_code == 302
        assert supervisor.post(f"/plans/items/{item.pk}/resume/", form).status_code == 403
    item.refresh_from_db()
    assert item.suspended_at is not None
    assert list(item.transitions.values_list("action", flat=True)) == [
        "created",
        "extension_requested",
        "extended",
        "suspended",
    ]
