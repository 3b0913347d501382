"""Problems found in an imported file, each saying what and where (file, row, column, field)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    severity: Severity
    message: str
    file: str = ""
    row: int | None = None
    column: str = ""
    field: str = ""
    sheet: str = ""  # the worksheet, or the table of a Word document, when the file has several
    member: str = ""  # the part of an .xlsx or .docx (a zip) that a refusal is about, e.g. xl/worksheets/sheet1.xml

    @property
    def location(self) -> str:
        inside = self.sheet or self.member
        parts = [f"{self.file} [{inside}]" if inside else self.file] if self.file else []
        if self.row is not None:
            parts.append(_("row %(row)s") % {"row": self.row})
        if self.column:
            if self.field:
                parts.append(_("column %(column)s (%(field)s)") % {"column": self.column, "field": self.field})
            else:
                parts.append(_("column %(column)s") % {"column": self.column})
        elif self.field:
            parts.append(self.field)
        return _(", ").join(parts)

    @property
    def cell(self) -> str:
        """The column (and its header) within the row, as the preview shows it beside the row."""
        if self.column and self.field:
            return _("column %(column)s (%(field)s)") % {"column": self.column, "field": self.field}
        return _("column %(column)s") % {"column": self.column} if self.column else self.field

    def __str__(self) -> str:
        location = self.location
        return (
            _("%(location)s: %(message)s") % {"location": location, "message": self.message}
            if location
            else self.message
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "sheet": self.sheet,
            "member": self.member,
            "message": self.message,
            "text": str(self),
        }


@dataclass
class Problems:
    """Errors and warnings collected while reading one file; the file is applied only when ``errors`` is empty."""

    file: str
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(
        self, message: str, *, row: int | None = None, column: str = "", field: str = "", sheet: str = ""
    ) -> None:
        self.errors.append(Problem(Severity.ERROR, message, self.file, row, column, field, sheet))

    def warning(
        self, message: str, *, row: int | None = None, column: str = "", field: str = "", sheet: str = ""
    ) -> None:
        self.warnings.append(Problem(Severity.WARNING, message, self.file, row, column, field, sheet))


class FileRefused(Exception):
    """The file cannot be read at all (empty, too large, wrong type, unreadable); nothing further is tried."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem
