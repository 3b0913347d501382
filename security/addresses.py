"""Where a request comes from: ``REMOTE_ADDR``, or the client a trusted proxy names in ``X-Forwarded-For``.

The header is believed only when the request reaches the app from one of ``TRUSTED_PROXIES`` (addresses or CIDR
networks); then the right-most address of the header that is not itself a trusted proxy is the client. Anything
else would let a client write its own address into the audit log and past the lockout and the admin's networks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """Parse addresses and CIDR networks (``10.0.0.0/8``, ``127.0.0.1``); a bad entry raises ``ValueError``."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def in_networks(address: str | None, entries: Iterable[str]) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks(tuple(entries)))


def client_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ())
    if not trusted or not in_networks(remote, trusted):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    for candidate in reversed(forwarded):
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            return remote  # a header the proxy did not write: trust nothing in it
        if not in_networks(candidate, trusted):
            return candidate
    return remote
