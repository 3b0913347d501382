"""Task-list files built in memory, shaped the way offices circulate them."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import openpyxl

Rows = Sequence[Sequence[object]]


def csv_bytes(rows: Rows, *, encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: Rows, *, merges: Sequence[str] = (), sheet_title: str = "Sheet1") -> bytes:
    """A workbook whose first sheet holds ``rows``; ``merges`` are ranges such as "A1:D1"."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title
    for row in rows:
        sheet.append(list(row))
    for cell_range in merges:
        sheet.merge_cells(cell_range)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def docx_bytes(
    rows: Rows, *, paragraphs: Sequence[str] = (), merges: Sequence[tuple[int, int, int, int]] = ()
) -> bytes:
    """A Word notice: ``paragraphs`` of text, then a table of ``rows``; ``merges`` are (row, col, row, col) corners."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    width = max(len(row) for row in rows)
    table = document.add_table(rows=len(rows), cols=width)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value not in (None, ""):
                table.cell(r, c).text = str(value)
    for top, left, bottom, right in merges:
        origin = table.cell(top, left)
        text = origin.text
        merged = origin.merge(table.cell(bottom, right))
        merged.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
