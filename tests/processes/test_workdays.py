"""The working-day calendar for a year the official calendar does not know yet: provisional with the statutory
holidays, confirmed from the State Council's notice, corrected in the admin; the banner that says so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import holidays
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from processes import workdays
from processes.models import CalendarOverride, CalendarYear, Unit, User
from processes.services.calendar_years import calendar_year_confirm
from processes.services.lifecycle import NotAllowed

from .test_holiday_notice import NOTICE_2027
from .test_rounds import at
from .test_views import client_for

D = dt.date
BANNER = 'data-testid="provisional-calendar"'


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    workdays.refresh()
    yield
    workdays.refresh()


@pytest.fixture
def confirmed_2027(db: None) -> CalendarYear:
    return calendar_year_confirm(text=NOTICE_2027, by=None)


# A provisional year: the statutory holidays, weekends, no make-up workdays


@pytest.mark.django_db
def test_a_year_the_calendar_does_not_know_counts_the_statutory_holidays() -> None:
    assert workdays.is_provisional(2027) and not workdays.is_provisional(2026)
    assert not workdays.is_workday(D(2027, 10, 1))  # 国庆节, a Friday
    assert not workdays.is_workday(D(2027, 2, 8))  # 春节, a Monday
    assert not workdays.is_workday(D(2027, 1, 1))
    assert workdays.is_workday(D(2027, 10, 8))  # a Friday: no notice has given it off
    assert not workdays.is_workday(D(2027, 10, 9))  # a Saturday: no make-up workdays are assumed
    assert workdays.next_workday(D(2027, 9, 30)) == D(2027, 9, 30)
    assert workdays.next_workday(D(2027, 10, 1)) == D(2027, 10, 6)  # 10-04 and 10-05 are “observed” days
    assert workdays.add_workdays(D(2027, 9, 30), 1) == D(2027, 10, 6)
    assert workdays.workdays_between(D(2027, 9, 30), D(2027, 10, 8)) == 3


@pytest.mark.django_db
@hypothesis_settings(max_examples=300, deadline=None)
@given(st.dates(min_value=D(2027, 1, 1), max_value=D(2040, 12, 31)))
def test_a_provisional_day_works_when_it_is_a_weekday_and_no_statutory_holiday(day: dt.date) -> None:
    statutory = day in holidays.China(years=day.year)
    assert workdays.is_workday(day) == (day.weekday() < 5 and not statutory)
    assert workdays.is_provisional(day.year)


@pytest.mark.django_db
@hypothesis_settings(max_examples=100, deadline=None)
@given(st.dates(min_value=D(2026, 6, 1), max_value=D(2030, 12, 31)), st.integers(min_value=-40, max_value=40))
def test_counting_working_days_forth_and_back_agrees(day: dt.date, count: int) -> None:
    start = day if count >= 0 else workdays.next_workday(day)  # counting back starts from a working day
    later = workdays.add_workdays(start, count)
    assert workdays.workdays_between(start, later) == count
    assert workdays.is_workday(later) or count == 0


# A year confirmed from the notice, and what wins over what


def test_a_confirmed_year_uses_the_notices_days(confirmed_2027: CalendarYear) -> None:
    assert not workdays.is_provisional(2027)
    assert workdays.is_workday(D(2027, 10, 9))  # a make-up Saturday
    assert workdays.is_workday(D(2027, 2, 20))
    assert not workdays.is_workday(D(2027, 10, 7))  # a Thursday off, by the notice (not a statutory day)
    assert not workdays.is_workday(D(2027, 2, 11))
    assert workdays.is_workday(D(2027, 10, 8))
    assert not workdays.is_workday(D(2027, 10, 10))  # a plain Sunday
    assert workdays.add_workdays(D(2027, 9, 30), 1) == D(2027, 10, 8)


def test_a_correction_in_the_admin_still_wins(confirmed_2027: CalendarYear) -> None:
    CalendarOverride.objects.create(date=D(2027, 10, 9), is_workday=False, note="停电")
    CalendarOverride.objects.create(date=D(2027, 10, 1), is_workday=True, note="值班")
    CalendarOverride.objects.create(date=D(2026, 10, 10), is_workday=False, note="停电")  # chinesecalendar's year
    workdays.refresh()
    assert not workdays.is_workday(D(2027, 10, 9))
    assert workdays.is_workday(D(2027, 10, 1))
    assert not workdays.is_workday(D(2026, 10, 10))


@pytest.mark.django_db
def test_chinesecalendar_wins_over_a_stored_year_it_covers() -> None:
    CalendarYear.objects.create(
        year=2026,
        notice_text="…",
        holidays=["2026-03-02"],
        workdays=["2026-10-11"],
        confirmed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    workdays.refresh()
    assert workdays.is_workday(D(2026, 3, 2)) and not workdays.is_workday(D(2026, 10, 11))


@pytest.mark.django_db
def test_a_day_the_next_years_notice_names_counts_in_a_provisional_year() -> None:
    CalendarYear.objects.create(
        year=2028,
        notice_text="…",
        holidays=["2027-12-31", "2028-01-01", "2028-01-02"],
        workdays=[],
        confirmed_at=dt.datetime(2027, 11, 1, tzinfo=dt.UTC),
    )
    workdays.refresh()
    assert workdays.is_provisional(2027) and not workdays.is_provisional(2028)
    assert not workdays.is_workday(D(2027, 12, 31))  # a Friday
    assert workdays.calendar_status([2027, 2028]) == "provisional"
    assert workdays.calendar_status([2028]) == "confirmed"


def test_only_the_office_admins_confirm_a_year(units: dict[str, Unit], supervisor: User, office_admin: User) -> None:
    with pytest.raises(NotAllowed):
        calendar_year_confirm(text=NOTICE_2027, by=supervisor)
    assert workdays.is_provisional(2027)
    assert calendar_year_confirm(text=NOTICE_2027, by=office_admin).confirmed_by == office_admin
    assert not workdays.is_provisional(2027)


# calendar_status: cheap, and refreshed on demand


def calendar_queries(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if "calendar" in query["sql"]]


@pytest.mark.django_db
def test_calendar_status_reads_the_confirmed_years_once_per_ttl() -> None:
    with CaptureQueriesContext(connection) as first:
        assert workdays.calendar_status([2026, 2027]) == "provisional"
        assert workdays.calendar_status([2027]) == "provisional"
        assert workdays.is_provisional(2027) and workdays.provisional_years([2026, 2027]) == [2027]
        assert not workdays.is_workday(D(2027, 10, 1))
    read = calendar_queries(first)  # the confirmed years and the corrections, read together once
    assert len(read) == 2 and sum("calendaryear" in sql for sql in read) == 1
    assert workdays.calendar_status([2023, 2024, 2025, 2026]) == "confirmed"
    calendar_year_confirm(text=NOTICE_2027, by=None)  # confirming refreshes this process's copy
    with CaptureQueriesContext(connection) as second:
        assert workdays.calendar_status([2026, 2027]) == "confirmed"
        assert workdays.calendar_status(range(2025, 2028)) == "confirmed"
    assert len(calendar_queries(second)) == 2
    CalendarYear.objects.all().delete()
    with CaptureQueriesContext(connection) as cached:
        assert workdays.calendar_status([2027]) == "confirmed"  # cached until the TTL or a refresh …
    assert calendar_queries(cached) == []
    workdays.refresh()
    assert workdays.calendar_status([2027]) == "provisional"  # … which drops it


# The banner


def test_office_admins_see_a_banner_while_this_year_or_next_is_provisional(
    units: dict[str, Unit], office_admin: User, reporter: User
) -> None:
    with at("2026-12-10 10:00"):
        page = client_for(office_admin).get("/plans/").content.decode()
        assert BANNER in page
        assert "2027年的节假日安排尚未确认：暂按法定节假日计算（不含调休），相关日期均为暂定。" in page
        assert 'href="/admin/processes/calendaryear/add/"' in page
        assert BANNER not in client_for(reporter).get("/plans/").content.decode()
    with at("2026-06-10 10:00"):
        english = client_for(office_admin, language="en").get("/plans/").content.decode()
        assert "The holiday arrangements of 2027 are not confirmed yet" in english  # next year counts too
    with at("2025-12-10 10:00"):
        assert BANNER not in client_for(office_admin).get("/plans/").content.decode()  # 2025 and 2026 are known


def test_the_banner_goes_once_the_year_is_confirmed_and_costs_no_query_per_page(
    units: dict[str, Unit], office_admin: User
) -> None:
    with at("2026-12-10 10:00"):
        client = client_for(office_admin)
        client.get("/plans/")
        with CaptureQueriesContext(connection) as pages:
            assert BANNER in client.get("/plans/").content.decode()
        assert not [query for query in pages.captured_queries if "calendaryear" in query["sql"]]
        calendar_year_confirm(text=NOTICE_2027, by=office_admin)
        assert BANNER not in client.get("/plans/").content.decode()
    with at("2027-12-10 10:00"):  # a year on (signed in again): 2027 is confirmed, 2028 is not
        page = client_for(office_admin).get("/plans/").content.decode()
        assert BANNER in page and "2028年" in page and "2027年" not in page.split(BANNER)[1].split("</p>")[0]
