"""Admin: the unit tree, aliases and groups are edited here; plans are read here and changed only by imports."""

from __future__ import annotations

import hashlib
from pathlib import PurePath
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .holiday_notice import HolidayNoticeError
from .models import (
    Assignment,
    AssignmentTransition,
    Bulletin,
    BulletinPiece,
    CalendarOverride,
    CalendarYear,
    Distribution,
    DocumentSettings,
    Evidence,
    ExtensionRequest,
    FiredRung,
    Indicator,
    LadderRung,
    Milestone,
    Notice,
    Obligation,
    Pairing,
    Plan,
    PlanImport,
    Project,
    ProjectEvent,
    ProjectField,
    ProjectInvestment,
    ProjectLibrary,
    ProjectMilestone,
    Recipient,
    RegionWarning,
    RegionWarningRule,
    Report,
    Round,
    ScoringScheme,
    Sweep,
    Task,
    Unit,
    UnitAlias,
    UnitGroup,
    UnitGroupAlias,
    User,
    Visit,
    VisitRating,
)
from .rules import can_import_plans
from .services.assessment import weights_check
from .services.calendar_years import NoticeReading, calendar_year_confirm, holiday_notice_read
from .services.lifecycle import InvalidInput, NotAllowed
from .services.pairings import pairing_check, visits_sync, visits_task


class ReadOnlyAdminMixin:
    """Records the app writes itself (imports, history): visible to the office, never edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def private_file_link(file: FieldFile, url_name: str, pk: int) -> str:
    """A file in private storage, as the admin shows it: a link to the view that checks who reads it (the storage
    gives such a file no URL, and a FileField shown as is would ask for one), or nothing when there is no file."""
    if not file:
        return "—"
    return format_html('<a href="{}">{}</a>', reverse(url_name, kwargs={"pk": pk}), PurePath(file.name or "").name)


class UnitAliasInline(admin.TabularInline):
    model = UnitAlias
    extra = 1


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "short_name", "level", "parent", "is_office", "requires_signoff", "is_active")
    list_filter = ("level", "is_office", "requires_signoff", "is_active")
    search_fields = ("code", "name", "short_name", "aliases__name")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    inlines = [UnitAliasInline]


class UnitGroupAliasInline(admin.TabularInline):
    model = UnitGroupAlias
    extra = 1


@admin.register(UnitGroup)
class UnitGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "member_count")
    search_fields = ("name", "aliases__name")
    filter_horizontal = ("members",)
    inlines = [UnitGroupAliasInline]

    @admin.display(description=_("members"))
    def member_count(self, obj: UnitGroup) -> int:
        return obj.members.count()


@admin.register(User)
class AppUserAdmin(UserAdmin):
    list_display = ("username", "last_name", "first_name", "unit", "role", "is_signer", "is_active")
    list_filter = ("role", "is_signer", "unit__level", "is_active", "is_staff")
    list_select_related = ("unit",)
    autocomplete_fields = ("unit",)
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("Unit and role"), {"fields": ("unit", "role", "is_signer", "phone")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (_("Unit and role"), {"fields": ("unit", "role", "is_signer", "email")}),
    )


class TaskInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Task
    fields = ("number", "category", "text", "units_text", "deadline_text", "deadline_kind", "due_date", "frequency")
    readonly_fields = fields
    show_change_link = True


class LadderRungForm(forms.ModelForm):
    recipients = forms.MultipleChoiceField(
        label=_("recipients"), choices=Recipient.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = LadderRung
        fields = (
            "position",
            "code",
            "name",
            "offset_workdays",
            "recipients",
            "document",
            "light",
            "response_workdays",
            "copy_to",
            "issue_unsigned",
        )


class LadderRungInline(admin.TabularInline):
    """The plan's escalation ladder, edited where the plan is."""

    model = LadderRung
    form = LadderRungForm
    extra = 0


