"""Dispatch rounds (调度): the plan's rounds and their burn-down, one round's reports and who has not reported,
and the progress report a unit writes on each obligation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from processes.forms import ManualRoundForm, ProgressReportForm
from processes.models import (
    AssignmentState,
    Obligation,
    ObligationKind,
    ObligationState,
    Report,
    ReportStatus,
    Round,
    User,
)
from processes.rules import assignments_in_scope, can_report, can_verify, manages_plan, plans_in_scope, scope_unit_ids
from processes.services import rounds as services
from processes.services.ledger import burndown
from processes.services.lifecycle import AlreadyHandled, LifecycleError, NotAllowed
from processes.services.refinement import refinement_progress, refinement_report_text
from processes.views.charts import burndown_chart
from processes.views.mixins import PlanMixin


def _user(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def obligations_in_scope(request: HttpRequest) -> Any:
    in_scope = assignments_in_scope(request.user)
    return Obligation.objects.filter(assignment__in=in_scope)


class PlanRoundsView(LoginRequiredMixin, PlanMixin, View):
    """The plan's rounds by its schedule, opened or not, with their report counts; the office opens them here."""

    def get(self, request: HttpRequest, form: ManualRoundForm | None = None) -> HttpResponse:
        plan = self.plan
        unit_ids = scope_unit_ids(request.user)
        in_scope = Q() if unit_ids is None else Q(obligations__assignment__unit_id__in=unit_ids)
        # An item carried into next year's plan owes its reports there, not in this plan's rounds.
        in_scope &= ~Q(obligations__assignment__state=AssignmentState.CARRIED)
        opened = {
            (round_.period_start, round_.period_end): round_
            for round_ in Round.objects.filter(plan=plan).annotate(
                owed=Count("obligations", filter=in_scope),
                reported=Count(
                    "obligations",
                    filter=in_scope & Q(obligations__state__in=[ObligationState.SUBMITTED, ObligationState.ACCEPTED]),
                ),
            )
        }
        schedule = [
            {"spec": spec, "round": opened.pop((spec.period_start, spec.period_end), None)}
            for spec in services.plan_round_schedule(plan)
        ]
        extra = sorted(opened.values(), key=lambda r: r.period_start)  # rounds opened by hand
        return render(
            request,
            "processes/rounds.html",
            {
                "plan": plan,
                "schedule": schedule,
                "extra_rounds": extra,
                "can_open": manages_plan(request.user, plan),
                "form": form or ManualRoundForm(),
                "chart": burndown_chart(burndown(plan, request.user)),
                "today": timezone.localdate(),
            },
            status=400 if form is not None else 200,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        plan = self.plan
        user = _user(request)
        if not manages_plan(user, plan):
            raise PermissionDenied(_("Only the office admin opens dispatch rounds."))
        if request.POST.get("schedule"):
            number = int(request.POST["schedule"]) if request.POST["schedule"].isdigit() else 0
            spec = next((s for s in services.plan_round_schedule(plan) if s.number == number), None)
            if spec is None:
                raise Http404
            fields = {"period_start": spec.period_start, "period_end": spec.period_end, "due_date": spec.due_date}
            title, number = spec.title, spec.number
        else:
            form = ManualRoundForm(request.POST)
            if not form.is_valid():
                return self.get(request, form=form)
            fields = {name: form.cleaned_data[name] for name in ("period_start", "period_end", "due_date")}
            title, number = form.cleaned_data["title"], None
        try:
            round_, created = services.round_open(
                plan=plan,
                by=user,
                title=title,
                number=number,
                period_start=fields["period_start"],
                period_end=fields["period_end"],
                due_date=fields["due_date"],
            )
        except LifecycleError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.path)
        messages.success(
            request,
            ngettext(
                "%(round)s is open: %(count)s progress report is owed.",
                "%(round)s is open: %(count)s progress reports are owed.",
                created,
            )
            % {"round": round_, "count": created}
            if created
            else _("%(round)s was already open; nothing new was created.") % {"round": round_},
        )
        return HttpResponseRedirect(round_.get_absolute_url())


