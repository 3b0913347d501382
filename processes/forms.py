"""Forms of the plan pages: the upload of a task list, the ledger's filters, reports, answers and visits."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from processes.importing.readers import SUPPORTED_SUFFIXES
from processes.models import (
    RATING_MAX,
    RATING_MIN,
    Assignment,
    AssignmentRole,
    AssignmentState,
    ConcernReason,
    FocusArea,
    Unit,
    UnitLevel,
    VisitOutcome,
)


class PlanUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Task list file"),
        help_text=_("The annex as published: .xlsx, .csv (UTF-8 or GB18030) or .docx."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUPPORTED_SUFFIXES)}),
    )
    issuer = forms.ModelChoiceField(
        label=_("Issued by"),
        queryset=Unit.objects.none(),
        to_field_name="code",
        required=False,
        help_text=_("The office whose plan this is: the province's, a city's or a district's."),
    )
    year = forms.IntegerField(label=_("Plan year"), min_value=2000, max_value=2100)
    title = forms.CharField(
        label=_("Title"), required=False, max_length=300, help_text=_("Leave empty to take the file's title row.")
    )
    doc_no = forms.CharField(label=_("Document number"), required=False, max_length=100)
    starts = forms.DateField(
        label=_("Takes effect on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "The plan's 印发/实施 date: its items count from this day. Leave empty for today; "
            "a plan already imported keeps its own."
        ),
    )

    def __init__(
        self,
        *args: Any,
        year: int | None = None,
        offices: QuerySet[Unit] | None = None,
        issuer: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = year or timezone.localdate().year
        offices = offices if offices is not None else Unit.objects.none()
        field = self.fields["issuer"]
        field.queryset = offices  # type: ignore[attr-defined]
        chosen = offices.filter(code=issuer).first() if issuer else None
        if chosen is None and offices:
            chosen = offices.filter(level=UnitLevel.PROVINCE).first() or offices.first()
        field.initial = chosen
        if offices.count() == 1:
            field.widget = forms.HiddenInput()

    def clean_issuer(self) -> Unit:
        """The office chosen; when none is (one office to choose from), the office the form offered."""
        issuer = self.cleaned_data.get("issuer") or self.fields["issuer"].initial
        if issuer is None:
            raise forms.ValidationError(_("Choose the office whose plan this is."))
        return issuer
        self.fields["doc_no"].widget.attrs["placeholder"] = "吉环固体字〔2023〕15号"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, year = cleaned.get("starts"), cleaned.get("year")
        if starts is not None and year is not None and starts.year != year:
            self.add_error("starts", _("The start must lie in the plan's year."))
        return cleaned

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        suffix = PurePath(upload.name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise forms.ValidationError(
                _("Unsupported file type “%(suffix)s”: upload the task list as .xlsx, .csv or .docx."),
                params={"suffix": suffix or "-"},
            )
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large: %(size).1f MB, the limit is %(limit).1f MB."),
                params={"size": upload.size / 1024 / 1024, "limit": settings.IMPORT_MAX_BYTES / 1024 / 1024},
            )
        return upload


class LedgerFilter(django_filters.FilterSet):
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=Unit.objects.none(), empty_label=_("All units"))
    state = django_filters.ChoiceFilter(
        label=_("State"), field_name="state_as_of", choices=AssignmentState.choices, empty_label=_("All states")
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"), field_name="task__category", choices=(), empty_label=_("All categories")
    )
    role = django_filters.ChoiceFilter(
        label=_("Lead / co"), choices=AssignmentRole.choices, empty_label=_("Lead and co")
    )
    q = django_filters.CharFilter(label=_("Search"), method="search")

    class Meta:
        model = Assignment
        fields = ["unit", "state", "category", "role"]

    def __init__(self, *args: Any, units: QuerySet[Unit], categories: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["unit"].queryset = units
        self.filters["category"].extra["choices"] = [(c, c) for c in categories]

    def search(self, queryset: QuerySet[Assignment], name: str, value: str) -> QuerySet[Assignment]:
        value = value.strip()
        if not value:
            return queryset
        if value.isdigit():
            return queryset.filter(task__number=value)
        return queryset.filter(task__text__icontains=value)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the lifecycle service, by content as well as by name."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class StepForm(forms.Form):
    """Every step names the item and the state the person saw, so that a stale page or a form tampered to name
    another item changes nothing."""

    assignment = forms.IntegerField(widget=forms.HiddenInput)
    state = forms.CharField(widget=forms.HiddenInput)


class CompletionReportForm(StepForm):
    text = forms.CharField(
        label=_("What was done"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("Describe the result and where the evidence shows it."),
    )
    evidence = MultipleFileField(
        label=_("Evidence files (佐证材料)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.docx,.xlsx"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"].help_text = _(
            "PDF, JPG, PNG, DOCX or XLSX; up to %(limit).0f MB each; several at once."
        ) % {"limit": settings.EVIDENCE_MAX_BYTES / 1024 / 1024}


class CommentForm(StepForm):
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ProgressReportForm(forms.Form):
    """A unit's progress report on one obligation (a round's report, an occurrence, a milestone)."""

    text = forms.CharField(label=_("Progress (进展情况)"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    percent = forms.IntegerField(
        label=_("Completion (完成进度, %)"),
        required=False,
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"step": 1}),
    )
    problems = forms.CharField(
        label=_("Problems and obstacles (存在问题 / 难点堵点)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    next_steps = forms.CharField(
        label=_("Next steps (下步计划)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    evidence = MultipleFileField(
        label=_("Evidence files (佐证材料)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.docx,.xlsx"}),
    )
    request_completion = forms.BooleanField(
        label=_("The task is done: also ask to close it out (申请销号)"), required=False
    )


class ManualRoundForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    period_start = forms.DateField(
        label=_("Period from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    period_end = forms.DateField(
        label=_("Period to"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    due_date = forms.DateField(
        label=_("Reports due"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class ExtensionForm(forms.Form):
    new_date = forms.DateField(
        label=_("New deadline"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class NoticeAnswerForm(forms.Form):
    text = forms.CharField(label=_("Answer (整改说明)"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    evidence = MultipleFileField(
        label=_("Evidence files (佐证材料)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.docx,.xlsx"}),
    )


class NoticeDraftForm(forms.Form):
    """What the signer may change in a draft before signing it."""

    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "One paragraph per line. 〔答复期限〕 becomes the answer's deadline, counted from the signing day."
        ),
    )
    copy_to = forms.CharField(label=_("Copy to (抄送)"), max_length=500, required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason for withdrawing"), widget=forms.Textarea(attrs={"rows": 2}))


class VisitForm(forms.Form):
    """A 包保 visit: the date, who went, a rating of each focus area, the findings and the outcome. The rules
    (not in the future, a reason for a warning …) are the service's; the form only reads the fields."""

    visited_on = forms.DateField(
        label=_("Visited on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    participants = forms.CharField(label=_("Participants"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=VisitOutcome.choices, initial=VisitOutcome.NONE, widget=forms.RadioSelect
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—"), *ConcernReason.choices], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scale = [(str(score), str(score)) for score in range(RATING_MIN, RATING_MAX + 1)]
        for area in FocusArea:
            self.fields[f"rating_{area.value}"] = forms.ChoiceField(
                label=area.label, choices=[("", "—"), *scale], required=False
            )

    def rating_fields(self) -> list[forms.BoundField]:
        return [self[f"rating_{area.value}"] for area in FocusArea]

    def ratings(self) -> dict[str, str]:
        return {area.value: self.cleaned_data.get(f"rating_{area.value}", "") for area in FocusArea}
