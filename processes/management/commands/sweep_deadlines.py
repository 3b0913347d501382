import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from processes import workdays
from processes.management.arguments import iso_date
from processes.services.ladder import sweep_range, sweep_scheduled


class Command(BaseCommand):
    help = (
        "Fire the escalation ladder's rungs that are due: for one day (--as-of), for every day from --since to "
        "--as-of in order, or — with neither — for every day since the last scheduled sweep (what beat runs). "
        '--json prints {"calendar": "confirmed"|"provisional", "fired": [...]}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", type=iso_date, default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--since", type=iso_date, default=None, help="replay every day from this one")
        parser.add_argument("--json", action="store_true", help="print what fired as a JSON list")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of, since = options["as_of"], options["since"]
        until = as_of or timezone.localdate()
        if since is not None and since > until:
            raise CommandError(_("--since comes after --as-of."))
        fired = sweep_scheduled() if as_of is None and since is None else sweep_range(since or until, until)
        years = range((since or until).year, until.year + 1)
        calendar = workdays.calendar_status(years)
        if options["json"]:
            self.stdout.write(
                json.dumps({"calendar": calendar, "fired": [item.as_dict() for item in fired]}, ensure_ascii=False)
            )
            return
        if calendar == "provisional":
            self.stdout.write(
                _(
                    "Calendar: provisional for %(years)s — statutory holidays only, until the office confirms the "
                    "year from the State Council's notice."
                )
                % {"years": ", ".join(str(year) for year in years if workdays.is_provisional(year))}
            )
        for item in fired:
            self.stdout.write(
                _("%(date)s %(rung)s: task %(task)s, unit %(unit)s, %(kind)s due %(due)s%(notice)s")
                % {
                    "date": item.date.isoformat(),
                    "rung": item.rung,
                    "task": item.task,
                    "unit": item.unit,
                    "kind": item.kind,
                    "due": item.due_date.isoformat(),
                    "notice": f" · {item.notice}" if item.notice else "",
                }
            )
        self.stdout.write(
            ngettext("%(count)s rung fired.", "%(count)s rungs fired.", len(fired)) % {"count": len(fired)}
        )
