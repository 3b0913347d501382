"""Who sees which units' items."""

import pytest

from processes.models import Assignment, Plan, Role, Unit, User
from processes.rules import assignments_in_scope, can_import_plans, scope_unit_ids

from ..factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def codes(user: User) -> set[str]:
    return set(assignments_in_scope(user, Assignment.objects.all()).values_list("unit__code", flat=True))


def test_a_reporter_and_a_leader_see_only_their_unit(plan_2023: Plan, reporter: User, leader: User) -> None:
    assert codes(reporter) == {"220700"}
    assert codes(leader) == {"220700"}
    assert assignments_in_scope(reporter).count() == 25


def test_a_provincial_supervisor_and_admin_see_everything(
    plan_2023: Plan, supervisor: User, office_admin: User
) -> None:
    assert scope_unit_ids(supervisor) is None
    assert assignments_in_scope(supervisor).count() == 289
    assert assignments_in_scope(office_admin).count() == 289


def test_a_city_supervisor_sees_the_city_and_the_units_below_it(plan_2023: Plan, units: dict[str, Unit]) -> None:
    district = UnitFactory(code="220702", name="宁江区生态环境分局", level="county", parent=units["220700"])
    city_supervisor = UserFactory(unit=units["220700"], role=Role.SUPERVISOR)
    assert scope_unit_ids(city_supervisor) == {units["220700"].pk, district.pk}
    assert codes(city_supervisor) == {"220700"}


def test_a_member_department_of_the_province_sees_only_its_own_items(plan_2023: Plan, units: dict[str, Unit]) -> None:
    # 省住建厅 is a provincial unit but not the programme office: its supervisor does not oversee the cities.
    department_supervisor = UserFactory(unit=units["JL-HUD"], role=Role.SUPERVISOR)
    department_admin = UserFactory(unit=units["JL-HUD"], role=Role.ADMIN)
    assert scope_unit_ids(department_supervisor) == {units["JL-HUD"].pk}
    assert assignments_in_scope(department_supervisor).count() == 0
    assert not can_import_plans(department_admin)
    # 省生态环境厅 stands over the city bureaus in the unit tree: its supervisors see them, as the tree says.
    eeb_supervisor = UserFactory(unit=units["JL-EEB"], role=Role.SUPERVISOR)
    assert codes(eeb_supervisor) == {"JL-EEB"} | {u.code for u in units.values() if u.level == "city"}


def test_people_without_a_unit_or_inactive_see_nothing(plan_2023: Plan, units: dict[str, Unit]) -> None:
    assert assignments_in_scope(UserFactory(unit=None, role=Role.SUPERVISOR)).count() == 0
    assert assignments_in_scope(UserFactory(unit=units["JL-PRO"], role=Role.SUPERVISOR, is_active=False)).count() == 0


def test_only_provincial_office_admins_import_plans(
    units: dict[str, Unit], reporter: User, supervisor: User, office_admin: User
) -> None:
    city_admin = UserFactory(unit=units["220700"], role=Role.ADMIN)
    assert [can_import_plans(u) for u in (reporter, supervisor, city_admin, office_admin)] == [
        False,
        False,
        False,
        True,
    ]


def test_the_per_unit_permissions_follow_role_and_scope(
    units: dict[str, Unit], reporter: User, leader: User, supervisor: User, office_admin: User
) -> None:
    songyuan, baicheng = units["220700"].pk, units["220800"].pk
    city_supervisor = UserFactory(unit=units["220700"], role=Role.SUPERVISOR)
    assert reporter.get_all_permissions() == set()
    assert leader.has_perm(f"processes.signoff_unit_{songyuan}")
    assert not leader.has_perm(f"processes.signoff_unit_{baicheng}")
    assert not leader.has_perm(f"processes.verify_unit_{songyuan}")
    assert city_supervisor.has_perm(f"processes.verify_unit_{songyuan}")
    assert not city_supervisor.has_perm(f"processes.verify_unit_{baicheng}")
    assert not city_supervisor.has_perm(f"processes.close_unit_{songyuan}")
    assert all(supervisor.has_perm(f"processes.verify_unit_{unit.pk}") for unit in units.values())
    assert not supervisor.has_perm(f"processes.close_unit_{songyuan}")
    assert office_admin.has_perm(f"processes.close_unit_{baicheng}")
