"""Static files as production serves them (whitenoise): hashed names, cached for ever, with gzip copies made by
``collectstatic`` unless ``STATIC_COMPRESS=0`` (compressing viewflow's assets takes minutes; a proxy can do it).

Both storages tolerate a stylesheet that names a file its package does not ship (viewflow's roboto-fontface.css
lists faces that are not in the wheel): the reference is left as written instead of failing ``collectstatic``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class _TolerantReferences(ManifestStaticFilesStorage):
    def url_converter(self, name: str, hashed_files: dict[str, Any], *args: Any, **kwargs: Any) -> Callable[..., str]:
        convert = super().url_converter(name, hashed_files, *args, **kwargs)

        def tolerant(matchobj: re.Match[str]) -> str:
            try:
                return convert(matchobj)
            except ValueError:  # the referenced file does not exist: leave the reference as written
                return matchobj.group(0)

        return tolerant


class StaticFilesStorage(_TolerantReferences, CompressedManifestStaticFilesStorage):
    """Hashed and compressed (``STATIC_COMPRESS=1``, the default)."""


class UncompressedStaticFilesStorage(_TolerantReferences):
    """Hashed only (``STATIC_COMPRESS=0``)."""
