"""通报: drafted from the period's figures, edited, signed and numbered like any document, sent to the regions; it
names the regions behind with what they are criticised for."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pytest

from notifications.models import Message
from processes.models import DocumentKind, Notice, NoticeState, Plan, Unit, User
from processes.services.assessment import assessment_compute, regions_of, scheme_ensure
from processes.services.circulars import circular_draft
from processes.services.late_items import late_items_as_of
from processes.services.lifecycle import NotAllowed
from processes.services.notices import notice_pdf
from processes.services.signing import notices_sign

from .test_ladder import sweep
from .test_rounds import at
from .test_views import client_for

pytestmark = pytest.mark.django_db
D = dt.date
START, END = D(2023, 7, 1), D(2023, 9, 30)


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "circular.pdf"
    path.write_bytes(pdf)
    return "".join(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split()
    )


def test_a_circular_is_drafted_from_the_figures_signed_and_sent(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    for day in ("2023-09-07", "2023-09-14"):
        sweep(day, django_capture_on_commit_callbacks)
    with at("2023-10-09 09:00"):
        with pytest.raises(NotAllowed):
            circular_draft(plan=plan, by=people["reporter"], start=START, end=END)
        draft = circular_draft(plan=plan, by=people["office"], start=START, end=END)
    assert (draft.kind, draft.state, draft.doc_no) == (DocumentKind.CIRCULAR, NoticeState.DRAFT, None)
    assert draft.title == "关于2023年第三季度全省“无废城市”建设年度任务推进情况的通报"
    regions = regions_of(plan)
    assert set(draft.sent_to.all()) == set(regions) and all(r.name in draft.addressees for r in regions)
    # Every region named as behind, with its late items as the assessment of the period counts them.
    with at("2023-10-09 09:00"):
        assessment = assessment_compute(scheme=scheme_ensure(plan), start=START, end=END)
    late = {score.unit.pk: score.late_items for score in assessment.regions}
    ranks = {score.unit.pk: score.rank for score in assessment.regions}
    for pk in draft.figures["criticised"]:
        name = Unit.objects.get(pk=pk).name
        line = next(p for p in draft.paragraphs() if p.startswith(f"{name}："))
        assert f"位列第{ranks[pk]}名" in line
        assert (f"逾期事项{late[pk]}项" in line) == (late[pk] > 0)
    criticised = Unit.objects.get(pk=draft.figures["criticised"][0])
    assert draft.figures["criticised"] and set(draft.figures["criticised"]) <= {r.pk for r in regions}
    # Only the bottom third of the ranking is criticised; the overall late count is the ledger's at the period's end.
    bottom = {score.unit.pk for score in assessment.regions[len(assessment.regions) - -(-len(regions) // 3) :]}
    assert set(draft.figures["criticised"]) <= bottom
    assert draft.figures["late"] == len(late_items_as_of(plan, END)) and draft.figures["total_points"] == "100"
    assert "对以上地区予以通报批评。" in draft.paragraphs()
    # The 签发人 signs it as of 11 October: 吉无废通〔2023〕1号, sent to the regions' people.
    with at("2023-10-11 09:00"), django_capture_on_commit_callbacks(execute=True):
        (signed,) = notices_sign(notices=[draft], by=signer, on=D(2023, 10, 11))
    assert signed.doc_no == "吉无废通〔2023〕1号" and signed.response_due is None
    told = {m.recipient_id for m in Message.objects.filter(notices=signed)}
    assert {people["reporter"].pk, people["leader"].pk} <= told
    text = text_of(notice_pdf(signed), tmp_path)
    for expected in (
        "吉林省全域“无废城市”建设工作推进组办公室文件",
        "吉无废通〔2023〕1号",
        "关于2023年第三季度全省",
        "三、工作推进滞后的地区",
        f"{criticised.name}：考核评估得分",
        "附件：2023年第三季度各地考核评估得分排名",
        "得分（满分100分）",
        "2023年10月11日印发",
    ):
        assert expected in text, expected
    assert "2023-" not in text
    # The region reads the signed circular; an office draft is nobody else's.
    with at("2023-10-12 09:00"):
        assert client_for(people["reporter"]).get(f"/plans/notices/{signed.pk}/").status_code == 200


def test_the_office_drafts_a_circular_from_the_assessment_page(
    plan: Plan, people: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    with at("2023-10-09 09:00"):
        office = client_for(people["office"])
        page = office.get(f"/plans/JL-PRO/2023/assessment/?start={START}&end={END}").content.decode()
        assert 'data-testid="draft-circular"' in page
        refused = client_for(people["reporter"]).post("/plans/JL-PRO/2023/circulars/", {"start": START, "end": END})
        assert refused.status_code == 403 and not Notice.objects.filter(kind=DocumentKind.CIRCULAR).exists()
        done = office.post("/plans/JL-PRO/2023/circulars/", {"start": START, "end": END})
    circular = Notice.objects.get(kind=DocumentKind.CIRCULAR)
    assert done.status_code == 302 and done["Location"] == circular.get_absolute_url()
    with at("2023-10-09 09:05"):
        assert client_for(people["reporter"]).get(circular.get_absolute_url()).status_code == 404  # a draft


def test_the_circular_measures_as_the_file_format(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    """The 通报 in the 文件格式 of GB/T 9704: its mark, its number centred, a 2号 title, a 3号 body of 28 characters a
    line inside the 版心, the 印发 line at its foot."""
    from ..pdf_layout import lines, pages

    sweep("2023-09-07", django_capture_on_commit_callbacks)
    with at("2023-10-09 09:00"):
        draft = circular_draft(plan=plan, by=people["office"], start=START, end=END)
    with at("2023-10-11 09:00"):
        (signed,) = notices_sign(notices=[draft], by=signer, on=D(2023, 10, 11))
    measured = pages(notice_pdf(signed))
    first = measured[0]
    assert lines(first)[0].text == "吉林省全域“无废城市”建设工作推进组办公室文件"
    number = next(line for line in lines(first) if line.text.startswith("吉无废通"))
    assert number.text == "吉无废通〔2023〕1号" and abs((number.left + number.right) / 2 - (28 + 184) / 2) < 1
    assert lines(first, size=22.0), "the title in 2号"
    body = [line for page in measured for line in lines(page, size=16.0)]
    full = [line for line in body if len(line.text) == 28 and all(ord(c) >= 0x3000 for c in line.text)]
    assert full, "a full line of the body"
    for line in full:
        assert abs(line.left - 28) < 1 and abs(line.right - 184) < 1
    printed = [line.text.replace(" ", "") for line in lines(measured[-1])]
    assert "吉林省全域“无废城市”建设工作推进组办公室2023年10月11日印发" in printed
