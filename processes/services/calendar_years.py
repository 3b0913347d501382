"""Confirming a year of the official calendar from the State Council's holiday notice: the office pastes the
notice (admin → 年度节假日安排) or loads it from a file (``load_holiday_notice``), reads what it says, and confirms
it; from then on the year's deadlines are no longer provisional. Re-confirming a year replaces its days."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from processes import workdays
from processes.holiday_notice import ParsedNotice, parse_holiday_notice
from processes.models import CalendarYear, User
from processes.rules import administers_installation
from processes.services.lifecycle import InvalidInput, NotAllowed


@dataclass(frozen=True)
class NoticeReading:
    """What a notice says, and how it stands against what the calendar knows already."""

    notice: ParsedNotice
    official: bool  # chinesecalendar covers the year: its days win, and the notice must agree with them
    disagreements: list[dt.date]  # days on which the notice and chinesecalendar disagree
    replaces: CalendarYear | None  # the year is confirmed already: confirming replaces its days

    def as_dict(self) -> dict[str, object]:
        return {
            **self.notice.as_dict(),
            "confirmed": not workdays.is_provisional(self.notice.year),
            "disagreements": [day.isoformat() for day in self.disagreements],
        }


def holiday_notice_read(*, text: str) -> NoticeReading:
    """Read the notice ``text``; raises ``HolidayNoticeError`` naming the sentence it could not read."""
    notice = parse_holiday_notice(text)
    return NoticeReading(
        notice=notice,
        official=workdays.is_official(notice.year),
        disagreements=workdays.notice_disagreements(
            year=notice.year, holidays=notice.holidays, workdays=notice.workdays
        ),
        replaces=CalendarYear.objects.filter(year=notice.year).first(),
    )


def disagreement_text(days: list[dt.date]) -> str:
    return _("The notice and chinesecalendar disagree on %(days)s: check the text against the published notice.") % {
        "days": "、".join(day.isoformat() for day in days)
    }


def calendar_year_confirm(*, text: str, by: User | None) -> CalendarYear:
    """Confirm the year of the notice ``text`` with the days it names (``by`` None: from the command line).

    Raises ``HolidayNoticeError`` for text it cannot read, ``InvalidInput`` when the notice disagrees with
    ``chinesecalendar`` for a year that covers, ``NotAllowed`` for anyone but the office's admins."""
    if by is not None and not administers_installation(by):
        raise NotAllowed(_("Only the office's administrators confirm the holiday calendar."))
    reading = holiday_notice_read(text=text)
    if reading.disagreements:
        raise InvalidInput(disagreement_text(reading.disagreements))
    notice = reading.notice
    with transaction.atomic():
        confirmed, _created = CalendarYear.objects.select_for_update().update_or_create(
            year=notice.year,
            defaults={
                "notice_text": text.strip(),
                "holidays": [day.isoformat() for day in notice.holidays],
                "workdays": [day.isoformat() for day in notice.workdays],
                "confirmed_at": timezone.now(),
                "confirmed_by": by,
            },
        )
    workdays.refresh()
    return confirmed
