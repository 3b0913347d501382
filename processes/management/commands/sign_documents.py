import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from processes.formats import chinese_date
from processes.management.arguments import ISSUER_HELP, iso_date
from processes.models import DocumentKind, User
from processes.services.lifecycle import LifecycleError
from processes.services.plans import PlanNotFound, issuing_office
from processes.services.signing import can_sign, sign_waiting

KINDS = {"warning": DocumentKind.WARNING_LETTER, "supervision": DocumentKind.SUPERVISION_NOTICE}
KINDS |= {"circular": DocumentKind.CIRCULAR}


class Command(BaseCommand):
    help = (
        "Sign, as the signer (签发人) --by of the office --issuer (default: the provincial programme office), every "
        "draft of that office of --year waiting for signature (of --kind warning, supervision or circular; drafted "
        "on or before --as-of), dated --as-of (default today): each takes the next number of its kind in the "
        "office's own sequence, with the office's 代字, its PDF is made and it is sent. All or nothing. --json "
        'prints one object: {"issuer", "signed": [{"doc_no", "kind", "unit", "date", "response_due"}], "count"}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--issuer", metavar="CODE", default=None, help=ISSUER_HELP)
        parser.add_argument("--year", type=int, required=True, help="the year the drafts were made in")
        parser.add_argument("--kind", choices=sorted(KINDS), default=None, help="only this kind of document")
        parser.add_argument(
            "--as-of", type=iso_date, default=None, help="the signing date, YYYY-MM-DD (default: today)"
        )
        parser.add_argument("--by", required=True, help="the username of a signer (签发人)")
        parser.add_argument("--json", action="store_true", help="print what was signed as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            signer = User.objects.get(username=options["by"])
        except User.DoesNotExist as exc:
            raise CommandError(_("No user “%(name)s”.") % {"name": options["by"]}) from exc
        try:
            office = issuing_office(options["issuer"])
        except PlanNotFound as exc:
            raise CommandError(str(exc)) from exc
        if not can_sign(signer, office):
            raise CommandError(
                _("%(name)s is not a signer (签发人) of %(office)s.") % {"name": options["by"], "office": office.name}
            )
        kind = KINDS[options["kind"]] if options["kind"] else None
        as_of = options["as_of"] or timezone.localdate()
        if options["as_of"] is None and options["year"] != as_of.year:
            raise CommandError(
                _("Drafts of %(year)s signed today would take %(today)s's numbers: give the signing date (--as-of).")
                % {"year": options["year"], "today": as_of.year}
            )
        try:
            signed = sign_waiting(by=signer, year=options["year"], kind=kind, as_of=as_of, office=office)
        except LifecycleError as exc:
            raise CommandError(exc.message) from exc
        rows = [
            {
                "doc_no": notice.doc_no,
                "kind": notice.kind,
                "unit": notice.unit.code if notice.unit else "",
                "date": notice.issued_on.isoformat() if notice.issued_on else "",
                "response_due": notice.response_due.isoformat() if notice.response_due else "",
            }
            for notice in signed
        ]
        if options["json"]:
            self.stdout.write(
                json.dumps({"issuer": office.code, "signed": rows, "count": len(rows)}, ensure_ascii=False)
            )
            return
        self.stdout.write(_("Documents of %(office)s (%(code)s):") % {"office": office.name, "code": office.code})
        for notice in signed:
            self.stdout.write(f"{notice.doc_no}  {notice.title}  {chinese_date(notice.issued_on)}")
        self.stdout.write(_("%(count)s signed.") % {"count": len(signed)})
