"""Turn an uploaded file into a grid of text cells, whatever its format, refusing what is not what it claims.

Accepted: ``.xlsx`` (every sheet tried, merged cells filled), ``.csv`` (UTF-8 with or without BOM, else GB18030)
and ``.docx`` (every table of a Word notice tried, merged cells filled). A merged cell's value is copied into
every cell it covers, with ``merged=True`` on the copies, so that a title or section row spanning the table reads
the same in each column and a vertically merged header reads the same on both of its rows.

A file cannot cost the server more than its limits (``ReadLimits``): an .xlsx or .docx is judged by its zip
directory before anything is unpacked, and its rows are read by a worker process under a memory and a time limit,
once per upload (see ``read_grids``'s ``stash``).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from processes.filetypes import KIND_NAMES, sniff, zip_directory

from . import worker
from .parsing import Caps, ParseRefused, clean_text, column_letter, decode
from .problems import FileRefused, Problem, Severity

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Cell",
    "Grid",
    "Paragraph",
    "ReadLimits",
    "clean_text",
    "column_letter",
    "read_grids",
]
logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".xlsx", ".csv", ".docx")


@dataclass(frozen=True)
class Cell:
    text: str
    merged: bool = False


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of a Word notice above a table; ``heading`` when it is set as one (a heading style, centred)."""

    text: str
    heading: bool = False


@dataclass(frozen=True)
class Grid:
    """One table of the file: ``rows[i]`` is shown to people as row ``numbers[i]``; ``sheet`` names the worksheet
    or the Word table when a file can hold several ("" for a CSV). ``before``: the paragraphs of a Word document
    between this table and the one before it (the notice's text, a caption such as “表8 …”); ``worksheet`` is true
    when ``sheet`` is a worksheet's own name (which can name the table), not a Word table's number."""

    sheet: str
    rows: list[list[Cell]]
    numbers: list[int]
    before: tuple[Paragraph, ...] = ()
    worksheet: bool = False


@dataclass(frozen=True)
class ReadLimits:
    """What an uploaded file may cost to read (settings ``IMPORT_*``, see the README): checked on the archive before
    anything is unpacked, then on the rows while the worker process reads them under its memory and time limits."""

    max_uncompressed_bytes: int
    max_compression_ratio: int
    max_members: int
    max_rows: int
    max_columns: int
    parse_seconds: float
    parse_memory_mb: int

    @classmethod
    def from_settings(cls) -> ReadLimits:
        return cls(
            max_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
            max_compression_ratio=settings.IMPORT_MAX_COMPRESSION_RATIO,
            max_members=settings.IMPORT_MAX_ARCHIVE_MEMBERS,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_columns=settings.IMPORT_MAX_COLUMNS,
            parse_seconds=settings.IMPORT_PARSE_SECONDS,
            parse_memory_mb=settings.IMPORT_PARSE_MEMORY_MB,
        )


def _refuse(filename: str, message: str, **where: Any) -> FileRefused:
    return FileRefused(Problem(Severity.ERROR, message, file=filename, **where))


def read_grids(
    data: bytes, filename: str, *, max_bytes: int, limits: ReadLimits | None = None, stash: Path | None = None
) -> list[Grid]:
    """Every table in the file, in order. Raises ``FileRefused`` for a file that cannot be a task list.

    The checks that cost nothing (type, size, the archive's directory) run every time, in the reader's language;
    the rows are read in a worker process (``processes.importing.worker``). With ``stash``, a file beside the
    staged upload, what the worker found (the rows, or why it refused) is kept there under the file's SHA-256 and
    used again for the same bytes: an upload is read once, whatever the previews and the confirmation."""
    limits = limits or ReadLimits.from_settings()
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
    if data.startswith(b"PK\x03\x04"):
        _check_directory(data, filename, limits)
    kind = sniff(data)
    expected = suffix.lstrip(".")
    if (expected == "csv" and kind != "text") or (expected != "csv" and kind != expected):
        raise _refuse(
            filename,
            _("The file's content does not match its extension: it is named %(suffix)s but contains %(kind)s.")
            % {"suffix": suffix, "kind": KIND_NAMES[kind]},
        )
    if kind in ("xlsx", "docx"):
        _check_archive(data, filename, limits)
    outcome = _stashed(stash, data)
    if outcome is None:
        outcome = _parse(expected, data, limits)
        _stash(stash, data, outcome)
    if "refused" in outcome:
        raise _refusal(filename, outcome["refused"], limits)
    return [_grid(table) for table in outcome["tables"]]


