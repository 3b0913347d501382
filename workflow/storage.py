"""Static files as production serves them: whitenoise's compressed, hashed copies, tolerant of a stylesheet that
names a file its package does not ship (viewflow's roboto-fontface.css lists faces that are not in the wheel)."""

from __future__ import annotations

import re
from collections.abc import Callable

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def url_converter(self, name: str, hashed_files: dict[str, str], template: str | None = None) -> Callable[..., str]:
        convert = super().url_converter(name, hashed_files, template)

        def tolerant(matchobj: re.Match[str]) -> str:
            try:
                return convert(matchobj)
            except ValueError:  # the referenced file does not exist: leave the reference as written
                return matchobj.group(0)

        return tolerant


__all__ = ["StaticFilesStorage"]
