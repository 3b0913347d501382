"""年底挂账结转 from the command line: carry the open items of one year's plan into the same office's plan of a
later year, all or some, with a deadline for all and, where given, one per item."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from processes.management.arguments import ISSUER_HELP, iso_date
from processes.models import Assignment, AssignmentState, Plan, Task
from processes.services.carry_over import CarryOverRefused, CarryOverResult, plan_carry_over
from processes.services.history import ENDED_STATES
from processes.services.lifecycle import LifecycleError
from processes.services.plans import PlanNotFound, plan_of

ITEMS_HELP = (
    "the items to carry, comma-separated: a task's 序号 (3, or 5-2, 表8-3) carries every open item of the task; "
    "序号@UNIT-CODE one item (3@220700); #ID an item by its id; default: every open item"
)


class Command(BaseCommand):
    help = (
        "Carry the open items (not closed out) of a plan into the same office's plan of a later year (年底挂账结转): "
        "each becomes an item of the new plan (上年结转) with the deadline given, the old one shows as carried over "
        "(已结转). Prints the preview (--dry-run) or what was carried."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--issuer", metavar="CODE", default=None, help=ISSUER_HELP)
        parser.add_argument("--from-year", type=int, required=True, help="the year of the plan carried from, e.g. 2023")
        parser.add_argument("--to-year", type=int, required=True, help="the year of the plan carried into, e.g. 2024")
        parser.add_argument("--due", type=iso_date, default=None, help="the deadline of the carried items, YYYY-MM-DD")
        parser.add_argument("--items", default="", help=ITEMS_HELP)
        parser.add_argument(
            "--item-due",
            action="append",
            default=[],
            metavar="ITEM=YYYY-MM-DD",
            help="an item's own deadline (ITEM as in --items, one item: 序号@UNIT-CODE or #ID); may be repeated",
        )
        parser.add_argument(
            "--into",
            action="append",
            default=[],
            metavar="OLD=NEW",
            help="put the items of old task OLD on the new plan's existing task NEW (序号s) instead of a task made "
            "for them (结转-OLD); may be repeated",
        )
        parser.add_argument("--dry-run", action="store_true", help="show what would be carried; change nothing")
        parser.add_argument("--json", action="store_true", help="print one JSON object (carried, items, errors)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            source = plan_of(options["issuer"], options["from_year"])
            target = plan_of(options["issuer"], options["to_year"])
        except PlanNotFound as exc:
            raise CommandError(str(exc)) from exc
        problems: list[str] = []
        items = _items(source, options["items"], problems) if options["items"].strip() else None
        dues: dict[int, dt.date] = {}
        for entry in options["item_due"]:
            spec, _sep, raw = entry.partition("=")
            try:
                day = dt.date.fromisoformat(raw.strip())
            except ValueError:
                problems.append(_("--item-due %(entry)s: “%(value)s” is not a date.") % {"entry": entry, "value": raw})
                continue
            found = _items(source, spec, problems, one=True)
            for pk in found:
                dues[pk] = day
        into: dict[int, Task] = {}
        for entry in options["into"]:
            old, _sep, new = entry.partition("=")
            old_task = Task.objects.filter(plan=source, number=old.strip()).first()
            new_task = Task.objects.filter(plan=target, number=new.strip()).first()
            if old_task is None or new_task is None:
                problems.append(
                    _("--into %(entry)s: %(plan)s has no task %(number)s.")
                    % {
                        "entry": entry,
                        "plan": source.key if old_task is None else target.key,
                        "number": old.strip() if old_task is None else new.strip(),
                    }
                )
                continue
            into[old_task.pk] = new_task
        result: CarryOverResult | None = None
        try:
            result = plan_carry_over(
                source=source,
                target=target,
                by=None,
                due=options["due"],
                items=items,
                dues=dues,
                into=into,
                dry_run=options["dry_run"] or bool(problems),
            )
            problems = problems + result.errors
        except CarryOverRefused as exc:
            problems = problems + exc.problems
        except LifecycleError as exc:
            problems = [*problems, exc.message]
        if result is None or problems:
            result = result or CarryOverResult(source=source, target=target)
            result.applied = False
        self._print(result, problems, options)
        if problems:
            raise CommandError(_("Nothing was carried over: %(count)s problem(s).") % {"count": len(problems)})

    def _print(self, result: CarryOverResult, problems: list[str], options: dict[str, Any]) -> None:
        if options["json"]:
            data = result.as_dict()
            data["errors"] = problems
            data["dry_run"] = bool(options["dry_run"])
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        source, target = result.source, result.target
        for line in result.lines:
            self.stdout.write(
                "\t".join(
                    [
                        line.item.task.number,
                        line.item.unit.name,
                        str(AssignmentState(line.item.state).label),
                        "→ " + line.number + (_(" (new task)") if line.creates_task else ""),
                        line.due_date.isoformat() if line.due_date else "—",
                        f"#{line.item.pk} → #{line.new.pk}" if line.new is not None else f"#{line.item.pk}",
                    ]
                )
            )
        for problem in problems:
            self.stderr.write(problem)
        if result.applied:
            self.stdout.write(
                _("Carried %(count)s item(s) from %(source)s into %(target)s; %(tasks)s task(s) made for them.")
                % {"count": result.carried, "source": source.key, "target": target.key, "tasks": result.tasks_created}
            )
        elif not problems:
            self.stdout.write(
                _("Dry run: %(count)s item(s) of %(source)s would be carried into %(target)s; nothing was changed.")
                % {"count": len(result.lines), "source": source.key, "target": target.key}
            )


def _items(plan: Plan, text: str, problems: list[str], *, one: bool = False) -> list[int]:
    """The ids ``--items`` names: task 序号s (their open items), 序号@UNIT-CODE, #ID; each unknown one is a problem."""
    ids: list[int] = []
    for raw in (part.strip() for part in text.replace("，", ",").split(",")):
        if not raw:
            continue
        items = Assignment.objects.filter(task__plan=plan)
        if raw.startswith("#") and raw[1:].isdigit():
            found = list(items.filter(pk=int(raw[1:])).values_list("pk", flat=True))
        elif "@" in raw:
            number, _sep, code = raw.partition("@")
            found = list(
                items.filter(task__number=number.strip(), unit__code=code.strip()).values_list("pk", flat=True)
            )
        elif one:
            problems.append(_("%(item)s: name one item, as 序号@UNIT-CODE or #ID.") % {"item": raw})
            continue
        else:
            found = list(
                items.filter(task__number=raw)
                .exclude(state__in=ENDED_STATES)
                .order_by("unit__position", "unit__code")
                .values_list("pk", flat=True)
            )
            if not found and items.filter(task__number=raw).exists():
                problems.append(_("Task %(number)s has no open item.") % {"number": raw})
                continue
        if not found:
            problems.append(_("%(plan)s has no item %(item)s.") % {"plan": plan.key, "item": raw})
        ids.extend(found)
    return ids
