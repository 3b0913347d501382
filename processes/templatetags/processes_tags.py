from django import template

from processes.models import AssignmentState

register = template.Library()


@register.filter
def state_label(state: str) -> str:
    """The label of an assignment state read from the history (a plain value, not a model field)."""
    try:
        return str(AssignmentState(state).label)
    except ValueError:
        return state
