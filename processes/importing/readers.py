"""Turn an uploaded file into a grid of text cells, whatever its format, refusing what is not what it claims.

Accepted: ``.xlsx`` (every sheet tried, merged cells filled), ``.csv`` (UTF-8 with or without BOM, else GB18030)
and ``.docx`` (every table of a Word notice tried, merged cells filled). A merged cell's value is copied into
every cell it covers, with ``merged=True`` on the copies, so that a title or section row spanning the table reads
the same in each column and a vertically merged header reads the same on both of its rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath

from django.utils.translation import gettext as _

from processes.filetypes import KIND_NAMES, sniff

from .problems import FileRefused, Problem, Severity

SUPPORTED_SUFFIXES = (".xlsx", ".csv", ".docx")


@dataclass(frozen=True)
class Cell:
    text: str
    merged: bool = False


@dataclass(frozen=True)
class Grid:
    """One table of the file: ``rows[i]`` is shown to people as row ``numbers[i]``; ``sheet`` names the worksheet
    or the Word table when a file can hold several ("" for a CSV)."""

    sheet: str
    rows: list[list[Cell]]
    numbers: list[int]


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column names people see in a spreadsheet."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def clean_text(value: object) -> str:
    """Cell value as text: NFKC-normalised (full-width digits and brackets become ASCII), trimmed, lines kept."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _refuse(filename: str, message: str) -> FileRefused:
    return FileRefused(Problem(Severity.ERROR, message, file=filename))


def read_grids(data: bytes, filename: str, *, max_bytes: int) -> list[Grid]:
    """Every table in the file, in order. Raises ``FileRefused`` for a file that cannot be a task list."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise _refuse(
            filename,
            _("Unsupported file type “%(suffix)s”: upload the task list as .xlsx, .csv or .docx.")
            % {"suffix": suffix or _("(none)")},
        )
    if not data:
        raise _refuse(filename, _("The file is empty."))
    if len(data) > max_bytes:
        raise _refuse(
            filename,
            _("The file is too large: %(size).1f MB, the limit is %(limit).1f MB.")
            % {"size": len(data) / 1024 / 1024, "limit": max_bytes / 1024 / 1024},
        )
    kind = sniff(data)
    expected = suffix.lstrip(".")
    if (expected == "csv" and kind != "text") or (expected != "csv" and kind != expected):
        raise _refuse(
            filename,
            _("The file's content does not match its extension: it is named %(suffix)s but contains %(kind)s.")
            % {"suffix": suffix, "kind": KIND_NAMES[kind]},
        )
    if kind == "xlsx":
        return list(_read_xlsx(data, filename))
    if kind == "docx":
        return list(_read_docx(data, filename))
    return [_read_csv(data, filename)]


def decode_text(data: bytes, filename: str) -> str:
    """UTF-8 (with or without BOM) first, then GB18030, which offices' Excel writes for “CSV” on Chinese Windows."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _refuse(filename, _("The file is neither UTF-8 nor GB18030 text; save it again as CSV (UTF-8)."))


def _read_csv(data: bytes, filename: str) -> Grid:
    text = decode_text(data, filename)
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _refuse(filename, _("The CSV file cannot be read: %(error)s") % {"error": exc}) from exc
    rows = [[Cell(clean_text(value)) for value in record] for record in records]
    return Grid(sheet="", rows=rows, numbers=list(range(1, len(rows) + 1)))


def _read_xlsx(data: bytes, filename: str) -> Iterator[Grid]:
    import openpyxl  # imported here: loading it costs time the CSV path does not need

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors for a damaged workbook
        raise _refuse(filename, _("The workbook cannot be opened: %(error)s") % {"error": exc}) from exc
    for sheet in workbook.worksheets:
        if sheet.max_row == 0 or sheet.max_column == 0:
            continue
        values = [[clean_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
        merged = [[False] * len(row) for row in values]
        for cell_range in sheet.merged_cells.ranges:
            top, left = cell_range.min_row - 1, cell_range.min_col - 1
            if top >= len(values) or left >= len(values[top]):
                continue
            origin = values[top][left]
            for r in range(top, min(cell_range.max_row, len(values))):
                for c in range(left, min(cell_range.max_col, len(values[r]))):
                    if (r, c) != (top, left):
                        values[r][c] = origin
                        merged[r][c] = True
        rows = [
            [Cell(text, flag) for text, flag in zip(row, flags, strict=True)]
            for row, flags in zip(values, merged, strict=True)
        ]
        yield Grid(sheet=sheet.title, rows=rows, numbers=list(range(1, len(rows) + 1)))


def _read_docx(data: bytes, filename: str) -> Iterator[Grid]:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds of errors for a damaged document
        raise _refuse(filename, _("The Word document cannot be opened: %(error)s") % {"error": exc}) from exc
    for table_number, table in enumerate(document.tables, start=1):
        rows: list[list[Cell]] = []
        previous_tcs: list[object] = []
        for row in table.rows:
            cells = row.cells
            tcs = [cell._tc for cell in cells]
            rows.append(
                [
                    Cell(
                        clean_text(cell.text),
                        merged=(c > 0 and tcs[c - 1] is tcs[c])
                        or (c < len(previous_tcs) and previous_tcs[c] is tcs[c]),
                    )
                    for c, cell in enumerate(cells)
                ]
            )
            previous_tcs = tcs
        yield Grid(
            sheet=_("table %(number)s") % {"number": table_number}, rows=rows, numbers=list(range(1, len(rows) + 1))
        )
