from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from .services import unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    # No user on an error page for a request refused before the authentication middleware: nobody signed in.
    return {"unread_messages": unread_count(getattr(request, "user", None) or AnonymousUser())}