def decode_text(data: bytes, filename: str) -> str:
    """UTF-8 (with or without BOM) first, then GB18030, which offices' Excel writes for “CSV” on Chinese Windows."""
    text = decode(data)
    if text is None:
        raise _refuse(filename, _(_ENCODING))
    return text


_ENCODING = gettext_noop("The file is neither UTF-8 nor GB18030 text; save it again as CSV (UTF-8).")
# A part smaller than this is not judged by its compression ratio: small XML compresses well and harms nobody.
RATIO_FLOOR_BYTES = 1024 * 1024


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


# The most bytes of zip directory per part allowed: a document's part names are short.
DIRECTORY_BYTES_PER_MEMBER = 1024


def _check_directory(data: bytes, filename: str, limits: ReadLimits) -> None:
    """A zip's parts counted from its end record, before its directory is read (reading a directory of a hundred
    thousand parts takes seconds): too many, or a directory too large for that many, and the file is refused."""
    directory = zip_directory(data)
    if directory is None:
        return  # not a zip after all: sniff says what it is
    entries, size = directory
    if entries > limits.max_members:
        raise _refuse(
            filename,
            _("The file holds %(count)s parts, more than the %(limit)s a document may hold; it was not read.")
            % {"count": entries, "limit": limits.max_members},
        )
    if size > limits.max_members * DIRECTORY_BYTES_PER_MEMBER:
        raise _refuse(
            filename,
            _("The file's list of parts takes %(size)s MB, far more than a document's; it was not read.")
            % {"size": _mb(size)},
        )


