"""包保督导: the paired regions at a glance, one region's page with its visits, and the form that records a visit."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from processes.forms import VisitForm
from processes.models import FocusArea, Obligation, Pairing, Unit, User, Visit
from processes.services.ladder import owed_now
from processes.services.lifecycle import LifecycleError, NotAllowed
from processes.services.pairings import can_record_visit, pairings_for, region_statuses, visit_record


def _viewer(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


class PairingsView(LoginRequiredMixin, View):
    """我的包保: every region the person's pairings cover, with its open and late items, lights and visits."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = _viewer(request)
        pairings = list(pairings_for(user).order_by("plan__year", "level", "unit__position", "start"))
        return render(
            request,
            "processes/pairings.html",
            {"statuses": region_statuses(pairings), "today": timezone.localdate()},
        )


class RegionView(LoginRequiredMixin, View):
    """One paired region: its status, its late items, the visits recorded and, for the pairing, a new visit."""

    def objects(self, request: HttpRequest, pk: int, region: int) -> tuple[User, Pairing, Unit]:
        user = _viewer(request)
        pairing = get_object_or_404(pairings_for(user), pk=pk)  # another pairing: as if it did not exist
        unit = get_object_or_404(pairing.regions.all(), pk=region)
        return user, pairing, unit

    def context(self, user: User, pairing: Pairing, region: Unit, form: VisitForm | None = None) -> dict[str, Any]:
        today = timezone.localdate()
        status = region_statuses([pairing])
        visits = (
            Visit.objects.filter(pairing=pairing, region=region)
            .select_related("recorded_by", "notice")
            .prefetch_related("ratings")
        )
        late = (
            Obligation.objects.filter(
                owed_now(), assignment__unit=region, assignment__task__plan=pairing.plan, due_date__lt=today
            )
            .select_related("assignment__task")
            .order_by("due_date", "assignment__task__position")
        )
        return {
            "pairing": pairing,
            "region": region,
            "status": next(s for s in status if s.region.pk == region.pk),
            "visits": visits,
            "areas": FocusArea,
            "late": late,
            "form": form or VisitForm(initial={"visited_on": today}),
            "may_record": can_record_visit(pairing, user),
            "today": today,
        }

    def get(self, request: HttpRequest, pk: int, region: int) -> HttpResponse:
        user, pairing, unit = self.objects(request, pk, region)
        return render(request, "processes/pairing_region.html", self.context(user, pairing, unit))

    def post(self, request: HttpRequest, pk: int, region: int) -> HttpResponse:
        user, pairing, unit = self.objects(request, pk, region)
        if not can_record_visit(pairing, user):
            raise PermissionDenied
        form = VisitForm(request.POST)
        if not form.is_valid():
            return render(request, "processes/pairing_region.html", self.context(user, pairing, unit, form), status=400)
        data = form.cleaned_data
        try:
            visit = visit_record(
                pairing=pairing,
                region=unit,
                by=user,
                visited_on=data["visited_on"],
                participants=data["participants"],
                findings=data["findings"],
                ratings=form.ratings(),
                outcome=data["outcome"],
                reason=data["reason"],
            )
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except LifecycleError as exc:
            context = self.context(user, pairing, unit, form)
            context["error"] = exc.message
            return render(request, "processes/pairing_region.html", context, status=400)
        if visit.notice is not None:
            messages.success(
                request,
                _("The visit was recorded; %(notice)s was issued to %(region)s.")
                % {"notice": visit.notice, "region": unit.name},
            )
        else:
            messages.success(request, _("The visit was recorded."))
        return HttpResponseRedirect(reverse("plans:pairing_region", kwargs={"pk": pairing.pk, "region": unit.pk}))


def visit_obligation_redirect(obligation: Obligation) -> HttpResponse:
    """A visit owed opens the page of its region, where it is recorded."""
    if obligation.pairing_id is None or obligation.region_id is None:
        raise Http404
    return HttpResponseRedirect(
        reverse("plans:pairing_region", kwargs={"pk": obligation.pairing_id, "region": obligation.region_id})
    )
