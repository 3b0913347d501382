"""工作简报: the plan's bulletins; a draft's page where the office edits its text, picks highlights from the units'
reports, previews the PDF and publishes it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from processes.models import Bulletin, Plan, User
from processes.services.bulletins import (
    bulletin_draft,
    bulletin_pdf,
    bulletin_pick_highlights,
    bulletin_publish,
    bulletin_update,
    can_edit_bulletins,
    can_read_bulletin,
    highlight_candidates,
    next_numbers,
)
from processes.services.lifecycle import AlreadyHandled, LifecycleError, NotAllowed


class BulletinDraftForm(forms.Form):
    period_start = forms.DateField(
        label=gettext_lazy("Period from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    period_end = forms.DateField(
        label=gettext_lazy("Period to"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class BulletinEditForm(forms.ModelForm):
    class Meta:
        model = Bulletin
        fields = ("masthead", "issuer", "issued_on", "contents", "summary", "highlights", "report_to", "send_to")
        widgets = {
            "issued_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "contents": forms.Textarea(attrs={"rows": 5}),
            "summary": forms.Textarea(attrs={"rows": 8}),
            "highlights": forms.Textarea(attrs={"rows": 8}),
            "report_to": forms.Textarea(attrs={"rows": 2}),
            "send_to": forms.Textarea(attrs={"rows": 2}),
        }


def _user(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


class BulletinListView(LoginRequiredMixin, View):
    def context(self, request: HttpRequest, plan: Plan, form: BulletinDraftForm | None = None) -> dict[str, Any]:
        editor = can_edit_bulletins(request.user)
        bulletins = [b for b in Bulletin.objects.filter(plan=plan) if can_read_bulletin(b, request.user)]
        today = timezone.localdate()
        first = dt.date(today.year, max(today.month - 2, 1), 1) if today.year == plan.year else dt.date(plan.year, 1, 1)
        return {
            "plan": plan,
            "bulletins": bulletins,
            "may_draft": editor,
            "form": form
            or BulletinDraftForm(initial={"period_start": first, "period_end": min(today, dt.date(plan.year, 12, 31))}),
        }

    def get(self, request: HttpRequest, year: int) -> HttpResponse:
        plan = get_object_or_404(Plan, year=year)
        return render(request, "processes/bulletins.html", self.context(request, plan))

    def post(self, request: HttpRequest, year: int) -> HttpResponse:
        plan = get_object_or_404(Plan, year=year)
        user = _user(request)
        if not can_edit_bulletins(user):
            raise PermissionDenied
        form = BulletinDraftForm(request.POST)
        if not form.is_valid():
            return render(request, "processes/bulletins.html", self.context(request, plan, form), status=400)
        try:
            bulletin = bulletin_draft(
                plan=plan,
                by=user,
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
            )
        except LifecycleError as exc:
            context = self.context(request, plan, form)
            context["error"] = exc.message
            return render(request, "processes/bulletins.html", context, status=400)
        messages.success(request, _("A draft bulletin was written from the period's figures; edit it, then publish."))
        return HttpResponseRedirect(bulletin.get_absolute_url())


def bulletin_in_scope(request: HttpRequest, pk: int) -> Bulletin:
    bulletin = get_object_or_404(Bulletin.objects.select_related("plan"), pk=pk)
    if not can_read_bulletin(bulletin, request.user):
        raise Http404
    return bulletin


class BulletinView(LoginRequiredMixin, View):
    def context(self, request: HttpRequest, bulletin: Bulletin, form: BulletinEditForm | None = None) -> dict[str, Any]:
        editable = bulletin.is_draft and can_edit_bulletins(request.user)
        number, overall = next_numbers(bulletin.year) if bulletin.is_draft else (bulletin.number, bulletin.total_number)
        return {
            "bulletin": bulletin,
            "plan": bulletin.plan,
            "editable": editable,
            "form": form or BulletinEditForm(instance=bulletin),
            "candidates": highlight_candidates(bulletin)[:50] if editable else [],
            "number": number,
            "overall": overall,
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        bulletin = bulletin_in_scope(request, pk)
        return render(request, "processes/bulletin.html", self.context(request, bulletin))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        bulletin = bulletin_in_scope(request, pk)
        user = _user(request)
        if not can_edit_bulletins(user):
            raise PermissionDenied
        action = request.POST.get("action", "save")
        try:
            if action == "publish":
                bulletin = bulletin_publish(bulletin=bulletin, by=user)
                messages.success(
                    request, _("%(issue)s was published and sent to the distribution list.") % {"issue": bulletin}
                )
            elif action == "highlights":
                picked = [int(value) for value in request.POST.getlist("reports") if value.isdigit()]
                bulletin_pick_highlights(bulletin=bulletin, by=user, reports=picked)
                messages.success(request, _("The chosen reports were added to the highlights."))
            else:
                form = BulletinEditForm(request.POST, instance=Bulletin.objects.get(pk=bulletin.pk))
                if not form.is_valid():
                    return render(request, "processes/bulletin.html", self.context(request, bulletin, form), status=400)
                bulletin_update(bulletin=bulletin, by=user, changes=form.cleaned_data)
                messages.success(request, _("The draft was saved."))
        except AlreadyHandled:
            messages.warning(request, _("This bulletin has already been published; it stays as it went out."))
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except LifecycleError as exc:
            context = self.context(request, bulletin)
            context["error"] = exc.message
            return render(request, "processes/bulletin.html", context, status=400)
        return HttpResponseRedirect(reverse("plans:bulletin", kwargs={"pk": bulletin.pk}))


class BulletinPdfView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        bulletin = bulletin_in_scope(request, pk)
        response = HttpResponse(bulletin_pdf(bulletin), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="bulletin-{bulletin.year}-{bulletin.number or "draft"}.pdf"'
        )
        response["Cache-Control"] = "private, no-store"
        return response
