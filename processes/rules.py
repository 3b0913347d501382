"""Who may see and do what: every predicate, in one place.

The state machine's transitions (``permission=``), the views, viewflow's task assignment (the per-unit
permissions of ``processes.auth``) and the querysets all ask here. The rules, in words:

- a reporter or unit leader sees and reports for their own unit; a leader signs its submissions off;
- a supervisor or admin of a unit sees that unit and every unit below it; the provincial programme office's
  supervisors and admins, and superusers, see everything;
- a plan belongs to the office that issues it (the province's, a city's, a district's). People see the plans whose
  items are in their scope and those their office, or an office below it, issues. The office's steps on a plan's
  items (verify, close out, carry over) are taken, within their scope, by supervisors (verify) and admins (close)
  of the issuer's subtree — anyone in scope for the province's plan; the plan's own admins manage it (import,
  rounds, carry-over).

Predicates are django-rules predicates: they compose with ``&``, ``|`` and ``~``, and the object-level ones are
registered as permissions (``processes.verify_assignment`` …) that ``rules.has_perm(name, user, item)`` answers.
A superuser passes every office check but reports for no unit: reporting is the unit's own act.
"""

from __future__ import annotations

from typing import Any

import rules
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from processes.models import Assignment, Plan, Project, ProjectLibrary, Role, Task, Unit, UnitLevel, User

Viewer = User | AnonymousUser

# ---------------------------------------------------------------------------------------------------------------
# About the person


@rules.predicate
def is_active_person(user: Any) -> bool:
    return isinstance(user, User) and user.is_active


@rules.predicate
def is_superuser(user: Any) -> bool:
    return isinstance(user, User) and user.is_active and user.is_superuser


def has_role(*roles: str) -> rules.Predicate:
    """A predicate: the person's role is one of ``roles``."""

    def check(user: Any) -> bool:
        return isinstance(user, User) and user.role in roles

    return rules.Predicate(check, name=f"has_role({', '.join(roles)})")


@rules.predicate
def of_an_office(user: Any) -> bool:
    """The person belongs to a unit marked as an office (the province's, a city's or a district's)."""
    return isinstance(user, User) and user.unit is not None and user.unit.is_office


@rules.predicate
def of_the_programme_office(user: Any) -> bool:
    """The person belongs to the provincial programme office (推进组办公室)."""
    return (
        isinstance(user, User)
        and user.unit is not None
        and user.unit.level == UnitLevel.PROVINCE
        and user.unit.is_office
    )


is_supervisor_or_admin = has_role(Role.SUPERVISOR, Role.ADMIN)
is_admin = has_role(Role.ADMIN)
is_unit_member = has_role(Role.REPORTER, Role.LEADER)
is_leader = has_role(Role.LEADER)

#: Sees every unit's items and every plan.
sees_everything_rule = is_active_person & (is_superuser | (is_supervisor_or_admin & of_the_programme_office))
#: Verifies, returns, reminds: a supervisor or an admin (or a superuser), within their scope.
supervises = is_active_person & (is_superuser | is_supervisor_or_admin)
#: Closes out, handles escalations: an admin (or a superuser), within their scope.
administers = is_active_person & (is_superuser | is_admin)
#: Imports the plans of their office.
imports_plans = is_active_person & (is_superuser | (is_admin & of_an_office))
#: What belongs to the whole installation (the official calendar of a year); a plan's pairings and bulletins
#: are its office's.
administers_installation_rule = is_active_person & (is_superuser | (is_admin & of_the_programme_office))


#: A supervisor or an admin of an office (the province's, a city's, a district's): reads and prepares its documents.
staffs_an_office = is_active_person & is_supervisor_or_admin & of_an_office


def office_staff(user: Viewer) -> bool:
    """A supervisor or admin of an office (which one is the caller's to compare)."""
    return bool(staffs_an_office(user))


def sees_everything(user: Viewer) -> bool:
    return bool(sees_everything_rule(user))


def supervises_items(user: Viewer) -> bool:
    """A supervisor, an admin or a superuser: may verify, return and remind within their scope."""
    return bool(supervises(user))


