"""A notice the ladder issued (预警函, 督办通知单): read it, download its PDF, and — for the unit — answer it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from processes.forms import NoticeAnswerForm
from processes.models import Notice, User, Visit
from processes.permissions import can_report
from processes.services.lifecycle import AlreadyHandled, LifecycleError, NotAllowed
from processes.services.notices import notice_answer, notice_pdf
from processes.services.pairings import pairings_for
from processes.services.scope import scope_unit_ids


def notice_in_scope(request: HttpRequest, pk: int) -> Notice:
    notice = get_object_or_404(Notice.objects.select_related("unit", "answer"), pk=pk)
    unit_ids = scope_unit_ids(request.user)
    if unit_ids is not None and notice.unit_id not in unit_ids:
        # The 包保 leader who issued it from a visit reads it too; anyone else gets the answer for no notice.
        pairings = pairings_for(request.user) if isinstance(request.user, User) else None
        if pairings is None or not Visit.objects.filter(notice=notice, pairing__in=pairings).exists():
            raise Http404
    return notice


class NoticeView(LoginRequiredMixin, View):
    def context(self, request: HttpRequest, notice: Notice, form: NoticeAnswerForm | None = None) -> dict[str, object]:
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
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        notice = notice_in_scope(request, pk)
        return render(request, "processes/notice.html", self.context(request, notice))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        notice = notice_in_scope(request, pk)
        if not isinstance(request.user, User):
            raise PermissionDenied
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


class NoticePdfView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        notice = notice_in_scope(request, pk)
        response = HttpResponse(notice_pdf(notice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{notice.doc_no}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response
