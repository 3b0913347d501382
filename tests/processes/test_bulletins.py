"""工作简报: drafted from a period's figures as one piece of the office's own, highlights picked from the units' reports
as pieces, pieces added, edited, reordered and taken out, published once after a confirmation that names its
recipients and its number, numbered in the year of its period, rendered as the seed bulletins are (read back with
pdftotext: 期号, 本期要目 = the pieces' headlines, 报 / 送 / 发, the 印发 line, no ranking, no ISO date) and emailed
to the distribution list (read from a real SMTP sink). Drafts are the provincial office's, published issues
everyone's. The items late as of a day are the 通报's (``late_items``); the bulletin lists none."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from notifications.models import Message
from processes.models import (
    Assignment,
    Bulletin,
    BulletinPiece,
    Distribution,
    DistributionLine,
    DocumentSequence,
    Plan,
    Role,
    Unit,
    User,
)
from processes.services.bulletins import (
    bulletin_draft,
    bulletin_pdf,
    bulletin_pick_highlights,
    bulletin_piece_add,
    bulletin_piece_move,
    bulletin_piece_remove,
    bulletin_piece_update,
    bulletin_publish,
    bulletin_publish_preview,
    bulletin_update,
    highlight_candidates,
    next_numbers,
    progress_text,
)
from processes.services.lifecycle import (
    AlreadyHandled,
    InvalidInput,
    NotAllowed,
    assignment_close,
    assignment_report,
    assignment_verify,
)
from processes.services.pdf import MissingGlyphs

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
PRINTER = "吉林省全域“无废城市”建设工作推进组办公室"  # DocumentSettings' default issuer, which prints it
ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


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
    Distribution.objects.create(
        name="各县（市、区）生态环境分局", email="counties@example.test", line=DistributionLine.ISSUE_TO
    )
    return plan


@pytest.fixture
def city_admin(units: dict[str, Unit]) -> User:
    """An admin of another office: 松原's own 领导小组办公室, not the province's."""
    return UserFactory(username="songyuan_office", unit=units["220700"], role=Role.ADMIN)


def draft(plan: Plan, by: User) -> Bulletin:
    with at("2023-10-09 09:00"):
        return bulletin_draft(plan=plan, by=by, period_start=D(2023, 8, 1), period_end=D(2023, 9, 30))


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The PDF's text with every space and line break taken out (pdftotext breaks lines where the page does)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (Debian package poppler-utils) to read the PDF back")
    path = tmp_path / "bulletin.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", text)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def in_office_language(message: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message)


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
    assert (figures["due"], figures["due_closed"], figures["due_closed_percent"]) == (2, 1, 50)
    assert "ranking" not in figures and "late_items" not in figures and "regions" not in figures
    (progress,) = bulletin.pieces.all()
    assert progress.report is None and progress.headline and "50" in progress.text and "4" in progress.text
    assert (bulletin.report_to, bulletin.send_to, bulletin.issue_to) == (
        "生态环境部固体废物与化学品司。",
        "各市（州）生态环境局。",
        "各县（市、区）生态环境分局。",
    )
    assert bulletin.number is None and bulletin.year == 2023

    with at("2023-10-09 10:00"):
        report = highlight_candidates(bulletin).get()
        (highlight,) = bulletin_pick_highlights(bulletin=bulletin, by=office_admin, reports=[report.pk])
        assert highlight.headline == "松原市生态环境局：松原市建立“无废城市”建设工作台账"
        assert (highlight.text, highlight.report, highlight.position) == (HIGHLIGHT, report, 2)
        assert not highlight_candidates(bulletin).exists()  # picked once
        highlight = bulletin_piece_update(
            piece=highlight, by=office_admin, headline="松原市建立“无废城市”建设工作台账", text=highlight.text
        )
        own = bulletin_piece_add(
            bulletin=bulletin, by=office_admin, headline="下一步工作安排", text="各地要对照清单加快推进。"
        )
        bulletin_piece_move(piece=own, by=office_admin, to=2)
        progress = bulletin_piece_update(
            piece=progress, by=office_admin, headline="全省“无废城市”建设年度任务推进情况", text=progress.text
        )
        with django_capture_on_commit_callbacks(execute=True):
            bulletin = bulletin_publish(bulletin=bulletin, by=office_admin)
        with pytest.raises(AlreadyHandled):
            bulletin_publish(bulletin=bulletin, by=office_admin)
        with pytest.raises(AlreadyHandled):
            bulletin_update(bulletin=bulletin, by=office_admin, changes={"issuer": "改写"})
        with pytest.raises(AlreadyHandled):
            bulletin_piece_update(piece=own, by=office_admin, headline="改写", text="改写")
    headlines = ["全省“无废城市”建设年度任务推进情况", "下一步工作安排", "松原市建立“无废城市”建设工作台账"]
    assert bulletin.headlines() == headlines
    assert (bulletin.number, bulletin.total_number, bulletin.state) == (1, 1, "published")
    assert str(bulletin) == "吉林省全域“无废城市”建设 工作简报 2023年第1期"

    mails = {str(m["To"]): m for m in smtp_sink.received}
    assert set(mails) == {"mee@example.test", "cities@example.test", "counties@example.test"}
    body = mails["mee@example.test"].get_body().get_content()
    assert all(f"☆{h}" in body for h in headlines) and "2023年10月9日" in body and not ISO_DATE.search(body)
    (attachment,) = list(mails["mee@example.test"].iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    text = pdf_text(attachment.get_content(), tmp_path)
    assert "吉林省全域“无废城市”建设工作简报" in text
    assert "2023年第1期（总第1期）" in text
    assert f"{PRINTER}2023年10月9日本期要目" in text  # the issuer and the date above the rule, as seed 001
    # 本期要目 are the pieces' headlines, in order, and nothing else: the first piece follows the list at once.
    assert "本期要目：" + "".join(f"☆{squeeze(h)}" for h in headlines) + squeeze(headlines[0]) in text
    assert squeeze(HIGHLIGHT) in text and "各地要对照清单加快推进" in text
    assert "报：生态环境部固体废物与化学品司。送：各市（州）生态环境局。发：各县（市、区）生态环境分局。" in text
    assert f"{PRINTER}2023年10月9日印发" in re.sub(r"—\d+—", "", text)  # the page number may come between
    for absent in ("排名", "名次", "得分", "逾期事项", "工作日", "亮点", "销号率"):
        assert absent not in text, absent
    assert not ISO_DATE.search(text)

    # The next issue of the year takes the next numbers.
    second = draft(plan, office_admin)
    with at("2023-10-10 09:00"):
        second = bulletin_publish(bulletin=second, by=office_admin)
    assert (second.number, second.total_number, second.issue_label) == (2, 2, "2023年第2期（总第2期）")


def test_with_nothing_due_the_progress_says_so_in_words(plan: Plan, office_admin: User) -> None:
    """July: no item's deadline has come (the first is 31 August), so there is no share closed out to print."""
    with at("2023-08-01 09:00"):
        bulletin = bulletin_draft(plan=plan, by=office_admin, period_start=D(2023, 7, 1), period_end=D(2023, 7, 31))
    assert (bulletin.figures["due"], bulletin.figures["due_closed_percent"]) == (0, None)
    text = bulletin.pieces.get().text
    assert in_office_language("No item had reached its deadline yet; the work is going on as planned.") in text
    assert in_office_language("No item is behind on what it owes.") in text
    assert "%" not in text and "percent" not in text

    # Items due, none closed out: said in words too, not as a share of none.
    figures = {**bulletin.figures, "due": 2, "due_closed": 0, "due_closed_percent": 0, "late": 2}
    with translation.override(settings.LANGUAGE_CODE):
        text = progress_text(plan, figures)
    assert "%" not in text and "percent" not in text
    assert (
        in_office_language("%(due)s items had reached their deadline; none of them has been closed out yet.")
        % {"due": 2}
        in text
    )


