"""Forms of the 项目库 pages: a region's project, the office's decisions on it, its 倒排工期 and its bimonthly report.

The forms check the shape of what is typed; the services (processes.services.projects) decide what a project may be,
and their refusals (``InvalidInput(field=…)``) are put back on the field they name (:func:`add_service_error`)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from processes.forms import MultipleFileField, MultipleFileInput
from processes.models import ProjectField, ProjectMilestone, Unit
from processes.services.lifecycle import InvalidInput
from processes.services.projects import ProjectData, parse_amount

#: "2023:8000", "2023：8000.50", "2023年 8000" — one year and its amount a line (or separated by ；/;).
YEARLY_ENTRY = re.compile(r"^\s*(\d{4})\s*年?\s*[:：=\s]\s*([\d,，.]+)\s*(万元)?\s*$")


def add_service_error(form: forms.Form, error: InvalidInput) -> None:
    """Show a service's refusal on the field it names, else above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def parse_yearly(text: str) -> dict[int, Decimal]:
    """The per-year planned amounts typed as ``2023:8000`` lines."""
    yearly: dict[int, Decimal] = {}
    for entry in re.split(r"[\n;；]+", text or ""):
        if not entry.strip():
            continue
        match = YEARLY_ENTRY.match(entry)
        if match is None:
            raise forms.ValidationError(
                _("Write one year and its amount a line, such as 2023:8000 (%(entry)s)."),
                params={"entry": entry.strip()},
            )
        year = int(match.group(1))
        if year in yearly:
            raise forms.ValidationError(_("%(year)s is given twice."), params={"year": year})
        try:
            yearly[year] = parse_amount(match.group(2), field="yearly")
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None
    return yearly


def yearly_text(yearly: dict[int, Decimal]) -> str:
    return "\n".join(f"{year}:{value}" for year, value in sorted(yearly.items()))


class ProjectForm(forms.Form):
    """What a region enters of a project (新增项目), and what it or the office corrects later."""

    region = forms.ModelChoiceField(label=_("Region"), queryset=Unit.objects.none(), empty_label=None)
    company = forms.CharField(label=_("Company (企业名称)"), max_length=200, required=False)
    name = forms.CharField(label=_("Project (项目名称)"), max_length=300)
    scale = forms.CharField(
        label=_("Scale and content (建设规模及内容)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    field = forms.ModelChoiceField(
        label=_("Field (领域)"), queryset=ProjectField.objects.all(), required=False, empty_label="—"
    )
    start_year = forms.IntegerField(label=_("Construction from (year)"), min_value=2000, max_value=2100)
    end_year = forms.IntegerField(label=_("Construction to (year)"), min_value=2000, max_value=2100)
    planned_investment = forms.DecimalField(
        label=_("Planned investment (计划总投资, 万元)"), min_value=Decimal(0), max_digits=14, decimal_places=2
    )
    yearly = forms.CharField(
        label=_("Planned investment by year (万元)"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2023:8000\n2024:4000"}),
        required=False,
        help_text=_("One year a line: 2023:8000. Leave it empty to spread the total evenly over the years."),
    )
    responsible_unit = forms.ModelChoiceField(
        label=_("Responsible unit (责任单位)"), queryset=Unit.objects.none(), required=False, empty_label="—"
    )
    responsible_text = forms.CharField(label=_("Or the responsible unit as written"), max_length=300, required=False)
    contact = forms.CharField(label=_("Contact (联系人)"), max_length=100, required=False)
    contact_phone = forms.CharField(label=_("Contact phone (联系电话)"), max_length=50, required=False)

    def __init__(self, *args: Any, regions: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["region"]).queryset = regions
        cast(forms.ModelChoiceField, self.fields["responsible_unit"]).queryset = Unit.objects.filter(
            is_active=True
        ).order_by("level", "position", "code")

    def clean_yearly(self) -> dict[int, Decimal]:
        return parse_yearly(self.cleaned_data.get("yearly", ""))

    def data_for_service(self) -> ProjectData:
        data = self.cleaned_data
        return ProjectData(
            name=data["name"],
            region=data["region"],
            start_year=data["start_year"],
            end_year=data["end_year"],
            planned_investment=data["planned_investment"],
            company=data["company"],
            scale=data["scale"],
            field=data["field"],
            responsible_unit=data["responsible_unit"],
            responsible_text=data["responsible_text"].strip(),
            contact=data["contact"].strip(),
            contact_phone=data["contact_phone"].strip(),
            yearly=data["yearly"],
        )


class ProjectReportForm(forms.Form):
    """A region's report on a project: the period's figures (or, for a milestone owed, only the day it was reached),
    形象进度, the milestones reached, 难点堵点, 需协调事项 and photos."""

    invested_period = forms.DecimalField(
        label=_("Invested this period (本期完成投资, 万元)"),
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        required=False,
    )
    invested_total = forms.DecimalField(
        label=_("Invested to date (累计完成投资, 万元)"),
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        required=False,
    )
    image_progress = forms.CharField(
        label=_("Progress on site (形象进度)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    problems = forms.CharField(
        label=_("Difficulties (难点堵点)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    coordination = forms.CharField(
        label=_("Requests for coordination (需协调事项)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    evidence = MultipleFileField(
        label=_("Photos (现场照片)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf,.docx,.xlsx"}),
    )

    def __init__(self, *args: Any, milestones: list[ProjectMilestone], amounts: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.milestones = milestones
        self.amounts = amounts
        if not amounts:
            del self.fields["invested_period"], self.fields["invested_total"]
        for milestone in milestones:
            self.fields[f"milestone_{milestone.pk}"] = forms.DateField(
                label=milestone.label,
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
                help_text=_("Planned for %(day)s; give the day it was reached, if it was.")
                % {"day": milestone.planned_date.isoformat()},
            )

    def milestone_fields(self) -> list[forms.BoundField]:
        return [self[f"milestone_{milestone.pk}"] for milestone in self.milestones]

    def other_fields(self) -> list[forms.BoundField]:
        return [field for field in self if not field.name.startswith("milestone_")]

    def reached(self) -> dict[int, Any]:
        found = {}
        for milestone in self.milestones:
            day = self.cleaned_data.get(f"milestone_{milestone.pk}")
            if day:
                found[milestone.pk] = day
        return found
