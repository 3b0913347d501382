"""The viewflow processes of the lifecycle, each tied to the assignment it moves (see processes/flows.py)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from .assignments import Assignment, Report


class CompletionProcess(Process):
    """One completion report on its way: unit sign-off (if the unit requires it) → verification → close-out."""

    assignment = models.ForeignKey(Assignment, verbose_name=_("assignment"), on_delete=models.PROTECT, related_name="+")
    report = models.ForeignKey(Report, verbose_name=_("report"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("completion process")
        verbose_name_plural = _("completion processes")


class EscalationProcess(Process):
    """An item a supervisor put under supervision (转督办), waiting for the office to handle it."""

    assignment = models.ForeignKey(Assignment, verbose_name=_("assignment"), on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("comment"))

    class Meta:
        verbose_name = _("supervision process")
        verbose_name_plural = _("supervision processes")


class ExtensionProcess(Process):
    """A request to move a deadline (延期申请), waiting for a supervisor's decision."""

    request = models.ForeignKey(
        "processes.ExtensionRequest", verbose_name=_("extension request"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("extension process")
        verbose_name_plural = _("extension processes")
