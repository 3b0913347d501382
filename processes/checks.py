"""System checks: what ``manage.py check`` (and every server start) refuses to run without."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.utils.translation import gettext as _


@checks.register(checks.Tags.compatibility)
def cjk_font_installed(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every document is Chinese: without a font that has Chinese characters, each PDF would be rows of boxes."""
    from processes.services.pdf import cjk_font_families

    if cjk_font_families():
        return []
    return [
        checks.Error(
            _("No font with Chinese characters is installed: every PDF would print them as boxes."),
            hint=_("Install fonts-noto-cjk (apt-get install fonts-noto-cjk) and run `make fonts`; see the README."),
            id="processes.E001",
        )
    ]
