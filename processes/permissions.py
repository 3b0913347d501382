"""Who may take which step on an assignment. The state machine's transitions name these as their permission, so
that a step is allowed only to the right person *and* only from the right state, declared in one place."""

from __future__ import annotations

from typing import Any

from processes.models.people import Role, User


def _in_scope(user: Any, unit_id: int) -> bool:
    from processes.services.scope import scope_unit_ids  # the models import this module: import scope when used

    unit_ids = scope_unit_ids(user)
    return unit_ids is None or unit_id in unit_ids


def _for_plan(user: Any, item: Any) -> bool:
    """The office steps of a city's or a district's plan are its own office's (see ``scope.acts_on_task``).
    ``item`` is an assignment, or what belongs to one (an obligation)."""
    from processes.services.scope import acts_on_task

    task_id = item.task_id if hasattr(item, "task_id") else item.assignment.task_id
    return acts_on_task(user, task_id)


def _active(user: Any) -> bool:
    return isinstance(user, User) and user.is_active


def can_report(assignment: Any, user: Any) -> bool:
    """The responsible unit itself: its reporters and its leader."""
    return _active(user) and user.role in (Role.REPORTER, Role.LEADER) and user.unit_id == assignment.unit_id


def can_sign_off(assignment: Any, user: Any) -> bool:
    """The leader of the responsible unit."""
    return _active(user) and user.role == Role.LEADER and user.unit_id == assignment.unit_id


def can_verify(assignment: Any, user: Any) -> bool:
    """A supervisor (or the office's admin) whose scope covers the unit."""
    return (
        _active(user)
        and (user.role in (Role.SUPERVISOR, Role.ADMIN) or user.is_superuser)
        and _in_scope(user, assignment.unit_id)
        and _for_plan(user, assignment)
    )


def can_close(assignment: Any, user: Any) -> bool:
    """The office: an admin of the office that issues the item's plan, whose scope covers the unit."""
    from processes.services.offices import closes_on_task

    return (
        _active(user)
        and (user.role == Role.ADMIN or user.is_superuser)
        and _in_scope(user, assignment.unit_id)
        and _for_plan(user, assignment)
        and closes_on_task(user, assignment.task_id)
    )


def unit_permissions(user: Any) -> set[str]:
    """The per-unit permissions viewflow's human steps ask for, granted by the same rules as the checks above:
    ``processes.signoff_unit_<id>``, ``processes.verify_unit_<id>`` and ``processes.close_unit_<id>``."""
    if not _active(user):
        return set()
    from processes.models import Unit
    from processes.services.scope import scope_unit_ids

    permissions: set[str] = set()
    if user.role == Role.LEADER and user.unit_id is not None:
        permissions.add(f"processes.signoff_unit_{user.unit_id}")
    verifies = user.role in (Role.SUPERVISOR, Role.ADMIN) or user.is_superuser
    closes = user.role == Role.ADMIN or user.is_superuser
    if verifies or closes:
        unit_ids = scope_unit_ids(user)
        if unit_ids is None:
            unit_ids = set(Unit.objects.values_list("pk", flat=True))
        for unit_id in unit_ids:
            if verifies:
                permissions.add(f"processes.verify_unit_{unit_id}")
            if closes:
                permissions.add(f"processes.close_unit_{unit_id}")
    return permissions
