"""The first authentication backend: refuses locked-out accounts (django-axes) and, where demo accounts are not
allowed, the demo accounts. It never signs anyone in itself; ModelBackend after it checks the password."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .services import demo_account_refused


class LoginGateBackend(AxesStandaloneBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            # Only a sign-in from a page counts attempts; the code paths without a request (the test client's
            # ``login``, a shell) have nobody to lock out. Every login form of the site passes its request.
            return None
        if demo_account_refused(username):
            request.security_refusal = "demo_account"  # type: ignore[attr-defined]
            raise PermissionDenied
        return super().authenticate(request, username, password, **kwargs)
