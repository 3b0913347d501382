"""What a file is, from its bytes, whatever it is called: uploads are checked against this, never against their
names or the browser's content type."""

from __future__ import annotations

import io
import zipfile

from django.utils.translation import gettext_lazy


def _zip_members(data: bytes) -> set[str] | None:
    if not data.startswith(b"PK\x03\x04"):
        return None
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
