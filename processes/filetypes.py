"""What a file is, from its bytes, whatever it is called: uploads are checked against this, never against their
names or the browser's content type."""

from __future__ import annotations

import io
import struct
import zipfile

from django.utils.translation import gettext_lazy

# A zip whose directory is larger than this is not listed to be told apart (listing it is what costs): it is a "zip".
SNIFF_MAX_DIRECTORY_BYTES = 1024 * 1024


def zip_directory(data: bytes) -> tuple[int, int] | None:
    """The number of entries and the size in bytes of a zip's central directory, as its end record declares them,
    read without building the directory (which, for a zip of a hundred thousand empty parts, takes seconds and many
    MB); None when there is no end record. Python's zipfile reads as many bytes of directory as the size says."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if end < 0 or end + 22 > len(data):
        return None
    entries, size = struct.unpack_from("<HI", data, end + 10)
    if entries == 0xFFFF or size == 0xFFFFFFFF:  # zip64: read the zip64 end record the locator before it points to
        locator = end - 20
        if locator < 0 or data[locator : locator + 4] != b"PK\x06\x07":
            return None
        (offset,) = struct.unpack_from("<Q", data, locator + 8)
        if offset + 56 > len(data) or data[offset : offset + 4] != b"PK\x06\x06":
            return None
        entries, size = struct.unpack_from("<QQ", data, offset + 32)
    return entries, size


def _zip_members(data: bytes) -> set[str] | None:
    if not data.startswith(b"PK\x03\x04"):
        return None
    directory = zip_directory(data)
    if directory is None:
        return None
    if directory[1] > SNIFF_MAX_DIRECTORY_BYTES:
        return set()  # a zip, but not one to list
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return set(archive.namelist())
    except zipfile.BadZipFile:
        return None


def sniff(data: bytes) -> str:
    """What the bytes are, whatever the file is called: xlsx, docx, zip, xls, pdf, jpeg, png, binary or text."""
    members = _zip_members(data)
    if members is not None:
        if "xl/workbook.xml" in members:
            return "xlsx"
        if "word/document.xml" in members:
            return "docx"
        return "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if b"\x00" in data[:8192]:
        return "binary"
    return "text"


KIND_NAMES = {
    "xlsx": "Excel (.xlsx)",
    "docx": "Word (.docx)",
    "zip": "ZIP",
    "xls": "Excel 97-2003 (.xls)",
    "pdf": "PDF",
    "jpeg": "JPEG",
    "png": "PNG",
    "binary": gettext_lazy("binary data"),
    "text": gettext_lazy("plain text"),
}
