"""The official working-day calendar: China's public holidays and make-up workdays (调休).

``chinesecalendar`` knows every year up to the State Council's latest holiday notice; for a later year the
calendar falls back to plain weekdays and says so (``is_provisional``), so that deadlines can still be computed
and are marked as provisional until the notice is published.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar


@lru_cache(maxsize=8192)
def _official(day: dt.date) -> bool | None:
    """Whether ``day`` is a working day by the official calendar, or None for a year it does not cover."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def is_provisional(year: int) -> bool:
    """True for a year whose holiday notice the calendar does not know yet (weekdays only are assumed)."""
    return _official(dt.date(year, 6, 1)) is None


def is_workday(day: dt.date) -> bool:
    official = _official(day)
    return day.weekday() < 5 if official is None else official


def next_workday(day: dt.date) -> dt.date:
    """``day`` itself if it is a working day, else the first working day after it."""
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def previous_workday(day: dt.date) -> dt.date:
    """``day`` itself if it is a working day, else the last working day before it."""
    while not is_workday(day):
        day -= dt.timedelta(days=1)
    return day


def add_workdays(day: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``day`` (before it, for a negative count); ``day`` itself is not counted."""
    step = dt.timedelta(days=1 if count >= 0 else -1)
    remaining = abs(count)
    while remaining:
        day += step
        if is_workday(day):
            remaining -= 1
    return day


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when ``end`` is before ``start``)."""
    if end < start:
        return -workdays_between(end, start)
    return sum(1 for offset in range(1, (end - start).days + 1) if is_workday(start + dt.timedelta(days=offset)))
