"""Importing a plan from the browser: upload → preview of every parsed row → confirm. The preview never writes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from processes.forms import PlanUploadForm
from processes.models import DeadlineKind, Plan, User
from processes.rules import can_import_plans, offices_importable_by
from processes.services.import_staging import (
    StagedImport,
    staged_import_choose,
    staged_import_discard,
    staged_import_get,
    staged_import_save,
)
from processes.services.plan_import import ImportReport, plan_import


class ImportPermissionMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Only an office's admins import (its own) plans; others get 403, anonymous users the login page."""

    request: HttpRequest
    kwargs: dict[str, Any]

    def test_func(self) -> bool:
        return can_import_plans(self.request.user)

    def handle_no_permission(self) -> HttpResponseRedirect:
        if self.request.user.is_authenticated:
            raise PermissionDenied(_("Only the office admin can import plans."))
        return super().handle_no_permission()

    @property
    def importer(self) -> User:
        user = self.request.user
        if not isinstance(user, User):  # test_func lets only signed-in office admins through
            raise PermissionDenied
        return user


class ImportUploadView(ImportPermissionMixin, FormView):
    template_name = "processes/import_upload.html"
    form_class = PlanUploadForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        year = self.request.GET.get("year", "")
        kwargs["year"] = int(year) if year.isdigit() else None
        kwargs["offices"] = offices_importable_by(self.request.user)
        kwargs["issuer"] = self.request.GET.get("issuer", "")
        return kwargs

    def form_valid(self, form: PlanUploadForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        staged = staged_import_save(
            data=upload.read(),
            filename=upload.name,
            year=form.cleaned_data["year"],
            title=form.cleaned_data["title"].strip(),
            doc_no=form.cleaned_data["doc_no"].strip(),
            by=self.importer,
            starts=form.cleaned_data["starts"],
            issuer=form.cleaned_data["issuer"].code,
        )
        return HttpResponseRedirect(reverse("plans:import_preview", kwargs={"token": staged.token}))


def _run(staged: StagedImport, by: User, *, dry_run: bool) -> ImportReport:
    return plan_import(
        data=staged.read(),
        filename=staged.filename,
        year=staged.year,
        title=staged.title,
        doc_no=staged.doc_no,
        starts=staged.starts_on,
        issuer=staged.issuer or None,
        by=by,
        dry_run=dry_run,
        max_bytes=settings.IMPORT_MAX_BYTES,
        stash=staged.stash,  # the file is read once; later previews and the confirmation use what was read
        serves=staged.serves,
    )


SERVES_FIELD = "serves:"  # the preview's select of the provincial task a row refines: ``serves:<序号>``
SERVES_SHOWN = "serves-shown:"  # what the select showed, so that only what the person changed is kept


def _chosen_links(request: HttpRequest, staged: StagedImport) -> StagedImport:
    """Keep with the upload the provincial tasks the person chose in the preview (those they changed)."""
    chosen = dict(staged.serves)
    for key in request.POST:
        if not key.startswith(SERVES_FIELD):
            continue
        number, value = key.removeprefix(SERVES_FIELD), request.POST.get(key, "")
        if number in chosen or value != request.POST.get(SERVES_SHOWN + number, ""):
            chosen[number] = value
    return staged_import_choose(staged=staged, serves=chosen) if chosen != staged.serves else staged


class StagedImportMixin(ImportPermissionMixin):
    def get_staged(self) -> StagedImport:
        staged = staged_import_get(token=self.kwargs["token"], by=self.importer)
        if staged is None:
            raise Http404(_("This upload does not exist or has expired; upload the file again."))
        return staged


class ImportPreviewView(StagedImportMixin, View):
    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        staged = self.get_staged()
        report = _run(staged, self.importer, dry_run=True)
        return render(request, "processes/import_preview.html", self.context(staged, report))

    @staticmethod
    def context(staged: StagedImport, report: ImportReport) -> dict[str, Any]:
        # By table and row: the tables of a Word notice, or the sheets of a workbook, each count their rows from 1.
        problems_by_row: dict[tuple[str, int | None], list[Any]] = {}
        for problem in [*report.errors, *report.warnings]:
            problems_by_row.setdefault((problem.sheet, problem.row), []).append(problem)
        refinements = report.refinements
        rows = [
            {
                "task": task,
                "serves": refinements.value_of(task.number) if refinements else "",
                "units": [(report.unit_label(code), role) for code, role in task.units.items()],
                "problems": problems_by_row.get((task.parsed.layout.sheet, task.parsed.row), []),
                "done": task.deadline.kind == DeadlineKind.DONE,
            }
            for task in report.tasks
        ]
        task_rows = {(task.parsed.layout.sheet, task.parsed.row) for task in report.tasks}
        other_problems = [p for key, items in problems_by_row.items() if key not in task_rows for p in items]
        return {
            "staged": staged,
            "report": report,
            "rows": rows,
            "other_problems": other_problems,
            "change_summary": report.change_summary(),
            # 细化: a select per row of the provincial tasks this office's plan may refine.
            "serves_options": refinements.options if refinements and refinements.provincial else [],
            "provincial_plan": refinements.provincial if refinements else None,
            # A new plan is all creations; for a plan being corrected, every change is listed.
            "detailed_changes": report.changes if any(c.kind != "task_created" for c in report.changes) else [],
        }


class ImportConfirmView(StagedImportMixin, View):
    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        staged = self.get_staged()
        if request.POST.get("action") == "cancel":
            staged_import_discard(staged=staged)
            messages.info(request, _("The upload was discarded; nothing was imported."))
            return HttpResponseRedirect(reverse("plans:import_upload"))
        staged = _chosen_links(request, staged)
        if request.POST.get("action") == "links":
            return HttpResponseRedirect(reverse("plans:import_preview", kwargs={"token": staged.token}))
        report = _run(staged, self.importer, dry_run=False)
        if not report.applied:
            messages.error(request, _("The import was refused; nothing was written. See the problems below."))
            return render(
                request, "processes/import_preview.html", ImportPreviewView.context(staged, report), status=422
            )
        staged_import_discard(staged=staged)
        messages.success(
            request,
            _("Imported %(tasks)s tasks and %(assignments)s assignments into %(plan)s.")
            % {"tasks": len(report.tasks), "assignments": report.assignment_count, "plan": report.title},
        )
        plan = Plan.objects.select_related("issuer").get(pk=report.plan_id or 0)
        return HttpResponseRedirect(reverse("plans:plan_detail", kwargs={"plan": plan}))
