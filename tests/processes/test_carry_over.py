"""年底挂账结转: the open items of the 2023 plan carried into the office's 2024 plan — the counts of both ledgers,
the history, the refusals, the command and the page."""

from __future__ import annotations

import datetime as dt
import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.urls import reverse
from viewflow.workflow.status import PROCESS

from processes.models import (
    Assignment,
    AssignmentState,
    AssignmentTransition,
    CompletionProcess,
    Obligation,
    Plan,
    Role,
    Round,
    Task,
    TransitionAction,
    Unit,
    User,
)
from processes.services.carry_over import (
    CARRIED_CATEGORY,
    CARRIED_TABLE,
    CarryOverRefused,
    carry_over_open_items,
    plan_carry_over,
)
from processes.services.dashboard import progress_by_region
from processes.services.deadlines import extension_request
from processes.services.exports import ledger_export
from processes.services.history import obligations_owed_as_of
from processes.services.ledger import ledger_as_of
from processes.services.lifecycle import (
    NotAllowed,
    assignment_close,
    assignment_escalate,
    assignment_report,
    assignment_verify,
)
from processes.services.lights import standings_for
from processes.services.rounds import round_open
from processes.views.plans import state_counts
from processes.views.work import owed_obligations, unit_open_items

from ..conftest import ImportFile
from ..factories import UserFactory
from .test_rounds import at
from .test_views import client_for

PLAN_2024 = """序号,任务,责任单位,完成时限
1,"2024年任务一：完善固体废物管理台账。",省生态环境厅,6月30日
2,"2024年任务二：推进各地“无废细胞”建设。",各地生态环境局,9月30日
""".encode()

BEFORE = dt.date(2023, 12, 31)
CARRY_DAY = "2024-01-05 10:00"
AFTER = dt.date(2024, 1, 5)
DUE = dt.date(2024, 6, 30)


@pytest.fixture
def plan_2024(plan: Plan, import_file: ImportFile) -> Plan:
    with at("2024-01-02 09:00"):
        report = import_file(PLAN_2024, filename="2024.csv", year=2024, starts=dt.date(2024, 1, 1))
        assert report.applied, report.errors
    return Plan.objects.get(issuer=plan.issuer, year=2024)


@pytest.fixture
def worked(plan: Plan, people: dict[str, User]) -> dict[str, Assignment]:
    """In 2023, 松原 closes one item out and reports another done (it waits for verification at the year's end)."""
    songyuan = Assignment.objects.filter(task__plan=plan, unit__code="220700", state=AssignmentState.ASSIGNED)
    closed, reported = songyuan.order_by("task__position")[:2]
    with at("2023-09-01 10:00"):
        assignment_report(assignment=closed, by=people["reporter"], text="已完成")
        assignment_verify(assignment=closed, by=people["supervisor"])
        assignment_close(assignment=closed, by=people["office"])
        assignment_report(assignment=reported, by=people["reporter"], text="已完成，待核验")
    closed.refresh_from_db()
    reported.refresh_from_db()
    return {"closed": closed, "reported": reported}


def test_carrying_every_open_item_keeps_both_ledgers_consistent(
    plan: Plan, plan_2024: Plan, worked: dict[str, Assignment], people: dict[str, User]
) -> None:
    with at("2024-01-04 09:00"):
        before = ledger_as_of(plan, None, BEFORE)
        new_tasks_items = Assignment.objects.filter(task__plan=plan_2024).count()
    assert before.closed >= 1 and before.remaining > 0 and before.carried == 0
    open_before = before.remaining
    with at(CARRY_DAY):
        result = plan_carry_over(source=plan, target=plan_2024, by=people["office"], due=DUE)
        old = ledger_as_of(plan, None, AFTER)
        new = ledger_as_of(plan_2024, None, AFTER)
        then = ledger_as_of(plan, None, BEFORE)
    assert result.carried == open_before
    # The old ledger: nothing open any more, closed unchanged, every open item carried (已结转).
    assert (old.total, old.closed, old.carried, old.remaining) == (before.total, before.closed, open_before, 0)
    assert old.by_state[AssignmentState.CARRIED] == open_before
    assert sum(unit.carried for unit in old.by_unit) == open_before
    assert all(unit.remaining == 0 for unit in old.by_unit)
    # The new ledger: its own tasks' items and the carried ones, all open.
    assert new.total == new_tasks_items + open_before
    assert new.remaining == new.total and new.carried == 0
    # As of a day before the carry, the old ledger still shows them open.
    assert (then.remaining, then.carried, then.closed) == (open_before, 0, before.closed)
    # The dashboard, the plan list's counts and the burn-down agree.
    with at(CARRY_DAY):
        progress = progress_by_region(plan, None, AFTER).total
    assert (progress.open, progress.closed, progress.carried) == (0, before.closed, open_before)
    assert sum(progress.lights.values()) == 0
    counts = Plan.objects.filter(pk=plan.pk).annotate(**state_counts("tasks__assignments", None)).get()
    assert (counts.open, counts.closed, counts.carried) == (0, before.closed, open_before)  # type: ignore[attr-defined]


