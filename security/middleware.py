"""Per-request security: the request context for audit events, the admin's networks, the idle timeout, the
password change owed, and the Content-Security-Policy header."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

LAST_ACTIVITY_SESSION_KEY = "security.last_activity"  # seconds since the epoch of the last request
# The last activity is written at most once a minute: a session write on every page would cost a database write
# per request. The timeout is therefore exact to this many seconds.
ACTIVITY_GRANULARITY_SECONDS = 60

GetResponse = Callable[[HttpRequest], HttpResponse]


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


class RequestContextMiddleware:
    """Makes the request known to the audit receivers of signals that do not carry it (the admin's log)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from .services import reset_current_request, set_current_request

        token = set_current_request(request)
        try:
            return self.get_response(request)
        finally:
            reset_current_request(token)


class AdminNetworkMiddleware:
    """``ADMIN_ALLOWED_NETWORKS`` (CIDRs; empty: any): the admin answers 404 to every other address."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        allowed = tuple(getattr(settings, "ADMIN_ALLOWED_NETWORKS", ()) or ())
        admin = _url("admin:index")
        if allowed and admin and request.path_info.startswith(admin):
            from .addresses import client_address, in_networks
            from .models import AuditEventKind
            from .services import audit_record

            address = client_address(request)
            if not in_networks(address, allowed):
                audit_record(kind=AuditEventKind.ACCESS_DENIED, request=request, detail={"reason": "admin_network"})
                raise Http404
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """Ends a session idle longer than the office's timeout (``SecuritySettings.idle_timeout_minutes``) and sends the
    person to the login page, saying why."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            from .models import SecuritySettings

            now = int(timezone.now().timestamp())
            last = request.session.get(LAST_ACTIVITY_SESSION_KEY)
            minutes = SecuritySettings.current().idle_timeout_minutes
            if isinstance(last, int) and now - last > minutes * 60:
                request.security_idle_timeout = minutes  # type: ignore[attr-defined]  # read by the logout receiver
                logout(request)
                messages.warning(
                    request,
                    _(
                        "You were signed out after %(minutes)s minutes without activity, to protect your account. "
                        "Please sign in again."
                    )
                    % {"minutes": minutes},
                )
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if not isinstance(last, int) or now - last >= ACTIVITY_GRANULARITY_SECONDS:
                request.session[LAST_ACTIVITY_SESSION_KEY] = now
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """Every page leads to the password change while the session owes one (first sign-in of an account the office
    made or whose password it set, or an expired password)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from .services import EXPIRED, PASSWORD_CHANGE_SESSION_KEY

        if request.user.is_authenticated:
            due = request.session.get(PASSWORD_CHANGE_SESSION_KEY)
            change = _url("password_change")
            if due and change and not self.exempt(request.path_info, change):
                if due == EXPIRED:
                    messages.warning(request, _("Your password has expired: please set a new one to continue."))
                else:
                    messages.warning(
                        request, _("Please replace the password the office gave you with one of your own to continue.")
                    )
                return HttpResponseRedirect(change)
        return self.get_response(request)

    @staticmethod
    def exempt(path: str, change: str) -> bool:
        allowed = [change, _url("password_change_done"), _url("logout"), _url("admin:logout"), settings.STATIC_URL]
        allowed += [_url("javascript-catalog"), _url("set_language")]
        return any(prefix and path.startswith(prefix) for prefix in allowed)


class ContentSecurityPolicyMiddleware:
    """``Content-Security-Policy`` (``settings.CONTENT_SECURITY_POLICY``) on every response that has none."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
