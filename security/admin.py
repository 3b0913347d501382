"""Admin: the security settings (one row), the audit log (read only), and on the user admin the rules of who
must change a password and the unlocking of locked-out accounts."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from processes.admin import AppUserAdmin

from .models import AccountSecurity, AuditEvent, SecuritySettings
from .services import account_unlock, password_change_require, password_changed

User = get_user_model()


@admin.register(SecuritySettings)
class SecuritySettingsAdmin(admin.ModelAdmin):
    list_display = ("idle_timeout_minutes", "password_max_age_days", "audit_retention_days")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SecuritySettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: SecuritySettings | None = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, object] | None = None) -> HttpResponse:
        """Straight to the one row."""
        return HttpResponseRedirect(
            reverse("admin:security_securitysettings_change", args=[SecuritySettings.current().pk])
        )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Append-only: read here, never added, changed or deleted."""

    list_display = ("at", "kind", "username", "address", "path")
    list_filter = ("kind", "at")
    search_fields = ("username", "address", "path")
    date_hierarchy = "at"
    readonly_fields = ("at", "kind", "user", "username", "address", "path", "detail")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AccountSecurityInline(admin.StackedInline):
    model = AccountSecurity
    can_delete = False
    fields = ("must_change_password", "password_changed_at", "is_demo")
    readonly_fields = ("password_changed_at", "is_demo")


admin.site.unregister(User)
# Sign-ins, sign-outs and failures are in the security audit log (AXES_DISABLE_ACCESS_LOG; the failure log is off):
# axes' own logs stay empty, and only its access attempts (the running count that locks an account) are listed.
for _empty_log in ("AccessLog", "AccessFailureLog"):
    _model = apps.get_model("axes", _empty_log)
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(User)
class SecureUserAdmin(AppUserAdmin):
    """An account the office makes here, or whose password it sets here, must change its password at the next
    sign-in; a locked-out account is unlocked with the action."""

    actions = ["unlock_accounts"]

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[type[admin.options.InlineModelAdmin]]:
        return [AccountSecurityInline] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            password_change_require(user=obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            if user is not None:
                password_changed(user=user, by=request.user, request=request)  # type: ignore[arg-type]
        return response

    @admin.action(description=_("Unlock the selected accounts (clear their failed sign-ins)"))
    def unlock_accounts(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for user in queryset:
            account_unlock(username=user.get_username(), by=request.user, request=request)  # type: ignore[arg-type]
        count = queryset.count()
        self.message_user(
            request,
            ngettext("%(count)d account unlocked.", "%(count)d accounts unlocked.", count) % {"count": count},
            messages.SUCCESS,
        )