def _check_archive(data: bytes, filename: str, limits: ReadLimits) -> None:
    """An .xlsx or .docx is a zip: refuse it from its directory alone, before anything is unpacked, when it has too
    many parts, a part that unpacks too large or is compressed too well to be a document, or unpacks too large in
    all. (Python's zipfile, which openpyxl and python-docx read through, never unpacks more than a part declares.)"""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(filename, _("The file cannot be opened: %(error)s") % {"error": exc}) from exc
    if len(members) > limits.max_members:  # the end record understated them
        raise _refuse(
            filename,
            _("The file holds %(count)s parts, more than the %(limit)s a document may hold; it was not read.")
            % {"count": len(members), "limit": limits.max_members},
        )
    total = 0
    for member in members:
        if member.file_size > limits.max_uncompressed_bytes:
            raise _refuse(
                filename,
                _("This part unpacks to %(size)s MB, more than the %(limit)s MB allowed; the file was not read.")
                % {"size": _mb(member.file_size), "limit": _mb(limits.max_uncompressed_bytes)},
                member=member.filename,
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_compression_ratio:
            raise _refuse(
                filename,
                _(
                    "This part is compressed %(ratio)s times, more than the %(limit)s times a document is: the file "
                    "looks made to exhaust the server and was not read."
                )
                % {"ratio": int(ratio), "limit": limits.max_compression_ratio},
                member=member.filename,
            )
        total += member.file_size
    if total > limits.max_uncompressed_bytes:
        raise _refuse(
            filename,
            _("The file unpacks to %(size)s MB, more than the %(limit)s MB allowed; it was not read.")
            % {"size": _mb(total), "limit": _mb(limits.max_uncompressed_bytes)},
        )


def _parse(kind: str, data: bytes, limits: ReadLimits) -> dict[str, Any]:
    """What the worker found: ``{"tables": [...]}``, or ``{"refused": {"code": …, "params": {…}}}``."""
    caps = Caps(max_rows=limits.max_rows, max_columns=limits.max_columns)
    try:
        tables = worker.parse_in_worker(
            kind, data, caps, seconds=limits.parse_seconds, memory_mb=limits.parse_memory_mb
        )
    except ParseRefused as refused:
        return {"refused": {"code": refused.code, "params": refused.params}}
    except worker.WorkerLimit as limit:
        logger.warning("reading an upload stopped: %s %s", limit.reason, limit.detail)
        return {"refused": {"code": limit.reason, "params": {}}}
    return {"tables": tables}


def _stashed(stash: Path | None, data: bytes) -> dict[str, Any] | None:
    if stash is None:
        return None
    try:
        kept = json.loads(stash.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or kept.get("sha256") != hashlib.sha256(data).hexdigest():
        return None  # another file's, or none: read again
    return kept


def _stash(stash: Path | None, data: bytes, outcome: dict[str, Any]) -> None:
    if stash is None:
        return
    partial = stash.with_name(stash.name + ".partial")
    try:
        kept = json.dumps({"sha256": hashlib.sha256(data).hexdigest(), **outcome}, ensure_ascii=False)
        partial.write_text(kept, "utf-8")
        partial.replace(stash)  # whole or not at all: a preview never finds half of it
    except OSError:
        logger.warning("could not keep the rows read from an upload in %s; they will be read again", stash)


def _sheet_name(table: dict[str, Any]) -> str:
    if "table" in table:
        return _("table %(number)s") % {"number": table["table"]}
    return str(table.get("sheet", ""))


def _grid(table: dict[str, Any]) -> Grid:
    merged = {(r, c) for r, c in table["merged"]}
    rows = [[Cell(text, (r, c) in merged) for c, text in enumerate(texts)] for r, texts in enumerate(table["rows"])]
    before = tuple(Paragraph(str(p.get("text", "")), bool(p.get("heading"))) for p in table.get("before", ()))
    return Grid(
        sheet=_sheet_name(table),
        rows=rows,
        numbers=list(range(1, len(rows) + 1)),
        before=before,
        worksheet="sheet" in table and bool(table["sheet"]),
    )


def _refusal(filename: str, refused: dict[str, Any], limits: ReadLimits) -> FileRefused:
    """The worker's refusal as a problem in the reader's language, saying what and where."""
    code, params = refused["code"], refused["params"]
    where: dict[str, Any] = {"sheet": _sheet_name(params)}
    if params.get("row") is not None:
        where["row"] = params["row"]
    if params.get("column"):
        where["column"] = params["column"]
    if code == "rows":
        message = _(
            "The table goes on past row %(limit)s, the most a task list may have; the file was not read. Delete what "
            "lies below the table, or split it."
        ) % {"limit": params["limit"]}
    elif code == "columns":
        message = _(
            "The table goes on past column %(limit)s, the most a task list may have; the file was not read. Delete "
            "what lies right of the table."
        ) % {"limit": params["limit"]}
    elif code == "csv_encoding":
        message = _(_ENCODING)
    elif code == "csv_unreadable":
        message = _("The CSV file cannot be read: %(error)s") % {"error": params.get("error", "")}
    elif code == "docx_unreadable":
        message = _("The Word document cannot be opened: %(error)s") % {"error": params.get("error", "")}
    elif code == "xlsx_unreadable":
        message = _("The workbook cannot be opened: %(error)s") % {"error": params.get("error", "")}
    elif code == "timeout":
        message = _(
            "Reading the file took longer than the %(seconds)s seconds allowed and was stopped; the file was not read."
        ) % {"seconds": f"{limits.parse_seconds:g}"}
    elif code == "memory":
        message = _(
            "Reading the file needed more than the %(limit)s MB of memory allowed and was stopped; the file was not "
            "read."
        ) % {"limit": limits.parse_memory_mb}
    else:  # "crashed"
        message = _("Reading the file stopped unexpectedly; the file was not read.")
    return _refuse(filename, message, **where)
