import datetime as dt
import json
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from processes.management.arguments import add_plan_arguments
from processes.services.replay import ReplayRefused, replay_year


class Command(BaseCommand):
    help = (
        "Live a plan's year day by day from its start: each day's scheduled jobs (rounds, the deadline sweep, region "
        "warnings, deliveries) and simulated people (units reporting on time, late or not at all; supervisors "
        "reviewing; the office closing out and publishing bulletins; 包保 leaders visiting). Every row carries the "
        "simulated moment. A second run continues from the day after the last one replayed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_plan_arguments(parser)
        parser.add_argument(
            "--until",
            type=dt.date.fromisoformat,
            default=None,
            metavar="YYYY-MM-DD",
            help="the last day to live (default: yesterday, or the year's end)",
        )
        parser.add_argument("--seed", type=int, default=1, help="the people's habits and choices (default 1)")
        parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["json"] or options["verbosity"] < 1

        def progress(day: dt.date, done: Counter[str]) -> None:
            if not quiet and (day.day == 1 or options["verbosity"] > 1):
                self.stdout.write(
                    f"{day.isoformat()} "
                    + ", ".join(f"{name} {count}" for name, count in sorted(done.items()) if count)
                )

        try:
            figures = replay_year(
                year=options["year"],
                issuer=options["issuer"],
                until=options["until"],
                seed=options["seed"],
                progress=progress,
            )
        except ReplayRefused as refused:
            raise CommandError(str(refused)) from refused
        if options["json"]:
            self.stdout.write(json.dumps(figures.as_dict(), ensure_ascii=False))
            return
        if figures.calendar == "provisional":
            self.stdout.write(
                _("Calendar of %(year)s: provisional (statutory holidays only, until the office confirms it).")
                % {"year": figures.year}
            )
        for name, value in figures.as_dict().items():
            self.stdout.write(f"{name}: {value}")