def test_pieces_are_added_edited_reordered_and_taken_out_by_the_office_only(
    plan: Plan, office_admin: User, supervisor: User, city_admin: User
) -> None:
    bulletin = draft(plan, office_admin)
    (progress,) = bulletin.pieces.all()
    with at("2023-10-09 10:00"):
        a = bulletin_piece_add(bulletin=bulletin, by=office_admin, headline="  甲  标题 ", text=" 甲的正文 ")
        b = bulletin_piece_add(bulletin=bulletin, by=office_admin, headline="乙", text="乙的正文")
        assert (a.headline, a.text, a.position, b.position) == ("甲 标题", "甲的正文", 2, 3)
        bulletin_piece_move(piece=b, by=office_admin, to=1)
        assert bulletin.headlines() == ["乙", progress.headline, "甲 标题"]
        bulletin_piece_move(piece=b, by=office_admin, to=99)  # beyond the end: last
        assert bulletin.headlines() == [progress.headline, "甲 标题", "乙"]
        bulletin_piece_remove(piece=a, by=office_admin)
        assert bulletin.headlines() == [progress.headline, "乙"]
        assert list(bulletin.pieces.values_list("position", flat=True)) == [1, 2]
        with pytest.raises(InvalidInput, match=r".") as refused:
            bulletin_piece_update(piece=b, by=office_admin, headline="  ", text="正文")
        assert refused.value.field == "headline"
        with pytest.raises(InvalidInput) as refused:
            bulletin_piece_add(bulletin=bulletin, by=office_admin, headline="丙", text="")
        assert refused.value.field == "text"
        report = highlight_candidates(bulletin).get()
        bulletin_pick_highlights(bulletin=bulletin, by=office_admin, reports=[report.pk])
        with pytest.raises(InvalidInput):  # a report is one piece, once
            bulletin_pick_highlights(bulletin=bulletin, by=office_admin, reports=[report.pk])
        for outsider in (supervisor, city_admin):
            with pytest.raises(NotAllowed):
                bulletin_piece_add(bulletin=bulletin, by=outsider, headline="丁", text="丁")
            with pytest.raises(NotAllowed):
                bulletin_piece_update(piece=b, by=outsider, headline="丁", text="丁")
            with pytest.raises(NotAllowed):
                bulletin_piece_move(piece=b, by=outsider, to=1)
            with pytest.raises(NotAllowed):
                bulletin_piece_remove(piece=b, by=outsider)
            with pytest.raises(NotAllowed):
                bulletin_pick_highlights(bulletin=bulletin, by=outsider, reports=[report.pk])
    assert bulletin.headlines() == [progress.headline, "乙", "松原市生态环境局：松原市建立“无废城市”建设工作台账"]


