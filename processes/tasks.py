"""Celery tasks: thin wrappers that take plain arguments and call a service."""

import datetime as dt

from celery import shared_task

from processes.services.import_staging import staged_imports_purge


@shared_task(name="processes.purge_import_staging", acks_late=True)
def purge_import_staging(max_age_hours: int = 24) -> int:
    """Remove uploaded plan files that were previewed but never confirmed."""
    return staged_imports_purge(older_than=dt.timedelta(hours=max_age_hours))


@shared_task(name="processes.open_due_rounds", acks_late=True)
def open_due_rounds() -> int:
    """Open every dispatch round whose period has ended, by each plan's schedule, and give the project libraries'
    projects what they owe this year; idempotent."""
    from django.utils import timezone

    from processes.models import Plan
    from processes.services.projects import libraries_sync
    from processes.services.rounds import rounds_open_due

    today = timezone.localdate()
    opened = sum(len(rounds_open_due(plan=plan, as_of=today)) for plan in Plan.objects.all())
    libraries_sync(today)  # what the libraries' projects owe this year (milestones, bimonthly reports)
    return opened


@shared_task(name="processes.render_notice", acks_late=True)
def render_notice(notice_id: int) -> None:
    """Render and store a signed document's PDF if it is missing. Documents are rendered when signed; this stays for
    the tasks an earlier version queued."""
    from processes.models import Notice
    from processes.services.notices import notice_pdf

    notice = Notice.objects.filter(pk=notice_id).first()
    if notice is not None:
        notice_pdf(notice)


@shared_task(name="processes.sweep_deadlines", acks_late=True)
def sweep_deadlines() -> int:
    """Fire the ladder for every day since the last sweep, up to today."""
    from processes.services.ladder import sweep_scheduled

    return len(sweep_scheduled())


@shared_task(name="processes.warn_regions", acks_late=True)
def warn_regions() -> int:
    """Warn the regions past their plan's thresholds today (a working day), once per period."""
    from processes.services.region_warnings import region_warnings_check

    return len(region_warnings_check())
