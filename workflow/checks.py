"""Deployment checks of the site's address: every link in an email is ``SITE_URL`` + a path, so a wrong value sends
everyone to another host. ``manage.py check`` reports a malformed address; ``check --deploy`` (and gunicorn's start,
see ``gunicorn.conf.py``) also one that this site does not answer to, or plain HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.http.request import split_domain_port, validate_host
from django.utils.translation import gettext as _

HINT = _("Set SITE_URL to the address people open the site at, e.g. https://wufei.example.gov.cn (see the README).")


def _parts(value: object) -> tuple[str, str] | None:
    """(scheme, host[:port]) of an absolute http(s) address without path, query or fragment; None otherwise."""
    if not isinstance(value, str):
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    return parts.scheme, parts.netloc.lower()


@checks.register(checks.Tags.urls)
def site_url_is_an_address(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if _parts(settings.SITE_URL) is None:
        return [
            checks.Error(
                _("SITE_URL %(value)r is not an absolute http(s) address without a path.")
                % {"value": settings.SITE_URL},
                hint=HINT,
                id="workflow.E001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def site_url_points_home(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    parts = _parts(settings.SITE_URL)
    if parts is None:
        return []  # workflow.E001 says it
    scheme, host = parts
    problems: list[checks.CheckMessage] = []
    domain, _port = split_domain_port(host)  # as Django reads a Host header
    if not validate_host(domain, settings.ALLOWED_HOSTS):
        problems.append(
            checks.Error(
                _("SITE_URL's host %(host)r is not in ALLOWED_HOSTS: the links in every message would lead elsewhere.")
                % {"host": host},
                hint=HINT,
                id="workflow.E002",
            )
        )
    if scheme != "https" and not getattr(settings, "SITE_URL_ALLOW_HTTP", False):
        problems.append(
            checks.Error(
                _("SITE_URL is plain http: the links in messages would send passwords and sessions unencrypted."),
                hint=_("Use https://…, or set SITE_URL_ALLOW_HTTP=1 if this site is deliberately served over HTTP."),
                id="workflow.E003",
            )
        )
    return problems
