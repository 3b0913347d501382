from .assignments import (
    OPEN_STATES,
    Assignment,
    AssignmentRole,
    AssignmentState,
    AssignmentTransition,
    Evidence,
    Report,
    ReportKind,
    TransitionAction,
)
from .flows import CompletionProcess, EscalationProcess
from .people import Role, User
from .plans import DeadlineKind, Frequency, Milestone, Plan, PlanImport, Task
from .units import Unit, UnitAlias, UnitGroup, UnitGroupAlias, UnitLevel

__all__ = [
    "OPEN_STATES",
    "Assignment",
    "AssignmentRole",
    "AssignmentState",
    "AssignmentTransition",
    "CompletionProcess",
    "DeadlineKind",
    "EscalationProcess",
    "Evidence",
    "Frequency",
    "Milestone",
    "Plan",
    "PlanImport",
    "Report",
    "ReportKind",
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