def test_each_carried_item_links_back_keeps_its_history_and_gets_its_deadline(
    plan: Plan, plan_2024: Plan, worked: dict[str, Assignment], people: dict[str, User]
) -> None:
    reported = worked["reported"]
    history_before = list(reported.transitions.values_list("pk", flat=True))
    with at(CARRY_DAY):
        result = plan_carry_over(source=plan, target=plan_2024, by=people["office"], due=DUE)
    line = next(line for line in result.lines if line.item.pk == reported.pk)
    reported.refresh_from_db()
    new = Assignment.objects.select_related("task").get(carried_from=reported)
    assert line.new == new and reported.carried_into == new
    assert reported.state == AssignmentState.CARRIED
    assert (new.state, new.due_date, new.unit_id, new.role) == (
        AssignmentState.ASSIGNED,
        DUE,
        reported.unit_id,
        reported.role,
    )
    # The old item's history stays on it, with the carry as its last line; the new item starts with 上年结转.
    steps = list(reported.transitions.order_by("at", "pk"))
    assert [step.pk for step in steps[:-1]] == history_before
    assert (steps[-1].action, steps[-1].source, steps[-1].target, steps[-1].by) == (
        TransitionAction.CARRIED_OVER,
        AssignmentState.REPORTED,
        AssignmentState.CARRIED,
        people["office"],
    )
    first = new.transitions.get()
    assert (first.action, first.source, first.target) == (TransitionAction.CARRIED_IN, "", AssignmentState.ASSIGNED)
    assert plan.key in first.comment
    # A task made for the old task's items: its text, numbered 结转-<old number>, filed under 上年结转.
    task = new.task
    assert (task.plan, task.number, task.category, task.table, task.text) == (
        plan_2024,
        f"结转-{reported.task.number}",
        CARRIED_CATEGORY,
        CARRIED_TABLE,
        reported.task.text,
    )
    assert (task.deadline_kind, task.due_date) == ("date", DUE)
    # One task per old task, whatever the number of its units.
    made = Task.objects.filter(plan=plan_2024, category=CARRIED_CATEGORY).annotate(n=Count("assignments"))
    assert made.count() == result.tasks_created
    assert sum(task.n for task in made) == result.carried  # type: ignore[attr-defined]
    # The report that waited for verification no longer waits in anyone's inbox.
    process = CompletionProcess.objects.get(assignment=reported)
    assert process.status == PROCESS.CANCELED
    # The new item owes its deadline; the old one owes nothing from the carry on.
    assert Obligation.objects.filter(assignment=new, kind="deadline", due_date=DUE).exists()


