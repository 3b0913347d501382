from .assignments import (
    OPEN_STATES,
    Assignment,
    AssignmentRole,
    AssignmentState,
    AssignmentTransition,
    Evidence,
    Report,
    ReportKind,
    ReportStatus,
    TransitionAction,
)
from .flows import CompletionProcess, EscalationProcess
from .people import Role, User
from .plans import DeadlineKind, Frequency, Milestone, Plan, PlanImport, RoundFrequency, Task
from .rounds import OWED_STATES, Obligation, ObligationKind, ObligationState, Round
from .units import Unit, UnitAlias, UnitGroup, UnitGroupAlias, UnitLevel

__all__ = [
    "OPEN_STATES",
    "OWED_STATES",
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
    "Obligation",
    "ObligationKind",
    "ObligationState",
    "Plan",
    "PlanImport",
    "Report",
    "ReportKind",
    "ReportStatus",
    "Role",
    "Round",
    "RoundFrequency",
    "Task",
    "TransitionAction",
    "Unit",
    "UnitAlias",
    "UnitGroup",
    "UnitGroupAlias",
    "UnitLevel",
    "User",
]