def test_pieces_through_the_pages_and_people_out_of_scope(
    plan: Plan, office_admin: User, supervisor: User, city_admin: User
) -> None:
    bulletin = draft(plan, office_admin)
    (progress,) = bulletin.pieces.all()
    reporter = User.objects.get(username="sy")
    page = f"/plans/bulletins/{bulletin.pk}/"
    with at("2023-10-09 11:00"):
        office, province, city, unit = (client_for(u) for u in (office_admin, supervisor, city_admin, reporter))
        html = office.get(page).content.decode()
        assert html.count('data-testid="piece"') == 1 and 'data-testid="add-piece"' in html
        assert not ISO_DATE.search(re.sub(r'value="\d{4}-\d\d-\d\d"', "", html))  # the date input's value aside

        added = office.post(page, {"action": "add-piece", "headline": "下一步工作安排", "text": "加快推进。"})
        assert added.status_code == 302
        own = BulletinPiece.objects.get(bulletin=bulletin, headline="下一步工作安排")
        piece_url = f"/plans/bulletins/pieces/{own.pk}/"
        assert office.post(piece_url, {"action": "save", "headline": "", "text": "x"}).status_code == 400
        assert (
            office.post(piece_url, {"action": "save", "headline": "工作安排", "text": "加快推进。"}).status_code == 302
        )
        assert office.post(piece_url, {"action": "up"}).status_code == 302
        assert bulletin.headlines() == ["工作安排", progress.headline]
        html = office.get(page).content.decode()
        assert html.index("☆工作安排") < html.index(f"☆{escape(progress.headline)}")

        # Another office's admin and a unit's reporter do not see the draft; the province's supervisor reads it.
        for outsider in (city, unit):
            assert outsider.get(page).status_code == 404
            assert outsider.post(page, {"action": "add-piece", "headline": "丁", "text": "丁"}).status_code == 404
            assert outsider.post(piece_url, {"action": "remove"}).status_code == 404
            assert outsider.get(f"{page}publish/").status_code == 404
        assert province.get(page).status_code == 200
        assert province.post(page, {"action": "add-piece", "headline": "丁", "text": "丁"}).status_code == 403
        assert province.post(piece_url, {"action": "save", "headline": "丁", "text": "丁"}).status_code == 403
        assert province.post(piece_url, {"action": "remove"}).status_code == 403
        assert province.get(f"{page}publish/").status_code == 403

        assert office.post(piece_url, {"action": "remove"}).status_code == 302
    assert bulletin.headlines() == [progress.headline]


