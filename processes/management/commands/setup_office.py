import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from processes.services.office import SetupRefused, office_setup

PASSWORD_ENV = "DJANGO_SUPERUSER_PASSWORD"  # noqa: S105  (a variable name, as createsuperuser --noinput reads it)


class Command(BaseCommand):
    help = (
        "First start of a deployment, without demo data: mark the unit CODE as the programme office (推进组办公室) and "
        "create its administrator, asking for the password (or reading DJANGO_SUPERUSER_PASSWORD with --noinput)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="the office's unit code, e.g. JL-PRO (load the units first)")
        parser.add_argument("--admin", required=True, help="the administrator's user name")
        parser.add_argument("--name", default="", help="the administrator's name (姓名)")
        parser.add_argument("--email", default="", help="the administrator's email address")
        parser.add_argument(
            "--noinput", "--no-input", action="store_true", help=f"read the password from {PASSWORD_ENV}"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["noinput"]:
            password = os.environ.get(PASSWORD_ENV, "")
            if not password:
                raise CommandError(_("Set %(env)s to the password with --noinput.") % {"env": PASSWORD_ENV})
        else:
            password = getpass.getpass(_("Password for %(username)s: ") % {"username": options["admin"]})
            if password != getpass.getpass(_("Password (again): ")):
                raise CommandError(_("The two passwords differ; nothing was changed."))
        try:
            unit, user = office_setup(
                unit_code=options["code"],
                admin_username=options["admin"],
                password=password,
                full_name=options["name"],
                email=options["email"],
            )
        except SetupRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("%(unit)s is the programme office; %(username)s is its administrator (admin site: /admin/).")
            % {"unit": unit.name, "username": user.username}
        )
