from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The office sees every message and why one failed; it can send failed ones again — and ones whose attempt was
    interrupted (still "being sent" past the lease) — not edit them."""

    list_display = ("subject", "recipient", "address", "items", "state", "attempts", "created_at", "sent_at", "read_at")
    list_filter = ("state", "rung__code")
    search_fields = ("subject", "recipient__username", "recipient__last_name", "address")
    list_select_related = ("recipient",)
    readonly_fields = [field.name for field in Message._meta.fields] + ["units", "notices"]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Send again now"))
    def retry(self, request: HttpRequest, queryset: Any) -> None:
        from .services import messages_send_again
        from .tasks import enqueue

        ids = messages_send_again(list(queryset.values_list("pk", flat=True)))
        transaction.on_commit(lambda: enqueue(ids))