def test_a_carried_item_owes_nothing_from_the_carry_on(
    plan: Plan, plan_2024: Plan, people: dict[str, User], reporter: User
) -> None:
    with at("2023-10-10 09:00"):
        round_open(
            plan=plan,
            period_start=dt.date(2023, 9, 1),
            period_end=dt.date(2023, 9, 30),
            due_date=dt.date(2023, 10, 12),
            by=people["office"],
        )
    item = Assignment.objects.filter(task__plan=plan, unit=reporter.unit, state=AssignmentState.ASSIGNED).first()
    assert item is not None
    owed = Obligation.objects.filter(assignment=item)
    assert obligations_owed_as_of(owed, BEFORE).exists()
    with at(CARRY_DAY):
        plan_carry_over(source=plan, target=plan_2024, by=people["office"], due=DUE, items=[item.pk])
        assert not obligations_owed_as_of(owed, AFTER).exists()
        assert standings_for([item.pk], AFTER)[item.pk].late_workdays == 0
        assert item not in unit_open_items(reporter)
        # Nor can it be put under supervision, or its deadline moved: it lives on in next year's plan.
        with pytest.raises(NotAllowed):
            assignment_escalate(assignment=item, by=people["supervisor"], comment="推进缓慢")
        with pytest.raises(NotAllowed):
            extension_request(assignment=item, by=reporter, new_date=dt.date(2024, 3, 31), reason="需要更多时间")
        assert not owed_obligations(reporter).filter(assignment=item).exists()
        # A later round of the old plan asks nothing of it.
        round_open(
            plan=plan,
            period_start=dt.date(2023, 12, 1),
            period_end=dt.date(2023, 12, 31),
            due_date=dt.date(2024, 1, 8),
            by=people["office"],
        )
    assert not Obligation.objects.filter(assignment=item, round__period_start=dt.date(2023, 12, 1)).exists()
    # The September round, opened before the carry, no longer counts it as owing a report.
    september = Round.objects.get(plan=plan, period_start=dt.date(2023, 9, 1))
    with at(CARRY_DAY):
        page = client_for(people["supervisor"]).get(september.get_absolute_url()).content.decode()
        rounds_page = client_for(people["supervisor"]).get(reverse("plans:rounds", kwargs={"plan": plan}))
    in_round = Obligation.objects.filter(round=september)
    still_owed = in_round.exclude(assignment__state=AssignmentState.CARRIED).count()
    assert still_owed == in_round.count() - 1
    assert f'data-count="owed">{still_owed}<' in page
    assert f"/ {still_owed}<" in rounds_page.content.decode()
    # Before the carry the history still says it owed the September report.
    assert obligations_owed_as_of(owed, BEFORE).exists()


def test_selected_items_with_their_own_deadlines_and_a_task_the_office_picks(
    plan: Plan, plan_2024: Plan, people: dict[str, User]
) -> None:
    open_items = list(carry_over_open_items(plan))
    provincial = next(item for item in open_items if item.unit.code != "220700" and item.unit.level == "province")
    other = next(item for item in open_items if item.task_id != provincial.task_id and item.unit.code == "220700")
    picked = Task.objects.get(plan=plan_2024, number="2")  # 各地生态环境局: 松原 has an item there already
    task_1 = Task.objects.get(plan=plan_2024, number="1")  # 省生态环境厅's
    with at(CARRY_DAY):
        # 松原's item cannot go to a task where 松原 already has one: the whole step is refused.
        with pytest.raises(CarryOverRefused) as refused:
            plan_carry_over(
                source=plan,
                target=plan_2024,
                by=people["office"],
                due=DUE,
                items=[provincial.pk, other.pk],
                into={other.task_id: picked},
            )
        assert "already has an item" in str(refused.value)
        assert not Assignment.objects.filter(carried_from__isnull=False).exists()
        own = dt.date(2024, 9, 30)
        result = plan_carry_over(
            source=plan,
            target=plan_2024,
            by=people["office"],
            due=DUE,
            items=[provincial.pk, other.pk],
            dues={other.pk: own},
            into={other.task_id: task_1},
        )
    assert result.carried == 2 and result.tasks_created == 1
    carried_other = Assignment.objects.get(carried_from=other)
    assert (carried_other.task, carried_other.due_date) == (task_1, own)
    assert Assignment.objects.get(carried_from=provincial).due_date == DUE
    # The rest stays open on the old plan.
    assert carry_over_open_items(plan).count() == len(open_items) - 2


def test_an_item_changed_since_the_preview_refuses_the_whole_step(
    plan: Plan, plan_2024: Plan, people: dict[str, User], reporter: User
) -> None:
    items = list(carry_over_open_items(plan).filter(unit=reporter.unit)[:3])
    seen = {item.pk: item.state for item in items}
    with at(CARRY_DAY):
        preview = plan_carry_over(
            source=plan, target=plan_2024, by=people["office"], due=DUE, items=list(seen), dry_run=True
        )
        assert not preview.errors and len(preview.lines) == 3 and not preview.applied
        assignment_report(assignment=items[1], by=reporter, text="刚刚完成")  # meanwhile
        with pytest.raises(CarryOverRefused) as refused:
            plan_carry_over(source=plan, target=plan_2024, by=people["office"], due=DUE, items=list(seen), seen=seen)
    assert "changed since the preview" in str(refused.value)
    assert "Nothing was carried over" in str(refused.value)
    assert not Assignment.objects.filter(task__plan=plan_2024, carried_from__isnull=False).exists()
    assert not AssignmentTransition.objects.filter(action=TransitionAction.CARRIED_OVER).exists()
    assert {item.pk: item.state for item in Assignment.objects.filter(pk__in=seen)} == {
        items[0].pk: AssignmentState.ASSIGNED,
        items[1].pk: AssignmentState.REPORTED,
        items[2].pk: AssignmentState.ASSIGNED,
    }


