"""Task-list files built in memory, shaped the way offices circulate them."""

from __future__ import annotations

import csv
import io
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

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


# --- Archives built byte by byte: zip bombs that stay small in the test ---------------------------------------------


@dataclass(frozen=True)
class Deflated:
    """A zip member compressed already (raw deflate), with the CRC-32 and the size of what it unpacks to; ``declared``
    is the size the zip's directory states (a lying archive states less than it holds)."""

    data: bytes
    crc: int
    size: int
    declared: int | None = None


def deflated(data: bytes) -> Deflated:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return Deflated(compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data))


def deflated_repeat(head: bytes, chunk: bytes, times: int, tail: bytes) -> Deflated:
    """``head + chunk * times + tail`` compressed without compressing the chunk more than once: after a full flush
    the compressor starts afresh, so the chunk compresses to the same bytes each time. 1 GB takes a second."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    middle = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    return Deflated(start + middle * times + end, zlib.crc32(tail, crc), len(head) + len(chunk) * times + len(tail))


def zip_bytes(members: Sequence[tuple[str, Deflated]], *, declared_entries: int | None = None) -> bytes:
    """A zip of deflated members, written as the format says (sizes under 4 GiB, so no zip64); its end record
    states ``declared_entries`` entries when given (a lying archive states fewer than it holds)."""
    out = io.BytesIO()
    directory = []
    for name, member in members:
        encoded = name.encode()
        declared = member.size if member.declared is None else member.declared
        offset = out.tell()
        sizes = (member.crc, len(member.data), declared)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, *sizes, len(encoded), 0))
        out.write(encoded + member.data)
        directory.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, *sizes, len(encoded), 0, 0, 0, 0, 0, offset
            )
            + encoded
        )
    start = out.tell()
    for entry in directory:
        out.write(entry)
    size = out.tell() - start
    entries = len(directory) if declared_entries is None else declared_entries
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, size, start, 0))
    return out.getvalue()


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def xlsx_with_sheet(sheet: Deflated) -> bytes:
    """A workbook whose one worksheet's XML is ``sheet`` (SHEET_HEAD, rows, SHEET_TAIL): what Excel needs, no more."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}">'
            f'<Relationship Id="rId1" Type="{rels}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rels}">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}">'
            f'<Relationship Id="rId1" Type="{rels}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
    }
    return zip_bytes(
        [*((name, deflated(text.encode())) for name, text in parts.items()), ("xl/worksheets/sheet1.xml", sheet)]
    )
