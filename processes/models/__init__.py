from .assignments import Assignment, AssignmentRole, AssignmentState, AssignmentTransition, TransitionAction
from .people import Role, User
from .plans import DeadlineKind, Frequency, Milestone, Plan, PlanImport, Task
from .units import Unit, UnitAlias, UnitGroup, UnitGroupAlias, UnitLevel

__all__ = [
    "Assignment",
    "AssignmentRole",
    "AssignmentState",
    "AssignmentTransition",
    "DeadlineKind",
    "Frequency",
    "Milestone",
    "Plan",
    "PlanImport",
    "Role",
    "Task",
    "TransitionAction",
    "Unit",
    "UnitAlias",
    "UnitGroup",
    "UnitGroupAlias",
    "UnitLevel",
    "User",
]
