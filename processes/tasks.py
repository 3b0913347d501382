"""Celery tasks: thin wrappers that take plain arguments and call a service."""

import datetime as dt

from celery import shared_task

from processes.services.import_staging import staged_imports_purge


@shared_task(name="processes.purge_import_staging", acks_late=True)
def purge_import_staging(max_age_hours: int = 24) -> int:
    """Remove uploaded plan files that were previewed but never confirmed."""
    return staged_imports_purge(older_than=dt.timedelta(hours=max_age_hours))
