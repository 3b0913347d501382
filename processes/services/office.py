"""A fresh deployment's first office: the unit that runs the programme and its first administrator, without any
demo data (``manage.py setup_office``)."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from processes.models import Role, Unit, User


class SetupRefused(Exception):
    """Nothing was written; the message says why."""


def office_setup(
    *, unit_code: str, admin_username: str, password: str, full_name: str = "", email: str = ""
) -> tuple[Unit, User]:
    """Mark the unit ``unit_code`` as the programme office (推进组办公室) and create its administrator: an office
    admin of that unit who may use the admin site to create everyone else. An existing account is never changed
    (its password stays its owner's)."""
    unit = Unit.objects.filter(code=unit_code).first()
    if unit is None:
        raise SetupRefused(
            _("No unit has the code %(code)s: load the units first (manage.py load_units FILE).") % {"code": unit_code}
        )
    if User.objects.filter(username=admin_username).exists():
        raise SetupRefused(
            _("The account %(username)s exists already; nothing was changed.") % {"username": admin_username}
        )
    user = User(
        username=admin_username,
        last_name=full_name,
        email=email,
        unit=unit,
        role=Role.ADMIN,
        is_staff=True,
        is_superuser=True,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise SetupRefused(" ".join(exc.messages)) from exc
    user.set_password(password)
    with transaction.atomic():
        Unit.objects.filter(pk=unit.pk).update(is_office=True)
        user.save()
    unit.refresh_from_db()
    return unit, user
