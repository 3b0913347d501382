"""签发: the ladder and visits draft, the 签发人 signs (or withdraws), and only then is a document numbered, dated,
stored and sent; the answer's deadline counts from the signing day. And the documents' layout, measured from the
PDF against GB/T 9704-2012."""

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
from django.core.management.base import CommandError

from notifications.models import Message
from processes.models import (
    DocumentSettings,
    LadderRung,
    Notice,
    NoticeState,
    Obligation,
    ObligationKind,
    Plan,
    Role,
    Unit,
    User,
)
from processes.services.lifecycle import AlreadyHandled, InvalidInput, NotAllowed
from processes.services.notices import notice_pdf
from processes.services.pdf import MissingGlyphs
from processes.services.signing import notice_edit, notice_withdraw, notices_sign

from ..conftest import SmtpSink
from ..factories import UserFactory
from ..pdf_layout import lines, pages, rules
from .test_ladder import sweep
from .test_rounds import at
from .test_views import client_for

pytestmark = pytest.mark.django_db
D = dt.date
MM_PER_PT = 25.4 / 72


def drafts(rung: str) -> list[Notice]:
    return list(Notice.objects.filter(rung__code=rung).order_by("pk"))


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())


def test_nothing_is_numbered_or_sent_before_signing_and_numbers_have_no_gaps(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    waiting = drafts("red")
    assert len(waiting) >= 3
    assert all(n.state == NoticeState.DRAFT and n.number is None and n.doc_no is None for n in waiting)
    assert not Obligation.objects.filter(kind=ObligationKind.NOTICE_RESPONSE).exists()
    assert not Message.objects.filter(notices__isnull=False).exists()  # nobody received an unsigned document
    # Withdrawn with a reason, a draft takes no number; the others are numbered 1, 2, … in the signing order.
    with at("2023-09-08 09:00"):
        with pytest.raises(InvalidInput):
            notice_withdraw(notice=waiting[0], by=signer, reason="  ")
        with pytest.raises(NotAllowed):
            notice_withdraw(notice=waiting[0], by=people["office"], reason="重复")
        notice_withdraw(notice=waiting[0], by=signer, reason="该地已于当日报送，无需预警")
        with pytest.raises(NotAllowed):  # an office admin prepares drafts but does not sign them
            notices_sign(notices=waiting[1:], by=people["office"], on=D(2023, 9, 8))
        with pytest.raises(AlreadyHandled):  # all or nothing: one withdrawn draft among them signs none
            notices_sign(notices=waiting, by=signer, on=D(2023, 9, 8))
        assert not Notice.objects.filter(state=NoticeState.ISSUED).exists()
        with pytest.raises(InvalidInput):  # not on a day to come
            notices_sign(notices=waiting[1:], by=signer, on=D(2023, 9, 11))
    with at("2023-09-11 09:00"):
        signed = notices_sign(notices=waiting[1:], by=signer, on=D(2023, 9, 11))
    assert [n.doc_no for n in signed] == [f"吉无废预〔2023〕{i}号" for i in range(1, len(waiting))]
    for notice in signed:
        notice.refresh_from_db()
        assert (notice.issued_on, notice.signed_by, notice.state) == (D(2023, 9, 11), signer, NoticeState.ISSUED)
        assert notice.response_due == D(2023, 9, 18)  # five working days from the signing day, not the sweep's
        assert notice.pdf
        owed = Obligation.objects.filter(notice=notice)
        assert owed.count() == notice.items.values("assignment").distinct().count()
        assert {o.due_date for o in owed} == {D(2023, 9, 18)}
    # The unit's people are told once it is signed, with the document attached.
    songyuan = Notice.objects.get(unit__code="220700", rung__code="red")
    told = Message.objects.filter(notices=songyuan)
    assert {m.recipient.username for m in told} == {people["reporter"].username, people["leader"].username}
    withdrawn = Notice.objects.get(pk=waiting[0].pk)
    assert (withdrawn.state, withdrawn.number, withdrawn.withdrawn_by) == (NoticeState.WITHDRAWN, None, signer)
    with at("2023-09-12 09:00"), pytest.raises(AlreadyHandled):
        notices_sign(notices=[withdrawn], by=signer, on=D(2023, 9, 12))


def test_the_signer_edits_previews_and_signs_from_the_pages(
    plan: Plan,
    people: dict[str, User],
    signer: User,
    smtp_sink: SmtpSink,
    celery_eager: None,
    django_capture_on_commit_callbacks: Any,
    tmp_path: Path,
) -> None:
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    draft = Notice.objects.get(unit__code="220700", rung__code="red")
    page = f"/plans/notices/{draft.pk}/"
    with at("2023-09-08 09:00"):
        client = client_for(signer)  # sessions are opened on the frozen clock, as a person opens one that day
        todo = client.get("/plans/work/").content.decode()
        assert 'data-testid="signing-queue"' in todo and draft.title in todo
        # The unit it is addressed to, and another unit, know nothing of the draft.
        for outsider in (people["reporter"], UserFactory(unit=Unit.objects.get(code="220800"), role=Role.LEADER)):
            assert client_for(outsider).get(page).status_code == 404
            assert client_for(outsider).get(f"{page}pdf/").status_code == 404
        preview = client.get(f"{page}pdf/")
        assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"
        assert preview["Content-Disposition"].startswith("inline; filename*=utf-8''")  # a Chinese name a browser keeps
        text = pdf_text(preview.content, tmp_path)
        # The preview: marked 草稿 across the page, no number yet, the answer's deadline counted from signing.
        assert "草" in text and "稿" in text and "吉无废预〔2023〕号" in text and "签发后5个工作日" in text
        body = "按照调度销号机制，你单位第2项任务逾期未报，现予预警。\n请于〔答复期限〕前报送整改说明。"
        saved = client.post(
            page, {"action": "edit", "title": "关于对松原市予以预警的函", "body": body, "copy_to": "松原市人民政府"}
        )
        assert saved.status_code == 302
        refused = client_for(people["reporter"]).post(page, {"action": "sign"})
        assert refused.status_code == 404
    before = len(smtp_sink.received)
    with at("2023-09-11 09:30"), django_capture_on_commit_callbacks(execute=True):
        client = client_for(signer)
        done = client.post(page, {"action": "sign"})
    assert done.status_code == 302
    draft.refresh_from_db()
    assert (draft.doc_no, draft.issued_on, draft.response_due) == (
        "吉无废预〔2023〕1号",
        D(2023, 9, 11),
        D(2023, 9, 18),
    )
    text = pdf_text(notice_pdf(draft), tmp_path)
    assert "关于对松原市予以预警的函" in text and "请于2023年9月18日前报送整改说明" in text
    assert "2023年9月11日" in text and "抄送：松原市人民政府" in text and "草" not in text
    mails = smtp_sink.received[before:]
    assert {str(m["To"]) for m in mails} == {people["reporter"].email, people["leader"].email}
    assert all(f"{draft.doc_no}.pdf" in {a.get_filename() for a in m.iter_attachments()} for m in mails)
    # Issued, it is the unit's to read and answer.
    with at("2023-09-12 09:00"):
        assert client_for(people["reporter"]).get(page).status_code == 200
        client = client_for(signer)
        assert client.post(page, {"action": "edit", "title": "x", "body": "y"}).status_code == 302  # no longer a draft
    draft.refresh_from_db()
    assert draft.title == "关于对松原市予以预警的函"


def test_several_drafts_signed_at_once_from_my_work(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    waiting = drafts("red")
    with at("2023-09-08 09:00"):
        client = client_for(signer)
        refused = client_for(people["office"]).post("/plans/notices/sign/", {"notices": [n.pk for n in waiting]})
        assert refused.status_code == 403
        done = client.post("/plans/notices/sign/", {"notices": [n.pk for n in waiting[:2]]})
    assert done.status_code == 302
    assert sorted(Notice.objects.filter(state=NoticeState.ISSUED).values_list("number", flat=True)) == [1, 2]
    assert Notice.objects.filter(state=NoticeState.DRAFT).count() == len(waiting) - 2


def test_drafts_waiting_remind_the_signer_after_two_working_days(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    assert DocumentSettings.current().remind_after_workdays == 2
    sweep("2023-09-07", django_capture_on_commit_callbacks)  # Thursday: drafts made
    sweep("2023-09-08", django_capture_on_commit_callbacks)
    assert not Message.objects.filter(recipient=signer).exists()
    sweep("2023-09-11", django_capture_on_commit_callbacks)  # Monday: two working days later
    (reminder,) = Message.objects.filter(recipient=signer)
    assert str(len(drafts("red"))) in reminder.subject and "#signing" in reminder.link
    sweep("2023-09-12", django_capture_on_commit_callbacks)
    assert Message.objects.filter(recipient=signer).count() == 1  # not every day
    sweep("2023-09-13", django_capture_on_commit_callbacks)
    assert Message.objects.filter(recipient=signer).count() == 2  # again after two more working days


def test_a_rung_set_to_issue_without_signature_issues_at_once(
    plan: Plan, people: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    LadderRung.objects.filter(plan=plan, code="red").update(issue_unsigned=True)
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    issued = drafts("red")
    assert issued and all(n.state == NoticeState.ISSUED and n.signed_by is None for n in issued)
    assert {n.issued_on for n in issued} == {D(2023, 9, 7)}
    assert {n.response_due for n in issued} == {D(2023, 9, 14)}


def test_a_document_no_font_can_print_is_refused_and_takes_no_number(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    draft = Notice.objects.get(unit__code="220700", rung__code="red")
    with at("2023-09-08 09:00"):
        notice_edit(notice=draft, by=signer, title=draft.title, body="请于〔答复期限〕前答复。ขอบคุณ", copy_to="")
        with pytest.raises(MissingGlyphs) as refused, django_capture_on_commit_callbacks(execute=True):
            notices_sign(notices=[draft], by=signer, on=D(2023, 9, 8))
    assert "ขอบคุณ"[0] in refused.value.message
    draft.refresh_from_db()
    assert draft.state == NoticeState.DRAFT and not Message.objects.filter(notices=draft).exists()
    with at("2023-09-08 09:10"):
        notice_edit(notice=draft, by=signer, title=draft.title, body="请于〔答复期限〕前答复。", copy_to="")
        (signed,) = notices_sign(notices=[draft], by=signer, on=D(2023, 9, 8))
    assert signed.number == 1  # the refused signing used no number


def test_sign_documents_and_export_documents(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    sweep("2023-09-14", django_capture_on_commit_callbacks)
    with pytest.raises(CommandError):
        call_command("sign_documents", "--year", "2023", "--by", people["office"].username)
    out = io.StringIO()
    with at("2023-09-15 09:00"):
        call_command(
            "sign_documents",
            "--year",
            "2023",
            "--kind",
            "warning",
            "--as-of",
            "2023-09-11",
            "--by",
            "office_signer",
            "--json",
            stdout=out,
        )
    signed = json.loads(out.getvalue())
    assert signed["count"] == len(drafts("red")) and {s["date"] for s in signed["signed"]} == {"2023-09-11"}
    assert Notice.objects.filter(kind="supervision_notice", state=NoticeState.DRAFT).exists()  # --kind kept them
    out = io.StringIO()
    call_command(
        "export_documents", "--year", "2023", "--kind", "warning", "-o", str(tmp_path / "out"), "--json", stdout=out
    )
    listed = json.loads(out.getvalue())
    assert listed["count"] == signed["count"]
    first = listed["documents"][0]
    assert first["doc_no"] == "吉无废预〔2023〕1号" and Path(first["file"]).name == "吉无废预〔2023〕1号.pdf"
    assert Path(first["file"]).read_bytes() == Notice.objects.get(doc_no=first["doc_no"]).pdf.open("rb").read()


# --- GB/T 9704-2012, measured ------------------------------------------------------------------------------------

BODY_PT, TITLE_PT, FOLIO_PT = 16.0, 22.0, 14.0
LEFT, RIGHT, TOP, BOTTOM = 28.0, 28.0 + 156.0, 37.0, 37.0 + 225.0
LONG = "各地要对照年度任务清单逐项梳理进展情况明确责任单位和完成时限建立工作台账实行销号管理" * 30


def _signed_supervision(plan: Plan, signer: User, capture: Any) -> Notice:
    sweep("2023-09-14", capture)
    draft = Notice.objects.get(unit__code="220700", rung__code="supervision")
    with at("2023-10-11 09:00"):
        notice_edit(
            notice=draft,
            by=signer,
            title=draft.title,
            body=f"{LONG}\n请于〔答复期限〕前答复。",
            copy_to="松原市人民政府",
        )
        (signed,) = notices_sign(notices=[draft], by=signer, on=D(2023, 10, 11))
    return signed


def test_the_file_format_measures_as_the_standard_says(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    notice = _signed_supervision(plan, signer, django_capture_on_commit_callbacks)
    pdf = notice_pdf(notice)
    measured = pages(pdf)
    first, second = measured[0], measured[1]
    # 版头: the issuer's full name + 文件 in red 小标宋 on one line, 35 mm below the 版心's top; the number centred.
    mark = lines(first)[0]
    assert mark.text == "吉林省全域“无废城市”建设工作推进组办公室文件"
    assert 72.0 - 1 <= mark.chars[0].top <= 72.0 + 3  # 37 + 35 mm, the glyph's top within its line
    assert mark.left >= LEFT - 1 and mark.right <= RIGHT + 1
    number = next(line for line in lines(first) if line.text.startswith("吉无废督"))
    assert number.text == "吉无废督〔2023〕1号"
    assert abs((number.left + number.right) / 2 - (LEFT + RIGHT) / 2) < 1  # centred
    title = lines(first, size=TITLE_PT)
    assert "".join(line.text for line in title) == notice.title and all(
        "Bold" in c.font or "标宋" in c.font for c in title[0].chars
    )
    # The body: 3号 (16 pt) 仿宋, 28 characters a line from the 版心's left edge to its right, 22 lines a page.
    body = [line for line in lines(second, size=BODY_PT) if len(line.chars) >= 20]
    assert len(body) == 22
    for line in body:
        assert len(line.text) == 28, line.text
        assert abs(line.left - LEFT) < 1 and abs(line.right - RIGHT) < 1
        assert all(abs(c.size - BODY_PT) < 0.1 for c in line.chars)
    assert any("Fang" in c.font or "仿宋" in c.font for c in body[0].chars)
    assert TOP - 1 < body[0].chars[0].top < TOP + 4 and body[-1].baseline < BOTTOM + 1
    pitch = (body[-1].baseline - body[0].baseline) / 21
    assert abs(pitch - 225 / 22) < 0.1
    # Page numbers: 4号 (14 pt) “— 2 —”, even pages 空一字 from the left, odd pages from the right.
    folio = [line for line in lines(second, size=FOLIO_PT) if "2" in line.text][-1]
    assert folio.text.replace(" ", "") == "—2—" and abs(folio.left - (LEFT + FOLIO_PT * MM_PER_PT)) < 1.5
    assert folio.chars[0].top > BOTTOM + 4
    odd = [line for line in lines(measured[2], size=FOLIO_PT) if "3" in line.text][-1]
    assert abs(odd.right - (RIGHT - FOLIO_PT * MM_PER_PT)) < 1.5
    # 署名 and 成文日期 (2023年10月11日) 右空四字, the 版记 (抄送, 印发机关, 印发日期) at the foot of the last page.
    signed_pages = [p for p in measured if any(line.text == "2023年10月11日" for line in lines(p, size=BODY_PT))]
    date = next(line for line in lines(signed_pages[0], size=BODY_PT) if line.text == "2023年10月11日")
    assert abs(date.right - (RIGHT - 4 * 156 / 28)) < 1.5
    colophon = [line for line in lines(measured[-1]) if line.chars[0].size <= FOLIO_PT]
    texts = [line.text.replace(" ", "") for line in colophon]
    assert "抄送：松原市人民政府。" in texts
    assert "吉林省全域“无废城市”建设工作推进组办公室2023年10月11日印发" in texts
    printed = colophon[texts.index("吉林省全域“无废城市”建设工作推进组办公室2023年10月11日印发")]
    assert (
        abs(printed.left - (LEFT + FOLIO_PT * MM_PER_PT)) < 1
        and abs(printed.right - (RIGHT - FOLIO_PT * MM_PER_PT)) < 1
    )
    assert printed.baseline > BOTTOM - 10  # at the foot of the last page: its last rule on the 版心's bottom edge
    last_rule = rules(pdf)[-1][-1]
    assert abs(last_rule[0] - BOTTOM) < 0.5 and abs(last_rule[1] - LEFT) < 0.5 and abs(last_rule[2] - RIGHT) < 0.5
    # 4号, or — this issuer's long name would not fit on the line with its date — as near it as fits.
    assert 12.5 < printed.chars[0].size <= FOLIO_PT


def test_the_letter_format_of_a_warning(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    draft = Notice.objects.get(unit__code="220700", rung__code="red")
    with at("2023-09-08 09:00"):
        (letter,) = notices_sign(notices=[draft], by=signer, on=D(2023, 9, 8))
    pdf = notice_pdf(letter)
    first = pages(pdf)[0]
    mark = lines(first)[0]
    assert mark.text == "吉林省全域“无废城市”建设工作推进组办公室"
    assert 30 - 0.5 <= mark.chars[0].top <= 30 + 3  # 信函格式: 30 mm from the top edge
    number = next(line for line in lines(first) if line.text.startswith("吉无废预"))
    assert abs(number.right - RIGHT) < 1  # flush right under the double rule
    assert not [line for line in lines(first, size=FOLIO_PT) if "1" in line.text]  # no folio on a letter's first page
    text = pdf_text(pdf, tmp_path)
    assert "关于对松原市生态环境局逾期事项予以预警的函" in text and "附件：逾期事项清单" in text
    assert "2023年9月8日" in text and "2023-09" not in text
    # Double red rules, 170 mm long and centred: under the mark, and 20 mm from the bottom edge of the first page.
    red = [rule for rule in rules(pdf)[0] if rule[2] - rule[1] > 165]
    assert any(abs(rule[1] - 21) < 0.6 and abs(rule[2] - 191) < 0.6 and rule[0] < 45 for rule in red)
    assert any(abs(rule[0] - 277) < 1.5 for rule in red)


def test_a_long_letter_keeps_the_grid_from_its_second_page(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    """The letter's first page starts higher (its mark at 30 mm); from the second, the 版心 is the standard's: 22 lines
    of 28 characters, and the folio on the left of an even page."""
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    draft = Notice.objects.get(unit__code="220700", rung__code="red")
    with at("2023-09-08 09:00"):
        notice_edit(notice=draft, by=signer, title=draft.title, body=f"{LONG}\n请于〔答复期限〕前答复。", copy_to="")
        (letter,) = notices_sign(notices=[draft], by=signer, on=D(2023, 9, 8))
    second = pages(notice_pdf(letter))[1]
    body = [line for line in lines(second, size=BODY_PT) if len(line.chars) >= 20]
    assert len(body) == 22 and all(len(line.text) == 28 for line in body)
    assert all(abs(line.left - LEFT) < 1 and abs(line.right - RIGHT) < 1 for line in body)
    folio = [line for line in lines(second, size=FOLIO_PT) if "2" in line.text][-1]
    assert abs(folio.left - (LEFT + FOLIO_PT * MM_PER_PT)) < 1.5


def test_only_a_signer_of_the_office_signs(
    plan: Plan, people: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    """The signer's mark on a person outside a programme office signs nothing, and shows them no draft."""
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    draft = Notice.objects.get(unit__code="220700", rung__code="red")
    outsider = UserFactory(unit=Unit.objects.get(code="220800"), role=Role.LEADER, is_signer=True)
    with at("2023-09-08 09:00"):
        with pytest.raises(NotAllowed):
            notices_sign(notices=[draft], by=outsider, on=D(2023, 9, 8))
        assert client_for(outsider).get(f"/plans/notices/{draft.pk}/").status_code == 404
        assert client_for(outsider).post("/plans/notices/sign/", {"notices": [draft.pk]}).status_code == 403
    draft.refresh_from_db()
    assert draft.is_draft


def test_a_draft_whose_items_were_settled_meanwhile_is_withdrawn_not_signed(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    """Drafted on 7 September for 松原's late items; they are all reported on the 8th: signing on the 11th issues no
    document to 松原 (it is withdrawn, saying why, and takes no number), and the others are numbered from 1."""
    from processes.services.lifecycle import assignment_report
    from processes.services.rounds import progress_save

    sweep("2023-09-07", django_capture_on_commit_callbacks)
    songyuan = Notice.objects.get(unit__code="220700", rung__code="red")
    others = [n for n in drafts("red") if n.pk != songyuan.pk]
    with at("2023-09-08 10:00"):
        for obligation in songyuan.items.select_related("assignment"):
            if obligation.kind == ObligationKind.DEADLINE:
                assignment_report(assignment=obligation.assignment, by=people["reporter"], text="已完成")
            else:
                progress_save(obligation=obligation, by=people["reporter"], text="本期进展", percent=50, submit=True)
    with at("2023-09-11 09:00"):
        signed = notices_sign(notices=drafts("red"), by=signer, on=D(2023, 9, 11))
    songyuan.refresh_from_db()
    assert (
        songyuan.state == NoticeState.WITHDRAWN and songyuan.number is None and "无需发文" in songyuan.withdraw_reason
    )
    assert sorted(n.number for n in signed) == list(range(1, len(others) + 1))
    assert not Obligation.objects.filter(notice=songyuan).exists()


def test_a_signing_date_before_an_issued_number_is_refused(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    first, second = drafts("red")[:2]
    with at("2023-09-12 09:00"):
        notices_sign(notices=[first], by=signer, on=D(2023, 9, 12))
        with pytest.raises(InvalidInput):  # 2号 dated before 1号
            notices_sign(notices=[second], by=signer, on=D(2023, 9, 11))
        (later,) = notices_sign(notices=[second], by=signer, on=D(2023, 9, 12))
    assert later.number == 2


def test_sweeping_a_day_again_reminds_no_one_twice(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    sweep("2023-09-11", django_capture_on_commit_callbacks)
    assert Message.objects.filter(recipient=signer).count() == 1
    Notice.objects.filter(state=NoticeState.DRAFT).update(reminded_on=None)  # as a draft made after the first run
    sweep("2023-09-11", django_capture_on_commit_callbacks)  # a second run of the day: no crash, no second reminder
    assert Message.objects.filter(recipient=signer).count() == 1


def test_the_signed_document_reaches_whom_its_copy_names(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    """督办 tells one level up: the 督办通知单 to 松原 goes to 松原's reporter and leader and, as its 抄送 says, to the
    leader of the unit above; the addressed unit's digest never speaks of an unsigned draft."""
    sweep("2023-09-14", django_capture_on_commit_callbacks)
    draft = Notice.objects.get(unit__code="220700", rung__code="supervision")
    upper = people["upper"]
    assert upper.unit.name in draft.copy_to
    for message in Message.objects.filter(units__code="220700", sweep__day=D(2023, 9, 14)):
        assert "待签发" not in message.body or (message.recipient.unit and message.recipient.unit.is_office)
    with at("2023-09-15 09:00"):
        notices_sign(notices=[draft], by=signer, on=D(2023, 9, 15))
    told = {m.recipient.username for m in Message.objects.filter(notices=draft)}
    assert told == {people["reporter"].username, people["leader"].username, upper.username}


def test_the_signer_signs_what_they_read(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    """The sign button carries the version the signer read: edited by the office meanwhile, the draft is not signed,
    and the page says who changed it."""
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    draft = Notice.objects.get(unit__code="220700", rung__code="red")
    page = f"/plans/notices/{draft.pk}/"
    with at("2023-09-08 09:00"):
        client = client_for(signer)
        read = re.search(r'name="read" value="([^"]+)"', client.get(page).content.decode())
        assert read is not None
        notice_edit(notice=draft, by=people["office"], title=draft.title, body="改写后的正文。", copy_to="")
        refused = client.post(page, {"action": "sign", "read": read[1]}, follow=True)
        draft.refresh_from_db()
        assert draft.is_draft and str(people["office"]) in refused.content.decode()
        fresh = re.search(r'name="read" value="([^"]+)"', refused.content.decode())
        assert fresh is not None and fresh[1] != read[1]
        client.post(page, {"action": "sign", "read": fresh[1]})
    draft.refresh_from_db()
    assert draft.is_issued and draft.paragraphs() == ["改写后的正文。"]


def test_one_signing_reaches_a_person_once_however_many_documents_name_them(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    """The leader one level up is copied on every unit's 督办通知单 of the day: signed together, they reach them as one
    message listing the documents, each attached; each unit's own people get their own document."""
    sweep("2023-09-14", django_capture_on_commit_callbacks)
    waiting = drafts("supervision")
    assert len(waiting) > 1
    with at("2023-09-15 09:00"):
        signed = notices_sign(notices=waiting, by=signer, on=D(2023, 9, 15))
    (copy,) = Message.objects.filter(recipient=people["upper"], notices__isnull=False).distinct()
    assert copy.notices.count() == len(signed) and all(n.doc_no in copy.body for n in signed)
    assert Message.objects.filter(recipient=people["reporter"], notices__isnull=False).distinct().count() == 1


@pytest.mark.django_db(transaction=True)
def test_signing_makes_its_pdfs_with_no_transaction_open(
    plan: Plan,
    people: dict[str, User],
    signer: User,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Each PDF takes a quarter of a second or more: made inside the signing's transaction, they held the database's
    write lock (SQLite: the whole file) for seconds, and other people's saves waited or failed. The documents signed
    are those the rehearsal laid out, numbered in order, and a document that cannot be made still signs none."""
    from django.db import transaction

    import processes.services.pdf as pdf_module

    sweep("2023-09-07", django_capture_on_commit_callbacks)
    waiting = drafts("red")
    assert len(waiting) >= 3
    real_render = pdf_module.render_pdf
    inside: list[bool] = []

    def render(html: str, **kwargs: Any) -> bytes:
        inside.append(transaction.get_connection().in_atomic_block)
        return real_render(html, **kwargs)

    monkeypatch.setattr(pdf_module, "render_pdf", render)
    with at("2023-09-11 09:00"):
        signed = notices_sign(notices=waiting, by=signer, on=D(2023, 9, 11))
    assert inside == [False] * len(waiting)
    assert [n.doc_no for n in signed] == [f"吉无废预〔2023〕{i}号" for i in range(1, len(waiting) + 1)]
    for notice in signed:
        notice.refresh_from_db()
        assert f"吉无废预〔2023〕{notice.number}号" in pdf_text(notice_pdf(notice), tmp_path)
    assert Message.objects.filter(notices__in=signed).exists()

    sweep("2023-09-14", django_capture_on_commit_callbacks)
    draft = Notice.objects.filter(state=NoticeState.DRAFT).order_by("pk").first()
    assert draft is not None
    with at("2023-09-15 09:00"):
        notice_edit(notice=draft, by=signer, title=draft.title, body="请于〔答复期限〕前答复。ขอบคุณ", copy_to="")
        with pytest.raises(MissingGlyphs):
            notices_sign(notices=[draft], by=signer, on=D(2023, 9, 15))
    draft.refresh_from_db()
    assert draft.state == NoticeState.DRAFT and draft.number is None and not draft.pdf
