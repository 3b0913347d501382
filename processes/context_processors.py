"""What every page's frame needs to know about the signed-in user."""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone

from processes import workdays
from processes.services.scope import can_import_plans


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The import menu entry, and for the office's admins the years of this year and next whose holiday
    arrangements are not confirmed yet (one query a minute at most: the calendar's cached copy)."""
    # An error page for a request refused before the authentication middleware (a Host the site does not serve)
    # has no user: it is rendered as for someone not signed in, not turned into a 500.
    office_admin = can_import_plans(getattr(request, "user", None) or AnonymousUser())
    context: dict[str, Any] = {"can_import_plans": office_admin, "provisional_years": []}
    if office_admin:
        this_year = timezone.localdate().year
        context["provisional_years"] = workdays.provisional_years((this_year, this_year + 1))
    return context
