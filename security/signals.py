"""Audit receivers: sign-ins, failures, lockouts, sign-outs and the admin's own change log.

Signals are where Django and django-axes report these; each receiver only appends an audit event (and, at sign-in,
notes in the session what the middleware must enforce)."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from .middleware import LAST_ACTIVITY_SESSION_KEY
from .models import AuditEventKind
from .services import PASSWORD_CHANGE_SESSION_KEY, audit_record, password_change_due

ADMIN_ACTIONS = {ADDITION: "add", CHANGE: "change", DELETION: "delete"}


@receiver(user_logged_in, dispatch_uid="security.logged_in")
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(kind=AuditEventKind.LOGIN, request=request, user=user)
    session = getattr(request, "session", None)
    if session is None:
        return
    session[LAST_ACTIVITY_SESSION_KEY] = int(timezone.now().timestamp())
    due = password_change_due(user)
    if due:
        session[PASSWORD_CHANGE_SESSION_KEY] = due
    else:
        session.pop(PASSWORD_CHANGE_SESSION_KEY, None)


@receiver(user_login_failed, dispatch_uid="security.login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    if getattr(request, "security_refusal", None):
        reason = request.security_refusal  # type: ignore[union-attr]
    elif getattr(request, "axes_locked_out", False) and getattr(request, "axes_failures_since_start", None) is None:
        reason = "locked_out"  # refused during a lockout (the failure that starts one is a wrong password)
    else:
        reason = "credentials"
    audit_record(
        kind=AuditEventKind.LOGIN_FAILED,
        request=request,
        user=None,
        username=str(credentials.get("username") or ""),
        detail={"reason": reason},
    )


@receiver(user_locked_out, dispatch_uid="security.locked_out")
def _locked_out(sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any) -> None:
    # axes signals both the failure that starts a lockout and each attempt refused during it; only the first counts
    # failures (``axes_failures_since_start``), the others are the ``login_failed`` events with reason locked_out.
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        return
    audit_record(
        kind=AuditEventKind.LOCKED_OUT,
        request=request,
        user=None,
        username=username or "",
        detail={"failures": failures},
    )


@receiver(user_logged_out, dispatch_uid="security.logged_out")
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    timed_out = getattr(request, "security_idle_timeout", None)
    audit_record(
        kind=AuditEventKind.SESSION_TIMEOUT if timed_out else AuditEventKind.LOGOUT,
        request=request,
        user=user,
        detail={"idle_minutes": timed_out} if timed_out else None,
    )


@receiver(post_save, sender=LogEntry, dispatch_uid="security.admin_change")
def _admin_change(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    audit_record(
        kind=AuditEventKind.ADMIN_CHANGE,
        user=instance.user,
        detail={
            "action": ADMIN_ACTIONS.get(instance.action_flag, str(instance.action_flag)),
            "model": f"{instance.content_type.app_label}.{instance.content_type.model}"
            if instance.content_type
            else "",
            "object_id": "" if instance.object_id is None else str(instance.object_id),
            "object": instance.object_repr,
            "message": instance.get_change_message(),
        },
    )
