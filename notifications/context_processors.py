from typing import Any

from django.http import HttpRequest

from .services import unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    return {"unread_messages": unread_count(request.user)}
