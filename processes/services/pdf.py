"""Every PDF the system issues goes through ``render_pdf``: a document whose text a font cannot draw is refused, not
printed as boxes. WeasyPrint draws a character no font on the machine has as an empty box (.notdef) and only logs a
warning; here that warning stops the render, so nothing with missing glyphs is stored, attached or sent."""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from functools import lru_cache

from django.utils.translation import gettext as _

from .lifecycle import InvalidInput

# What WeasyPrint logs for each character no font could draw.
_NOTDEF = ".notdef glyph rendered"


class MissingGlyphs(InvalidInput):
    """A document would print characters as boxes: no font on this machine has them."""

    def __init__(self, characters: list[str]) -> None:
        shown = "".join(dict.fromkeys(characters))[:40]
        super().__init__(
            _(
                "The PDF cannot be made: no installed font has the characters “%(chars)s”. Install a Chinese font "
                "(fonts-noto-cjk and the FandolFang face, see the README) and try again."
            )
            % {"chars": shown}
        )
        self.characters = characters


class _Collect(logging.Handler):
    """Collects the characters WeasyPrint could not draw, in the thread that renders only."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.missing: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread and str(record.msg).startswith(_NOTDEF) and record.args:
            self.missing.append(str(record.args[0]))  # type: ignore[index]


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of ``html``, or ``MissingGlyphs`` when any character of it would come out as a box."""
    from weasyprint import HTML

    logger = logging.getLogger("weasyprint")
    collect = _Collect()
    logger.addHandler(collect)
    try:
        pdf = bytes(HTML(string=html, base_url=base_url).write_pdf())
    finally:
        logger.removeHandler(collect)
    if collect.missing:
        raise MissingGlyphs(collect.missing)
    return pdf


@lru_cache(maxsize=1)
def cjk_font_families() -> tuple[str, ...]:
    """The font families installed on this machine that cover Simplified Chinese (as fontconfig, which WeasyPrint
    uses, sees them); empty when there are none or fontconfig's tools are missing."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ()
    try:
        listed = subprocess.run(  # noqa: S603  (fc-list, fixed arguments)
            [fc_list, ":lang=zh-cn", "family"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    families = {name.strip() for line in listed.splitlines() for name in line.split(",") if name.strip()}
    return tuple(sorted(families))
