import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from processes.holiday_notice import HolidayNoticeError
from processes.services.calendar_years import calendar_year_confirm, disagreement_text, holiday_notice_read
from processes.services.lifecycle import InvalidInput


def _dates(days: Any) -> str:
    return "、".join(day.isoformat() for day in days) or "—"


class Command(BaseCommand):
    help = (
        "Read the State Council's holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知, as published, in a UTF-8 "
        "text file) and print its year, days off and make-up working days; with --confirm, confirm the year with "
        "them (again: the year's days are replaced)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the notice's text, UTF-8")
        parser.add_argument("--confirm", action="store_true", help="store the days and confirm the year")
        parser.add_argument("--json", action="store_true", help="print year, holidays, workdays as one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc}) from exc
        try:
            reading = holiday_notice_read(text=text)
            if options["confirm"] and not reading.disagreements:
                calendar_year_confirm(text=text, by=None)
                reading = holiday_notice_read(text=text)
        except (HolidayNoticeError, InvalidInput) as exc:
            raise CommandError(str(exc)) from exc
        notice = reading.notice
        if options["json"]:
            self.stdout.write(json.dumps(reading.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write(_("Year: %(year)s") % {"year": notice.year})
            self.stdout.write(
                _("Days off (%(count)s): %(days)s") % {"count": len(notice.holidays), "days": _dates(notice.holidays)}
            )
            self.stdout.write(
                _("Make-up working days (%(count)s): %(days)s")
                % {"count": len(notice.workdays), "days": _dates(notice.workdays)}
            )
        if reading.disagreements:
            raise CommandError(disagreement_text(reading.disagreements))
        if options["json"]:
            return
        if options["confirm"]:
            self.stdout.write(_("The holiday arrangements of %(year)s are confirmed.") % {"year": notice.year})
        elif reading.official:
            self.stdout.write(
                _("chinesecalendar knows %(year)s already and agrees; --confirm stores the notice too.")
                % {"year": notice.year}
            )
        else:
            self.stdout.write(
                _("Nothing stored: run again with --confirm to confirm %(year)s with these days.")
                % {"year": notice.year}
            )
