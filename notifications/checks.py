"""System checks of the outbox's settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register()
def sending_lease_outlasts_a_task(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """An attempt is taken over once its lease has passed; a worker can still be sending until the task time limit
    stops it, so a shorter lease lets two attempts at one message run at once (two copies, one Message-ID)."""
    lease = settings.EMAIL_SENDING_LEASE_SECONDS
    limit = getattr(settings, "CELERY_TASK_TIME_LIMIT", None) or 0
    if lease > max(limit, settings.EMAIL_TIMEOUT):
        return []
    return [
        checks.Warning(
            f"EMAIL_SENDING_LEASE_SECONDS ({lease}) is not above the task time limit ({limit} s) and EMAIL_TIMEOUT "
            f"({settings.EMAIL_TIMEOUT} s): an attempt still running may be taken over and the message sent twice.",
            hint="Set EMAIL_SENDING_LEASE_SECONDS above both (the default is 600).",
            id="notifications.W001",
        )
    ]
