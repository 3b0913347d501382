import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from processes.management.arguments import iso_date
from processes.models import Plan
from processes.services.plans import PlanNotFound, plan_of
from processes.services.region_warnings import region_warnings_check


class Command(BaseCommand):
    help = (
        "Warn the regions past their plan's thresholds (late items, 序时进度) on a working day, once per period; "
        "what beat runs each morning after the sweep. The regions of the province's plan are the cities; of a "
        "city's (district's) plan, the units directly under its office. --issuer CODE: only that office's plan "
        "of the day's year (default: every plan of the year)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--issuer",
            metavar="CODE",
            default=None,
            help=(
                "the code of the office whose plan to check — the provincial programme office, a city's or a "
                "district's office (any unit marked as an office); default: every plan of the day's year"
            ),
        )
        parser.add_argument("--as-of", type=iso_date, default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--json", action="store_true", help="print the warnings as a JSON list")

    def handle(self, *args: Any, **options: Any) -> None:
        day = options["as_of"] or timezone.localdate()
        plans = None
        if options["issuer"]:
            try:
                plan = plan_of(options["issuer"], day.year)
            except PlanNotFound as exc:
                raise CommandError(str(exc)) from exc
            plans = Plan.objects.filter(pk=plan.pk)
            if not options["json"]:
                self.stdout.write(_("Plan %(plan)s (%(key)s).") % {"plan": plan.title, "key": plan.key})
        warnings = region_warnings_check(day, plans=plans)
        if options["json"]:
            rows = [
                {
                    "date": w.day.isoformat(),
                    "unit": w.region.code,
                    "reasons": w.reasons,
                    "items": w.items,
                    "late": w.late,
                    "elapsed": float(w.elapsed),
                    "progress": float(w.progress),
                    "period": [w.period_start.isoformat(), w.period_end.isoformat()],
                }
                for w in warnings
            ]
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for w in warnings:
            self.stdout.write(
                _("%(date)s %(unit)s: %(reasons)s (late %(late)s of %(items)s; time %(elapsed)s, done %(progress)s)")
                % {
                    "date": w.day.isoformat(),
                    "unit": w.region.name,
                    "reasons": "、".join(w.reason_labels()),
                    "late": w.late,
                    "items": w.items,
                    "elapsed": w.elapsed,
                    "progress": w.progress,
                }
            )
        self.stdout.write(
            ngettext("%(count)s region warned.", "%(count)s regions warned.", len(warnings)) % {"count": len(warnings)}
        )
