"""Who sees what. Every page, download and action asks here.

- a reporter or unit leader: their own unit's assignments;
- a supervisor or office admin of a city (or county) unit: that unit and every unit below it;
- a supervisor or office admin of the provincial programme office (``Unit.is_office``), and superusers: everything;
- a supervisor or admin of another provincial unit (a member department): that unit and the units below it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from processes.models import Assignment, Plan, Role, Task, Unit, UnitLevel, User

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
    return unit_subtree(user.unit_id)


def unit_subtree(root_id: int) -> set[int]:
    """The unit ``root_id`` and every unit below it."""
    children: dict[int | None, list[int]] = {}
    for unit_id, parent_id in Unit.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(unit_id)
    found: set[int] = set()
    queue = [root_id]
    while queue:
        unit_id = queue.pop()
        if unit_id not in found:
            found.add(unit_id)
            queue.extend(children.get(unit_id, []))
    return found


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
    """An office's admins import its plans (the province's, a city's, a district's); superusers any office's."""
    if not isinstance(user, User) or not user.is_active:
        return False
    return user.is_superuser or (user.role == Role.ADMIN and user.unit is not None and user.unit.is_office)


def offices_importable_by(user: Viewer) -> QuerySet[Unit]:
    """The offices whose plans ``user`` may import: their own office; every office for a superuser."""
    if not can_import_plans(user):
        return Unit.objects.none()
    assert isinstance(user, User)  # noqa: S101 - can_import_plans checked it
    offices = Unit.objects.filter(is_office=True, is_active=True).order_by("level", "position", "code")
    return offices if user.is_superuser else offices.filter(pk=user.unit_id or 0)


def administers_installation(user: Viewer) -> bool:
    """The provincial programme office's admins (and superusers): what is the whole installation's, such as the
    official calendar of a year."""
    return isinstance(user, User) and sees_everything(user) and (user.is_superuser or user.role == Role.ADMIN)


def categories_in_scope(user: Viewer, plan_id: int) -> list[str]:
    """The plan's categories that hold a task the user may see, in the plan's order."""
    tasks = tasks_in_scope(user, Task.objects.filter(plan_id=plan_id).exclude(category=""))
    return list(dict.fromkeys(tasks.order_by("position").values_list("category", flat=True)))


def plans_in_scope(user: Viewer) -> QuerySet[Plan]:
    """The plans a person sees: those whose items are in their scope, and those their office (or an office below
    it) issues; the provincial office and superusers see every plan."""
    if sees_everything(user):
        return Plan.objects.all()
    unit_ids = scope_unit_ids(user) or set()
    with_items = Task.objects.filter(assignments__unit_id__in=unit_ids).values("plan_id")
    return Plan.objects.filter(Q(issuer_id__in=unit_ids) | Q(pk__in=with_items))


def plan_in_scope_or_404(user: Viewer, key: Any) -> Plan:
    """The plan a URL names (``PlanKey``), if ``user`` sees it; 404 otherwise, as for a plan that does not exist."""
    plan = plans_in_scope(user).select_related("issuer").filter(issuer__code=key.issuer, year=key.year).first()
    if plan is None:
        raise Http404
    return plan


def acts_for_plan(user: Viewer, plan: Plan) -> bool:
    """Whether ``user`` takes the office's steps (verify, close, dispatch) on ``plan``'s items: the province's plan
    is everyone's in scope; a city's or a district's plan is its own office's and the units below it."""
    if not isinstance(user, User) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    issuer = plan.issuer
    if issuer.level == UnitLevel.PROVINCE:
        return True
    return user.unit_id is not None and user.unit_id in unit_subtree(issuer.pk)


def manages_plan(user: Viewer, plan: Plan) -> bool:
    """The plan's own office admins (and superusers): import, rounds, close-out, carry-over."""
    if not isinstance(user, User) or not user.is_active:
        return False
    return user.is_superuser or (user.role == Role.ADMIN and user.unit_id == plan.issuer_id)


def acts_on_task(user: Viewer, task_id: int) -> bool:
    """:func:`acts_for_plan` for the plan of task ``task_id``, remembered on the user object for the request."""
    if not isinstance(user, User) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cache: dict[int, bool] = user.__dict__.setdefault("_acts_on_task", {})
    if task_id not in cache:
        row = Task.objects.filter(pk=task_id).values_list("plan__issuer_id", "plan__issuer__level").first()
        if row is None:
            cache[task_id] = False
        else:
            issuer_id, level = row
            cache[task_id] = level == UnitLevel.PROVINCE or (
                user.unit_id is not None and user.unit_id in unit_subtree(issuer_id)
            )
    return cache[task_id]
