"""What every page's frame needs to know about the signed-in user."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from processes import workdays
from processes.services.scope import can_import_plans


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The import menu entry, and for the office's admins the years of this year and next whose holiday
    arrangements are not confirmed yet (one query a minute at most: the calendar's cached copy)."""
    office_admin = can_import_plans(request.user)
    context: dict[str, Any] = {"can_import_plans": office_admin, "provisional_years": []}
    if office_admin:
        this_year = timezone.localdate().year
        context["provisional_years"] = workdays.provisional_years((this_year, this_year + 1))
    return context
