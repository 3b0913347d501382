import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from processes.management.arguments import ISSUER_HELP
from processes.models import Unit, batch_label
from processes.services.plans import PlanNotFound, issuing_office
from processes.services.project_import import ProjectImportReport, projects_import
from processes.services.projects import library_ensure


class Command(BaseCommand):
    help = (
        "Import a region's project table (项目库清单: .xlsx, .csv or .docx) into the project library of an office "
        "(--issuer; default the provincial programme office). Projects are matched by region and 项目名称, so a "
        "re-import updates them. With --batch they are admitted into that batch (入库), else they enter the reserve "
        "(谋划储备). Nothing is written if any row has an error, or with --dry-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--region", metavar="CODE", required=True, help="the code of the region the table is of")
        parser.add_argument("--batch", type=int, default=None, help="admit the projects into this batch (第一批: 1)")
        parser.add_argument("--issuer", metavar="CODE", default=None, help=ISSUER_HELP)
        parser.add_argument("--dry-run", action="store_true", help="read and check only; write nothing")
        parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")

    def refuse(self, message: str, options: dict[str, Any]) -> CommandError:
        if options["json"]:
            problem = {"file": str(options["file"]), "row": None, "column": "", "field": "", "message": message}
            self.stdout.write(json.dumps({"applied": False, "errors": [problem], "warnings": []}, ensure_ascii=False))
        return CommandError(message, returncode=1)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise self.refuse(
                _("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc.strerror}, options
            ) from exc
        try:
            office = issuing_office(options["issuer"])
        except PlanNotFound as exc:
            raise self.refuse(str(exc), options) from exc
        region = Unit.objects.filter(code=options["region"]).first()
        if region is None:
            raise self.refuse(_("No unit has the code %(code)s.") % {"code": options["region"]}, options)
        report = projects_import(
            data=data,
            filename=path.name,
            library=library_ensure(office),
            region=region,
            batch=options["batch"],
            by=None,
            dry_run=options["dry_run"],
        )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            for line in summary_lines(report):
                self.stdout.write(line)
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


def summary_lines(report: ProjectImportReport) -> list[str]:
    lines = [
        _("%(file)s → %(library)s, %(region)s%(title)s")
        % {
            "file": report.filename,
            "library": report.library.name,
            "region": report.region.name,
            "title": f" · {report.title}" if report.title else "",
        },
        _("Projects: %(count)s; planned investment %(sum)s 万元.")
        % {"count": len(report.rows), "sum": report.planned_investment},
        _("New: %(created)s; changed: %(updated)s; unchanged: %(unchanged)s.")
        % {"created": len(report.created), "updated": len(report.changes), "unchanged": len(report.unchanged)},
    ]
    for change in report.changes:
        for name, (before, after) in change.changes.items():
            lines.append(f"  {change.name} · {name}: {before or '—'} → {after or '—'}")
    lines += [_("Warning: %(problem)s") % {"problem": problem} for problem in report.warnings]
    lines += [_("Error: %(problem)s") % {"problem": problem} for problem in report.errors]
    if report.ok:
        if report.dry_run:
            lines.append(_("Dry run: nothing written."))
        elif report.batch is not None:
            lines.append(
                _("Imported; %(count)s admitted into %(batch)s.")
                % {"count": len(report.admitted), "batch": batch_label(report.batch)}
            )
        else:
            lines.append(_("Imported."))
    return lines
