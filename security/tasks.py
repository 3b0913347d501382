"""Celery tasks of account security: thin wrappers around the services."""

from celery import shared_task


@shared_task(name="security.purge_audit_events", acks_late=True)
def purge_audit_events() -> int:
    """Nightly: delete the audit events older than the office's retention period (at least 180 days)."""
    from .services import audit_purge

    return audit_purge()
