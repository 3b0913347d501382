"""An authentication backend that only grants permissions: the per-unit ones viewflow's human steps ask for."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from processes.rules import unit_permissions


class ScopePermissionBackend(BaseBackend):
    """Grants ``processes.{signoff,verify,close}_unit_<id>`` from a person's role and scope; authenticates nobody."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if obj is not None or not getattr(user_obj, "is_active", False):
            return set()
        cached = getattr(user_obj, "_unit_permissions", None)
        if cached is None:
            cached = user_obj._unit_permissions = unit_permissions(user_obj)
        return cached

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)
