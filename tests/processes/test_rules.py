"""Who may see and do what, per office and per plan: the one module of predicates (processes/rules.py) that the
state machine, the views, viewflow's steps and the querysets ask."""

import ast
import datetime as dt
from pathlib import Path
from urllib.parse import unquote

import pytest
import rules
from django.core.exceptions import ValidationError
from django.urls import resolve, reverse
from django_fsm import has_transition_perm

from processes.models import Assignment, Plan, Role, Unit, User
from processes.rules import (
    acts_for_plan,
    can_import_plans,
    manages_plan,
    plans_in_scope,
    step_permission,
    unit_permissions,
)
from processes.services.plans import PlanKey
from processes.services.units import InputRejected, units_load_csv

from ..conftest import ImportFile
from ..factories import UnitFactory, UserFactory
from .test_views import client_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

CITY_PLAN = (
    "序号,任务,责任单位,完成时限\n"
    "1,制定长春市“无废城市”建设年度工作要点,市发改局,7月31日\n"
    "2,推进朝阳区一般工业固体废物综合利用,朝阳区生态环境分局,12月31日\n"
).encode()


@pytest.fixture
def city(units: dict[str, Unit]) -> dict[str, Unit]:
    """长春市's office and two units under it."""
    office = units["220100"]
    Unit.objects.filter(pk=office.pk).update(is_office=True)
    office.refresh_from_db()
    return {
        "office": office,
        "drc": UnitFactory(code="220100-DRC", name="长春市发改局", short_name="市发改局", parent=office),
        "district": UnitFactory(
            code="220104", name="朝阳区生态环境分局", short_name="朝阳区", level="county", parent=office
        ),
    }


@pytest.fixture
def city_plan(city: dict[str, Unit], import_file: ImportFile) -> Plan:
    report = import_file(CITY_PLAN, "changchun.csv", issuer="220100", starts=dt.date(2023, 7, 10))
    assert report.applied, report.errors
    return Plan.objects.get(issuer=city["office"], year=2023)


def test_the_province_and_a_city_each_have_their_plan_of_the_year(plan_2023: Plan, city_plan: Plan) -> None:
    assert {(p.issuer.code, p.year) for p in Plan.objects.all()} == {("JL-PRO", 2023), ("220100", 2023)}
    assert city_plan.key == "220100/2023" and plan_2023.key == "JL-PRO/2023"


def test_a_city_plan_may_not_dispatch_outside_its_city(city: dict[str, Unit], import_file: ImportFile) -> None:
    data = "序号,任务,责任单位,完成时限\n1,任务甲,松原市生态环境局,8月31日\n".encode()
    report = import_file(data, "c.csv", issuer="220100")
    assert not report.applied
    assert [e.row for e in report.errors] == [2]
    assert "长春市生态环境局" in report.errors[0].message and "松原市生态环境局" in report.errors[0].message
    assert not Plan.objects.exists()