def can_import_plans(user: Viewer) -> bool:
    """An office's admins import its plans (the province's, a city's, a district's); superusers any office's."""
    return bool(imports_plans(user))


def administers_installation(user: Viewer) -> bool:
    """The provincial programme office's admins (and superusers): what is the whole installation's, such as the
    official calendar of a year."""
    return bool(administers_installation_rule(user))


# ---------------------------------------------------------------------------------------------------------------
# Scope: which units, plans, tasks and items a person sees


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


def scope_unit_ids(user: Viewer) -> set[int] | None:
    """The ids of the units whose items ``user`` may see; ``None`` means all of them. Remembered on the user
    object (one request's user) once computed."""
    if sees_everything(user):
        return None
    if not isinstance(user, User) or not user.is_active or user.unit_id is None:
        return set()
    if user.role in (Role.REPORTER, Role.LEADER):
        return {user.unit_id}
    cached: set[int] | None = user.__dict__.get("_scope_unit_ids")
    if cached is None or user.__dict__.get("_scope_unit_of") != user.unit_id:
        cached = unit_subtree(user.unit_id)
        user.__dict__.update(_scope_unit_ids=cached, _scope_unit_of=user.unit_id)
    return cached


def unit_in_scope(user: Viewer, unit_id: int) -> bool:
    unit_ids = scope_unit_ids(user)
    return unit_ids is None or unit_id in unit_ids


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


def offices_importable_by(user: Viewer) -> QuerySet[Unit]:
    """The offices whose plans ``user`` may import: their own office; every office for a superuser."""
    if not can_import_plans(user) or not isinstance(user, User):
        return Unit.objects.none()
    offices = Unit.objects.filter(is_office=True, is_active=True).order_by("level", "position", "code")
    return offices if user.is_superuser else offices.filter(pk=user.unit_id or 0)


# ---------------------------------------------------------------------------------------------------------------
# Plans: whose office steps they are


def _acts_for_issuer(user: Viewer, issuer_id: int, issuer_level: str) -> bool:
    if not isinstance(user, User) or not user.is_active:
        return False
    if user.is_superuser or issuer_level == UnitLevel.PROVINCE:
        return True
    return user.unit_id is not None and user.unit_id in unit_subtree(issuer_id)


def acts_for_plan(user: Viewer, plan: Plan) -> bool:
    """Whether ``user`` takes the office's steps (verify, close, dispatch) on ``plan``'s items: the province's plan
    is everyone's in scope; a city's or a district's plan is its own office's and the units below it."""
    return _acts_for_issuer(user, plan.issuer_id, plan.issuer.level)


def acts_on_task(user: Viewer, task_id: int) -> bool:
    """:func:`acts_for_plan` for the plan of task ``task_id``, remembered on the user object for the request."""
    if not isinstance(user, User) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cache: dict[int, bool] = user.__dict__.setdefault("_acts_on_task", {})
    if task_id not in cache:
        row = Task.objects.filter(pk=task_id).values_list("plan__issuer_id", "plan__issuer__level").first()
        cache[task_id] = row is not None and _acts_for_issuer(user, *row)
    return cache[task_id]


def oversees_plan(user: Viewer, plan: Plan) -> bool:
    """Whether ``user`` sees the whole of ``plan`` as its office does (every region's assessment, the ranking, the
    drafts): the provincial office and superusers for every plan; a city's (district's) office for its own."""
    if not isinstance(user, User) or not user.is_active:
        return False
    if sees_everything(user):
        return True
    return office_staff(user) and user.unit_id == plan.issuer_id


def manages_plan(user: Viewer, plan: Plan) -> bool:
    """The plan's own office admins (and superusers): import, rounds, close-out, carry-over."""
    return bool(is_superuser(user)) or bool(
        (is_active_person & is_admin)(user) and isinstance(user, User) and user.unit_id == plan.issuer_id
    )


# ---------------------------------------------------------------------------------------------------------------
# 项目库: a region sees and proposes its own projects; the library's office sees them all and decides


def manages_project_library(user: Viewer, library: ProjectLibrary) -> bool:
    """The library's office staff (its supervisors and admins) and superusers: admit, send back, take out (退库),
    plan milestones, accept and return reports, import for any region."""
    if bool(is_superuser(user)):
        return True
    return isinstance(user, User) and office_staff(user) and user.unit_id == library.office_id


