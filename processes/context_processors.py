"""What every page's frame needs to know about the signed-in user."""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone

from notifications.health import system_state_cached
from processes import workdays
from processes.rules import can_import_plans, sees_everything


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The import menu entry; for the office's admins the years of this year and next whose holiday
    arrangements are not confirmed yet (one query a minute at most: the calendar's cached copy); and for the
    programme office's admins and supervisors the background's state when the worker or beat has stopped or mail
    is backing up (``background``; computed at most every 30 s per process)."""
    # An error page for a request refused before the authentication middleware (a Host the site does not serve)
    # has no user: it is rendered as for someone not signed in, not turned into a 500.
    user = getattr(request, "user", None) or AnonymousUser()
    office_admin = can_import_plans(user)
    context: dict[str, Any] = {"can_import_plans": office_admin, "provisional_years": [], "background": None}
    if sees_everything(user):
        state = system_state_cached()
        context["background"] = None if state.ok else state
    if office_admin:
        this_year = timezone.localdate().year
        context["provisional_years"] = workdays.provisional_years((this_year, this_year + 1))
    return context
