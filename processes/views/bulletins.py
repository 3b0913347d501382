"""工作简报: the plan's bulletins; a draft's page where the office edits its pieces (add, edit, reorder, remove), picks
highlights from the units' reports, sets its date and distribution lines and previews the PDF; and the confirmation
before 印发, which says to whom it goes and which number it takes. Only the confirmed POST publishes; all of it
works without JavaScript."""

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
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from processes.models import Bulletin, BulletinPiece, Plan, User
from processes.services.bulletins import (
    bulletin_draft,
    bulletin_office,
    bulletin_pdf,
    bulletin_pick_highlights,
    bulletin_piece_add,
    bulletin_piece_move,
    bulletin_piece_remove,
    bulletin_piece_update,
    bulletin_publish,
    bulletin_publish_preview,
    bulletin_update,
    can_edit_bulletins,
    can_read_bulletin,
    highlight_candidates,
    next_numbers,
)
from processes.services.lifecycle import AlreadyHandled, LifecycleError, NotAllowed
from processes.views.mixins import PlanMixin
from security.models import AuditEventKind
from security.services import audit_record


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
        fields = ("masthead", "issuer", "issued_on", "report_to", "send_to", "issue_to")
        widgets = {
            "issued_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "report_to": forms.Textarea(attrs={"rows": 2}),
            "send_to": forms.Textarea(attrs={"rows": 2}),
            "issue_to": forms.Textarea(attrs={"rows": 2}),
        }


class PieceForm(forms.ModelForm):
    class Meta:
        model = BulletinPiece
        fields = ("headline", "text")
        widgets = {"text": forms.Textarea(attrs={"rows": 6})}


def piece_form(piece: BulletinPiece | None = None, data: Any = None) -> PieceForm:
    """A piece's form, its ids unique on a page that shows every piece."""
    return PieceForm(data, instance=piece, auto_id=f"piece-{piece.pk if piece else 'new'}-%s")


