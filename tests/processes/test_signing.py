"""签发: the ladder and visits draft, the 签发人 signs (or withdraws), and only then is a document numbered, dated,
stored and sent; the answer's deadline counts from the signing day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from processes.models import Notice, NoticeState, Obligation, ObligationKind, Plan, User
from processes.services.notices import notice_pdf
from processes.services.signing import notices_sign

from .test_ladder import people, plan, sweep  # noqa: F401  (fixtures)
from .test_rounds import at

pytestmark = pytest.mark.django_db
D = dt.date


def test_a_rung_drafts_and_the_signer_numbers(
    plan: Plan, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    drafts = list(Notice.objects.filter(rung__code="red"))
    assert drafts and all(n.state == NoticeState.DRAFT and n.number is None for n in drafts)
    assert not Obligation.objects.filter(kind=ObligationKind.NOTICE_RESPONSE).exists()
    with at("2023-09-11 10:00"):
        signed = notices_sign(notices=drafts, by=signer, on=D(2023, 9, 11))
    assert [n.number for n in signed] == list(range(1, len(drafts) + 1))
    first = signed[0]
    open("/tmp/pdfs/letter.pdf", "wb").write(notice_pdf(first))
    sweep("2023-09-14", django_capture_on_commit_callbacks)
    with at("2023-09-15 10:00"):
        signed = notices_sign(notices=Notice.objects.filter(rung__code="supervision"), by=signer, on=D(2023, 9, 15))
    open("/tmp/pdfs/file.pdf", "wb").write(notice_pdf(signed[0]))
