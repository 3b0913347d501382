"""The official working-day calendar: China's public holidays and make-up workdays (调休).

``chinesecalendar`` knows every year up to the State Council's latest holiday notice; for a later year the
calendar falls back to plain weekdays and says so (``is_provisional``), so that deadlines can still be computed
and are marked as provisional until the notice is published.
"""

from __future__ import annotations

import datetime as dt
import time
from functools import lru_cache

import chinese_calendar

OVERRIDES_TTL = 60.0  # seconds a process trusts its copy of the admin's corrections
_overrides: dict[dt.date, bool] = {}
_loaded_at = float("-inf")


def _corrections() -> dict[dt.date, bool]:
    """The admin's calendar corrections, re-read at most once a minute (and at once after ``refresh``)."""
    global _overrides, _loaded_at
    if time.monotonic() - _loaded_at > OVERRIDES_TTL:
        from processes.models import CalendarOverride

        _overrides = dict(CalendarOverride.objects.values_list("date", "is_workday"))
        _loaded_at = time.monotonic()
    return _overrides


def refresh() -> None:
    """Forget the cached corrections: the next question reads them again (after an edit, before a sweep)."""
    global _loaded_at
    _loaded_at = float("-inf")


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
    corrected = _corrections().get(day)
    if corrected is not None:
        return corrected
    official = _official(day)
    return day.weekday() < 5 if official is None else official


def discrepancies(year: int) -> list[dt.date]:
    """Days of ``year`` on which ``chinesecalendar`` and ``holidays`` disagree whether one works (each is checked
    against the other; corrections in the admin settle them)."""
    import holidays

    if is_provisional(year):
        return []
    china = holidays.China(years=year)
    found = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        official = _official(day)
        other = bool(china.is_working_day(day))
        if official is not None and official != other:
            found.append(day)
        day += dt.timedelta(days=1)
    return found


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
