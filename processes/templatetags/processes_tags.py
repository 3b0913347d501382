from django import template

from processes import workdays
from processes.formats import chinese_date
from processes.models import AssignmentState

register = template.Library()


@register.filter
def state_label(state: str) -> str:
    """The label of an assignment state read from the history (a plain value, not a model field)."""
    try:
        return str(AssignmentState(state).label)
    except ValueError:
        return state


@register.filter
def calendar_provisional(year: int) -> bool:
    """Whether the dates of ``year`` are computed from a calendar the office has not confirmed yet."""
    return bool(year) and workdays.is_provisional(int(year))


@register.filter
def cn_date(day: object) -> str:
    """A date as documents write it: 2023年10月11日."""
    return chinese_date(day)  # type: ignore[arg-type]
