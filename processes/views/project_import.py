"""Importing a project table (项目库清单) from the browser: upload → preview of every row read (amounts in 万元, units,
fields, what a re-import changes, every problem) → confirm. The preview never writes.

Who: the library's office staff for any region of the library; a region's own people for their own region (and
without a batch: only the office admits into one). Anyone else is refused."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from processes.importing.readers import SUPPORTED_SUFFIXES
from processes.models import ProjectLibrary, Unit, User
from processes.rules import manages_project_library, regions_proposable_by
from processes.services.project_import import (
    ProjectImportReport,
    ProjectUpload,
    project_upload_discard,
    project_upload_get,
    project_upload_save,
    projects_import,
)
from processes.services.projects import library_ensure


class ProjectUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Project table"),
        help_text=gettext_lazy("The table as published (项目库清单): .xlsx, .csv (UTF-8 or GB18030) or .docx."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUPPORTED_SUFFIXES)}),
    )
    region = forms.ChoiceField(label=gettext_lazy("Region"), choices=())
    batch = forms.IntegerField(
        label=gettext_lazy("Admit into batch"),
        required=False,
        min_value=1,
        max_value=99,
        help_text=gettext_lazy("第一批: 1. Leave empty to put the projects in the reserve (谋划储备)."),
    )

    def __init__(self, *args: Any, regions: QuerySet[Unit], admits: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        field.choices = [(unit.code, unit.name) for unit in regions]  # type: ignore[attr-defined]
        if not admits:
            del self.fields["batch"]


class LibraryImportMixin(LoginRequiredMixin):
    """Sets ``self.library`` from the URL's office code and ``self.regions``, the regions the viewer may import for;
    refuses (403) a person who may import for none."""

    request: HttpRequest
    kwargs: dict[str, Any]
    library: ProjectLibrary
    regions: QuerySet[Unit]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        office = get_object_or_404(Unit, code=kwargs["office"], is_office=True)
        self.library = ProjectLibrary.objects.filter(office=office).first() or ProjectLibrary(office=office)
        self.regions = regions_proposable_by(request.user, self.library)
        if not self.regions.exists():
            raise PermissionDenied(_("You may not import projects into this library."))
        return super().dispatch(request, *args, **kwargs)

    @property
    def importer(self) -> User:
        user = self.request.user
        if not isinstance(user, User):
            raise PermissionDenied
        return user

    @property
    def admits(self) -> bool:
        return manages_project_library(self.request.user, self.library)

    def region_allowed(self, code: str) -> Unit:
        region = self.regions.filter(code=code).first()
        if region is None:
            raise PermissionDenied(_("You may not import projects for this region."))
        return region


class ProjectImportView(LibraryImportMixin, View):
    template_name = "processes/project_import.html"

    def form(self, data: Any = None, files: Any = None) -> ProjectUploadForm:
        return ProjectUploadForm(data, files, regions=self.regions, admits=self.admits)

    def get(self, request: HttpRequest, office: str) -> HttpResponse:
        form = self.form()
        if self.regions.count() == 1:
            form.fields["region"].initial = self.regions.first().code  # type: ignore[union-attr]
        return render(request, self.template_name, {"form": form, "library": self.library})

    def post(self, request: HttpRequest, office: str) -> HttpResponse:
        if (code := request.POST.get("region", "")) and not self.regions.filter(code=code).exists():
            raise PermissionDenied(_("You may not import projects for this region."))
        form = self.form(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form, "library": self.library}, status=400)
        region = self.region_allowed(form.cleaned_data["region"])
        if self.library.pk is None:
            self.library = library_ensure(self.library.office)
        upload = form.cleaned_data["file"]
        staged = project_upload_save(
            data=upload.read(),
            filename=upload.name,
            library=self.library,
            region=region,
            batch=form.cleaned_data.get("batch"),
            by=self.importer,
        )
        return HttpResponseRedirect(
            reverse("plans:project_import_preview", kwargs={"office": office, "token": staged.token})
        )


class StagedProjectsMixin(LibraryImportMixin):
    def staged(self) -> tuple[ProjectUpload, Unit]:
        upload = project_upload_get(token=self.kwargs["token"], by=self.importer)
        if upload is None or upload.office != self.library.office.code or self.library.pk is None:
            raise Http404(_("This upload does not exist or has expired; upload the file again."))
        return upload, self.region_allowed(upload.region)

    def run(self, upload: ProjectUpload, region: Unit, *, dry_run: bool) -> ProjectImportReport:
        return projects_import(
            data=upload.read(),
            filename=upload.filename,
            library=self.library,
            region=region,
            batch=upload.batch,
            by=self.importer,
            dry_run=dry_run,
            stash=upload.stash,  # read once: later previews and the confirmation use what was read
        )

    def context(self, upload: ProjectUpload, report: ProjectImportReport) -> dict[str, Any]:
        by_row: dict[tuple[str, int | None], list[Any]] = {}
        for problem in [*report.errors, *report.warnings]:
            by_row.setdefault((problem.sheet, problem.row), []).append(problem)
        changes = {change.name: change for change in report.changes}
        rows = [
            {
                "project": row,
                "problems": by_row.get((row.sheet, row.row), []),
                "new": row.name in report.created,
                "changes": changes[row.name].changes if row.name in changes else {},
            }
            for row in report.rows
        ]
        shown = {(row.sheet, row.row) for row in report.rows}
        return {
            "upload": upload,
            "report": report,
            "library": self.library,
            "rows": rows,
            "other_problems": [p for key, items in by_row.items() if key not in shown for p in items],
            "office": self.library.office.code,
        }


class ProjectImportPreviewView(StagedProjectsMixin, View):
    def get(self, request: HttpRequest, office: str, token: str) -> HttpResponse:
        upload, region = self.staged()
        report = self.run(upload, region, dry_run=True)
        return render(request, "processes/project_import_preview.html", self.context(upload, report))


class ProjectImportConfirmView(StagedProjectsMixin, View):
    def post(self, request: HttpRequest, office: str) -> HttpResponse:
        self.kwargs["token"] = request.POST.get("token", "")
        upload, region = self.staged()
        back = reverse("plans:project_import", kwargs={"office": office})
        if request.POST.get("action") == "cancel":
            project_upload_discard(upload=upload)
            messages.info(request, _("The upload was discarded; nothing was imported."))
            return HttpResponseRedirect(back)
        report = self.run(upload, region, dry_run=False)
        if not report.applied:
            messages.error(request, _("The import was refused; nothing was written. See the problems below."))
            return render(request, "processes/project_import_preview.html", self.context(upload, report), status=422)
        project_upload_discard(upload=upload)
        messages.success(
            request,
            _("Imported %(count)s projects of %(region)s: %(created)s new, %(updated)s changed, %(admitted)s admitted.")
            % {
                "count": len(report.rows),
                "region": region.name,
                "created": len(report.created),
                "updated": len(report.changes),
                "admitted": len(report.admitted),
            },
        )
        try:
            ledger = reverse("plans:project_ledger", kwargs={"office": office})
        except NoReverseMatch:  # the ledger's page comes with the library's pages
            ledger = back
        return HttpResponseRedirect(f"{ledger}?region={region.code}" if ledger != back else back)
