"""The items late as of a day, read from the history for the 通报 (the bulletin names no laggard): each with its
unit, task, the first date it owed something still unhanded then, and the working days late."""

from __future__ import annotations

import datetime as dt

import pytest

from processes.models import Assignment, Plan, Role, Unit, User
from processes.services.late_items import late_items_as_of
from processes.services.lifecycle import assignment_close, assignment_report, assignment_verify

from ..factories import UserFactory
from .test_bulletins import plan  # noqa: F401  (the fixture: two tasks, 松原 and 白城; 松原 closes task 1)
from .test_rounds import at

pytestmark = pytest.mark.django_db
D = dt.date


def test_the_items_late_as_of_a_day_are_read_for_the_circular(
    plan: Plan,  # noqa: F811
    units: dict[str, Unit],
    supervisor: User,
    office_admin: User,
) -> None:
    """白城 owes task 1 from 31 August 2023; on 30 September it is 20 working days late (29 September, 中秋, is a
    holiday); closed out on 10 November, it is late no more from then."""
    baicheng = Assignment.objects.get(task__plan=plan, task__number="1", unit__code="220800")
    with at("2023-11-10 10:00"):
        assignment_report(assignment=baicheng, by=UserFactory(unit=units["220800"], role=Role.REPORTER), text="已建立")
        assignment_verify(assignment=baicheng, by=supervisor)
        assignment_close(assignment=baicheng, by=office_admin)
    with at("2026-03-02 09:00"):
        late = late_items_as_of(plan, D(2023, 9, 30))
        assert late == [
            {
                "assignment_id": baicheng.pk,
                "unit": "白城市生态环境局",
                "unit_id": units["220800"].pk,
                "task": "1",
                "text": "建立“无废城市”建设工作台账",
                "due": D(2023, 8, 31),
                "late_days": 20,
            }
        ]
        assert late_items_as_of(plan, D(2023, 8, 31)) == []  # due that day: not late yet
        assert late_items_as_of(plan, D(2023, 9, 30), limit=0) == []
        assert late_items_as_of(plan, D(2023, 11, 10)) == []