def _user(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


class BulletinListView(LoginRequiredMixin, PlanMixin, View):
    def context(self, request: HttpRequest, plan: Plan, form: BulletinDraftForm | None = None) -> dict[str, Any]:
        editor = can_edit_bulletins(request.user, plan)
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

    def get(self, request: HttpRequest) -> HttpResponse:
        plan = self.plan
        return render(request, "processes/bulletins.html", self.context(request, plan))

    def post(self, request: HttpRequest) -> HttpResponse:
        plan = self.plan
        user = _user(request)
        if not can_edit_bulletins(user, plan):
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


def bulletin_page(
    request: HttpRequest,
    bulletin: Bulletin,
    *,
    form: BulletinEditForm | None = None,
    piece_forms: dict[int, PieceForm] | None = None,
    new_piece: PieceForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The bulletin's page; a draft's with its forms (those given bound, to show what was refused)."""
    editable = bulletin.is_draft and can_edit_bulletins(request.user, bulletin.plan)
    office = bulletin_office(bulletin)
    number: int | None
    overall: int | None
    if bulletin.is_draft:
        number, overall = next_numbers(bulletin.year, office)
    else:
        number, overall = bulletin.number, bulletin.total_number
    pieces = list(bulletin.pieces.select_related("report__assignment__unit"))
    piece_forms = piece_forms or {}
    context = {
        "bulletin": bulletin,
        "plan": bulletin.plan,
        "editable": editable,
        "pieces": [(piece, piece_forms.get(piece.pk) or piece_form(piece)) for piece in pieces],
        "form": form or BulletinEditForm(instance=bulletin),
        "new_piece": new_piece or piece_form(),
        "candidates": highlight_candidates(bulletin)[:50] if editable else [],
        "number": number,
        "overall": overall,
        "error": error,
    }
    return render(request, "processes/bulletin.html", context, status=status)


def _editor(request: HttpRequest, bulletin: Bulletin) -> User:
    user = _user(request)
    if not can_edit_bulletins(user, bulletin.plan):
        raise PermissionDenied
    return user


class BulletinView(LoginRequiredMixin, View):
    """A bulletin; for a draft, its date and distribution lines (``save``), a new piece (``add-piece``) and the
    highlights picked from the units' reports (``highlights``)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return bulletin_page(request, bulletin_in_scope(request, pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        bulletin = bulletin_in_scope(request, pk)
        user = _editor(request, bulletin)
        action = request.POST.get("action", "save")
        try:
            if action == "highlights":
                picked = [int(value) for value in request.POST.getlist("reports") if value.isdigit()]
                bulletin_pick_highlights(bulletin=bulletin, by=user, reports=picked)
                messages.success(request, _("Each chosen report is now a piece of the bulletin; edit its headline."))
            elif action == "add-piece":
                new_piece = piece_form(data=request.POST)
                if not new_piece.is_valid():
                    return bulletin_page(request, bulletin, new_piece=new_piece, status=400)
                bulletin_piece_add(bulletin=bulletin, by=user, **new_piece.cleaned_data)
                messages.success(request, _("The piece was added."))
            else:
                form = BulletinEditForm(request.POST, instance=Bulletin.objects.get(pk=bulletin.pk))
                if not form.is_valid():
                    return bulletin_page(request, bulletin, form=form, status=400)
                bulletin_update(bulletin=bulletin, by=user, changes=form.cleaned_data)
                messages.success(request, _("The draft was saved."))
        except AlreadyHandled:
            messages.warning(request, _("This bulletin has already been published; it stays as it went out."))
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except LifecycleError as exc:
            return bulletin_page(request, bulletin, error=exc.message, status=400)
        return HttpResponseRedirect(bulletin.get_absolute_url())


class BulletinPieceView(LoginRequiredMixin, View):
    """One piece of a draft: ``save`` its headline and text, move it ``up`` or ``down``, or ``remove`` it."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        piece = get_object_or_404(BulletinPiece.objects.select_related("bulletin"), pk=pk)
        bulletin = bulletin_in_scope(request, piece.bulletin_id)
        user = _editor(request, bulletin)
        action = request.POST.get("action", "save")
        try:
            if action in ("up", "down"):
                bulletin_piece_move(piece=piece, by=user, to=piece.position + (-1 if action == "up" else 1))
            elif action == "remove":
                bulletin_piece_remove(piece=piece, by=user)
                messages.success(request, _("The piece was taken out of the bulletin."))
            else:
                form = piece_form(piece, request.POST)
                if not form.is_valid():
                    return bulletin_page(request, bulletin, piece_forms={piece.pk: form}, status=400)
                bulletin_piece_update(piece=piece, by=user, **form.cleaned_data)
                messages.success(request, _("The piece was saved."))
        except AlreadyHandled:
            messages.warning(request, _("This bulletin has already been published; it stays as it went out."))
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except LifecycleError as exc:
            return bulletin_page(
                request,
                bulletin,
                piece_forms={piece.pk: piece_form(piece, request.POST)},
                error=exc.message,
                status=400,
            )
        return HttpResponseRedirect(f"{bulletin.get_absolute_url()}#piece-{piece.pk}")


class BulletinPublishView(LoginRequiredMixin, View):
    """The one confirmation before 印发: the number it takes and whom it is emailed to; its POST publishes."""

    def page(self, request: HttpRequest, bulletin: Bulletin, error: str = "", status: int = 200) -> HttpResponse:
        preview = bulletin_publish_preview(bulletin)
        context = {"bulletin": bulletin, "plan": bulletin.plan, "preview": preview, "error": error}
        return render(request, "processes/bulletin_publish.html", context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        bulletin = bulletin_in_scope(request, pk)
        _editor(request, bulletin)
        if not bulletin.is_draft:
            messages.warning(request, _("This bulletin has already been published; it stays as it went out."))
            return HttpResponseRedirect(bulletin.get_absolute_url())
        return self.page(request, bulletin)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        bulletin = bulletin_in_scope(request, pk)
        user = _editor(request, bulletin)
        confirmed = request.POST.get("confirmed", "")
        if not confirmed:  # a publish is always the answer to the confirmation, never a bare POST
            return HttpResponseRedirect(reverse("plans:bulletin_publish", kwargs={"pk": bulletin.pk}))
        try:
            bulletin = bulletin_publish(bulletin=bulletin, by=user, confirmed=confirmed)
        except AlreadyHandled:
            messages.warning(request, _("This bulletin has already been published; it stays as it went out."))
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except LifecycleError as exc:
            return self.page(request, bulletin, error=exc.message, status=400)
        else:
            messages.success(
                request, _("%(issue)s was published and sent to the distribution list.") % {"issue": bulletin}
            )
        return HttpResponseRedirect(bulletin.get_absolute_url())


class BulletinPdfView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        bulletin = bulletin_in_scope(request, pk)
        try:
            pdf = bulletin_pdf(bulletin)
        except LifecycleError as exc:  # a draft that cannot be printed: say why on its page
            return bulletin_page(request, bulletin, error=exc.message, status=400)
        response = HttpResponse(pdf, content_type="application/pdf")
        audit_record(kind=AuditEventKind.EXPORT, request=request, detail={"what": "bulletin", "id": bulletin.pk})
        issue = bulletin.issue_label if bulletin.number else f"{bulletin.year}年（样稿）"
        response["Content-Disposition"] = (
            content_disposition_header(False, f"{bulletin.masthead} {issue}.pdf") or "inline"
        )
        response["Cache-Control"] = "private, no-store"
        return response
