from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from processes.services.units import InputRejected, units_load_csv


class Command(BaseCommand):
    help = "Create or update units from a CSV (code,name,short_name,level,parent_code,aliases); re-loading updates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc.strerror}) from exc
        try:
            result = units_load_csv(data=data, filename=path.name)
        except InputRejected as rejected:
            raise CommandError("\n".join(str(problem) for problem in rejected.problems)) from rejected
        self.stdout.write(
            _("Units: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
            % {"created": len(result.created), "updated": len(result.updated), "unchanged": result.unchanged}
        )
