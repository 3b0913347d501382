"""The bytes of a task list read into rows of text: the part of reading that runs in the worker process.

Nothing here imports Django or touches the database: ``processes.importing.worker`` runs ``parse`` in a child
process under a memory and a time limit, and ``processes.importing.readers`` (in the web or command process) turns
what comes back into grids, or a refusal into a problem in the reader's language. A refusal is a code and its
parameters (``ParseRefused``), never a sentence, for that reason.

Workbooks are read in openpyxl's read-only mode, row by row from the sheet's XML, with caps on the rows and
columns that hold a value; a merged cell's value is copied into every cell it covers (``merged`` true on the
copies), as a title or section row spanning the table reads the same in each column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Caps:
    """The most rows and columns a sheet (or a Word table, or a CSV) may hold a value in."""

    max_rows: int
    max_columns: int


class ParseRefused(Exception):
    """The file cannot be read as a task list: ``code`` says why, ``params`` what and where (``sheet``, a worksheet's
    title, or ``table``, a Word table's number; ``row``; ``column``, its letter; ``limit``; ``error``)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


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


def parse(kind: str, data: bytes, caps: Caps) -> list[dict[str, Any]]:
    """Every table of the file (``kind``: xlsx, docx or csv), each as ``{"sheet": title}`` or ``{"table": number}``
    with ``rows`` (lists of texts of equal length) and ``merged`` (the [row, column] of each copied merged value);
    a Word table also with ``before``, the paragraphs above it (``{"text": …, "heading": bool}``)."""
    if kind == "xlsx":
        return list(_xlsx(data, caps))
    if kind == "docx":
        return list(_docx(data, caps))
    return [_csv(data, caps)]


def _out_of_memory(exc: BaseException) -> bool:
    """A parser that ran out of memory says so in its own words (expat, libxml2) rather than raising MemoryError."""
    text = str(exc).lower()
    return isinstance(exc, MemoryError) or "out of memory" in text or "memory allocation failed" in text


def _unreadable(code: str, exc: Exception) -> Exception:
    if _out_of_memory(exc):
        return MemoryError(str(exc))
    return ParseRefused(code, error=str(exc) or type(exc).__name__)


def _with_merges(
    rows: list[list[str]], ranges: list[tuple[int, int, int, int]]
) -> tuple[list[list[str]], list[list[int]]]:
    """Copy each merged range's value (top, left, bottom, right; 1-based and inclusive) into the cells it covers."""
    merged: list[list[int]] = []
    for top, left, bottom, right in ranges:
        top, left = top - 1, left - 1
        if top >= len(rows) or left >= len(rows[top]):
            continue
        origin = rows[top][left]
        for r in range(top, min(bottom, len(rows))):
            for c in range(left, min(right, len(rows[r]))):
                if (r, c) != (top, left):
                    rows[r][c] = origin
                    merged.append([r, c])
    return rows, merged


def _xlsx(data: bytes, caps: Caps) -> Iterator[dict[str, Any]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors for a damaged workbook
        raise _unreadable("xlsx_unreadable", exc) from exc
    try:
        for sheet in workbook.worksheets:
            try:
                yield _xlsx_sheet(workbook, sheet, caps)
            except ParseRefused:
                raise
            except Exception as exc:  # a damaged sheet, or a part that inflates past its declared size
                raise _unreadable("xlsx_unreadable", exc) from exc
    finally:
        workbook.close()


def _xlsx_sheet(workbook: Any, sheet: Any, caps: Caps) -> dict[str, Any]:
    """One worksheet, read as openpyxl's read-only worksheet reads it (its parser, row by row, values as cached),
    keeping only the cells that hold a value and, once the rows are read, the merged ranges that follow them."""
    from openpyxl.worksheet._reader import WorkSheetParser
    from openpyxl.worksheet.cell_range import CellRange

    values: dict[int, dict[int, str]] = {}
    last_row = width = 0
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for row, cells in parser.parse():
            texts: dict[int, str] = {}
            for cell in cells:
                text = clean_text(cell["value"])
                if not text:
                    continue  # an empty cell, however formatted, counts for nothing
                column = cell["column"]
                if column > caps.max_columns:
                    raise ParseRefused(
                        "columns", sheet=sheet.title, row=row, column=column_letter(column - 1), limit=caps.max_columns
                    )
                texts[column] = text
            if not texts:
                continue
            if row > caps.max_rows:
                raise ParseRefused("rows", sheet=sheet.title, row=row, limit=caps.max_rows)
            values[row] = texts
            last_row, width = max(last_row, row), max(width, *texts)
        merges = getattr(getattr(parser, "merged_cells", None), "mergeCell", None) or []
    ranges = [CellRange(merge.ref).bounds for merge in merges]  # (left, top, right, bottom)
    ranges_rc = [(top, left, bottom, right) for left, top, right, bottom in ranges]
    # A merged range whose value lies in the table widens it to the range's last column (the copies go there).
    for top, left, _bottom, right in ranges_rc:
        if left in values.get(top, {}):
            width = max(width, min(right, caps.max_columns))
    rows = [[values.get(r, {}).get(c, "") for c in range(1, width + 1)] for r in range(1, last_row + 1)]
    rows, merged = _with_merges(rows, ranges_rc)
    return {"sheet": sheet.title, "rows": rows, "merged": merged}


# The paragraphs kept before each Word table (the notice's text before the first, a caption such as “表8 …” before
# the others): the first and the last of them, each cut to a length that a title or a 文号 never exceeds.
PARAGRAPHS_KEPT = 60
PARAGRAPH_CHARS = 300
_HEADING_STYLES = ("heading", "title", "标题", "subtitle")


def _paragraph(paragraph: Any) -> dict[str, Any]:
    """A paragraph's text, and whether it is set as a heading (a heading or title style, or centred)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    style = (getattr(paragraph.style, "name", "") or "").lower()
    heading = style.startswith(_HEADING_STYLES) or paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
    return {"text": clean_text(paragraph.text).replace("\n", " ")[:PARAGRAPH_CHARS], "heading": bool(heading)}


def _body(document: Any) -> list[tuple[Any, list[dict[str, Any]]]]:
    """The body's tables in order, each with the non-empty paragraphs between it and the table before it."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    tables: list[tuple[Any, list[dict[str, Any]]]] = []
    before: list[dict[str, Any]] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = _paragraph(Paragraph(child, document))
            if paragraph["text"]:
                before.append(paragraph)
        elif tag == "tbl":
            if len(before) > PARAGRAPHS_KEPT:
                before = before[: PARAGRAPHS_KEPT // 2] + before[-PARAGRAPHS_KEPT // 2 :]
            tables.append((Table(child, document), before))
            before = []
    return tables


def _docx(data: bytes, caps: Caps) -> Iterator[dict[str, Any]]:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        tables = _body(document)
    except Exception as exc:  # python-docx raises many kinds of errors for a damaged document
        raise _unreadable("docx_unreadable", exc) from exc
    for number, (table, before) in enumerate(tables, start=1):
        rows: list[list[str]] = []
        merged: list[list[int]] = []
        previous_tcs: list[object] = []
        try:
            for r, row in enumerate(table.rows):
                cells = row.cells
                if r >= caps.max_rows:
                    raise ParseRefused("rows", table=number, row=r + 1, limit=caps.max_rows)
                if len(cells) > caps.max_columns:
                    raise ParseRefused(
                        "columns",
                        table=number,
                        row=r + 1,
                        column=column_letter(caps.max_columns),
                        limit=caps.max_columns,
                    )
                tcs = [cell._tc for cell in cells]
                rows.append([clean_text(cell.text) for cell in cells])
                merged.extend(
                    [r, c]
                    for c in range(len(cells))
                    if (c > 0 and tcs[c - 1] is tcs[c]) or (c < len(previous_tcs) and previous_tcs[c] is tcs[c])
                )
                previous_tcs = tcs
        except ParseRefused:
            raise
        except Exception as exc:
            raise _unreadable("docx_unreadable", exc) from exc
        yield {"table": number, "rows": rows, "merged": merged, "before": before}


def decode(data: bytes) -> str | None:
    """UTF-8 (with or without BOM) first, then GB18030, which offices' Excel writes for “CSV” on Chinese Windows;
    None when it is neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _csv(data: bytes, caps: Caps) -> dict[str, Any]:
    text = decode(data)
    if text is None:
        raise ParseRefused("csv_encoding")
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    rows: list[list[str]] = []
    try:
        for number, record in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            texts = [clean_text(value) for value in record]
            filled = [c for c, value in enumerate(texts) if value]
            if filled and filled[-1] >= caps.max_columns:
                raise ParseRefused(
                    "columns", sheet="", row=number, column=column_letter(filled[-1]), limit=caps.max_columns
                )
            if number > caps.max_rows:
                if filled:
                    raise ParseRefused("rows", sheet="", row=number, limit=caps.max_rows)
                continue
            rows.append(texts[: caps.max_columns])
    except csv.Error as exc:
        raise ParseRefused("csv_unreadable", error=str(exc)) from exc
    return {"sheet": "", "rows": rows, "merged": []}