def test_only_the_issuing_office_carries_into_its_own_later_plan(
    plan: Plan, plan_2024: Plan, people: dict[str, User], units: dict[str, Unit], worked: dict[str, Assignment]
) -> None:
    Unit.objects.filter(code="220100").update(is_office=True)
    city_admin = UserFactory(username="changchun_admin", unit=units["220100"], role=Role.ADMIN)
    city_plan = Plan.objects.create(
        issuer=units["220100"], year=2024, title="长春市2024年", starts_on=plan_2024.starts_on
    )
    with at(CARRY_DAY):
        for user in (people["supervisor"], city_admin, people["reporter"]):
            with pytest.raises(NotAllowed):
                plan_carry_over(source=plan, target=plan_2024, by=user, due=DUE)
        with pytest.raises(NotAllowed):  # the province's admin does not manage the city's plan
            plan_carry_over(source=plan, target=city_plan, by=people["office"], due=DUE)
        problems = plan_carry_over(source=plan, target=city_plan, by=None, due=DUE, dry_run=True).errors
        assert any("another office's plan" in problem for problem in problems)
        assert any(
            "later year" in problem
            for problem in plan_carry_over(source=plan_2024, target=plan, by=None, due=DUE, dry_run=True).errors
        )
        for bad, expected in (
            ({"items": [worked["closed"].pk]}, "not open"),
            ({"due": None}, "has no deadline"),
            ({"due": dt.date(2023, 12, 31)}, "before"),
        ):
            arguments = {"due": DUE, **bad}
            with pytest.raises(CarryOverRefused) as refused:
                plan_carry_over(source=plan, target=plan_2024, by=people["office"], **arguments)  # type: ignore[arg-type]
            assert expected in str(refused.value)
    assert not Assignment.objects.filter(carried_from__isnull=False).exists()


def test_command_previews_then_carries_and_prints_json(plan: Plan, plan_2024: Plan, reporter: User) -> None:
    songyuan = list(carry_over_open_items(plan).filter(unit=reporter.unit)[:2])
    spec = ",".join(f"{item.task.number}@220700" for item in songyuan)
    out = StringIO()
    with at(CARRY_DAY):
        call_command(
            "carry_over", "--from-year", "2023", "--to-year", "2024", "--due", "2024-06-30", "--items", spec,
            "--dry-run", "--json", stdout=out,
        )  # fmt: skip
        preview = json.loads(out.getvalue())
        assert (preview["carried"], preview["errors"], len(preview["items"])) == (0, [], 2)
        assert not Assignment.objects.filter(carried_from__isnull=False).exists()
        out = StringIO()
        call_command(
            "carry_over", "--issuer", "JL-PRO", "--from-year", "2023", "--to-year", "2024", "--due", "2024-06-30",
            "--items", spec, "--item-due", f"{songyuan[0].task.number}@220700=2024-03-31", "--json", stdout=out,
        )  # fmt: skip
    done = json.loads(out.getvalue())
    assert done["carried"] == 2 and done["errors"] == []
    by_old = {entry["id"]: entry for entry in done["items"]}
    for item in songyuan:
        assert by_old[item.pk]["new_id"] == Assignment.objects.get(carried_from=item).pk
        assert by_old[item.pk]["unit"] == "220700" and by_old[item.pk]["number"] == item.task.number
    assert Assignment.objects.get(carried_from=songyuan[0]).due_date == dt.date(2024, 3, 31)
    # The exported ledgers say it too: 上年结转 on the new one's rows, 已结转 on the old one's.
    with at(CARRY_DAY):
        new_rows = ledger_export(ledger_as_of(plan_2024, None), "csv").decode("utf-8-sig")
        old_rows = ledger_export(ledger_as_of(plan, None), "csv").decode("utf-8-sig")
    assert new_rows.count("上年结转") == 2 and old_rows.count("已结转") >= 2
    with at(CARRY_DAY), pytest.raises(CommandError):  # the same items again: no longer open
        call_command("carry_over", "--from-year", "2023", "--to-year", "2024", "--due", "2024-06-30", "--items", spec,
                     stdout=StringIO(), stderr=StringIO())  # fmt: skip


