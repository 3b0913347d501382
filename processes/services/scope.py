"""Who sees what. Every page, download and action asks here.

- a reporter or unit leader: their own unit's assignments;
- a supervisor or office admin of a city (or county) unit: that unit and every unit below it;
- a supervisor or office admin of the provincial programme office (``Unit.is_office``), and superusers: everything;
- a supervisor or admin of another provincial unit (a member department): that unit and the units below it.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from processes.models import Assignment, Role, Task, Unit, UnitLevel, User

Viewer = User | AnonymousUser


def sees_everything(user: Viewer) -> bool:
    if not isinstance(user, User) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    unit = user.unit
    return (
        user.role in (Role.SUPERVISOR, Role.ADMIN)
        and unit is not None
        and unit.level == UnitLevel.PROVINCE
        and unit.is_office
    )


def scope_unit_ids(user: Viewer) -> set[int] | None:
    """The ids of the units whose items ``user`` may see; ``None`` means all of them."""
    if sees_everything(user):
        return None
    if not isinstance(user, User) or not user.is_active or user.unit_id is None:
        return set()
    if user.role in (Role.REPORTER, Role.LEADER):
        return {user.unit_id}
    children: dict[int | None, list[int]] = {}
    for unit_id, parent_id in Unit.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(unit_id)
    scope: set[int] = set()
    queue = [user.unit_id]
    while queue:
        unit_id = queue.pop()
        if unit_id not in scope:
            scope.add(unit_id)
            queue.extend(children.get(unit_id, []))
    return scope


def assignments_in_scope(user: Viewer, queryset: QuerySet[Assignment] | None = None) -> QuerySet[Assignment]:
    queryset = Assignment.objects.all() if queryset is None else queryset
    unit_ids = scope_unit_ids(user)
    return queryset if unit_ids is None else queryset.filter(unit_id__in=unit_ids)


def tasks_in_scope(user: Viewer, queryset: QuerySet[Task]) -> QuerySet[Task]:
    """Tasks with at least one assignment the user may see."""
    unit_ids = scope_unit_ids(user)
    if unit_ids is None:
        return queryset
    return queryset.filter(assignments__unit_id__in=unit_ids).distinct()


def can_import_plans(user: Viewer) -> bool:
    """Plans are the province's: its office admins (and superusers) import them."""
    return isinstance(user, User) and sees_everything(user) and (user.is_superuser or user.role == Role.ADMIN)


def categories_in_scope(user: Viewer, plan_id: int) -> list[str]:
    """The plan's categories that hold a task the user may see, in the plan's order."""
    tasks = tasks_in_scope(user, Task.objects.filter(plan_id=plan_id).exclude(category=""))
    return list(dict.fromkeys(tasks.order_by("position").values_list("category", flat=True)))
