from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import ngettext

from processes.formats import chinese_date
from processes.management.arguments import add_plan_arguments, iso_date
from processes.services.exports import FORMATS, ledger_export
from processes.services.ledger import ledger_as_of
from processes.services.lifecycle import InvalidInput
from processes.services.plans import PlanNotFound, plan_of


class Command(BaseCommand):
    help = "Write a plan's ledger (台账) as of a date to a PDF, XLSX or CSV file: every item of the plan."

    def add_arguments(self, parser: CommandParser) -> None:
        add_plan_arguments(parser)
        parser.add_argument("--as-of", type=iso_date, default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--format", choices=FORMATS, required=True)
        parser.add_argument("-o", "--output", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            plan = plan_of(options["issuer"], options["year"])
        except PlanNotFound as exc:
            raise CommandError(str(exc)) from exc
        try:
            ledger = ledger_as_of(plan, None, options["as_of"])  # the command line writes the whole ledger
        except InvalidInput as exc:
            raise CommandError(exc.message) from exc
        data = ledger_export(ledger, options["format"])
        options["output"].write_bytes(data)
        self.stdout.write(
            ngettext(
                "%(file)s: %(rows)s item as of %(date)s (%(closed)s closed out, %(remaining)s remaining).",
                "%(file)s: %(rows)s items as of %(date)s (%(closed)s closed out, %(remaining)s remaining).",
                ledger.total,
            )
            % {
                "file": options["output"],
                "rows": ledger.total,
                "date": chinese_date(ledger.as_of),
                "closed": ledger.closed,
                "remaining": ledger.remaining,
            }
        )