def test_publishing_asks_to_confirm_the_recipients_and_the_number(
    plan: Plan, office_admin: User, supervisor: User
) -> None:
    bulletin = draft(plan, office_admin)
    confirm_url = f"/plans/bulletins/{bulletin.pk}/publish/"
    with at("2023-10-09 11:00"):
        office = client_for(office_admin)
        assert f'href="{confirm_url}"' in office.get(f"/plans/bulletins/{bulletin.pk}/").content.decode()
        page = office.get(confirm_url)
        html = page.content.decode()
        assert page.status_code == 200 and "2023年第1期（总第1期）" in html and "2023年10月9日" in html
        for name, email in (
            ("生态环境部固体废物与化学品司", "mee@example.test"),
            ("各市（州）生态环境局", "cities@example.test"),
            ("各县（市、区）生态环境分局", "counties@example.test"),
        ):
            assert name in html and email in html
        assert 'data-recipients="3"' in html
        fingerprint = re.search(r'name="confirmed" value="(\w+)"', html)
        assert fingerprint is not None

        # A bare POST publishes nothing: it leads to the confirmation.
        bare = office.post(confirm_url, {})
        assert bare.status_code == 302 and bare["Location"] == confirm_url
        # Someone else's POST is refused.
        assert client_for(supervisor).post(confirm_url, {"confirmed": fingerprint.group(1)}).status_code == 403
        # The list changed after the page was read: the confirmation no longer holds.
        extra = Distribution.objects.create(
            name="省直有关部门", email="depts@example.test", line=DistributionLine.SEND_TO
        )
        stale = office.post(confirm_url, {"confirmed": fingerprint.group(1)})
        assert stale.status_code == 400 and "depts@example.test" in stale.content.decode()
        bulletin.refresh_from_db()
        assert bulletin.is_draft and not Message.objects.exists() and next_numbers(2023) == (1, 1)
        extra.delete()

        confirmed = office.post(confirm_url, {"confirmed": fingerprint.group(1)})
        assert confirmed.status_code == 302 and confirmed["Location"] == f"/plans/bulletins/{bulletin.pk}/"
    bulletin.refresh_from_db()
    assert bulletin.issue_label == "2023年第1期（总第1期）"
    assert sorted(Message.objects.values_list("address", flat=True)) == [
        "cities@example.test",
        "counties@example.test",
        "mee@example.test",
    ]


