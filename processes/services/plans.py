"""Which plan: plans belong to an issuing office and a year (``JL-PRO/2023``); the commands, the URLs and the
import name them so. The provincial programme office's plan is the one meant when no issuer is named."""

from __future__ import annotations

from typing import NamedTuple

from django.db.models import Q
from django.utils.translation import gettext as _

from processes.models import Plan, Unit, UnitLevel


class PlanNotFound(Exception):
    """The message says which issuer or plan was missing."""


def programme_office() -> Unit:
    """The provincial programme office (推进组办公室): the unit marked so, or — on a unit table loaded without the
    mark — the provincial root unit named 推进组办公室, which is then marked."""
    office = Unit.objects.filter(is_office=True, level=UnitLevel.PROVINCE).order_by("position", "code").first()
    if office is not None:
        return office
    office = (
        Unit.objects.filter(level=UnitLevel.PROVINCE, parent__isnull=True)
        .filter(Q(name__contains="推进组办公室") | Q(short_name__contains="推进组办公室"))
        .order_by("position", "code")
        .first()
    )
    if office is None:
        raise PlanNotFound(_("No unit is marked as the programme office (推进组办公室); mark one in the admin."))
    Unit.objects.filter(pk=office.pk).update(is_office=True)
    office.is_office = True
    return office


def issuing_office(code: str | None) -> Unit:
    """The office with ``code``, or the provincial programme office when ``code`` is empty."""
    if not code:
        return programme_office()
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise PlanNotFound(_("No unit has the code %(code)s.") % {"code": code})
    if not unit.is_office:
        raise PlanNotFound(
            _("%(unit)s (%(code)s) is not marked as an office; only an office issues plans.")
            % {"unit": unit.name, "code": code}
        )
    return unit


def plan_of(code: str | None, year: int) -> Plan:
    """The plan of the office ``code`` (the provincial office when empty) for ``year``."""
    office = issuing_office(code)
    plan = Plan.objects.select_related("issuer").filter(issuer=office, year=year).first()
    if plan is None:
        raise PlanNotFound(_("%(office)s has no plan for %(year)s.") % {"office": office.name, "year": year})
    return plan


class PlanKey(NamedTuple):
    """A plan as a URL names it: ``<issuer code>/<year>``."""

    issuer: str
    year: int


class PlanKeyConverter:
    """``<plan:plan>`` in a URL: ``JL-PRO/2023``. Reversing takes a :class:`Plan`, a :class:`PlanKey` or the text."""

    regex = r"[^/?#%\s]+/[0-9]{4}"  # any unit code (UNIT_CODE_PATTERN), then the year

    def to_python(self, value: str) -> PlanKey:
        issuer, year = value.rsplit("/", 1)
        return PlanKey(issuer, int(year))

    def to_url(self, value: Plan | PlanKey | str) -> str:
        if isinstance(value, Plan):
            return value.key
        if isinstance(value, PlanKey):
            return f"{value.issuer}/{value.year}"
        return str(value)
