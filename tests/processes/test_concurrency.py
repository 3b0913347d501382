"""Two supervisors acting on the same submission at once, in two real concurrent transactions on PostgreSQL:
exactly one succeeds, the other is told the item was handled by someone else, and one transition is written."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from processes.models import AssignmentState, AssignmentTransition, Plan, Role, Unit, User
from processes.services import lifecycle

from ..factories import UserFactory
from ..lifecycle_helpers import songyuan_item

pytestmark = pytest.mark.django_db(transaction=True)
HOLD = 0.6  # how long the first transaction keeps the row locked after its change


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite takes one writer at a time")


def race(*steps: Callable[[], Any]) -> list[tuple[str, float]]:
    """Run each step in its own thread and connection, all released at once; (outcome, seconds) per step."""
    barrier = threading.Barrier(len(steps))
    outcomes: list[tuple[str, float]] = [("", 0.0)] * len(steps)

    def run(index: int, step: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            started = time.monotonic()
            try:
                step()
                outcomes[index] = ("ok", time.monotonic() - started)
            except lifecycle.AlreadyHandled as exc:
                outcomes[index] = (exc.message, time.monotonic() - started)
            except Exception as exc:  # anything else is a failure the assertions must show
                outcomes[index] = (f"error: {exc!r}", time.monotonic() - started)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, step)) for i, step in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def slow_commit(monkeypatch: Any) -> None:
    """Keep the winner's transaction open a moment after its change, so that the other one surely waits on it."""
    complete = lifecycle._complete_step

    def complete_then_hold(*args: Any, **kwargs: Any) -> None:
        complete(*args, **kwargs)
        time.sleep(HOLD)

    monkeypatch.setattr(lifecycle, "_complete_step", complete_then_hold)


@pytest.fixture
def second_supervisor(units: dict[str, Unit]) -> User:
    return UserFactory(username="province_supervisor_2", unit=units["JL-PRO"], role=Role.SUPERVISOR)


def test_two_supervisors_verify_at_once(
    plan_2023: Plan, reporter: User, supervisor: User, second_supervisor: User, slow_commit: None
) -> None:
    item = songyuan_item(plan_2023)
    lifecycle.assignment_report(assignment=item, by=reporter, text="已完成")

    outcomes = race(
        *(
            lambda by=by: lifecycle.assignment_verify(
                assignment=item.pk, by=by, expected_state=AssignmentState.REPORTED
            )
            for by in (supervisor, second_supervisor)
        )
    )

    results = [outcome for outcome, _seconds in outcomes]
    assert results.count("ok") == 1, outcomes
    assert any("该事项已被他人处理" in outcome for outcome in results if outcome != "ok"), outcomes
    loser_waited = next(seconds for outcome, seconds in outcomes if outcome != "ok")
    assert loser_waited >= HOLD * 0.8, "the second transaction must have waited for the first one's lock"
    item.refresh_from_db()
    assert item.state == AssignmentState.VERIFIED
    assert AssignmentTransition.objects.filter(assignment=item, action="verified").count() == 1
    assert AssignmentTransition.objects.filter(assignment=item).count() == 3  # created, reported, verified


def test_one_verifies_while_another_returns(
    plan_2023: Plan, reporter: User, supervisor: User, second_supervisor: User, slow_commit: None
) -> None:
    item = songyuan_item(plan_2023)
    lifecycle.assignment_report(assignment=item, by=reporter, text="已完成")

    outcomes = race(
        lambda: lifecycle.assignment_verify(assignment=item.pk, by=supervisor, expected_state=AssignmentState.REPORTED),
        lambda: lifecycle.assignment_return(
            assignment=item.pk, by=second_supervisor, reason="材料不全", expected_state=AssignmentState.REPORTED
        ),
    )

    assert sorted(outcome == "ok" for outcome, _s in outcomes) == [False, True], outcomes
    assert any("该事项已被他人处理" in outcome for outcome, _s in outcomes), outcomes
    item.refresh_from_db()
    decided = AssignmentTransition.objects.filter(assignment=item, action__in=["verified", "returned"])
    assert decided.count() == 1
    assert item.state == decided.get().target