def test_page_previews_confirms_and_both_ledgers_show_the_badges(
    plan: Plan, plan_2024: Plan, people: dict[str, User], reporter: User
) -> None:
    url = reverse("plans:carry_over", kwargs={"plan": plan})
    items = list(carry_over_open_items(plan).filter(unit=reporter.unit)[:2])
    with at(CARRY_DAY):  # signed in on the day: a session idle since July has ended
        assert client_for(people["supervisor"]).get(url).status_code == 403
        client = client_for(people["office"])
        page = client.get(url, {"to": plan_2024.pk})
        assert page.status_code == 200
        html = page.content.decode()
        assert html.count('name="items"') == carry_over_open_items(plan).count()
        form = {
            "to": str(plan_2024.pk),
            "due": "2024-06-30",
            "items": [str(item.pk) for item in items],
            f"due_{items[1].pk}": "2024-08-31",
            **{f"state_{item.pk}": item.state for item in items},
        }
        review = client.post(url, {**form, "action": "review"})
        assert review.status_code == 200 and 'data-step="confirm"' in review.content.decode()
        assert not Assignment.objects.filter(carried_from__isnull=False).exists()
        bad = client.post(url, {**form, "due": "30/06/2024", "action": "review"})
        assert bad.status_code == 400 and "30/06/2024" in bad.content.decode()
        done = client.post(url, {**form, "action": "confirm"}, follow=True)
        assert done.status_code == 200
        assert done.redirect_chain[-1][0] == reverse("plans:ledger", kwargs={"plan": plan_2024})
        assert Assignment.objects.get(carried_from=items[1]).due_date == dt.date(2024, 8, 31)
        new = Assignment.objects.get(carried_from=items[0])
        new_ledger = client.get(reverse("plans:ledger", kwargs={"plan": plan_2024})).content.decode()
        old_ledger = client.get(reverse("plans:ledger", kwargs={"plan": plan})).content.decode()
        item_page = client.get(new.get_absolute_url()).content.decode()
        old_page = client.get(items[0].get_absolute_url()).content.decode()
    assert f'data-carried-in="{items[0].pk}"' in new_ledger
    assert f'data-carried-to="{new.pk}"' in old_ledger
    assert 'data-count="carried">2<' in old_ledger
    # By unit too: a unit's carried items are neither closed nor remaining, and its row adds up.
    unit_rows = re.findall(
        r'data-unit-counts="(\w+)"><td>[^<]*</td><td class="app-num">(\d+)</td><td class="app-num">(\d+)</td>'
        r'<td class="app-num" data-unit-carried>(\d+)</td><td class="app-num">(\d+)</td>',
        old_ledger,
    )
    assert unit_rows and all(int(t) == int(c) + int(k) + int(r) for _code, t, c, k, r in unit_rows)
    assert sum(int(k) for _code, _t, _c, k, _r in unit_rows) == 2
    assert 'data-testid="carried-from-timeline"' in item_page and 'data-action="created"' in item_page
    assert 'data-testid="carried-into"' in old_page
    assert items[0].get_absolute_url() in item_page
    assert new.get_absolute_url() in old_page


def test_page_refuses_the_confirmation_when_an_item_changed_meanwhile(
    plan: Plan, plan_2024: Plan, people: dict[str, User], reporter: User
) -> None:
    url = reverse("plans:carry_over", kwargs={"plan": plan})
    items = list(carry_over_open_items(plan).filter(unit=reporter.unit)[:2])
    form = {
        "to": str(plan_2024.pk),
        "due": "2024-06-30",
        "items": [str(item.pk) for item in items],
        **{f"state_{item.pk}": item.state for item in items},
        "action": "confirm",
    }
    with at(CARRY_DAY):
        assignment_report(assignment=items[0], by=reporter, text="年底前完成")
        response = client_for(people["office"]).post(url, form)
    assert response.status_code == 409
    assert 'data-testid="carry-error"' in response.content.decode()
    assert not Assignment.objects.filter(carried_from__isnull=False).exists()
    assert Assignment.objects.get(pk=items[1].pk).state == AssignmentState.ASSIGNED


