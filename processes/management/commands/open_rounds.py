import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from processes import workdays
from processes.management.arguments import add_plan_arguments
from processes.models import Plan
from processes.services.plans import PlanNotFound, plan_of
from processes.services.rounds import rounds_open_due


class Command(BaseCommand):
    help = "Open the dispatch rounds whose period has ended, by each plan's schedule (what the daily job does)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_plan_arguments(parser, year_required=False, year_help="only the plan of this year (of --issuer)")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        plans = Plan.objects.all()
        if options["year"]:
            try:
                plans = plans.filter(pk=plan_of(options["issuer"], options["year"]).pk)
            except PlanNotFound as exc:
                raise CommandError(str(exc)) from exc
        as_of = options["as_of"] or timezone.localdate()
        for plan in plans:
            if workdays.is_provisional(plan.year):
                self.stdout.write(
                    _(
                        "Calendar of %(year)s: provisional — due dates count statutory holidays only, until the "
                        "office confirms the year from the State Council's notice."
                    )
                    % {"year": plan.year}
                )
            for round_ in rounds_open_due(plan=plan, as_of=as_of):
                self.stdout.write(_("Opened %(round)s (due %(due)s).") % {"round": round_, "due": round_.due_date})
