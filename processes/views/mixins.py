"""What the plan's pages share: the plan their URL names (``<plan:plan>``), found within the viewer's scope."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase

from processes.models import Plan
from processes.rules import plan_in_scope_or_404


class PlanMixin:
    """Sets ``self.plan`` from the URL's ``plan`` (``JL-PRO/2023``), or answers 404 when the viewer does not see it.
    Put it after ``LoginRequiredMixin`` so that an anonymous visitor is sent to sign in first."""

    plan: Plan

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.plan = plan_in_scope_or_404(request.user, kwargs.pop("plan"))
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
