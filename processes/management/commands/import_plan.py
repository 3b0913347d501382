import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from processes.management.arguments import add_plan_arguments
from processes.services.plan_import import plan_import, report_lines


class Command(BaseCommand):
    help = (
        "Import a published task list (.xlsx, .csv or .docx) as the plan of an office (--issuer; default the "
        "provincial programme office) and a year: every task decomposed into one "
        "assignment per responsible unit. Nothing is written if any row has an error, or with --dry-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        add_plan_arguments(parser)
        parser.add_argument("--title", default="", help="the plan's title (default: the title row of the file)")
        parser.add_argument("--doc-no", default="", help="the notice's document number, e.g. 吉环固体字〔2023〕15号")
        parser.add_argument(
            "--starts",
            type=dt.date.fromisoformat,
            default=None,
            metavar="YYYY-MM-DD",
            help="the plan's 印发/实施 date: its items count from it (default: today; an imported plan keeps its own)",
        )
        parser.add_argument("--dry-run", action="store_true", help="read and check only; write nothing")
        parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
        parser.add_argument(
            "--create-missing-units-under",
            metavar="CODE",
            default=None,
            help="create units the file names but the unit table lacks, under the unit with this code",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc.strerror}) from exc
        report = plan_import(
            data=data,
            filename=path.name,
            year=options["year"],
            issuer=options["issuer"],
            title=options["title"],
            doc_no=options["doc_no"],
            dry_run=options["dry_run"],
            starts=options["starts"],
            create_missing_units_under=options["create_missing_units_under"],
            max_bytes=settings.IMPORT_MAX_BYTES,
        )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            for line in report_lines(report):
                self.stdout.write(line)
            if report.starts:
                self.stdout.write(_("The plan takes effect on %(start)s.") % {"start": report.starts.isoformat()})
            if report.ok:
                self.stdout.write(_("Dry run: nothing written.") if report.dry_run else _("Imported."))
        if not report.ok:
            raise CommandError(
                ngettext(
                    "%(count)s error; nothing was written.",
                    "%(count)s errors; nothing was written.",
                    len(report.errors),
                )
                % {"count": len(report.errors)},
                returncode=1,
            )