class RoundView(LoginRequiredMixin, View):
    """One round: every report owed in the user's scope, who has not reported yet, and the reviews."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        round_ = get_object_or_404(
            Round.objects.select_related("plan").filter(plan__in=plans_in_scope(request.user)), pk=pk
        )
        obligations = (
            obligations_in_scope(request)
            .filter(round=round_)
            .exclude(assignment__state=AssignmentState.CARRIED)  # it reports in next year's plan now
            .select_related("assignment__task", "assignment__unit")
            .order_by("assignment__task__position", "assignment__unit__position", "assignment__unit__code")
        )
        rows = list(obligations)
        return render(
            request,
            "processes/round.html",
            {
                "round": round_,
                "rows": rows,
                "missing": services.round_missing_units(round_, scope_unit_ids(request.user)),
                "submitted": [row for row in rows if row.state == ObligationState.SUBMITTED],
                "can_review": bool(rows) and can_verify(rows[0], request.user),  # all in scope: role decides
                "can_close": manages_plan(request.user, round_.plan) and round_.is_open,
                "reported": sum(
                    1 for row in rows if row.state in (ObligationState.SUBMITTED, ObligationState.ACCEPTED)
                ),
            },
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        round_ = get_object_or_404(Round.objects.filter(plan__in=plans_in_scope(request.user)), pk=pk)
        user = _user(request)
        action = request.POST.get("action")
        if action == "close":
            if not manages_plan(user, round_.plan):
                raise PermissionDenied
            services.round_close(round_=round_, by=user)
            messages.success(request, _("%(round)s is closed.") % {"round": round_})
        elif action == "accept":
            ids = {int(v) for v in request.POST.getlist("items") if v.isdigit()}
            chosen = list(obligations_in_scope(request).filter(round=round_, pk__in=ids))
            if len(chosen) != len(ids) or not ids:
                raise PermissionDenied(_("The selection includes items outside your scope; nothing was changed."))
            done = 0
            for obligation in chosen:
                try:
                    services.progress_accept(obligation=obligation, by=user)
                    done += 1
                except LifecycleError as exc:
                    messages.warning(request, _("%(item)s: %(reason)s") % {"item": obligation, "reason": exc.message})
            messages.success(
                request, ngettext("%(count)s report accepted.", "%(count)s reports accepted.", done) % {"count": done}
            )
        return HttpResponseRedirect(round_.get_absolute_url())


class ObligationView(LoginRequiredMixin, View):
    """One obligation: the unit writes (and may save as a draft) its progress report; a supervisor reviews it."""

    def obligation(self, request: HttpRequest, pk: int) -> Obligation:
        return get_object_or_404(
            obligations_in_scope(request).select_related("assignment__task__plan", "assignment__unit", "round"), pk=pk
        )

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # A project's milestone, report or explanation has its own page (项目库), with the project's figures.
        if request.user.is_authenticated and "pk" in kwargs:
            obligation = obligations_in_scope(request).filter(pk=kwargs["pk"], project__isnull=False).first()
            if obligation is not None:
                return HttpResponseRedirect(obligation.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)

    def context(
        self, request: HttpRequest, obligation: Obligation, form: ProgressReportForm | None = None
    ) -> dict[str, Any]:
        draft = Report.objects.filter(obligation=obligation, status=ReportStatus.DRAFT).first()
        initial = (
            {"text": draft.text, "percent": draft.percent, "problems": draft.problems, "next_steps": draft.next_steps}
            if draft
            else {}
        )
        # 细化: a city reporting on a provincial item may start from the states of its own plan's tasks refining it.
        refinements = refinement_progress(assignment=obligation.assignment, viewer=request.user)
        if refinements.tasks and request.GET.get("fill") == "refinements":
            initial["text"] = refinement_report_text(assignment=obligation.assignment, progress=refinements)
        owed = obligation.state in (ObligationState.OPEN, ObligationState.RETURNED)
        closed_round = obligation.round is not None and not obligation.round.is_open
        return {
            "obligation": obligation,
            "item": obligation.assignment,
            "draft": draft,
            "refinements": refinements,
            "form": form or ProgressReportForm(initial=initial),
            "may_report": owed and not closed_round and can_report(obligation, request.user),
            "may_review": obligation.state == ObligationState.SUBMITTED and can_verify(obligation, request.user),
            "closed_round": closed_round,
            "reports": Report.objects.filter(obligation=obligation, status=ReportStatus.SUBMITTED)
            .select_related("submitted_by")
            .prefetch_related("evidence")
            .order_by("-submitted_at", "-pk"),
            "last_percent": services.last_percent(obligation.assignment, before=draft),
            "overdue": owed and obligation.due_date < timezone.localdate(),
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        obligation = self.obligation(request, pk)
        if obligation.kind == ObligationKind.VISIT:
            from .pairings import visit_obligation_redirect

            return visit_obligation_redirect(obligation)
        return render(request, "processes/obligation.html", self.context(request, obligation))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obligation = self.obligation(request, pk)
        user = _user(request)
        action = request.POST.get("action", "")
        try:
            if action in ("draft", "submit"):
                form = ProgressReportForm(request.POST, request.FILES)
                if not form.is_valid():
                    return render(
                        request, "processes/obligation.html", self.context(request, obligation, form), status=400
                    )
                data = form.cleaned_data
                services.progress_save(
                    obligation=obligation,
                    by=user,
                    text=data["text"],
                    percent=data["percent"],
                    problems=data["problems"],
                    next_steps=data["next_steps"],
                    files=data["evidence"],
                    submit=action == "submit",
                    request_completion=data["request_completion"],
                )
                message = _("The progress report was submitted.") if action == "submit" else _("The draft was saved.")
            elif action == "accept":
                services.progress_accept(obligation=obligation, by=user)
                message = _("Accepted.")
            elif action == "return":
                services.progress_return(obligation=obligation, by=user, reason=request.POST.get("reason", ""))
                message = _("Returned to the unit with your reason.")
            else:
                raise Http404
        except AlreadyHandled as exc:
            messages.warning(request, exc.message)
            return HttpResponseRedirect(obligation.get_absolute_url())
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except LifecycleError as exc:
            context = self.context(
                request, obligation, ProgressReportForm(request.POST) if action in ("draft", "submit") else None
            )
            context["error"] = exc.message
            return render(request, "processes/obligation.html", context, status=400)
        messages.success(request, message)
        return HttpResponseRedirect(obligation.get_absolute_url())
