"""Small builders for lifecycle tests: evidence files as offices produce them, and the steps of the journey."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from processes.models import Assignment, Plan

from .builders import docx_bytes, xlsx_bytes

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def pdf(name: str = "会议纪要.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def office_files() -> list[SimpleUploadedFile]:
    return [
        pdf(),
        upload("现场照片.jpg", JPEG),
        upload("截图.png", PNG),
        upload("工作方案.docx", docx_bytes([["序号", "内容"], ["1", "方案"]])),
        upload("台账.xlsx", xlsx_bytes([["序号", "内容"], [1, "台账"]])),
    ]


def songyuan_item(plan: Plan, number: str = "2") -> Assignment:
    return Assignment.objects.select_related("unit", "task").get(
        task__plan=plan, task__number=number, unit__code="220700"
    )