def test_only_an_office_issues_plans(units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file(CITY_PLAN, "c.csv", issuer="220700")
    assert not report.applied and "220700" in report.errors[0].message and not Plan.objects.exists()


def test_who_sees_which_plan(plan_2023: Plan, city_plan: Plan, city: dict[str, Unit], units: dict[str, Unit]) -> None:
    province = UserFactory(unit=units["JL-PRO"], role=Role.SUPERVISOR)
    city_admin = UserFactory(unit=city["office"], role=Role.ADMIN)
    district_reporter = UserFactory(unit=city["district"], role=Role.REPORTER)
    songyuan = UserFactory(unit=units["220700"], role=Role.SUPERVISOR)
    assert set(plans_in_scope(province)) == {plan_2023, city_plan}
    assert set(plans_in_scope(city_admin)) == {plan_2023, city_plan}  # the province's items of 长春市, and its own
    assert set(plans_in_scope(district_reporter)) == {city_plan}
    assert set(plans_in_scope(songyuan)) == {plan_2023}


def test_a_city_plans_office_steps_are_the_citys(
    plan_2023: Plan, city_plan: Plan, city: dict[str, Unit], units: dict[str, Unit], office_admin: User
) -> None:
    province_supervisor = UserFactory(unit=units["JL-PRO"], role=Role.SUPERVISOR)
    city_supervisor = UserFactory(unit=city["office"], role=Role.SUPERVISOR)
    city_admin = UserFactory(unit=city["office"], role=Role.ADMIN)
    superuser = UserFactory(unit=None, role=Role.REPORTER, is_superuser=True)
    city_item = Assignment.objects.get(task__plan=city_plan, unit=city["district"])
    provincial_item = Assignment.objects.filter(task__plan=plan_2023, unit=city["office"]).first()
    assert provincial_item is not None
    # The province sees the city's plan but does not verify or close its items; the city does.
    assert not rules.has_perm("processes.verify_assignment", province_supervisor, city_item)
    assert not rules.has_perm("processes.close_assignment", office_admin, city_item)
    assert rules.has_perm("processes.verify_assignment", city_supervisor, city_item)
    assert rules.has_perm("processes.close_assignment", city_admin, city_item)
    assert not rules.has_perm("processes.close_assignment", city_supervisor, city_item)
    # On the province's plan the city's people act within their scope, as before.
    assert rules.has_perm("processes.verify_assignment", city_supervisor, provincial_item)
    assert not acts_for_plan(province_supervisor, city_plan) and acts_for_plan(city_supervisor, city_plan)
    # Managing a plan is its own office's admins'.
    assert manages_plan(city_admin, city_plan) and not manages_plan(city_admin, plan_2023)
    assert manages_plan(office_admin, plan_2023) and not manages_plan(office_admin, city_plan)
    assert can_import_plans(city_admin) and not can_import_plans(city_supervisor)
    # A superuser passes every office check, but reporting stays the unit's own act.
    assert manages_plan(superuser, city_plan)
    assert rules.has_perm("processes.close_assignment", superuser, city_item)
    assert not rules.has_perm("processes.report_assignment", superuser, city_item)


def test_the_state_machine_asks_the_same_rules(plan_2023: Plan, city_plan: Plan, city: dict[str, Unit]) -> None:
    district_reporter = UserFactory(unit=city["district"], role=Role.REPORTER)
    other_reporter = UserFactory(unit=city["drc"], role=Role.REPORTER)
    item = Assignment.objects.get(task__plan=city_plan, unit=city["district"])
    assert has_transition_perm(item.report, district_reporter)
    assert not has_transition_perm(item.report, other_reporter)


def test_viewflow_offers_a_city_plans_steps_to_the_citys_people(
    plan_2023: Plan, city_plan: Plan, city: dict[str, Unit], units: dict[str, Unit]
) -> None:
    province_supervisor = UserFactory(unit=units["JL-PRO"], role=Role.SUPERVISOR)
    city_supervisor = UserFactory(unit=city["office"], role=Role.SUPERVISOR)
    city_item = Assignment.objects.get(task__plan=city_plan, unit=city["district"])
    provincial_item = Assignment.objects.filter(task__plan=plan_2023, unit=city["office"]).first()
    assert provincial_item is not None
    name = step_permission("verify", city_item)
    assert name == f"processes.verify_unit_{city['district'].pk}_of_{city['office'].pk}"
    assert step_permission("verify", provincial_item) == f"processes.verify_unit_{city['office'].pk}"
    assert name in unit_permissions(city_supervisor)
    assert name not in unit_permissions(province_supervisor)
    assert step_permission("verify", provincial_item) in unit_permissions(province_supervisor)
    assert province_supervisor.has_perm(step_permission("verify", provincial_item))
    assert not province_supervisor.has_perm(name) and city_supervisor.has_perm(name)


def test_no_module_but_the_rules_decides_by_role() -> None:
    """Who may do what is asked of processes/rules.py: a view or a service does not compare a person's role or read
    ``is_superuser`` itself (choosing whom to write to by role, in a query, is not such a decision)."""
    allowed = {
        "processes/rules.py",
        "processes/services/replay.py",  # simulated people act by their role
        "processes/management/commands/load_demo.py",
    }
    offenders = []
    for path in sorted((ROOT / "processes").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in allowed or "/migrations/" in relative:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            compares_role = (
                isinstance(node, ast.Compare)
                and any(
                    isinstance(side, ast.Attribute) and side.attr == "role" for side in [node.left, *node.comparators]
                )
                and any(isinstance(name, ast.Name) and name.id == "Role" for name in ast.walk(node))
            )
            reads_superuser = isinstance(node, ast.Attribute) and node.attr == "is_superuser"
            if compares_role or reads_superuser:
                offenders.append(f"{relative}:{node.lineno}")
    assert offenders == []


def test_close_out_steps_are_offered_to_the_issuing_offices_admins_only(
    plan_2023: Plan, city_plan: Plan, city: dict[str, Unit], units: dict[str, Unit], office_admin: User
) -> None:
    department_admin = UserFactory(unit=units["JL-EEB"], role=Role.ADMIN)  # over the city bureaus, not the office
    city_admin = UserFactory(unit=city["office"], role=Role.ADMIN)
    provincial_item = Assignment.objects.filter(task__plan=plan_2023, unit=city["office"]).first()
    city_item = Assignment.objects.get(task__plan=city_plan, unit=city["district"])
    assert provincial_item is not None
    provincial_close, city_close = step_permission("close", provincial_item), step_permission("close", city_item)
    assert provincial_close in unit_permissions(office_admin) and city_close not in unit_permissions(office_admin)
    assert provincial_close not in unit_permissions(department_admin)
    assert provincial_close not in unit_permissions(city_admin) and city_close in unit_permissions(city_admin)
    assert not rules.has_perm("processes.close_assignment", department_admin, provincial_item)


def test_an_office_of_any_code_names_its_plan_in_links(
    plan_2023: Plan, units: dict[str, Unit], import_file: ImportFile, supervisor: User
) -> None:
    """A unit code is any text without a slash, a space, “?”, “#” or “%”: a Chinese one names its plan in links."""
    office = UnitFactory(code="长春.市-01", name="长春测试办公室", level="city", is_office=True, parent=units["JL-EEB"])
    UnitFactory(code="长春.市-01-a", name="测试区生态环境分局", short_name="测试区", level="county", parent=office)
    report = import_file(
        "序号,任务,责任单位,完成时限\n1,任务甲,测试区生态环境分局,8月31日\n".encode(), "t.csv", issuer=office.code
    )
    assert report.applied, report.errors
    plan = Plan.objects.get(issuer=office)
    url = reverse("plans:ledger", kwargs={"plan": plan})
    assert resolve(unquote(url)).kwargs["plan"] == PlanKey("长春.市-01", 2023)  # as the server reads the path
    assert client_for(supervisor).get(url).status_code == 200
    assert client_for(supervisor).get(reverse("plans:plan_list")).status_code == 200
    with pytest.raises(ValidationError):
        Unit(code="长春 01", name="x", level="city").full_clean()
    with pytest.raises(InputRejected) as refused:
        units_load_csv(
            data="code,name,short_name,level,parent_code,aliases\n22/01,某单位,,city,,\n".encode(), filename="u.csv"
        )
    assert [(problem.row, problem.field) for problem in refused.value.problems] == [(2, "code")]
