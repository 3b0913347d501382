from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessesConfig(AppConfig):
    name = "processes"
    verbose_name = _("Plans and close-out")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from notifications import attachments

        from . import (
            checks,  # noqa: F401  (registers the system checks)
            rules,  # noqa: F401  (registers who may take which step: the transitions ask by name)
        )
        from .services.attachments import message_attachments

        attachments.register(message_attachments)  # the outbox attaches the domain's documents without knowing them
