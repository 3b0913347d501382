from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    """The project itself, as an app: its deployment checks (``workflow/checks.py``)."""

    name = "workflow"
    verbose_name = "workflow"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