def _office_of(request: HttpRequest) -> int | None:
    """The office whose rows a staff member of a city's (district's) office sees in the admin; ``None``: every
    office's (the provincial office's people, superusers)."""
    from processes.rules import sees_everything

    if sees_everything(request.user):
        return None
    return getattr(request.user, "unit_id", None) or 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Each office's plans; a city's (district's) office's staff see only their own office's."""

    list_display = ("year", "issuer", "title", "doc_no", "round_frequency", "round_due_day", "updated_at")
    list_filter = ("year", "issuer")
    list_select_related = ("issuer",)
    fields = ("issuer", "year", "title", "doc_no", "round_frequency", "round_due_day")
    readonly_fields = ("issuer", "year")
    inlines = [LadderRungInline, TaskInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        office = _office_of(request)
        plans = super().get_queryset(request)
        return plans if office is None else plans.filter(issuer_id=office)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # plans come from imports

    def has_delete_permission(self, request: HttpRequest, obj: Plan | None = None) -> bool:
        return False  # a plan carries the history of its assignments


class MilestoneInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Milestone
    fields = ("label", "due_date", "expected_outcome")
    readonly_fields = fields


@admin.register(Task)
class TaskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("plan", "number", "category", "short_text", "deadline_kind", "due_date", "frequency")
    list_filter = ("plan", "deadline_kind", "frequency")
    search_fields = ("number", "text", "units_text")
    inlines = [MilestoneInline]

    @admin.display(description=_("task"))
    def short_text(self, obj: Task) -> str:
        return obj.text[:50]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("task", "unit", "role", "state", "due_date")
    list_filter = ("state", "role", "task__plan", "unit")
    list_select_related = ("task", "unit")
    search_fields = ("task__text", "task__number", "unit__name")


@admin.register(AssignmentTransition)
class AssignmentTransitionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("assignment", "action", "source", "target", "by", "at")
    list_filter = ("action", "target")
    list_select_related = ("assignment__task", "assignment__unit", "by")


@admin.register(PlanImport)
class PlanImportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("plan", "filename", "imported_by", "imported_at", "sha256")
    list_filter = ("plan",)


class EvidenceInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Evidence
    fields = ("download", "content_type", "size", "sha256")
    readonly_fields = fields

    @admin.display(description=_("file"))
    def download(self, obj: Evidence) -> str:
        # Through the scope-checked view: private files have no public URL.
        return format_html('<a href="{}">{}</a>', reverse("plans:evidence", kwargs={"pk": obj.pk}), obj.original_name)


@admin.register(Report)
class ReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("assignment", "kind", "submitted_by", "submitted_at")
    list_filter = ("kind",)
    list_select_related = ("assignment__task", "assignment__unit", "submitted_by")
    fields = ("assignment", "kind", "text", "submitted_by", "submitted_at")
    readonly_fields = fields
    inlines = [EvidenceInline]


@admin.register(Round)
class RoundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("title", "plan", "period_start", "period_end", "due_date", "opened_at", "closed_at")
    list_filter = ("plan",)


@admin.register(Obligation)
class ObligationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("assignment", "kind", "label", "due_date", "state", "late", "submitted_at")
    list_filter = ("kind", "state", "late", "assignment__task__plan")
    list_select_related = ("assignment__task", "assignment__unit")


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    """Corrections to the official calendar. The list warns of years not confirmed yet (statutory holidays are
    assumed, provisionally, until the office pastes the State Council's notice) and of days where chinesecalendar
    and holidays disagree."""

    list_display = ("date", "is_workday", "note")
    ordering = ("-date",)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        from django.utils import timezone

        from processes import workdays

        this_year = timezone.localdate().year
        for year in (this_year, this_year + 1):
            if workdays.is_provisional(year):
                messages.warning(
                    request,
                    format_html(
                        '{} <a href="{}">{}</a>',
                        _(
                            "The holiday arrangements of %(year)s are not confirmed yet: the statutory holidays are "
                            "assumed (without make-up workdays), provisionally."
                        )
                        % {"year": year},
                        reverse("admin:processes_calendaryear_add"),
                        _("Paste the State Council's notice to confirm them."),
                    ),
                )
            elif disagreements := workdays.discrepancies(year):
                messages.warning(
                    request,
                    _("chinesecalendar and holidays disagree on %(days)s: add a correction to settle each day.")
                    % {"days": ", ".join(day.isoformat() for day in disagreements)},
                )
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        from processes import workdays

        workdays.refresh()


class HolidayNoticeForm(forms.Form):
    text = forms.CharField(
        label=_("Text of the notice"),
        widget=forms.Textarea(attrs={"rows": 18, "cols": 100}),
        help_text=_("国务院办公厅关于YYYY年部分节假日安排的通知, pasted as published: title, items and date."),
    )

    def clean_text(self) -> NoticeReading:
        try:
            return holiday_notice_read(text=self.cleaned_data["text"])
        except HolidayNoticeError as exc:
            raise forms.ValidationError(str(exc)) from exc


def _notice_digest(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """Years confirmed from the State Council's notice. Adding one is pasting the notice: 读取 shows the year, its
    days off and make-up working days; 确认 confirms them (a year already confirmed gets the new days)."""

    list_display = ("year", "holiday_count", "workday_count", "confirmed_at", "confirmed_by")
    fields = ("year", "holidays", "workdays", "notice_text", "confirmed_at", "confirmed_by")
    readonly_fields = fields

    @admin.display(description=_("days off"))
    def holiday_count(self, obj: CalendarYear) -> int:
        return len(obj.holidays)

    @admin.display(description=_("make-up working days"))
    def workday_count(self, obj: CalendarYear) -> int:
        return len(obj.workdays)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and can_import_plans(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the days are the notice's: paste it again to change them

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        if not self.has_add_permission(request) or not isinstance(request.user, User):
            raise PermissionDenied
        form = HolidayNoticeForm(request.POST or None)
        reading: NoticeReading | None = None
        if request.method == "POST" and form.is_valid():
            reading = form.cleaned_data["text"]
            text = form.data["text"]
            if "confirm" in request.POST and request.POST.get("read") == _notice_digest(text):
                try:
                    confirmed = calendar_year_confirm(text=text, by=request.user)
                except (InvalidInput, NotAllowed) as exc:
                    messages.error(request, str(exc))
                else:
                    messages.success(
                        request,
                        _("The holiday arrangements of %(year)s are confirmed.") % {"year": confirmed.year},
                    )
                    return redirect("admin:processes_calendaryear_changelist")
            elif "confirm" in request.POST:
                messages.warning(request, _("The text changed since it was read: check the days again, then confirm."))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Confirm a year's holidays from the State Council's notice"),
            "opts": self.opts,
            "form": form,
            "reading": reading,
            "read": _notice_digest(form.data["text"]) if reading else "",
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/processes/calendaryear/paste.html", context)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        from processes import workdays

        workdays.refresh()

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        super().delete_queryset(request, queryset)
        from processes import workdays

        workdays.refresh()


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "doc_no",
        "title",
        "kind",
        "state",
        "office",
        "unit",
        "drafted_on",
        "issued_on",
        "signed_by",
        "answered_at",
    )
    list_filter = ("kind", "state", "year", "office")

    def get_queryset(self, request: HttpRequest) -> Any:
        office = _office_of(request)
        notices = super().get_queryset(request)
        return notices if office is None else notices.filter(office_id=office)

    search_fields = ("doc_no", "title", "unit__name")
    exclude = ("pdf",)  # private: shown as a link to the view that serves it
    readonly_fields = ("pdf_link",)

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: Notice) -> str:
        return private_file_link(obj.pdf, "plans:notice_pdf", obj.pk)


@admin.register(DocumentSettings)
class DocumentSettingsAdmin(admin.ModelAdmin):
    """Each issuing office's particulars for its documents: one row per office, made on first use (the provincial
    office's when the list is opened); a city's (district's) office's staff see only their own."""

    list_display = (
        "issuer",
        "office",
        "warning_code",
        "supervision_code",
        "circular_code",
        "bulletin_masthead",
        "remind_after_workdays",
    )
    list_select_related = ("office",)
    fieldsets = (
        (_("Issuer"), {"fields": ("office", "issuer", "printed_by")}),
        (_("代字 of the document numbers"), {"fields": ("warning_code", "supervision_code", "circular_code")}),
        (_("Bulletin"), {"fields": ("bulletin_masthead",)}),
        (
            _("Fonts (first installed one is used)"),
            {"fields": ("title_fonts", "body_fonts", "heading_fonts", "kai_fonts", "song_fonts")},
        ),
        (_("Signing"), {"fields": ("remind_after_workdays",)}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: DocumentSettings | None = None) -> Any:
        return ("office",) if obj is not None else ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made on first use, one per office

    def has_delete_permission(self, request: HttpRequest, obj: DocumentSettings | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        office = _office_of(request)
        rows = super().get_queryset(request)
        return rows if office is None else rows.filter(office_id=office)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, object] | None = None) -> HttpResponse:
        """The offices' rows; the provincial office's is made first, so that the list is never empty. With one row,
        straight to it."""
        DocumentSettings.current()
        rows = self.get_queryset(request)
        if rows.count() == 1:
            return HttpResponseRedirect(reverse("admin:processes_documentsettings_change", args=[rows.get().pk]))
        return super().changelist_view(request, extra_context)


@admin.register(FiredRung)
class FiredRungAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("fired_on", "rung", "obligation", "cycle", "due_date", "notice", "sweep")
    list_filter = ("rung__code", "fired_on")
    list_select_related = ("rung", "obligation__assignment__task", "obligation__assignment__unit", "notice")


@admin.register(Sweep)
class SweepAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each run of the deadline sweep: the day it swept, when, and what it fired and wrote."""

    list_display = ("day", "started_at", "fired", "messages")
    date_hierarchy = "day"


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("assignment", "old_date", "new_date", "state", "requested_by", "decided_by")
    list_filter = ("state",)


class PairingForm(forms.ModelForm):
    """A pairing is checked by the service's rules (no region paired twice at one level at once, the leader in the
    paired unit, within the plan's year); the task of the visits defaults to the plan's 包保 task."""

    class Meta:
        model = Pairing
        fields = ("plan", "level", "unit", "leader", "regions", "start", "end", "visit_every_months", "task", "note")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["task"].required = False
        self.fields["task"].help_text = _("Left empty: the plan's task on visiting the paired regions.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        plan, unit = data.get("plan"), data.get("unit")
        if plan is None or unit is None:
            return data
        task = data.get("task") or visits_task(plan)
        if task is None:
            self.add_error("task", _("The plan has no task on visiting the paired regions: choose one."))
            return data
        if task.plan_id != plan.pk:
            self.add_error("task", _("Choose a task of the same plan."))
            return data
        data["task"] = task
        try:
            pairing_check(
                level=data.get("level", ""),
                leader=data.get("leader"),
                unit=unit,
                regions=list(data.get("regions") or []),
                task=task,
                start=data.get("start"),
                end=data.get("end"),
                exclude=self.instance.pk,
            )
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from exc
        return data


@admin.register(Pairing)
class PairingAdmin(admin.ModelAdmin):
    form = PairingForm
    list_display = ("__str__", "plan", "level", "unit", "leader", "start", "end", "visit_every_months")
    list_filter = ("plan", "level")
    filter_horizontal = ("regions",)
    autocomplete_fields = ("leader",)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        created = visits_sync(form.instance, by=request.user if isinstance(request.user, User) else None)
        if created:
            messages.info(request, _("%(count)s visits owed were scheduled.") % {"count": created})


class VisitRatingInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = VisitRating
    fields = ("area", "score")


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("region", "visited_on", "pairing", "outcome", "reason", "notice", "recorded_by")
    list_filter = ("outcome", "reason", "pairing__plan")
    fields = (
        "pairing",
        "region",
        "visited_on",
        "participants",
        "findings",
        "outcome",
        "reason",
        "notice",
        "obligation",
    )
    readonly_fields = fields
    inlines = [VisitRatingInline]


class IndicatorFormSet(forms.BaseInlineFormSet):
    """The weights of the indicators kept must add up to the scheme's total."""

    def clean(self) -> None:
        super().clean()
        total = getattr(self.instance, "total", None)
        if total is None or any(form.errors for form in self.forms):
            return
        weights = [
            form.cleaned_data["weight"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("weight") is not None
        ]
        try:
            weights_check(total, weights)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from exc


class IndicatorInline(admin.TabularInline):
    model = Indicator
    formset = IndicatorFormSet
    fields = ("position", "metric", "weight")
    extra = 0


@admin.register(ScoringScheme)
class ScoringSchemeAdmin(admin.ModelAdmin):
    list_display = ("name", "plan", "total", "created_at")
    list_filter = ("plan",)
    inlines = [IndicatorInline]


@admin.register(RegionWarningRule)
class RegionWarningRuleAdmin(admin.ModelAdmin):
    list_display = ("plan", "enabled", "late_share", "schedule_gap", "minimum_items", "period_months")


@admin.register(RegionWarning)
class RegionWarningAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("region", "day", "period_start", "period_end", "late", "items", "elapsed", "progress")
    list_filter = ("plan", "period_start")
    fields = ("plan", "region", "day", "period_start", "period_end", "reasons", "items", "late", "elapsed", "progress")
    readonly_fields = fields


@admin.register(Distribution)
class DistributionAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "line", "office", "position", "active")
    list_filter = ("line", "office", "active")
    list_editable = ("position", "active")


class BulletinPieceInline(ReadOnlyAdminMixin, admin.StackedInline):
    model = BulletinPiece
    fields = ("position", "headline", "text", "report")
    readonly_fields = fields
    extra = 0


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "plan", "office", "state", "period_start", "period_end", "issued_on", "published_at")
    list_filter = ("state", "year", "office")

    def get_queryset(self, request: HttpRequest) -> Any:
        office = _office_of(request)
        bulletins = super().get_queryset(request)
        return bulletins if office is None else bulletins.filter(office_id=office)

    exclude = ("figures", "pdf")  # the PDF is private: shown as a link to the view that serves it
    readonly_fields = ("pdf_link",)
    inlines = [BulletinPieceInline]

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: Bulletin) -> str:
        return private_file_link(obj.pdf, "plans:bulletin_pdf", obj.pk)


