"""The Celery application: configured from Django settings (``CELERY_*``), tasks discovered in the apps."""

import logging
import os

from celery import Celery, signals

from .broker import register

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow.settings.base")

register()  # the embedded broker, ``embedded://``
app = Celery("workflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_embedded_broker_folders(sender: Celery, **kwargs: object) -> None:
    """The embedded (filesystem) broker needs its folders to exist before a worker or a producer touches them."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        folder = options.get(key)
        if folder:
            os.makedirs(folder, exist_ok=True)


@signals.worker_init.connect
@signals.beat_init.connect
def _links_point_home(**kwargs: object) -> None:
    """The worker and beat write the links of every message: they refuse to start on a SITE_URL that
    ``check --deploy`` refuses (gunicorn runs the same checks before it serves)."""
    from django.conf import settings

    from workflow.checks import site_url_is_an_address, site_url_points_home

    problems = site_url_is_an_address() + ([] if settings.DEBUG else site_url_points_home())
    if problems:
        # SystemExit, not an exception: Celery logs and ignores a signal handler's exceptions.
        message = "\n".join(f"{problem.id}: {problem.msg} {problem.hint}" for problem in problems)
        logging.getLogger(__name__).critical("not starting: %s", message)
        raise SystemExit(1)