def library_units(library: ProjectLibrary) -> set[int]:
    """The units whose projects a library holds: every unit for the province's library (its regions are the cities,
    which sit under the departments, not under the office), the units under a city's or a district's office."""
    if library.office.level == UnitLevel.PROVINCE:
        return set(Unit.objects.values_list("pk", flat=True))
    return unit_subtree(library.office_id)


def libraries_in_scope(user: Viewer) -> QuerySet[ProjectLibrary]:
    """The libraries a person works with: those of offices in their scope and those above their unit (the library
    their region reports into)."""
    libraries = ProjectLibrary.objects.select_related("office")
    if sees_everything(user):
        return libraries
    if not isinstance(user, User) or not user.is_active or user.unit_id is None:
        return libraries.none()
    above = {library.pk for library in libraries if user.unit_id in library_units(library)}
    return libraries.filter(Q(pk__in=above) | Q(office_id__in=scope_unit_ids(user) or set()))


def projects_in_scope(user: Viewer, queryset: QuerySet[Project] | None = None) -> QuerySet[Project]:
    """A region's people see its own projects; an office's staff every project of its library and of the regions
    in their scope; the provincial office and superusers every project."""
    queryset = Project.objects.all() if queryset is None else queryset
    if sees_everything(user):
        return queryset
    if not isinstance(user, User) or not user.is_active or user.unit_id is None:
        return queryset.none()
    unit_ids = scope_unit_ids(user) or set()
    own_library = Q(library__office_id=user.unit_id) if office_staff(user) else Q(pk__in=[])
    return queryset.filter(Q(region_id__in=unit_ids) | own_library)


def project_visible(user: Viewer, project: Project) -> bool:
    return projects_in_scope(user, Project.objects.filter(pk=project.pk)).exists()


def proposes_project(user: Viewer, project: Project) -> bool:
    """The region's own people (and those over it) enter and propose its projects; the office may on its behalf."""
    if not isinstance(user, User) or not user.is_active:
        return False
    if manages_project_library(user, project.library):
        return True
    return user.unit_id is not None and unit_in_scope(user, project.region_id) and not bool(is_superuser(user))


def regions_proposable_by(user: Viewer, library: ProjectLibrary) -> QuerySet[Unit]:
    """The regions ``user`` may enter projects for in ``library``: the units under its office within their scope."""
    provincial = Unit.objects.filter(level=UnitLevel.PROVINCE).values_list("pk", flat=True)
    inside = library_units(library) - {library.office_id} - set(provincial)
    if not manages_project_library(user, library):
        inside &= scope_unit_ids(user) or set()
    return Unit.objects.filter(pk__in=inside, is_active=True).order_by("level", "position", "code")


# ---------------------------------------------------------------------------------------------------------------
# Items: the steps of an assignment (or of what belongs to one: an obligation, an extension request)


def _unit_id(item: Any) -> int | None:
    if item is None:
        return None
    if hasattr(item, "unit_id"):
        return int(item.unit_id)
    return int(item.assignment.unit_id) if hasattr(item, "assignment") else None


def _task_id(item: Any) -> int | None:
    if item is None:
        return None
    if hasattr(item, "task_id"):
        return int(item.task_id)
    return int(item.assignment.task_id) if hasattr(item, "assignment") else None


@rules.predicate
def is_own_unit(user: Any, item: Any) -> bool:
    """The item is owed by the person's own unit."""
    unit_id = _unit_id(item)
    return unit_id is not None and isinstance(user, User) and user.unit_id == unit_id


@rules.predicate
def item_in_scope(user: Any, item: Any) -> bool:
    unit_id = _unit_id(item)
    return unit_id is not None and unit_in_scope(user, unit_id)


@rules.predicate
def acts_for_items_plan(user: Any, item: Any) -> bool:
    task_id = _task_id(item)
    return task_id is not None and acts_on_task(user, task_id)


