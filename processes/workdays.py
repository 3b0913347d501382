"""The official working-day calendar: China's public holidays and make-up workdays (调休).

A year is *confirmed* when ``chinesecalendar`` knows it, or when the office has confirmed it from the State
Council's notice (``CalendarYear``, pasted in the admin or loaded with ``load_holiday_notice``). Any other year is
*provisional*: its statutory holidays (from ``holidays``) are days off, weekends as usual, no make-up workdays —
so that deadlines can be computed, and are marked provisional, until the notice is confirmed.

Whether a day is a working day, first answer wins: a correction in the admin (``CalendarOverride``), then
``chinesecalendar``, then a confirmed notice, then the statutory holidays.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from functools import lru_cache
from typing import Literal

import chinese_calendar

OVERRIDES_TTL = 60.0  # seconds a process trusts its copy of the admin's corrections and confirmed years
CONFIRMED: Literal["confirmed"] = "confirmed"
PROVISIONAL: Literal["provisional"] = "provisional"
CalendarStatus = Literal["confirmed", "provisional"]

_overrides: dict[dt.date, bool] = {}
_confirmed_years: frozenset[int] = frozenset()
_confirmed_days: dict[dt.date, bool] = {}
_loaded_at = float("-inf")


def _load() -> None:
    """Re-read the admin's corrections and the confirmed years at most once a minute (and at once after
    ``refresh``): two queries, together, so that a page costs the same whichever years it asks about."""
    global _overrides, _confirmed_years, _confirmed_days, _loaded_at
    if time.monotonic() - _loaded_at <= OVERRIDES_TTL:
        return
    from processes.models import CalendarOverride, CalendarYear

    years: set[int] = set()
    days: dict[dt.date, bool] = {}
    for year, holidays, workdays in CalendarYear.objects.order_by("year").values_list("year", "holidays", "workdays"):
        years.add(year)
        days.update((dt.date.fromisoformat(day), False) for day in holidays)
        days.update((dt.date.fromisoformat(day), True) for day in workdays)
    _overrides = dict(CalendarOverride.objects.values_list("date", "is_workday"))
    _confirmed_years, _confirmed_days = frozenset(years), days
    _loaded_at = time.monotonic()


def _corrections() -> dict[dt.date, bool]:
    """The admin's calendar corrections (cached, see ``_load``)."""
    _load()
    return _overrides


def _confirmed() -> tuple[frozenset[int], dict[dt.date, bool]]:
    """The years the office confirmed and the days their notices name (False: a day off, True: a make-up working
    day), cached with the corrections."""
    _load()
    return _confirmed_years, _confirmed_days


def refresh() -> None:
    """Forget the cached corrections and confirmed years: the next question reads them again (after an edit,
    before a sweep)."""
    global _loaded_at
    _loaded_at = float("-inf")


@lru_cache(maxsize=8192)
def _official(day: dt.date) -> bool | None:
    """Whether ``day`` is a working day by the official calendar, or None for a year it does not cover."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@lru_cache(maxsize=64)
def _statutory(year: int) -> frozenset[dt.date]:
    """The statutory holidays of ``year`` with their substitute days (“observed”), as the ``holidays`` package
    computes them from the rules: what a provisional year assumes."""
    import holidays

    return frozenset(day for day in holidays.China(years=year) if day.year == year)


def is_official(year: int) -> bool:
    """True for a year ``chinesecalendar`` covers."""
    return _official(dt.date(year, 6, 1)) is not None


def is_confirmed(year: int) -> bool:
    """True for a year ``chinesecalendar`` covers or the office confirmed from the State Council's notice."""
    return is_official(year) or year in _confirmed()[0]


def is_provisional(year: int) -> bool:
    """True for a year not confirmed: statutory holidays are assumed, without make-up workdays."""
    return not is_confirmed(year)


def calendar_status(years: Iterable[int]) -> CalendarStatus:
    """``"provisional"`` if any of ``years`` is provisional, else ``"confirmed"`` (at most one cached query)."""
    return PROVISIONAL if any(is_provisional(year) for year in set(years)) else CONFIRMED


def provisional_years(years: Iterable[int]) -> list[int]:
    """Those of ``years`` that are provisional, in order."""
    return sorted(year for year in set(years) if is_provisional(year))


def is_workday(day: dt.date) -> bool:
    corrected = _corrections().get(day)
    if corrected is not None:
        return corrected
    official = _official(day)
    if official is not None:
        return official
    years, days = _confirmed()
    named = days.get(day)
    if named is not None:
        return named
    if day.year in years:
        return day.weekday() < 5
    return day.weekday() < 5 and day not in _statutory(day.year)


def discrepancies(year: int) -> list[dt.date]:
    """Days of ``year`` on which ``chinesecalendar`` and ``holidays`` disagree whether one works (each is checked
    against the other; corrections in the admin settle them). Empty for a year ``chinesecalendar`` does not cover."""
    import holidays

    if not is_official(year):
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


def notice_disagreements(*, year: int, holidays: Iterable[dt.date], workdays: Iterable[dt.date]) -> list[dt.date]:
    """Days on which a notice's days off and make-up working days disagree with ``chinesecalendar`` (for a year it
    covers; empty otherwise): each day the notice names, and each day of its year up to 20 December (later days may
    belong to the next year's 元旦) that ``chinesecalendar`` takes off or puts to work and the notice does not."""
    off, work = set(holidays), set(workdays)

    def by_notice(day: dt.date) -> bool:
        return day in work or (day.weekday() < 5 and day not in off)

    days = off | work
    day, last = dt.date(year, 1, 1), dt.date(year, 12, 20)
    while day <= last:
        days.add(day)
        day += dt.timedelta(days=1)
    return sorted(day for day in days if (official := _official(day)) is not None and official != by_notice(day))


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
