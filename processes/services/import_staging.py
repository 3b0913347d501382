"""Uploaded plan files waiting between the preview and the confirmation.

The preview must not write to the database, so the upload is kept as a file in ``IMPORT_STAGING_DIR`` (never
served) next to a small JSON description, under a random token that only its uploader can use. The rows read from
it the first time (or why it was refused) are kept beside it (``stash``, keyed by the file's SHA-256), so that
later previews and the confirmation do not read it again; confirming imports them in one transaction. Files nobody
confirmed are purged by a periodic task.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from processes.models import User

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class StagedImport:
    token: str
    filename: str
    year: int
    title: str
    doc_no: str
    user_id: int
    uploaded_at: str
    starts: str = ""  # ISO date, or "" for the default
    issuer: str = ""  # the issuing office's code, or "" for the provincial programme office
    # The provincial task (序号, "" for none) each task (序号) refines, as chosen in the preview (细化).
    serves: dict[str, str] = field(default_factory=dict)

    @property
    def starts_on(self) -> dt.date | None:
        return dt.date.fromisoformat(self.starts) if self.starts else None

    @property
    def path(self) -> Path:
        return _staging_dir() / f"{self.token}.bin"

    @property
    def stash(self) -> Path:
        """The rows read from the file, kept for the next preview and the confirmation (``read_grids``)."""
        return _staging_dir() / f"{self.token}.rows.json"

    def read(self) -> bytes:
        return self.path.read_bytes()


def _staging_dir() -> Path:
    folder = Path(settings.IMPORT_STAGING_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def staged_import_save(
    *,
    data: bytes,
    filename: str,
    year: int,
    title: str,
    doc_no: str,
    by: User,
    starts: dt.date | None = None,
    issuer: str = "",
) -> StagedImport:
    staged = StagedImport(
        token=secrets.token_hex(16),
        filename=Path(filename).name,
        year=year,
        title=title,
        doc_no=doc_no,
        user_id=by.pk,
        uploaded_at=timezone.now().isoformat(),
        starts=starts.isoformat() if starts else "",
        issuer=issuer,
    )
    staged.path.write_bytes(data)
    _describe(staged)
    return staged


def _describe(staged: StagedImport) -> None:
    (_staging_dir() / f"{staged.token}.json").write_text(json.dumps(asdict(staged), ensure_ascii=False), "utf-8")


def staged_import_choose(*, staged: StagedImport, serves: dict[str, str]) -> StagedImport:
    """Keep the provincial tasks chosen in the preview with the upload, so that confirming applies them."""
    chosen = replace(staged, serves=dict(serves))
    _describe(chosen)
    return chosen


def staged_import_get(*, token: str, by: User) -> StagedImport | None:
    """The staged upload under ``token`` if it exists and ``by`` uploaded it; otherwise None."""
    if not _TOKEN.match(token):
        return None
    meta = _staging_dir() / f"{token}.json"
    try:
        staged = StagedImport(**json.loads(meta.read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if staged.user_id != by.pk or not staged.path.is_file():
        return None
    return staged


def staged_import_discard(*, staged: StagedImport) -> None:
    staged.path.unlink(missing_ok=True)
    staged.stash.unlink(missing_ok=True)
    (_staging_dir() / f"{staged.token}.json").unlink(missing_ok=True)


def staged_imports_purge(*, older_than: dt.timedelta) -> int:
    """Delete staged uploads older than ``older_than``; returns how many files were removed."""
    cutoff = (timezone.now() - older_than).timestamp()
    removed = 0
    for path in _staging_dir().iterdir():
        if path.suffix in (".bin", ".json", ".partial") and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
