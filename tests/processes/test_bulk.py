"""insert_plain: rows written without model instances take the fields' defaults, and a wrong column is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from processes.models import Obligation, ObligationKind, ObligationState, Plan
from processes.services.bulk import insert_plain

from ..lifecycle_helpers import songyuan_item

pytestmark = pytest.mark.django_db


def test_plain_rows_take_the_defaults(plan_2023: Plan) -> None:
    item = songyuan_item(plan_2023, "2")
    before = timezone.now()
    written = insert_plain(
        Obligation,
        [
            {"assignment_id": item.pk, "kind": ObligationKind.OCCURRENCE, "label": f"测试{n}",
             "period_end": dt.date(2023, 12, n), "due_date": dt.date(2023, 12, n)}
            for n in (1, 2)
        ],
    )  # fmt: skip
    assert written == 2
    rows = Obligation.objects.filter(assignment=item, label__startswith="测试").order_by("due_date")
    assert [(o.label, o.state, o.cycle, o.late, o.round_id, o.pairing_id) for o in rows] == [
        ("测试1", ObligationState.OPEN, 0, False, None, None),
        ("测试2", ObligationState.OPEN, 0, False, None, None),
    ]
    assert all(o.created_at >= before for o in rows)
    with pytest.raises(ValueError, match="no columns"):
        insert_plain(Obligation, [{"assignment_id": item.pk, "colour": "red"}])
    assert insert_plain(Obligation, []) == 0