def test_another_office_admin_does_not_see_the_page(plan: Plan, plan_2024: Plan, units: dict[str, Unit]) -> None:
    Unit.objects.filter(code="220700").update(is_office=True)
    city_admin = UserFactory(username="songyuan_admin", unit=units["220700"], role=Role.ADMIN)
    url = reverse("plans:carry_over", kwargs={"plan": plan})
    with at(CARRY_DAY):
        client = client_for(city_admin)
        assert client.get(url).status_code == 403  # sees the province's plan (its items are in scope), may not carry
        assert client.post(url, {"to": plan_2024.pk, "items": ["1"], "action": "confirm"}).status_code == 403


def test_re_importing_next_years_plan_keeps_the_carried_items(
    plan: Plan, plan_2024: Plan, people: dict[str, User], reporter: User, import_file: ImportFile
) -> None:
    items = list(carry_over_open_items(plan).filter(unit=reporter.unit)[:2])
    with at(CARRY_DAY):
        plan_carry_over(source=plan, target=plan_2024, by=people["office"], due=DUE, items=[i.pk for i in items])
    carried = set(Assignment.objects.filter(carried_from__in=items).values_list("pk", flat=True))
    corrected = PLAN_2024.replace("6月30日".encode(), "7月31日".encode())
    with at("2024-01-10 09:00"):
        report = import_file(corrected, filename="2024.csv", year=2024)
    assert report.applied, report.errors
    assert set(Assignment.objects.filter(carried_from__in=items).values_list("pk", flat=True)) == carried
    assert Task.objects.get(plan=plan_2024, number="1").due_date == dt.date(2024, 7, 31)


def test_an_item_with_a_four_digit_id_is_not_taken_for_a_plan() -> None:
    """``<issuer>/<year>/`` also matches ``items/1234/``: the plan's page comes after the pages named by id (a
    carried item on PostgreSQL, whose ids do not restart, was answered by a missing plan "items/2988")."""
    from django.urls import resolve

    from processes.views.items import ItemView
    from processes.views.rounds import RoundView

    assert resolve(reverse("plans:item", kwargs={"pk": 2988})).func.view_class is ItemView  # type: ignore[attr-defined]
    assert resolve(reverse("plans:round", kwargs={"pk": 2023})).func.view_class is RoundView  # type: ignore[attr-defined]


@pytest.mark.django_db(transaction=True)
def test_a_report_racing_the_carry_over_leaves_one_of_them_done(
    plan_2023: Plan, import_file: ImportFile, office_admin: User, reporter: User
) -> None:
    """In two real concurrent transactions (PostgreSQL): the unit reports an item done while the office carries it
    over. Exactly one wins; the other is refused, and the item is either carried (its report refused) or reported
    (and the carry-over refused as a whole, nothing written)."""
    from django.db import connection

    from .test_concurrency import race

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite takes one writer at a time")
    assert import_file(PLAN_2024, filename="2024.csv", year=2024, starts=dt.date(2024, 1, 1)).applied
    target = Plan.objects.get(issuer=plan_2023.issuer, year=2024)
    item = carry_over_open_items(plan_2023).filter(unit=reporter.unit).first()
    assert item is not None
    seen = {item.pk: item.state}
    outcomes = race(
        lambda: plan_carry_over(source=plan_2023, target=target, by=office_admin, due=DUE, items=[item.pk], seen=seen),
        lambda: assignment_report(assignment=item.pk, by=reporter, text="已完成"),
    )
    results = [outcome for outcome, _seconds in outcomes]
    assert results.count("ok") == 1, results
    item.refresh_from_db()
    carried = Assignment.objects.filter(carried_from=item).count()
    if results[0] == "ok":
        assert (item.state, carried) == (AssignmentState.CARRIED, 1)
        assert not item.reports.exists()
    else:
        assert (item.state, carried) == (AssignmentState.REPORTED, 0)
        assert "CarryOverRefused" in results[0] and f"#{item.pk}" in results[0]  # changed since the preview
        assert not Task.objects.filter(plan=target, category=CARRIED_CATEGORY).exists()