def test_a_bulletin_that_cannot_be_printed_stays_a_draft_and_sends_nothing(
    plan: Plan,
    office_admin: User,
    smtp_sink: SmtpSink,
    celery_eager: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Thai “ก” is in no font on the machine: the PDF would print a box, so nothing is numbered, stored or sent."""
    bulletin = draft(plan, office_admin)
    with at("2023-10-09 10:00"):
        bulletin_piece_add(bulletin=bulletin, by=office_admin, headline="交流", text="泰国代表团（ก）来访。")
        preview = bulletin_publish_preview(bulletin)
        with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(MissingGlyphs):
            bulletin_publish(bulletin=bulletin, by=office_admin, confirmed=preview.fingerprint)
        assert callbacks == []
        page = client_for(office_admin).post(
            f"/plans/bulletins/{bulletin.pk}/publish/", {"confirmed": preview.fingerprint}
        )
        assert page.status_code == 400 and "ก" in page.content.decode()
    bulletin.refresh_from_db()
    assert bulletin.is_draft and (bulletin.number, bulletin.total_number, bulletin.published_at) == (None, None, None)
    assert not bulletin.pdf
    assert not Message.objects.exists() and smtp_sink.received == []
    assert not DocumentSequence.objects.filter(kind="bulletin", last__gt=0).exists()


def test_drafts_are_the_offices_and_published_issues_everyones(
    plan: Plan, units: dict[str, Unit], supervisor: User, office_admin: User, city_admin: User
) -> None:
    bulletin = draft(plan, office_admin)
    reporter = User.objects.get(username="sy")
    with at("2023-10-09 11:00"):
        office, province, unit = client_for(office_admin), client_for(supervisor), client_for(reporter)
        assert office.get(f"/plans/bulletins/{bulletin.pk}/").status_code == 200
        assert province.get(f"/plans/bulletins/{bulletin.pk}/").status_code == 200  # reads the draft, cannot edit
        assert unit.get(f"/plans/bulletins/{bulletin.pk}/").status_code == 404
        assert unit.get(f"/plans/bulletins/{bulletin.pk}/pdf/").status_code == 404
        assert "bulletin-row" not in unit.get("/plans/JL-PRO/2023/bulletins/").content.decode()
        assert "bulletin-row" not in client_for(city_admin).get("/plans/JL-PRO/2023/bulletins/").content.decode()
        saved = office.post(
            f"/plans/bulletins/{bulletin.pk}/",
            {
                "action": "save",
                "masthead": bulletin.masthead,
                "issuer": bulletin.issuer,
                "issued_on": "2023-10-11",
                "report_to": bulletin.report_to,
                "send_to": bulletin.send_to,
                "issue_to": "各县（市、区）“无废城市”建设牵头部门。",
            },
        )
        assert saved.status_code == 302
        bulletin_publish(bulletin=bulletin, by=office_admin)
        pdf = unit.get(f"/plans/bulletins/{bulletin.pk}/pdf/")
        html = unit.get(f"/plans/bulletins/{bulletin.pk}/").content.decode()
        listing = unit.get("/plans/JL-PRO/2023/bulletins/").content.decode()
    bulletin.refresh_from_db()
    assert bulletin.issue_to == "各县（市、区）“无废城市”建设牵头部门。" and bulletin.issued_on == D(2023, 10, 11)
    assert bulletin.number == 1 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "2023年第1期（总第1期）" in html and "2023年10月11日" in html and "各县（市、区）" in html
    assert "2023年8—9月" in listing and "2023年10月11日" in listing
    assert not ISO_DATE.search(html) and not ISO_DATE.search(listing)


def test_the_office_sees_the_distribution_messages_in_the_admin(
    plan: Plan, office_admin: User, admin_client: Any
) -> None:
    bulletin = draft(plan, office_admin)
    with at("2023-10-09 10:00"):
        bulletin_publish(bulletin=bulletin, by=office_admin)
        page = admin_client.get("/admin/notifications/message/?q=cities")
    assert page.status_code == 200 and "cities@example.test" in page.content.decode()


def test_an_issue_takes_the_number_of_its_periods_year_whenever_it_is_drafted_or_dated(
    plan: Plan, units: dict[str, Unit], supervisor: User, office_admin: User
) -> None:
    """November–December 2023, drafted on 10 January 2024, is 2023's issue; January 2024's is 2024's first, and
    the overall number runs on across the years. Dating a 2023 issue into 2024 does not move it to 2024."""
    with at("2024-01-10 09:00"):
        late_2023 = bulletin_draft(plan=plan, by=office_admin, period_start=D(2023, 11, 1), period_end=D(2023, 12, 31))
        early_2024 = bulletin_draft(plan=plan, by=office_admin, period_start=D(2024, 1, 1), period_end=D(2024, 1, 9))
        assert (late_2023.year, late_2023.issued_on, early_2024.year) == (2023, D(2024, 1, 10), 2024)
        assert bulletin_publish_preview(late_2023).issue_label == "2023年第1期（总第1期）"
        late_2023 = bulletin_publish(bulletin=late_2023, by=office_admin)
        early_2024 = bulletin_publish(bulletin=early_2024, by=office_admin)

        autumn = bulletin_draft(plan=plan, by=office_admin, period_start=D(2023, 9, 1), period_end=D(2023, 10, 31))
        autumn = bulletin_update(bulletin=autumn, by=office_admin, changes={"issued_on": D(2024, 1, 12)})
        assert autumn.year == 2023
        autumn = bulletin_publish(bulletin=autumn, by=office_admin)
    assert [b.issue_label for b in (late_2023, early_2024, autumn)] == [
        "2023年第1期（总第1期）",
        "2024年第1期（总第2期）",
        "2023年第2期（总第3期）",
    ]


def test_a_past_period_written_up_later_reads_as_it_stood(
    plan: Plan, units: dict[str, Unit], supervisor: User, office_admin: User
) -> None:
    """白城's late item is closed out in November 2023. August–September, written up in March 2026, still has it
    open and late, and the issue is 2023's, dated the day it is written."""
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
        assert (bulletin.issued_on, bulletin.year) == (D(2026, 3, 2), 2023)
        bulletin = bulletin_publish(bulletin=bulletin, by=office_admin)
        assert str(bulletin).endswith("2023年第1期") and bulletin.total_number == 1
        second = bulletin_draft(plan=plan, by=office_admin, period_start=D(2023, 10, 1), period_end=D(2023, 12, 31))
    assert (second.year, second.figures["closed"], second.figures["late"]) == (2023, 2, 0)


def test_the_bulletin_measures_as_the_seeds_and_the_standard(plan: Plan, office_admin: User) -> None:
    """The published form, measured from its PDF: the red masthead in 小标宋 at the top of the 版心, the pieces in 3号
    仿宋 inside the 版心 (28 mm to 184 mm), and the 版记 at the foot of the last page, its last rule on the 版心's
    bottom edge (262 mm)."""
    from ..pdf_layout import lines, pages, rules

    bulletin = draft(plan, office_admin)
    with at("2023-10-09 10:00"):
        bulletin = bulletin_publish(bulletin=bulletin, by=office_admin)
    pdf = bulletin_pdf(bulletin)
    measured = pages(pdf)
    masthead = lines(measured[0])[0]
    assert masthead.chars[0].top < 37 + 12 and masthead.chars[0].size >= 22
    body = [line for page in measured for line in lines(page, size=16.0)]
    assert body and all(line.left >= 28 - 0.5 and line.right <= 184 + 0.5 for line in body)
    last = rules(pdf)[-1]
    assert abs(last[-1][0] - 262) < 0.5 and abs(last[-1][1] - 28) < 0.5 and abs(last[-1][2] - 184) < 0.5
    printed = [line.text.replace(" ", "") for line in lines(measured[-1])]
    assert any(text.endswith("2023年10月9日印发") for text in printed)
