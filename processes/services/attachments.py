"""The files the domain's messages carry: a bulletin's PDF, the signed notices a message is about. Registered with
the outbox (``notifications.attachments``) in ``ProcessesConfig.ready()``; the outbox calls it just before sending,
outside any transaction."""

from __future__ import annotations

from notifications.attachments import Attachment
from notifications.models import Message
from processes.models import Bulletin, Notice

PDF = "application/pdf"


def message_attachments(message: Message) -> list[Attachment]:
    """The PDFs of the bulletin and the notices attached to ``message``, as they were issued."""
    from .bulletins import bulletin_pdf
    from .notices import notice_pdf

    files: list[Attachment] = []
    if message.bulletin_id is not None:
        bulletin = Bulletin.objects.get(pk=message.bulletin_id)
        files.append(Attachment(f"{bulletin}.pdf", bulletin_pdf(bulletin), PDF))
    for notice in Notice.objects.filter(messages=message).order_by("pk"):
        files.append(Attachment(f"{notice.doc_no}.pdf", notice_pdf(notice), PDF))
    return files
