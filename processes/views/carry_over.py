"""年底挂账结转: the page where a plan's office carries its open items into a plan of a later year.

Three steps on one page: choose the target plan and see every open item (each ticked, with its unit, state and
deadline; a deadline for all and one per item; for each old task, the task of the new plan its items go to), review
what will happen, confirm. The service checks everything again under row locks; an item changed since the preview
refuses the whole step with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from processes.models import Assignment, AssignmentState, Plan, Task, User
from processes.rules import manages_plan
from processes.services.carry_over import (
    CarryOverRefused,
    CarryOverResult,
    carried_task_number,
    carry_over_open_items,
    carry_over_targets,
    plan_carry_over,
)
from processes.services.lifecycle import LifecycleError
from processes.views.mixins import PlanMixin


class CarryOverView(LoginRequiredMixin, PlanMixin, View):
    template_name = "processes/carry_over.html"

    def _check(self, request: HttpRequest) -> User:
        user = request.user
        if not isinstance(user, User) or not manages_plan(user, self.plan):
            raise PermissionDenied(_("Only the office that issues the plan carries its items over."))
        return user

    def _target(self, raw: str | None) -> Plan | None:
        if not raw or not raw.isdigit():
            return None
        return carry_over_targets(self.plan).filter(pk=int(raw)).first()

    def get(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        targets = list(carry_over_targets(self.plan))
        target = self._target(request.GET.get("to")) or (targets[0] if len(targets) == 1 else None)
        return self._page(request, step="preview", targets=targets, target=target, data=None)

    def post(self, request: HttpRequest) -> HttpResponse:
        user = self._check(request)
        targets = list(carry_over_targets(self.plan))
        target = self._target(request.POST.get("to"))
        if target is None:
            return self._page(
                request, step="preview", targets=targets, target=None, data=None, errors=[_("Choose the plan.")]
            )
        action = request.POST.get("action", "review")
        if action == "edit":  # back from the confirmation to the preview, as it was filled in
            return self._page(request, step="preview", targets=targets, target=target, data=request.POST)
        parsed, problems = self._parse(request.POST, target)
        if problems:
            return self._page(
                request, step="preview", targets=targets, target=target, data=request.POST, errors=problems
            )
        if action != "confirm":
            preview = plan_carry_over(source=self.plan, target=target, by=user, dry_run=True, **parsed)
            if preview.errors:
                return self._page(
                    request, step="preview", targets=targets, target=target, data=request.POST, errors=preview.errors
                )
            return self._page(
                request, step="confirm", targets=targets, target=target, data=request.POST, result=preview
            )
        try:
            result = plan_carry_over(source=self.plan, target=target, by=user, **parsed)
        except CarryOverRefused as exc:
            return self._page(
                request,
                step="preview",
                targets=targets,
                target=target,
                data=None,
                errors=exc.problems,
                status=409,
            )
        except LifecycleError as exc:
            raise PermissionDenied(exc.message) from exc
        messages.success(
            request,
            ngettext(
                "%(count)s item carried over from %(source)s into %(target)s (%(tasks)s task made for them); the "
                "old ledger shows it as 已结转, the new one as 上年结转.",
                "%(count)s items carried over from %(source)s into %(target)s (%(tasks)s tasks made for them); "
                "the old ledger shows them as 已结转, the new one as 上年结转.",
                result.carried,
            )
            % {
                "count": result.carried,
                "source": self.plan.title,
                "target": target.title,
                "tasks": result.tasks_created,
            },
        )
        return HttpResponseRedirect(reverse("plans:ledger", kwargs={"plan": target}))

    def _parse(self, data: QueryDict, target: Plan) -> tuple[dict[str, Any], list[str]]:
        """The form's choices as the service's arguments; a date that cannot be read is named with its item."""
        problems: list[str] = []

        def date(raw: str, where: str) -> dt.date | None:
            raw = (raw or "").strip()
            if not raw:
                return None
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                problems.append(
                    _("%(where)s: “%(value)s” is not a date (write it as 2024-06-30).") % {"where": where, "value": raw}
                )
                return None

        raw_items = data.getlist("items")
        if not raw_items:
            problems.append(_("Tick the items to carry over."))
        if not all(value.isdigit() for value in raw_items):
            problems.append(_("The selection could not be read; nothing was carried over."))
            raw_items = []
        ids = [int(value) for value in raw_items]
        due = date(data.get("due", ""), _("Deadline for all"))
        dues: dict[int, dt.date] = {}
        seen: dict[int, str] = {}
        labels = {
            item.pk: item
            for item in Assignment.objects.filter(pk__in=ids, task__plan=self.plan).select_related("task", "unit")
        }
        for pk in ids:
            item = labels.get(pk)
            where = (
                _("task %(number)s · %(unit)s") % {"number": item.task.number, "unit": item.unit.name}
                if item
                else f"#{pk}"
            )
            own = date(data.get(f"due_{pk}", ""), where)
            if own is not None:
                dues[pk] = own
            state = data.get(f"state_{pk}", "")
            if state in AssignmentState.values:
                seen[pk] = state
        tasks = {task.pk: task for task in Task.objects.filter(plan=target)}
        into: dict[int, Task] = {}
        for key in data:
            choice = data.get(key) or ""
            if key.startswith("into_") and key[5:].isdigit() and choice:
                task = tasks.get(int(choice)) if choice.isdigit() else None
                if task is None:
                    problems.append(_("The task chosen is not a task of %(plan)s.") % {"plan": target.title})
                else:
                    into[int(key[5:])] = task
        return {"items": ids, "due": due, "dues": dues, "seen": seen, "into": into}, problems

    def _page(
        self,
        request: HttpRequest,
        *,
        step: str,
        targets: list[Plan],
        target: Plan | None,
        data: QueryDict | None,
        errors: list[str] | None = None,
        result: CarryOverResult | None = None,
        status: int | None = None,
    ) -> HttpResponse:
        items = list(carry_over_open_items(self.plan))
        chosen = {int(v) for v in data.getlist("items") if v.isdigit()} if data is not None else None
        rows = [
            {
                "item": item,
                "checked": chosen is None or item.pk in chosen,
                "due": (data.get(f"due_{item.pk}", "") if data is not None else ""),
                "first_of_task": index == 0 or items[index - 1].task_id != item.task_id,
                "into": (data.get(f"into_{item.task_id}", "") if data is not None else ""),
                "new_number": carried_task_number(item.task.number),
            }
            for index, item in enumerate(items)
        ]
        context = {
            "plan": self.plan,
            "targets": targets,
            "target": target,
            "target_tasks": list(Task.objects.filter(plan=target).order_by("position")) if target else [],
            "rows": rows,
            "due": data.get("due", "") if data is not None else "",
            "step": step,
            "errors": errors or [],
            "result": result,
            "posted": [
                (key, value)
                for key, values in data.lists()
                for value in values
                if key not in ("csrfmiddlewaretoken", "action")
            ]
            if data is not None
            else [],
        }
        return render(request, self.template_name, context, status=status or (400 if errors else 200))
