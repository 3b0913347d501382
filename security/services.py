"""Account security and the audit log: one typed function per action."""

from __future__ import annotations

import contextvars
import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from .addresses import client_address
from .models import AccountSecurity, AuditEvent, AuditEventKind, SecuritySettings

if TYPE_CHECKING:
    from processes.models import User

PASSWORD_CHANGE_SESSION_KEY = "security.password_change"  # noqa: S105 — why this session must change its password first
FIRST_LOGIN, EXPIRED = "first_login", "expired"

_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar("security_request", default=None)


def current_request() -> HttpRequest | None:
    """The request being served (set by ``RequestContextMiddleware``): for audit events raised by signals."""
    return _current_request.get()


def set_current_request(request: HttpRequest | None) -> contextvars.Token[HttpRequest | None]:
    return _current_request.set(request)


def reset_current_request(token: contextvars.Token[HttpRequest | None]) -> None:
    _current_request.reset(token)


def audit_record(
    *,
    kind: AuditEventKind,
    request: HttpRequest | None = None,
    user: User | AnonymousUser | None = None,
    username: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. ``request`` defaults to the request being served; ``user`` to the request's user."""
    request = request or current_request()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    return AuditEvent.objects.create(
        kind=kind,
        user=actor,
        username=(username or (actor.get_username() if actor is not None else ""))[:150],
        address=client_address(request) if request is not None else None,
        path=request.get_full_path()[:500] if request is not None else "",
        detail=detail or {},
    )


def audit_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the events older than the retention period (at least 180 days); the only deletion there is. On
    PostgreSQL the table's trigger lets it through because this transaction says so (``security.audit_purge``)."""
    retention = SecuritySettings.current().audit_retention_days
    before = (now or timezone.now()) - dt.timedelta(days=retention)
    table = AuditEvent._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL security.audit_purge = 'on'")
        cursor.execute(f"DELETE FROM {table} WHERE at < %s", [before])  # noqa: S608 — the model's own table
        return cursor.rowcount


def account_security(user: User) -> AccountSecurity:
    found, _ = AccountSecurity.objects.get_or_create(user=user)
    return found


def password_change_due(user: User, *, now: dt.datetime | None = None) -> str | None:
    """Why ``user`` must change the password before anything else: set by the office, or expired; else None."""
    state = AccountSecurity.objects.filter(user=user).first()
    if state is not None and state.must_change_password:
        return FIRST_LOGIN
    max_age = SecuritySettings.current().password_max_age_days
    if max_age:
        changed = (state.password_changed_at if state is not None else None) or getattr(user, "date_joined", None)
        if changed is not None and changed + dt.timedelta(days=max_age) <= (now or timezone.now()):
            return EXPIRED
    return None


def password_change_require(*, user: User) -> None:
    """The office made the account or set its password: the person sets their own at the next sign-in."""
    AccountSecurity.objects.update_or_create(user=user, defaults={"must_change_password": True})


def password_changed(*, user: User, by: User, request: HttpRequest | None = None) -> None:
    """Record a password change. A person's own change settles what was owed; one made by an administrator for
    someone else is owed a change by that person at the next sign-in."""
    own = user.pk == by.pk
    AccountSecurity.objects.update_or_create(
        user=user, defaults={"must_change_password": not own, "password_changed_at": timezone.now()}
    )
    if own and request is not None and hasattr(request, "session"):
        request.session.pop(PASSWORD_CHANGE_SESSION_KEY, None)
    audit_record(
        kind=AuditEventKind.PASSWORD_CHANGED,
        request=request,
        user=by,
        detail={} if own else {"account": user.get_username(), "set_by_administrator": True},
    )


def account_unlock(*, username: str, by: User, request: HttpRequest | None = None) -> int:
    """Clear the failed sign-ins that lock ``username`` out; returns how many records were cleared."""
    from axes.utils import reset

    cleared = reset(username=username)
    audit_record(kind=AuditEventKind.UNLOCKED, request=request, user=by, detail={"account": username})
    return cleared


def account_mark_demo(*, user: User) -> None:
    """A demo account: refused at sign-in wherever ``DEMO_ALLOWED`` is off (production)."""
    AccountSecurity.objects.update_or_create(user=user, defaults={"is_demo": True})


def demo_account_refused(username: str | None) -> bool:
    if settings.DEMO_ALLOWED or not username:
        return False
    model = get_user_model()
    return AccountSecurity.objects.filter(is_demo=True, **{f"user__{model.USERNAME_FIELD}": username}).exists()