def closes_on_task(user: Viewer, task_id: int) -> bool:
    """销号 is the office's: only the admins of the office that issues the task's plan (and superusers) close its
    items — a city's office closes its own plan's items, not the province's items addressed to it, and the provincial
    office does not close a city's. Remembered on the user object for the request."""
    if not isinstance(user, User) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if user.unit_id is None:
        return False
    cache: dict[int, bool] = user.__dict__.setdefault("_closes_on_task", {})
    if task_id not in cache:
        issuer_id = Task.objects.filter(pk=task_id).values_list("plan__issuer_id", flat=True).first()
        cache[task_id] = issuer_id is not None and issuer_id == user.unit_id
    return cache[task_id]


@rules.predicate
def closes_for_items_plan(user: Any, item: Any) -> bool:
    task_id = _task_id(item)
    return task_id is not None and closes_on_task(user, task_id)


may_report = is_active_person & is_unit_member & is_own_unit
may_sign_off = is_active_person & is_leader & is_own_unit
may_verify = supervises & item_in_scope & acts_for_items_plan
may_close = administers & item_in_scope & acts_for_items_plan & closes_for_items_plan

rules.add_perm("processes.report_assignment", may_report)
rules.add_perm("processes.signoff_assignment", may_sign_off)
rules.add_perm("processes.verify_assignment", may_verify)
rules.add_perm("processes.close_assignment", may_close)


def can_report(item: Any, user: Any) -> bool:
    """The responsible unit itself: its reporters and its leader."""
    return bool(may_report(user, item))


def can_sign_off(item: Any, user: Any) -> bool:
    """The leader of the responsible unit."""
    return bool(may_sign_off(user, item))


def can_verify(item: Any, user: Any) -> bool:
    """A supervisor (or an admin) whose scope covers the unit, for a plan whose office steps are theirs."""
    return bool(may_verify(user, item))


def can_close(item: Any, user: Any) -> bool:
    """The office: an admin of the office that issues the item's plan, whose scope covers the unit."""
    return bool(may_close(user, item))


def step_permission(kind: str, assignment: Any) -> str:
    """The permission viewflow's ``kind`` step (signoff, verify, close) on ``assignment`` asks for: per unit for the
    province's plan (``processes.verify_unit_<unit>``), per unit and issuing office for a city's or a district's
    plan (``processes.verify_unit_<unit>_of_<office>``), so that its steps are offered to that office's people."""
    issuer_id, level = Task.objects.filter(pk=assignment.task_id).values_list("plan__issuer_id", "plan__issuer__level")[
        0
    ]
    if kind == "signoff" or level == UnitLevel.PROVINCE:
        return f"processes.{kind}_unit_{assignment.unit_id}"
    return f"processes.{kind}_unit_{assignment.unit_id}_of_{issuer_id}"


def unit_permissions(user: Any) -> set[str]:
    """The permissions of :func:`step_permission` that ``user`` holds, granted by the same predicates as above."""
    if not is_active_person(user):
        return set()
    permissions: set[str] = set()
    if is_leader(user) and user.unit_id is not None:
        permissions.add(f"processes.signoff_unit_{user.unit_id}")
    kinds = [kind for kind, rule in (("verify", supervises), ("close", administers)) if rule(user)]
    if not kinds:
        return permissions
    unit_ids = scope_unit_ids(user)
    if unit_ids is None:
        unit_ids = set(Unit.objects.values_list("pk", flat=True))
    offices = Unit.objects.filter(is_office=True).exclude(level=UnitLevel.PROVINCE).values_list("pk", flat=True)
    superuser = bool(is_superuser(user))
    for kind in kinds:
        # Close-out is the issuing office's own (closes_on_task): the province's plan's steps go to its office's
        # admins, a city's plan's to that city office's admins.
        if kind == "verify" or superuser or bool(of_the_programme_office(user)):
            permissions.update(f"processes.{kind}_unit_{unit_id}" for unit_id in unit_ids)
        for office_id in offices:
            if kind == "close" and not superuser and office_id != user.unit_id:
                continue
            if _acts_for_issuer(user, office_id, UnitLevel.CITY):
                inside = unit_ids & unit_subtree(office_id)
                permissions.update(f"processes.{kind}_unit_{unit_id}_of_{office_id}" for unit_id in inside)
    return permissions