@admin.register(ProjectField)
class ProjectFieldAdmin(admin.ModelAdmin):
    """The 五大领域 and 七大工程 projects are filed under, as the office names them."""

    list_display = ("name", "group", "aliases", "position")
    list_filter = ("group",)
    list_editable = ("position",)


@admin.register(ProjectLibrary)
class ProjectLibraryAdmin(admin.ModelAdmin):
    """Each office's library: its reporting task, how often projects report, the investment lag that warns."""

    list_display = ("name", "office", "task_number", "report_months", "report_due_day", "lag_threshold")
    list_select_related = ("office",)

    def get_queryset(self, request: HttpRequest) -> Any:
        office = _office_of(request)
        libraries = super().get_queryset(request)
        return libraries if office is None else libraries.filter(office_id=office)


class ProjectInvestmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ProjectInvestment
    fields = ("year", "amount")
    extra = 0


class ProjectMilestoneInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ProjectMilestone
    fields = ("label", "kind", "planned_date", "actual_date", "confirmed")
    extra = 0


class ProjectEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ProjectEvent
    fields = ("at", "action", "source", "target", "by", "comment")
    extra = 0


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Projects are entered, decided and reported on in the app (their timeline records every step); read here."""

    list_display = ("name", "region", "library", "state", "batch", "start_year", "end_year", "planned_investment")
    list_filter = ("library", "state", "batch", "field")
    list_select_related = ("region", "library")
    search_fields = ("name", "company")
    inlines = [ProjectInvestmentInline, ProjectMilestoneInline, ProjectEventInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        office = _office_of(request)
        projects = super().get_queryset(request)
        return projects if office is None else projects.filter(library__office_id=office)
