"""The in-app list of a person's messages, with what is unread."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views import View

from .models import Message


class MessageListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        messages = Message.objects.filter(recipient_id=request.user.pk).prefetch_related("notices")[:200]
        return render(request, "notifications/list.html", {"notifications": messages})

    def post(self, request: HttpRequest) -> HttpResponse:
        Message.objects.filter(recipient_id=request.user.pk, read_at__isnull=True).update(read_at=timezone.now())
        return HttpResponseRedirect(request.path)


class MessageOpenView(LoginRequiredMixin, View):
    """Open one of one's messages: it is read, and its item is shown."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        message = get_object_or_404(Message, pk=pk, recipient_id=request.user.pk)
        if message.read_at is None:
            Message.objects.filter(pk=message.pk).update(read_at=timezone.now())
        return HttpResponseRedirect(message.link or "/")
