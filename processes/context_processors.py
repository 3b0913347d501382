"""What every page's frame needs to know about the signed-in user."""

from typing import Any

from django.http import HttpRequest

from processes.services.scope import can_import_plans


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {"can_import_plans": can_import_plans(request.user)}
