"""A notice the ladder issued (预警函, 督办通知单): read it, download its PDF, and — for the unit — answer it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from processes.forms import NoticeAnswerForm, NoticeDraftForm, WithdrawForm
from processes.models import DocumentKind, Notice, User, Visit
from processes.rules import can_report, scope_unit_ids, sees_everything
from processes.services.circulars import circular_copied_people
from processes.services.lifecycle import AlreadyHandled, LifecycleError, NotAllowed
from processes.services.notices import notice_answer, notice_pdf
from processes.services.pairings import pairings_for
from processes.services.signing import (
    can_prepare,
    can_sign,
    notice_edit,
    notice_office_id,
    notice_withdraw,
    notices_sign,
)
from security.models import AuditEventKind
from security.services import audit_record


def _caused_by(request: HttpRequest, notice: Notice) -> bool:
    """Whether the person is the 包保 leader whose visit led to the document."""
    pairings = pairings_for(request.user) if isinstance(request.user, User) else None
    return pairings is not None and Visit.objects.filter(notice=notice, pairing__in=pairings).exists()


def notice_in_scope(request: HttpRequest, pk: int) -> Notice:
    notice = get_object_or_404(Notice.objects.select_related("unit", "answer", "signed_by", "withdrawn_by"), pk=pk)
    office = notice_office_id(notice)
    # The office that drafted and signs it, and the provincial office, which oversees every office's documents.
    of_office = can_prepare(request.user, office) or sees_everything(request.user)
    if not notice.is_issued:
        # A draft, or a withdrawn one, is the office's (and the 包保 leader's whose visit caused it), nobody else's.
        if of_office or _caused_by(request, notice):
            return notice
        raise Http404
    if of_office:
        return notice
    if notice.kind == DocumentKind.CIRCULAR:
        # A circular is its regions' (and its copy's: the 包保 leaders), whatever scope the reader has.
        named = notice.sent_to.filter(pk=getattr(request.user, "unit_id", None) or 0).exists()
        if named or any(person.pk == request.user.pk for person in circular_copied_people(notice)):
            return notice
        raise Http404
    unit_ids = scope_unit_ids(request.user)
    # The 包保 leader who issued it from a visit reads it too; anyone else gets the answer for no notice.
    if unit_ids is not None and notice.unit_id not in unit_ids and not _caused_by(request, notice):
        raise Http404
    return notice


class NoticeView(LoginRequiredMixin, View):
    def context(
        self,
        request: HttpRequest,
        notice: Notice,
        form: NoticeAnswerForm | None = None,
        draft_form: NoticeDraftForm | None = None,
        withdraw_form: WithdrawForm | None = None,
    ) -> dict[str, object]:
        items = notice.items.select_related("assignment__task", "assignment__unit").order_by(
            "assignment__task__position"
        )
        responses = list(notice.responses.select_related("assignment"))
        return {
            "notice": notice,
            "visit": Visit.objects.filter(notice=notice).select_related("pairing__unit", "pairing__leader").first(),
            "items": items,
            "form": form or NoticeAnswerForm(),
            "may_answer": notice.answered_at is None and any(can_report(r, request.user) for r in responses),
            "may_edit": notice.is_draft and can_prepare(request.user, notice_office_id(notice)),
            "may_sign": notice.is_draft and can_sign(request.user, notice_office_id(notice)),
            "draft_form": self.draft_form(notice, draft_form),
            "withdraw_form": withdraw_form or WithdrawForm(),
        }

    @staticmethod
    def draft_form(notice: Notice, form: NoticeDraftForm | None) -> NoticeDraftForm:
        form = form or NoticeDraftForm(initial={"title": notice.title, "body": notice.body, "copy_to": notice.copy_to})
        if notice.kind == DocumentKind.CIRCULAR:  # a circular asks for no answer
            form.fields["body"].help_text = _("One paragraph per line.")
        return form

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        notice = notice_in_scope(request, pk)
        return render(request, "processes/notice.html", self.context(request, notice))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        notice = notice_in_scope(request, pk)
        if not isinstance(request.user, User):
            raise PermissionDenied
        action = request.POST.get("action", "answer")
        if action in ("edit", "sign", "withdraw"):
            return self.draft_step(request, notice, action)
        form = NoticeAnswerForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, "processes/notice.html", self.context(request, notice, form), status=400)
        try:
            notice_answer(
                notice=notice, by=request.user, text=form.cleaned_data["text"], files=form.cleaned_data["evidence"]
            )
        except AlreadyHandled as exc:
            messages.warning(request, exc.message)
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except LifecycleError as exc:
            context = self.context(request, notice, form)
            context["error"] = exc.message
            return render(request, "processes/notice.html", context, status=400)
        else:
            messages.success(request, _("The answer was submitted."))
        return HttpResponseRedirect(reverse("plans:notice", kwargs={"pk": notice.pk}))

    def draft_step(self, request: HttpRequest, notice: Notice, action: str) -> HttpResponse:
        user = request.user
        if not isinstance(user, User):
            raise PermissionDenied
        draft_form, withdraw_form = None, None
        try:
            if action == "edit":
                draft_form = NoticeDraftForm(request.POST)
                if not draft_form.is_valid():
                    return render(
                        request,
                        "processes/notice.html",
                        self.context(request, notice, draft_form=draft_form),
                        status=400,
                    )
                notice_edit(notice=notice, by=user, **draft_form.cleaned_data)
                messages.success(request, _("The draft was saved."))
            elif action == "withdraw":
                withdraw_form = WithdrawForm(request.POST)
                if not withdraw_form.is_valid():
                    context = self.context(request, notice, withdraw_form=withdraw_form)
                    return render(request, "processes/notice.html", context, status=400)
                notice_withdraw(notice=notice, by=user, reason=withdraw_form.cleaned_data["reason"])
                messages.success(request, _("The draft was withdrawn; it takes no number."))
            else:
                signed = notices_sign(notices=[notice], by=user, read=request.POST.get("read"))
                messages.success(request, _("Signed and sent as %(doc_no)s.") % {"doc_no": signed[0].doc_no})
        except AlreadyHandled as exc:
            messages.warning(request, exc.message)
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except LifecycleError as exc:
            context = self.context(request, notice, draft_form=draft_form, withdraw_form=withdraw_form)
            context["error"] = exc.message
            return render(request, "processes/notice.html", context, status=400)
        return HttpResponseRedirect(reverse("plans:notice", kwargs={"pk": notice.pk}))


class NoticesSignView(LoginRequiredMixin, View):
    """Sign several drafts at once, from 我的待办: all of them, or — one refused — none."""

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not isinstance(user, User) or not can_sign(user):
            raise PermissionDenied(_("Only a signer (签发人) signs the office's documents."))
        raw = request.POST.getlist("notices")
        if not raw or not all(value.isdigit() for value in raw):
            messages.warning(request, _("Choose the documents to sign; nothing was signed."))
            return HttpResponseRedirect(reverse("plans:work") + "#signing")
        try:
            signed = notices_sign(notices=[int(value) for value in raw], by=user)
        except AlreadyHandled:
            messages.warning(request, _("One of them was signed or withdrawn meanwhile; nothing was signed."))
        except LifecycleError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s document signed and sent: %(numbers)s.",
                    "%(count)s documents signed and sent: %(numbers)s.",
                    len(signed),
                )
                % {"count": len(signed), "numbers": "、".join(notice.doc_no or "" for notice in signed)},
            )
        return HttpResponseRedirect(reverse("plans:work") + "#signing")


class NoticePdfView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        notice = notice_in_scope(request, pk)
        response = HttpResponse(notice_pdf(notice), content_type="application/pdf")
        audit_record(
            kind=AuditEventKind.EXPORT,
            request=request,
            detail={"what": "notice", "id": notice.pk, "kind": notice.kind, "doc_no": notice.doc_no or ""},
        )
        # Named by its 文号 (RFC 5987, so that a browser keeps the Chinese), a draft as 草稿 of its title.
        name = notice.doc_no or f"草稿-{notice.title or notice.pk}"
        response["Content-Disposition"] = content_disposition_header(False, f"{name}.pdf") or "inline"
        response["Cache-Control"] = "private, no-store"
        return response
