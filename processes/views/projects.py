"""项目库 pages of a project: a region enters it (新增项目) and proposes it, the office admits it into a batch or sends
it back, either asks to take it out (退库) and the office decides; its page shows its particulars, its 倒排工期
milestones with their lights, its investment against the 序时进度, its reports and its timeline. The report page is
where a region files a bimonthly report (or the day a milestone was reached) and the office accepts or returns it.

Who may see and do what is asked of processes.rules; a project or a report outside the viewer's scope answers 404,
as one that does not exist."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from processes.forms_projects import ProjectForm, ProjectReportForm, add_service_error, yearly_text
from processes.models import (
    IN_LIBRARY_STATES,
    OWED_STATES,
    FiredRung,
    MilestoneKind,
    Obligation,
    ObligationKind,
    ObligationState,
    Project,
    ProjectAction,
    ProjectEvent,
    ProjectLibrary,
    ProjectMilestone,
    ProjectProgress,
    ProjectState,
    Report,
    ReportStatus,
    Unit,
    UnitLevel,
    User,
)
from processes.rules import (
    can_report,
    libraries_in_scope,
    manages_project_library,
    projects_in_scope,
    proposes_project,
    regions_proposable_by,
)
from processes.services import projects as services
from processes.services.ladder import obligation_light
from processes.services.lifecycle import AlreadyHandled, InvalidInput, LifecycleError, NotAllowed

from .rounds import obligations_in_scope

STEPS = ("propose", "admit", "send_back", "withdraw_request", "withdraw_decide")
PROJECT_OBLIGATION_KINDS = (
    ObligationKind.PROJECT_REPORT,
    ObligationKind.PROJECT_LAG,
    ObligationKind.PROJECT_MILESTONE,
)


def _user(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def project_url(project: Project) -> str:
    return reverse("plans:project", kwargs={"pk": project.pk})


def project_in_scope(request: HttpRequest, pk: int) -> Project:
    """The project, if the viewer sees it; 404 otherwise (another region's project does not exist for them)."""
    return get_object_or_404(
        projects_in_scope(request.user).select_related(
            "library__office", "region", "field", "responsible_unit", "withdraw_requested_by", "created_by"
        ),
        pk=pk,
    )


def library_in_scope(request: HttpRequest, office: str) -> ProjectLibrary:
    return get_object_or_404(libraries_in_scope(request.user), office__code=office)


class ProjectsView(LoginRequiredMixin, View):
    """项目库 in the menu: the ledger of the library the viewer's unit reports into (created the first time)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        library = services.library_for(user.unit)
        if library is None:
            office = Unit.objects.filter(level=UnitLevel.PROVINCE, is_office=True).order_by("position", "pk").first()
            if office is None:
                raise Http404
            library = services.library_ensure(office)
        return HttpResponseRedirect(reverse("plans:project_ledger", kwargs={"office": library.office.code}))


class ProjectNewView(LoginRequiredMixin, View):
    """新增项目: a region's person enters a project for their region (the office for any region of its library)."""

    def setup_library(self, request: HttpRequest, office: str) -> tuple[ProjectLibrary, QuerySet[Unit]]:
        library = library_in_scope(request, office)
        regions = regions_proposable_by(request.user, library)
        if not regions.exists():
            raise Http404
        return library, regions

    def render_form(self, request: HttpRequest, library: ProjectLibrary, form: ProjectForm, status: int = 200) -> Any:
        return render(
            request,
            "processes/project_form.html",
            {"library": library, "form": form, "project": None, "ledger_url": _ledger_url(library)},
            status=status,
        )

    def get(self, request: HttpRequest, office: str) -> HttpResponse:
        library, regions = self.setup_library(request, office)
        initial: dict[str, Any] = {"start_year": timezone.localdate().year, "end_year": timezone.localdate().year}
        code = request.GET.get("region")
        if code:
            region = regions.filter(code=code).first()
            if region is None:
                raise Http404
            initial["region"] = region
        elif regions.count() == 1:
            initial["region"] = regions.first()
        return self.render_form(request, library, ProjectForm(initial=initial, regions=regions))

    def post(self, request: HttpRequest, office: str) -> HttpResponse:
        library, regions = self.setup_library(request, office)
        user = _user(request)
        form = ProjectForm(request.POST, regions=regions)
        if form.is_valid():
            try:
                project = services.project_create(library=library, data=form.data_for_service(), by=user)
            except NotAllowed as exc:
                raise PermissionDenied(exc.message) from exc
            except InvalidInput as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The project was entered into the reserve (谋划储备)."))
                return HttpResponseRedirect(project_url(project))
        return self.render_form(request, library, form, status=400)


def _ledger_url(library: ProjectLibrary) -> str:
    return reverse("plans:project_ledger", kwargs={"office": library.office.code})


def _may_edit(user: Any, project: Project) -> bool:
    return manages_project_library(user, project.library) or (
        proposes_project(user, project) and project.state == ProjectState.RESERVE
    )


def _may_plan_milestones(user: Any, project: Project) -> bool:
    return services.may_plan_milestones(user, project)


class ProjectEditView(LoginRequiredMixin, View):
    """编辑: the region while the project is in its reserve, the office at any time."""

    def regions(self, user: Any, project: Project) -> QuerySet[Unit]:
        return Unit.objects.filter(pk=project.region_id)  # shown, not changed

    def render_form(self, request: HttpRequest, project: Project, form: ProjectForm, status: int = 200) -> Any:
        return render(
            request,
            "processes/project_form.html",
            {"library": project.library, "form": form, "project": project, "ledger_url": _ledger_url(project.library)},
            status=status,
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        project = project_in_scope(request, pk)
        if not _may_edit(request.user, project):
            raise PermissionDenied(_("Only the office may change a project once it has been proposed."))
        initial = {name: getattr(project, name) for name in services.EDITABLE}
        initial["region"] = project.region
        initial["yearly"] = yearly_text(dict(project.yearly.values_list("year", "amount")))
        form = ProjectForm(initial=initial, regions=self.regions(request.user, project))
        form.fields["region"].disabled = True
        return self.render_form(request, project, form)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        project = project_in_scope(request, pk)
        user = _user(request)
        form = ProjectForm(request.POST, regions=self.regions(user, project), initial={"region": project.region})
        form.fields["region"].disabled = True  # a project stays its region's: enter it again for another
        if form.is_valid():
            try:
                services.project_update(project=project, data=form.data_for_service(), by=user)
            except NotAllowed as exc:
                raise PermissionDenied(exc.message) from exc
            except InvalidInput as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The project was saved."))
                return HttpResponseRedirect(project_url(project))
        return self.render_form(request, project, form, status=400)


def _fired_lights(obligations: list[Obligation]) -> dict[int, set[str]]:
    fired: dict[int, set[str]] = {}
    for obligation_id, light in FiredRung.objects.filter(
        obligation__in=obligations, cycle=F("obligation__cycle")
    ).values_list("obligation_id", "rung__light"):
        fired.setdefault(obligation_id, set()).add(light)
    return fired


def milestone_rows(project: Project, today: dt.date) -> list[dict[str, Any]]:
    """Each milestone with what it owes and, when it is late, the light of that obligation."""
    milestones = list(project.milestones.all())
    owed = {
        o.project_milestone_id: o
        for o in Obligation.objects.filter(project=project, kind=ObligationKind.PROJECT_MILESTONE).order_by("pk")
    }
    open_owed = [o for o in owed.values() if o.state in OWED_STATES]
    fired = _fired_lights(open_owed)
    rows = []
    for milestone in milestones:
        obligation = owed.get(milestone.pk)
        late = milestone.actual_date is None and milestone.planned_date < today
        light = None
        if obligation is not None and obligation.state in OWED_STATES and obligation.due_date < today:
            light = obligation_light(obligation, fired.get(obligation.pk, set()), today)
        rows.append(
            {
                "milestone": milestone,
                "obligation": obligation,
                "late": late or (milestone.actual_date is not None and milestone.actual_date > milestone.planned_date),
                "light": light,
            }
        )
    return rows


def _state_label(value: str) -> str:
    return str(ProjectState(value).label) if value in ProjectState.values else value


def timeline(project: Project) -> list[dict[str, Any]]:
    """The project's events, oldest first, each with the changes it made in words (from → to)."""
    names = {name: str(Project._meta.get_field(name).verbose_name) for name in services.EDITABLE}
    names["yearly"] = _("planned investment by year")
    rows = []
    for event in ProjectEvent.objects.filter(project=project).select_related("by").order_by("at", "pk"):
        changes: list[dict[str, str]] = []
        data = event.data or {}
        if event.source or event.target:
            changes.append(
                {
                    "what": _("state"),
                    "from": _state_label(event.source) if event.source else "",
                    "to": _state_label(event.target),
                }
            )
        if event.action == ProjectAction.EDITED:
            for name, (before, after) in (data.get("changes") or {}).items():
                changes.append({"what": names.get(name, name), "from": before, "to": after})
        elif event.action == ProjectAction.MILESTONES_PLANNED:
            for change in data.get("changes") or []:
                changes.append(
                    {"what": change.get("milestone", ""), "from": change.get("from", ""), "to": change.get("to", "")}
                )
        elif event.action == ProjectAction.MILESTONE_REACHED:
            changes.append(
                {"what": _("planned / reached"), "from": data.get("planned", ""), "to": data.get("actual", "")}
            )
        elif event.action == ProjectAction.REPORTED:
            changes.append({"what": _("period"), "from": "", "to": str(data.get("period", "")).rsplit("：", 1)[-1]})
            changes.append(
                {"what": _("invested this period (万元)"), "from": "", "to": data.get("invested_period", "")}
            )
            changes.append({"what": _("invested to date (万元)"), "from": "", "to": data.get("invested_total", "")})
        elif event.action == ProjectAction.LAGGING:
            changes.append(
                {
                    "what": _("序时进度 / invested (%)"),
                    "from": data.get("expected_percent", ""),
                    "to": data.get("invested_percent", ""),
                }
            )
        elif event.action == ProjectAction.ADMITTED and project.batch:
            changes.append({"what": _("batch"), "from": "", "to": project.batch_label})
        rows.append({"event": event, "changes": [c for c in changes if c["from"] or c["to"]]})
    return rows


def _period_of(obligation: Obligation | None) -> str:
    """The period part of a project obligation's label (``…项目：2023年7—8月项目进展`` → ``2023年7—8月项目进展``)."""
    if obligation is None:
        return ""
    return obligation.label.rsplit("：", 1)[-1]


def investment(project: Project, today: dt.date) -> dict[str, Any]:
    latest = services.latest_progress([project.pk]).get(project.pk)
    total = latest.invested_total if latest is not None else None
    expected = services.planned_by(project, today)
    return {
        "planned": project.planned_investment,
        "yearly": list(project.yearly.all()),
        "invested": total,
        "invested_as_of": _period_of(latest.report.obligation) if latest is not None else "",
        "invested_percent": services.percent(total, project.planned_investment) if total is not None else None,
        "expected": expected,
        "expected_percent": services.percent(expected, project.planned_investment),
    }


def project_obligations(project: Project) -> list[Obligation]:
    return list(
        Obligation.objects.filter(project=project, kind__in=PROJECT_OBLIGATION_KINDS)
        .select_related("project_milestone")
        .order_by("due_date", "pk")
    )


class ProjectView(LoginRequiredMixin, View):
    """One project: particulars, state, milestones, investment, reports and timeline, and the steps the viewer may
    take on it."""

    def context(self, request: HttpRequest, project: Project, error: dict[str, Any] | None = None) -> dict[str, Any]:
        user = request.user
        today = timezone.localdate()
        office = manages_project_library(user, project.library)
        proposes = proposes_project(user, project)
        pending_withdrawal = project.withdraw_requested_at is not None and project.state in IN_LIBRARY_STATES
        actions = {
            "propose": proposes and project.state == ProjectState.RESERVE,
            "admit": office and project.state == ProjectState.PROPOSED,
            "send_back": office and project.state == ProjectState.PROPOSED,
            "withdraw_request": proposes and project.state in IN_LIBRARY_STATES and not pending_withdrawal,
            "withdraw_decide": office and pending_withdrawal,
        }
        next_batch = (
            Project.objects.filter(library=project.library, batch__isnull=False)
            .order_by("-batch")
            .values_list("batch", flat=True)
            .first()
        )
        return {
            "project": project,
            "library": project.library,
            "ledger_url": _ledger_url(project.library),
            "actions": actions,
            "any_action": any(actions.values()),
            "may_edit": _may_edit(user, project),
            "may_plan": _may_plan_milestones(user, project),
            "milestones": milestone_rows(project, today),
            "money": investment(project, today),
            "obligations": project_obligations(project),
            "timeline": timeline(project),
            "today": today,
            "default_batch": next_batch or 1,
            "error": error or {},
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        project = project_in_scope(request, pk)
        return render(request, "processes/project.html", self.context(request, project))


class ProjectStepView(LoginRequiredMixin, View):
    """The steps of a project's way into and out of the library, posted from its page."""

    def post(self, request: HttpRequest, pk: int, step: str) -> HttpResponse:
        project = project_in_scope(request, pk)  # first: another region's project is 404 for every step
        if step not in STEPS:
            raise Http404
        user = _user(request)
        post = request.POST
        try:
            if step == "propose":
                services.project_propose(project=project, by=user, comment=post.get("comment", ""))
                message = _("The project was proposed for the library (申报入库).")
            elif step == "admit":
                batch_text = post.get("batch", "").strip()
                if not re.fullmatch(r"[0-9]{1,4}", batch_text):
                    raise InvalidInput(_("Name the batch the project is admitted into (第一批: 1)."), field="batch")
                project = services.project_admit(
                    project=project, by=user, batch=int(batch_text), comment=post.get("comment", "")
                )
                message = _("The project was admitted into the library (入库): %(batch)s.") % {
                    "batch": project.batch_label
                }
            elif step == "send_back":
                services.project_send_back(project=project, by=user, reason=post.get("reason", ""))
                message = _("The project was sent back to the region with your reason.")
            elif step == "withdraw_request":
                services.project_withdraw_request(project=project, by=user, reason=post.get("reason", ""))
                message = _("The request to take the project out of the library (退库) was sent to the office.")
            else:
                decision = post.get("decision", "")
                if decision not in ("approve", "refuse"):
                    raise InvalidInput(_("Approve or refuse the request."), field="decision")
                services.project_withdraw_decide(
                    project=project, by=user, approve=decision == "approve", comment=post.get("comment", "")
                )
                message = (
                    _("The project was taken out of the library (退库).")
                    if decision == "approve"
                    else _("The project stays in the library; the region was told why.")
                )
        except AlreadyHandled as exc:
            messages.warning(request, exc.message)
            return HttpResponseRedirect(project_url(project))
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except LifecycleError as exc:
            project.refresh_from_db()
            context = ProjectView().context(
                request, project, error={"step": step, "message": exc.message, "data": post}
            )
            return render(request, "processes/project.html", context, status=400)
        messages.success(request, message)
        return HttpResponseRedirect(project_url(project))


class ProjectMilestonesView(LoginRequiredMixin, View):
    """倒排工期: the planned dates of the four standard milestones and of the office's own, which it adds and
    removes."""

    def rows(self, project: Project) -> list[dict[str, Any]]:
        existing = list(project.milestones.all())
        kinds = {m.kind for m in existing}
        defaults = services.default_milestone_dates(project)
        rows = [
            {
                "key": str(m.pk),
                "label": m.label,
                "kind": m.kind,
                "planned": m.planned_date,
                "actual": m.actual_date,
                "standard": m.kind != MilestoneKind.OTHER,
            }
            for m in existing
        ]
        for kind in services.STANDARD_MILESTONES:
            if kind not in kinds:  # not admitted yet: the standard ones at their default dates, saved with the plan
                rows.append(
                    {
                        "key": f"new-{kind}",
                        "label": str(MilestoneKind(kind).label),
                        "kind": kind,
                        "planned": defaults[kind],
                        "actual": None,
                        "standard": True,
                    }
                )
        order = {kind: index for index, kind in enumerate(services.STANDARD_MILESTONES)}
        rows.sort(key=lambda row: (row["planned"], order.get(MilestoneKind(str(row["kind"])), 9)))
        return rows

    def render_page(
        self, request: HttpRequest, project: Project, errors: list[str] | None = None, status: int = 200, **extra: Any
    ) -> HttpResponse:
        rows = self.rows(project)
        if request.method == "POST":  # what was typed stays
            for row in rows:
                typed = request.POST.get(f"date_{row['key']}")
                if typed is not None:
                    row["typed"] = typed
                label = request.POST.get(f"label_{row['key']}")
                if label is not None:
                    row["label"] = label
        return render(
            request,
            "processes/project_milestones.html",
            {
                "project": project,
                "rows": rows,
                "errors": errors or [],
                "may_plan": _may_plan_milestones(request.user, project),
                "new_label": request.POST.get("new_label", "") if request.method == "POST" else "",
                "new_date": request.POST.get("new_date", "") if request.method == "POST" else "",
                **extra,
            },
            status=status,
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        project = project_in_scope(request, pk)
        return self.render_page(request, project)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        project = project_in_scope(request, pk)
        user = _user(request)
        if not _may_plan_milestones(user, project):
            raise PermissionDenied(_("Only the office may change the milestones of a project in the library."))
        try:
            remove = request.POST.get("remove", "")
            if remove:
                if not re.fullmatch(r"[0-9]{1,18}", remove) or not project.milestones.filter(pk=int(remove)).exists():
                    raise Http404
                services.milestone_remove(milestone=int(remove), by=user)
                messages.success(request, _("The milestone was removed."))
                return HttpResponseRedirect(reverse("plans:project_milestones", kwargs={"pk": project.pk}))
            planned, errors = self.planned(request, project)
            if errors:
                return self.render_page(request, project, errors, status=400)
            services.milestones_plan(project=project, by=user, milestones=planned)
        except AlreadyHandled as exc:
            messages.warning(request, exc.message)
            return HttpResponseRedirect(reverse("plans:project_milestones", kwargs={"pk": project.pk}))
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except LifecycleError as exc:
            return self.render_page(request, project, [exc.message], status=400)
        messages.success(request, _("The milestones (倒排工期) were saved."))
        return HttpResponseRedirect(project_url(project))

    def planned(self, request: HttpRequest, project: Project) -> tuple[list[services.PlannedMilestone], list[str]]:
        post = request.POST
        planned: list[services.PlannedMilestone] = []
        errors: list[str] = []
        for row in self.rows(project):
            label = post.get(f"label_{row['key']}", row["label"]) if not row["standard"] else row["label"]
            day = _date(post.get(f"date_{row['key']}", ""))
            if day is None:
                errors.append(_("%(label)s: give its planned date (YYYY-MM-DD).") % {"label": label})
                continue
            pk = int(row["key"]) if re.fullmatch(r"[0-9]{1,18}", row["key"]) else None
            planned.append(services.PlannedMilestone(label=label, planned_date=day, kind=row["kind"], pk=pk))
        new_label, new_date = post.get("new_label", "").strip(), post.get("new_date", "").strip()
        if new_label or new_date:
            day = _date(new_date)
            if not new_label or day is None:
                errors.append(_("A milestone of your own needs a name and a planned date."))
            else:
                planned.append(services.PlannedMilestone(label=new_label, planned_date=day))
        planned.sort(key=lambda m: m.planned_date)
        return planned, errors


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------------------------
# The report page


class ProjectReportView(LoginRequiredMixin, View):
    """A project's obligation (a bimonthly report, an explanation of a lag, a milestone): the region reports, with a
    draft first if it likes, and the office accepts or returns it."""

    def obligation(self, request: HttpRequest, pk: int) -> Obligation:
        obligation = get_object_or_404(
            obligations_in_scope(request)
            .filter(project__isnull=False, kind__in=PROJECT_OBLIGATION_KINDS)
            .select_related(
                "assignment__task__plan", "assignment__unit", "project__library__office", "project__region"
            ),
            pk=pk,
        )
        if obligation.project is None or not projects_in_scope(request.user).filter(pk=obligation.project_id).exists():
            raise Http404
        return obligation

    def milestones(self, obligation: Obligation) -> list[ProjectMilestone]:
        if obligation.kind == ObligationKind.PROJECT_MILESTONE:
            return list(ProjectMilestone.objects.filter(pk=obligation.project_milestone_id or 0))
        return list(ProjectMilestone.objects.filter(project_id=obligation.project_id or 0, confirmed=False))

    def form(self, obligation: Obligation, data: Any = None, files: Any = None) -> ProjectReportForm:
        milestones = self.milestones(obligation)
        amounts = obligation.kind != ObligationKind.PROJECT_MILESTONE
        if data is not None:
            return ProjectReportForm(data, files, milestones=milestones, amounts=amounts)
        draft = Report.objects.filter(obligation=obligation, status=ReportStatus.DRAFT).first()
        initial: dict[str, Any] = {}
        if draft is not None:
            initial = {"image_progress": draft.text, "problems": draft.problems}
            progress = ProjectProgress.objects.filter(report=draft).first()
            if progress is not None:
                initial.update(
                    invested_period=progress.invested_period,
                    invested_total=progress.invested_total,
                    coordination=progress.coordination,
                )
                for key, day in progress.milestones_reached.items():
                    initial[f"milestone_{key}"] = day
        else:
            for milestone in milestones:
                if milestone.actual_date is not None:  # reported before, not yet confirmed
                    initial[f"milestone_{milestone.pk}"] = milestone.actual_date
        return ProjectReportForm(initial=initial, milestones=milestones, amounts=amounts)

    def context(
        self, request: HttpRequest, obligation: Obligation, form: ProjectReportForm | None = None, error: str = ""
    ) -> dict[str, Any]:
        project = obligation.project
        if project is None:
            raise Http404
        draft = (
            Report.objects.filter(obligation=obligation, status=ReportStatus.DRAFT).prefetch_related("evidence").first()
        )
        previous = services.latest_progress([project.pk]).get(project.pk)
        if previous is not None and previous.report.obligation_id == obligation.pk:
            before = services.latest_progress([project.pk], until=previous.report.submitted_at).get(project.pk)
        else:
            before = previous
        period_end = obligation.period_end or obligation.due_date
        expected = services.planned_by(project, period_end)
        owed = obligation.state in OWED_STATES
        reports = list(
            Report.objects.filter(obligation=obligation, status=ReportStatus.SUBMITTED)
            .select_related("submitted_by", "project_progress")
            .prefetch_related("evidence")
            .order_by("-submitted_at", "-pk")
        )
        milestone_names = {str(m.pk): m.label for m in project.milestones.all()}
        for report in reports:
            progress = getattr(report, "project_progress", None)
            report.figures = progress  # type: ignore[attr-defined]
            report.reached = [  # type: ignore[attr-defined]
                (milestone_names.get(key, key), day)
                for key, day in (progress.milestones_reached.items() if progress else [])
            ]
            report.invested_percent = (  # type: ignore[attr-defined]
                services.percent(progress.invested_total, project.planned_investment)
                if progress is not None and progress.invested_total is not None
                else None
            )
        form = form or self.form(obligation)
        if before is not None and "invested_total" in form.fields:  # a hint: 累计 is at least what was reported
            form.fields["invested_total"].widget.attrs["placeholder"] = str(before.invested_total)
        return {
            "obligation": obligation,
            "project": project,
            "item": obligation.assignment,
            "draft": draft,
            "form": form,
            "error": error,
            "amounts": obligation.kind != ObligationKind.PROJECT_MILESTONE,
            "may_report": owed and can_report(obligation, request.user),
            "may_review": obligation.state == ObligationState.SUBMITTED
            and obligation.project is not None
            and services.may_review_project(request.user, obligation.project),
            "reports": reports,
            "previous": before,
            "expected": expected,
            "expected_percent": services.percent(expected, project.planned_investment),
            "period_end": period_end,
            "overdue": owed and obligation.due_date < timezone.localdate(),
            "planned": project.planned_investment,
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        obligation = self.obligation(request, pk)
        return render(request, "processes/project_report.html", self.context(request, obligation))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obligation = self.obligation(request, pk)
        user = _user(request)
        action = request.POST.get("action", "")
        form: ProjectReportForm | None = None
        try:
            if action in ("draft", "submit"):
                form = self.form(obligation, request.POST, request.FILES)
                if not form.is_valid():
                    return render(
                        request, "processes/project_report.html", self.context(request, obligation, form), status=400
                    )
                data = form.cleaned_data
                services.project_report_save(
                    obligation=obligation,
                    by=user,
                    invested_period=data.get("invested_period"),
                    invested_total=data.get("invested_total"),
                    image_progress=data["image_progress"],
                    problems=data["problems"],
                    coordination=data["coordination"],
                    milestones_reached=form.reached(),
                    files=data["evidence"],
                    submit=action == "submit",
                )
                message = _("The project report was submitted.") if action == "submit" else _("The draft was saved.")
            elif action == "accept":
                services.project_report_accept(obligation=obligation, by=user)
                message = _("Accepted.")
            elif action == "return":
                services.project_report_return(obligation=obligation, by=user, reason=request.POST.get("reason", ""))
                message = _("Returned to the region with your reason.")
            else:
                raise Http404
        except AlreadyHandled as exc:
            messages.warning(request, exc.message)
            return HttpResponseRedirect(obligation.get_absolute_url())
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except LifecycleError as exc:
            if form is not None:
                field = {"files": "evidence", "milestones": None}.get(exc.field, exc.field)
                form.add_error(field if field in form.fields else None, exc.message)
                context = self.context(request, obligation, form)
            else:
                context = self.context(request, obligation, error=exc.message)
                context["reason"] = request.POST.get("reason", "")
            return render(request, "processes/project_report.html", context, status=400)
        messages.success(request, message)
        return HttpResponseRedirect(obligation.get_absolute_url())


__all__ = [
    "ProjectEditView",
    "ProjectMilestonesView",
    "ProjectNewView",
    "ProjectReportView",
    "ProjectStepView",
    "ProjectView",
    "ProjectsView",
]
