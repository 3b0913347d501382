import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from processes.management.arguments import ISSUER_HELP
from processes.models import Bulletin, BulletinState, Notice, NoticeState
from processes.services.bulletins import bulletin_pdf
from processes.services.notices import notice_pdf
from processes.services.plans import PlanNotFound, issuing_office

from .sign_documents import KINDS


def _safe(name: str) -> str:
    return "".join("_" if char in '/\\:*?"<>|' else char for char in name)


class Command(BaseCommand):
    help = (
        "Write each document of --kind (warning, supervision, circular or bulletin) that the office --issuer "
        "(default: the provincial programme office) issued in --year as the PDF it was issued as, one file per "
        "document in -o DIR, named by its 文号 (吉无废督〔2023〕7号.pdf) or 期号. "
        '--json prints one object: {"issuer", "documents": [{"doc_no", "unit", "date", "file"}], "count"}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--issuer", metavar="CODE", default=None, help=ISSUER_HELP)
        parser.add_argument("--year", type=int, required=True, help="the year the documents were issued in")
        parser.add_argument("--kind", choices=[*sorted(KINDS), "bulletin"], required=True)
        parser.add_argument("-o", "--output", type=Path, required=True, help="the directory to write into")
        parser.add_argument("--json", action="store_true", help="list what was written as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            office = issuing_office(options["issuer"])
        except PlanNotFound as exc:
            raise CommandError(str(exc)) from exc
        out: Path = options["output"]
        if out.exists() and not out.is_dir():
            raise CommandError(_("%(path)s is not a directory.") % {"path": out})
        out.mkdir(parents=True, exist_ok=True)
        rows = []
        if options["kind"] == "bulletin":
            bulletins = Bulletin.objects.filter(state=BulletinState.PUBLISHED, year=options["year"], office=office)
            for bulletin in bulletins.order_by("number"):
                name = f"{bulletin.masthead} {bulletin.year}年第{bulletin.number}期"
                path = out / f"{_safe(name)}.pdf"
                path.write_bytes(bulletin_pdf(bulletin))
                rows.append({"doc_no": name, "unit": "", "date": bulletin.issued_on.isoformat(), "file": str(path)})
        else:
            notices = Notice.objects.filter(
                state=NoticeState.ISSUED, kind=KINDS[options["kind"]], year=options["year"], office=office
            ).select_related("unit")
            for notice in notices.order_by("number"):
                path = out / f"{_safe(notice.doc_no or str(notice.pk))}.pdf"
                path.write_bytes(notice_pdf(notice))
                rows.append(
                    {
                        "doc_no": notice.doc_no or "",
                        "unit": notice.unit.code if notice.unit else notice.addressees,
                        "date": notice.issued_on.isoformat() if notice.issued_on else "",
                        "file": str(path),
                    }
                )
        if options["json"]:
            self.stdout.write(
                json.dumps({"issuer": office.code, "documents": rows, "count": len(rows)}, ensure_ascii=False)
            )
            return
        self.stdout.write(_("Documents of %(office)s (%(code)s):") % {"office": office.name, "code": office.code})
        for row in rows:
            self.stdout.write(row["file"])
        self.stdout.write(_("%(count)s written.") % {"count": len(rows)})
