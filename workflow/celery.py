"""The Celery application: configured from Django settings (``CELERY_*``), tasks discovered in the apps."""

import os

from celery import Celery

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
