"""工作简报: drafted from a period's figures, edited, highlights picked from the units' reports, published once with
its number, rendered as the seed bulletins are (read with pdftotext) and emailed to the distribution list (read
from a real SMTP sink); drafts are the office's, published issues everyone's."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from processes.models import Assignment, Bulletin, Distribution, DistributionLine, Plan, Role, Unit, User
from processes.services.bulletins import (
    bulletin_draft,
    bulletin_pick_highlights,
    bulletin_publish,
    bulletin_update,
    highlight_candidates,
)
from processes.services.lifecycle import (
    AlreadyHandled,
    InvalidInput,
    NotAllowed,
    assignment_close,
    assignment_report,
    assignment_verify,
)

from ..conftest import ImportFile, SmtpSink
from ..factories import UserFactory
from .test_rounds import at
from .test_views import client_for

pytestmark = pytest.mark.django_db
D = dt.date
PLAN_CSV = (
    "序号,任务,责任单位,完成时限\n"
    "1,建立“无废城市”建设工作台账,松原市生态环境局、白城市生态环境局,8月31日\n"
    "2,完成年度评估,松原市生态环境局、白城市生态环境局,12月31日\n"
)
HIGHLIGHT = "松原市建立“无废城市”建设工作台账，实行清单化管理"


@pytest.fixture
def plan(units: dict[str, Unit], import_file: ImportFile, supervisor: User, office_admin: User) -> Plan:
    with at("2023-07-01 09:00"):
        assert import_file(PLAN_CSV.encode(), filename="plan.csv").applied
    plan = Plan.objects.get(year=2023)
    item = Assignment.objects.get(task__plan=plan, task__number="1", unit__code="220700")
    reporter = UserFactory(username="sy", unit=units["220700"], role=Role.REPORTER)
    with at("2023-08-30 10:00"):
        assignment_report(assignment=item, by=reporter, text=HIGHLIGHT)
        assignment_verify(assignment=item, by=supervisor)
        assignment_close(assignment=item, by=office_admin)
    Distribution.objects.create(
        name="生态环境部固体废物与化学品司", email="mee@example.test", line=DistributionLine.REPORT_TO
    )
    Distribution.objects.create(name="各市（州）生态环境局", email="cities@example.test", line=DistributionLine.SEND_TO)
    return plan


def draft(plan: Plan, by: User) -> Bulletin:
    with at("2023-10-09 09:00"):
        return bulletin_draft(plan=plan, by=by, period_start=D(2023, 8, 1), period_end=D(2023, 9, 30))


def test_a_bulletin_is_drafted_edited_published_once_and_sent(
    plan: Plan,
    office_admin: User,
    smtp_sink: SmtpSink,
    celery_eager: None,
    django_capture_on_commit_callbacks: Any,
    tmp_path: Path,
) -> None:
    bulletin = draft(plan, office_admin)
    figures = bulletin.figures
    assert (figures["items"], figures["closed"], figures["open"], figures["late"]) == (4, 1, 3, 1)
    assert [(r["rank"], r["name"]) for r in figures["ranking"]] == [(1, "松原市生态环境局"), (2, "白城市生态环境局")]
    assert [(i["unit"], i["task"], i["due"]) for i in figures["late_items"]] == [
        ("白城市生态环境局", "1", "2023-08-31")
    ]
    assert "4" in bulletin.summary and "25" in bulletin.summary  # 1 of 4 closed out: 25 percent
    assert bulletin.report_to == "生态环境部固体废物与化学品司。" and bulletin.send_to == "各市（州）生态环境局。"
    assert bulletin.number is None and len(bulletin.contents_lines()) == 4

    with at("2023-10-09 10:00"):
        report = highlight_candidates(bulletin).get()
        bulletin = bulletin_pick_highlights(bulletin=bulletin, by=office_admin, reports=[report.pk])
        assert bulletin.highlights == f"【松原市生态环境局】{HIGHLIGHT}"
        bulletin = bulletin_update(
            bulletin=bulletin, by=office_admin, changes={"summary": bulletin.summary + "\n各地要对照清单加快推进。"}
        )
        with pytest.raises(InvalidInput, match="本期要目"):
            bulletin_update(bulletin=bulletin, by=office_admin, changes={"contents": "  "})
        with django_capture_on_commit_callbacks(execute=True):
            bulletin = bulletin_publish(bulletin=bulletin, by=office_admin)
        with pytest.raises(AlreadyHandled):
            bulletin_publish(bulletin=bulletin, by=office_admin)
        with pytest.raises(AlreadyHandled):
            bulletin_update(bulletin=bulletin, by=office_admin, changes={"summary": "改写"})
    assert (bulletin.number, bulletin.total_number, bulletin.state) == (1, 1, "published")
    assert str(bulletin) == "吉林省全域“无废城市”建设 工作简报 2023年第1期"

    mails = {str(m["To"]): m for m in smtp_sink.received}
    assert set(mails) == {"mee@example.test", "cities@example.test"}
    (attachment,) = list(mails["mee@example.test"].iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    if shutil.which("pdftotext"):
        path = tmp_path / "bulletin.pdf"
        path.write_bytes(attachment.get_content())
        text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout)
        for expected in (
            "吉林省全域“无废城市”建设工作简报",
            "2023年第1期（总第1期）",
            "本期要目",
            "2023年10月9日",
            "各地考核评估排名",
            "松原市生态环境局",
            "逾期事项清单",
            "白城市生态环境局",
            "各地要对照清单加快推进",
            re.sub(r"\s+", "", HIGHLIGHT),
            "报：生态环境部固体废物与化学品司",
            "送：各市（州）生态环境局",
        ):
            assert expected in text, expected

    # The next issue of the year takes the next numbers.
    second = draft(plan, office_admin)
    with at("2023-10-10 09:00"):
        second = bulletin_publish(bulletin=second, by=office_admin)
    assert (second.number, second.total_number) == (2, 2)


def test_bad_periods_and_other_people_are_refused(plan: Plan, supervisor: User, office_admin: User) -> None:
    with at("2023-10-09 09:00"):
        with pytest.raises(NotAllowed):
            bulletin_draft(plan=plan, by=supervisor, period_start=D(2023, 8, 1), period_end=D(2023, 9, 30))
        with pytest.raises(InvalidInput, match="ends before it starts"):
            bulletin_draft(plan=plan, by=office_admin, period_start=D(2023, 9, 30), period_end=D(2023, 8, 1))
        with pytest.raises(InvalidInput, match="after today"):
            bulletin_draft(plan=plan, by=office_admin, period_start=D(2023, 11, 1), period_end=D(2023, 11, 30))
    assert not Bulletin.objects.exists()


def test_drafts_are_the_offices_and_published_issues_everyones(
    plan: Plan, units: dict[str, Unit], supervisor: User, office_admin: User
) -> None:
    bulletin = draft(plan, office_admin)
    reporter = User.objects.get(username="sy")
    with at("2023-10-09 11:00"):
        office, province, unit = client_for(office_admin), client_for(supervisor), client_for(reporter)
        assert office.get(f"/plans/bulletins/{bulletin.pk}/").status_code == 200
        assert province.get(f"/plans/bulletins/{bulletin.pk}/").status_code == 200  # reads the draft, cannot edit
        assert province.post(f"/plans/bulletins/{bulletin.pk}/", {"action": "publish"}).status_code == 403
        assert unit.get(f"/plans/bulletins/{bulletin.pk}/").status_code == 404
        assert unit.get(f"/plans/bulletins/{bulletin.pk}/pdf/").status_code == 404
        assert "bulletin-row" not in unit.get("/plans/2023/bulletins/").content.decode()
        saved = office.post(
            f"/plans/bulletins/{bulletin.pk}/",
            {
                "action": "save",
                "masthead": bulletin.masthead,
                "issuer": bulletin.issuer,
                "issued_on": "2023-10-09",
                "contents": "全省推进情况\n工作亮点",
                "summary": "总体进展良好。",
                "highlights": "",
                "report_to": bulletin.report_to,
                "send_to": bulletin.send_to,
            },
        )
        assert saved.status_code == 302
        assert office.post(f"/plans/bulletins/{bulletin.pk}/", {"action": "publish"}).status_code == 302
        pdf = unit.get(f"/plans/bulletins/{bulletin.pk}/pdf/")
        assert unit.get(f"/plans/bulletins/{bulletin.pk}/").status_code == 200
    bulletin.refresh_from_db()
    assert bulletin.summary == "总体进展良好。" and bulletin.contents_lines() == ["全省推进情况", "工作亮点"]
    assert bulletin.number == 1 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_office_sees_the_distribution_messages_in_the_admin(
    plan: Plan, office_admin: User, admin_client: Any
) -> None:
    bulletin = draft(plan, office_admin)
    with at("2023-10-09 10:00"):
        bulletin_publish(bulletin=bulletin, by=office_admin)
        page = admin_client.get("/admin/notifications/message/?q=cities")
    assert page.status_code == 200 and "cities@example.test" in page.content.decode()


def test_a_past_period_written_up_later_reads_as_it_stood_and_carries_its_own_year(
    plan: Plan, units: dict[str, Unit], supervisor: User, office_admin: User
) -> None:
    """白城's late item is closed out in November 2023. August–September, written up in March 2026, still has it
    open and late, and the issue is dated the period's last day and numbered in 2023; the next one, dated by the
    office into 2024, opens 2024's numbers."""
    baicheng = Assignment.objects.get(task__plan=plan, task__number="1", unit__code="220800")
    with at("2023-11-10 10:00"):
        assignment_report(assignment=baicheng, by=UserFactory(unit=units["220800"], role=Role.REPORTER), text="已建立")
        assignment_verify(assignment=baicheng, by=supervisor)
        assignment_close(assignment=baicheng, by=office_admin)
    with at("2026-03-02 09:00"):
        bulletin = bulletin_draft(plan=plan, by=office_admin, period_start=D(2023, 8, 1), period_end=D(2023, 9, 30))
        figures = bulletin.figures
        assert (figures["as_of"], figures["items"], figures["closed"], figures["open"], figures["late"]) == (
            "2023-09-30",
            4,
            1,
            3,
            1,
        )
        assert [(i["unit"], i["task"], i["due"]) for i in figures["late_items"]] == [
            ("白城市生态环境局", "1", "2023-08-31")
        ]
        assert (bulletin.issued_on, bulletin.year) == (D(2023, 9, 30), 2023)
        bulletin = bulletin_publish(bulletin=bulletin, by=office_admin)
        assert str(bulletin).endswith("2023年第1期") and bulletin.total_number == 1

        second = bulletin_draft(plan=plan, by=office_admin, period_start=D(2023, 10, 1), period_end=D(2023, 12, 31))
        assert (second.issued_on, second.year, second.figures["closed"]) == (D(2023, 12, 31), 2023, 2)
        second = bulletin_update(bulletin=second, by=office_admin, changes={"issued_on": D(2024, 1, 5)})
        assert second.year == 2024
        second = bulletin_publish(bulletin=second, by=office_admin)
    assert str(second).endswith("2024年第1期") and second.total_number == 2
