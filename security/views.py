"""The lockout page, the password change that settles what a session owes, and the auditor's audit log."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from axes.helpers import get_cool_off
from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView
from viewflow.contrib.auth import AuthenticationForm, AuthViewset

from processes.spreadsheets import csv_bytes

from .models import AuditEvent, AuditEventKind
from .services import audit_record, password_changed

AUDIT_PERMISSION = "security.view_auditevent"


def lockout_message(request: HttpRequest | None = None) -> str:
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else 30
    return _(
        "Too many failed sign-ins: the account is locked for %(minutes)s minutes. Try again later, or ask the "
        "office's administrator to unlock it."
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in (``AXES_LOCKOUT_CALLABLE``): the login page again, in the site's
    frame, saying in the reader's language why and for how long (429 Too Many Requests)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {"form": form, "lockout": lockout_message(request)}
    return render(request, "registration/login.html", context, status=429)


class SecurePasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, which also records the change and settles what the session owed."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        password_changed(user=form.user, by=form.user, request=self.request)
        return response


class SecurePasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A password set from the emailed reset link is the person's own: recorded, and it settles a change owed."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        password_changed(user=form.user, by=form.user, request=self.request)
        return response


class SecureAuthViewset(AuthViewset):
    pass_change_view_class = SecurePasswordChangeView
    pass_reset_confirm_view_class = SecurePasswordResetConfirmView


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("event"), required=False, choices=[("", "—"), *AuditEventKind.choices])
    username = forms.CharField(label=gettext_lazy("username"), required=False, max_length=150)
    start = forms.DateField(
        label=gettext_lazy("on or after"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("on or before"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filter(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        if not self.is_valid():
            return events.none()
        data = self.cleaned_data
        if data["kind"]:
            events = events.filter(kind=data["kind"])
        if data["username"]:
            events = events.filter(username__iexact=data["username"].strip())
        zone = timezone.get_current_timezone()
        if data["start"]:
            events = events.filter(at__gte=dt.datetime.combine(data["start"], dt.time.min, tzinfo=zone))
        if data["end"]:
            events = events.filter(at__lt=dt.datetime.combine(data["end"] + dt.timedelta(days=1), dt.time.min, zone))
        return events


class AuditorRequiredMixin(PermissionRequiredMixin):
    """Signed-out people go to the login page; signed-in people without the permission get 403."""

    permission_required = AUDIT_PERMISSION
    request: HttpRequest

    def handle_no_permission(self) -> HttpResponseRedirect:
        self.raise_exception = self.request.user.is_authenticated
        return super().handle_no_permission()


class AuditLogView(AuditorRequiredMixin, ListView):
    """安全审计: the audit log, for those holding ``security.view_auditevent`` (the 安全审计员 group)."""

    template_name = "security/audit_log.html"
    paginate_by = 100
    context_object_name = "events"

    def get_queryset(self) -> QuerySet[AuditEvent]:
        self.filters = AuditFilterForm(self.request.GET or None)
        events = AuditEvent.objects.select_related("user")
        return self.filters.filter(events) if self.request.GET else events

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(filters=self.filters, query=query.urlencode())
        return context


class AuditExportView(AuditorRequiredMixin, View):
    """The filtered audit log as CSV (UTF-8 with BOM, for Excel); cells that a spreadsheet would run are text."""

    def get(self, request: HttpRequest) -> HttpResponse:
        filters = AuditFilterForm(request.GET or None)
        events: QuerySet[AuditEvent] = AuditEvent.objects.select_related("user").order_by("at", "pk")
        if request.GET:
            events = filters.filter(events)
        header = [_("time"), _("event"), _("username"), _("address"), _("path"), _("detail")]
        rows = [
            [
                timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                event.get_kind_display(),
                event.username,
                event.address or "",
                event.path,
                json.dumps(event.detail, ensure_ascii=False, sort_keys=True) if event.detail else "",
            ]
            for event in events.iterator()
        ]
        count = len(rows)
        audit_record(
            kind=AuditEventKind.EXPORT,
            request=request,
            detail={"what": "audit_log", "rows": count, "filters": request.GET.dict()},
        )
        response = HttpResponse(csv_bytes([header, *rows]), content_type="text/csv; charset=utf-8")
        name = f"audit-{timezone.localdate().isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response
