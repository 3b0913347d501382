"""项目库: an office's library of construction projects (谋划储备 → 申报入库 → 已入库 → 在建 → 建成投运, or 退库), their
倒排工期 milestones, their planned investment per year, and what each bimonthly report said of them.

A project is tracked on the ladder through the item its region holds of the library's reporting task (the annex's
task 18, 各地紧盯列入第一批项目库清单的项目 … 每两月及时上报各项目进展情况): its milestones, its bimonthly reports and
an investment lag are obligations of that item, so they climb the plan's ladder like any other."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from .assignments import Report
from .units import Unit


class FieldGroup(models.TextChoices):
    FIVE_FIELDS = "field", _("五大领域")
    SEVEN_WORKS = "works", _("七大工程")


class ProjectField(models.Model):
    """A category a project is filed under: one of the 五大领域 or the 七大工程, as the office names them."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    group = models.CharField(_("group"), max_length=8, choices=FieldGroup.choices, default=FieldGroup.FIVE_FIELDS)
    aliases = models.CharField(
        _("other spellings"), max_length=300, blank=True, help_text=_("Separated by ；, as a table may write it.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("project field")
        verbose_name_plural = _("project fields")
        ordering = ["group", "position", "name"]

    def __str__(self) -> str:
        return self.name


class ProjectLibrary(models.Model):
    """An office's project library (项目库): who approves its projects, which task of the office's plans carries them
    on the ladder, how often they are reported on, and how far behind plan investment may fall before it warns."""

    office = models.OneToOneField(
        Unit,
        verbose_name=_("office"),
        on_delete=models.PROTECT,
        related_name="project_library",
        limit_choices_to={"is_office": True},
    )
    name = models.CharField(_("name"), max_length=200)
    task_number = models.CharField(
        _("reporting task"),
        max_length=20,
        blank=True,
        help_text=_(
            "The 序号 of the task of the office's plan whose regional items carry the projects (每两月及时上报各项目"
            "进展情况): a project's milestones and reports climb the ladder of that item."
        ),
    )
    report_months = models.PositiveSmallIntegerField(
        _("report every (months)"), default=2, help_text=_("2: every two months (1–2月, 3–4月 …).")
    )
    report_due_day = models.PositiveSmallIntegerField(
        _("reports due on day"),
        default=5,
        help_text=_("Day of the month after the period; moved to the next working day when it is not one."),
    )
    lag_threshold = models.DecimalField(
        _("investment lag threshold (percentage points)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        help_text=_(
            "A project whose 累计完成投资 is behind its 序时进度 of planned investment by more than this many "
            "points of its 计划总投资 owes an explanation, which climbs the ladder."
        ),
    )

    class Meta:
        verbose_name = _("project library")
        verbose_name_plural = _("project libraries")
        ordering = ["office__level", "office__position", "office__code"]
        constraints = [
            models.CheckConstraint(condition=Q(report_months__in=[1, 2, 3, 6, 12]), name="library_months_divide_year"),
            models.CheckConstraint(
                condition=Q(report_due_day__gte=1, report_due_day__lte=28), name="library_due_day_1_28"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("plans:project_ledger", kwargs={"office": self.office.code})


class ProjectState(models.TextChoices):
    RESERVE = "reserve", _("谋划储备")
    PROPOSED = "proposed", _("申报入库")
    ADMITTED = "admitted", _("已入库")
    BUILDING = "building", _("在建")
    COMPLETED = "completed", _("建成投运")
    WITHDRAWN = "withdrawn", _("退库")


#: A project the library counts (入库 and after, not withdrawn).
IN_LIBRARY_STATES = (ProjectState.ADMITTED, ProjectState.BUILDING, ProjectState.COMPLETED)


def _manages(project: Any, user: Any) -> bool:
    from processes.rules import manages_project_library

    return manages_project_library(user, project.library)


def _proposes(project: Any, user: Any) -> bool:
    from processes.rules import proposes_project

    return proposes_project(user, project)


class Project(ConcurrentTransitionMixin, models.Model):
    """A construction project (建设项目) of a region in an office's library."""

    library = models.ForeignKey(
        ProjectLibrary, verbose_name=_("library"), on_delete=models.PROTECT, related_name="projects"
    )
    region = models.ForeignKey(
        Unit, verbose_name=_("region"), on_delete=models.PROTECT, related_name="projects_of_region"
    )
    code = models.CharField(
        _("number"), max_length=30, blank=True, help_text=_("The 序号 of the table it came from, or the office's own.")
    )
    company = models.CharField(_("company (企业名称)"), max_length=200, blank=True)
    name = models.CharField(_("project (项目名称)"), max_length=300)
    scale = models.TextField(_("scale and content (建设规模及内容)"), blank=True)
    field = models.ForeignKey(
        ProjectField, verbose_name=_("field"), null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    batch = models.PositiveSmallIntegerField(
        _("batch"), null=True, blank=True, help_text=_("第一批: 1. Given when the office admits the project.")
    )
    start_year = models.PositiveSmallIntegerField(_("construction from (year)"))
    end_year = models.PositiveSmallIntegerField(_("construction to (year)"))
    planned_investment = models.DecimalField(
        _("planned investment (万元)"), validators=[MinValueValidator(Decimal(0))], max_digits=14, decimal_places=2
    )
    responsible_unit = models.ForeignKey(
        Unit,
        verbose_name=_("responsible unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects_responsible",
    )
    responsible_text = models.CharField(_("responsible unit as written"), max_length=300, blank=True)
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=50, blank=True)
    state = FSMField(
        _("state"), max_length=16, choices=ProjectState.choices, default=ProjectState.RESERVE, protected=True
    )
    withdraw_reason = models.TextField(_("reason for leaving the library (退库)"), blank=True)
    withdraw_requested_at = models.DateTimeField(_("退库 requested at"), null=True, blank=True)
    withdraw_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("退库 requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    return_reason = models.TextField(_("reason sent back"), blank=True)
    source_file = models.CharField(_("imported from"), max_length=255, blank=True)
    source_row = models.PositiveIntegerField(_("source row"), null=True, blank=True)
    extra = models.JSONField(_("other columns"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["library", "region__position", "region__code", "batch", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["library", "region", "name"], name="one_project_of_a_name_per_region_and_library"
            ),
            models.CheckConstraint(condition=Q(end_year__gte=models.F("start_year")), name="project_years_ordered"),
            models.CheckConstraint(condition=Q(planned_investment__gte=0), name="project_investment_not_negative"),
            models.CheckConstraint(
                condition=~Q(state__in=["admitted", "building", "completed"]) | Q(batch__isnull=False),
                name="a_project_in_the_library_has_a_batch",
            ),
            models.CheckConstraint(
                condition=~Q(state="withdrawn") | ~Q(withdraw_reason=""), name="a_withdrawn_project_has_a_reason"
            ),
        ]
        indexes = [models.Index(fields=["library", "state"], name="project_library_state_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("plans:project", kwargs={"pk": self.pk})

    @property
    def in_library(self) -> bool:
        return self.state in IN_LIBRARY_STATES

    @property
    def years(self) -> str:
        if self.start_year == self.end_year:
            return f"{self.start_year}年"
        return f"{self.start_year}—{self.end_year}年"

    @property
    def batch_label(self) -> str:
        return batch_label(self.batch)

    # The lifecycle. Each transition is taken by a service (processes.services.projects), which writes the event.

    @transition(field=state, source=[ProjectState.RESERVE], target=ProjectState.PROPOSED, permission=_proposes)
    def propose(self) -> None:
        """The region asks for the project to be admitted into the library (申报入库)."""

    @transition(field=state, source=[ProjectState.PROPOSED], target=ProjectState.ADMITTED, permission=_manages)
    def admit(self) -> None:
        """The office admits it into a batch (入库)."""

    @transition(field=state, source=[ProjectState.PROPOSED], target=ProjectState.RESERVE, permission=_manages)
    def send_back(self) -> None:
        """The office sends it back to the region, with a reason."""

    @transition(field=state, source=[ProjectState.ADMITTED], target=ProjectState.BUILDING)
    def start(self) -> None:
        """Its 开工 milestone was reached (taken by an accepted report)."""

    @transition(field=state, source=[ProjectState.ADMITTED, ProjectState.BUILDING], target=ProjectState.COMPLETED)
    def complete(self) -> None:
        """Its 竣工投运 milestone was reached (taken by an accepted report)."""

    @transition(field=state, source=list(IN_LIBRARY_STATES), target=ProjectState.WITHDRAWN, permission=_manages)
    def withdraw(self) -> None:
        """The office approves taking it out of the library (退库), with the reason asked for."""


def batch_label(batch: int | None) -> str:
    """第一批, 第二批 … (the way the notice names them)."""
    if not batch:
        return ""
    digits = "零一二三四五六七八九"
    if batch < 10:
        number = digits[batch]
    elif batch < 20:
        number = "十" + (digits[batch % 10] if batch % 10 else "")
    else:
        number = str(batch)
    return f"第{number}批"


class ProjectInvestment(models.Model):
    """The investment planned for a year of the project's construction (分年度计划投资)."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="yearly")
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(
        _("planned (万元)"), validators=[MinValueValidator(Decimal(0))], max_digits=14, decimal_places=2
    )

    class Meta:
        verbose_name = _("planned investment of a year")
        verbose_name_plural = _("planned investment by year")
        ordering = ["project", "year"]
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="one_planned_amount_per_year")]

    def __str__(self) -> str:
        return f"{self.year}: {self.amount}"


class MilestoneKind(models.TextChoices):
    PREPARATION = "preparation", _("前期手续")
    GROUNDBREAKING = "start", _("开工")
    MAIN_WORKS = "main_works", _("主体完工")
    OPERATION = "operation", _("竣工投运")
    OTHER = "other", _("其他")


#: The four milestones every project gets, in their order (the office may add others).
STANDARD_MILESTONES = (
    MilestoneKind.PREPARATION,
    MilestoneKind.GROUNDBREAKING,
    MilestoneKind.MAIN_WORKS,
    MilestoneKind.OPERATION,
)


class ProjectMilestone(models.Model):
    """A milestone of the project's 倒排工期: planned, then reached (as reported, then as accepted)."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(_("kind"), max_length=16, choices=MilestoneKind.choices)
    label = models.CharField(_("milestone"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    planned_date = models.DateField(_("planned date"))
    actual_date = models.DateField(_("reached on"), null=True, blank=True)
    confirmed = models.BooleanField(
        _("confirmed"), default=False, help_text=_("The office accepted the report that says it was reached.")
    )

    class Meta:
        verbose_name = _("project milestone")
        verbose_name_plural = _("project milestones")
        ordering = ["project", "position", "planned_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "label"], name="one_milestone_of_a_name_per_project"),
            models.UniqueConstraint(
                fields=["project", "kind"], condition=~Q(kind="other"), name="one_standard_milestone_of_a_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.label}"

    @property
    def reached(self) -> bool:
        return self.actual_date is not None


class ProjectProgress(models.Model):
    """The project figures of one bimonthly report (or of an explanation of a lag). The report itself — 形象进度 as
    its text, 难点堵点 as its problems, photos as its evidence — is a progress report of the region's item, so it is
    drafted, submitted, accepted and returned the same way."""

    report = models.OneToOneField(
        Report, verbose_name=_("report"), on_delete=models.PROTECT, related_name="project_progress"
    )
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="progress")
    invested_period = models.DecimalField(
        _("invested this period (万元)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        max_digits=14,
        decimal_places=2,
    )
    invested_total = models.DecimalField(
        _("invested to date (万元)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        max_digits=14,
        decimal_places=2,
    )
    coordination = models.TextField(_("requests for coordination (需协调事项)"), blank=True)
    milestones_reached = models.JSONField(
        _("milestones reached"), default=dict, blank=True, help_text=_("Milestone id → the date reached (ISO).")
    )
    expected_percent = models.DecimalField(
        _("序时进度 (%)"), max_digits=6, decimal_places=2, null=True, blank=True, help_text=_("At the period's end.")
    )

    class Meta:
        verbose_name = _("project progress")
        verbose_name_plural = _("project progress")
        ordering = ["project", "report__submitted_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(invested_total__gte=models.F("invested_period")), name="invested_to_date_covers_the_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.invested_total}"


class ProjectAction(models.TextChoices):
    ENTERED = "entered", _("Entered (谋划储备)")
    IMPORTED = "imported", _("Imported from a table")
    EDITED = "edited", _("Edited")
    PROPOSED = "proposed", _("Proposed for the library (申报入库)")
    ADMITTED = "admitted", _("Admitted into the library (入库)")
    SENT_BACK = "sent_back", _("Sent back")
    WITHDRAW_REQUESTED = "withdraw_requested", _("退库 requested")
    WITHDRAW_REFUSED = "withdraw_refused", _("退库 refused")
    WITHDRAWN = "withdrawn", _("Taken out of the library (退库)")
    MILESTONES_PLANNED = "milestones_planned", _("Milestones planned (倒排工期)")
    REPORTED = "reported", _("Progress reported")
    REPORT_ACCEPTED = "report_accepted", _("Progress report accepted")
    REPORT_RETURNED = "report_returned", _("Progress report returned")
    MILESTONE_REACHED = "milestone_reached", _("Milestone reached")
    STARTED = "started", _("Construction started (在建)")
    COMPLETED = "completed", _("Completed and in operation (建成投运)")
    LAGGING = "lagging", _("Investment behind schedule (序时进度)")


class ProjectEventQuerySet(models.QuerySet["ProjectEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ValidationError(_("The timeline of a project cannot be changed."))

    def delete(self) -> NoReturn:
        raise ValidationError(_("The timeline of a project cannot be deleted."))


class ProjectEvent(models.Model):
    """The project's timeline: one row per change, written in the same transaction; never edited."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=32, choices=ProjectAction.choices)
    source = models.CharField(_("from"), max_length=16, choices=ProjectState.choices, blank=True)
    target = models.CharField(_("to"), max_length=16, choices=ProjectState.choices, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = ProjectEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("project event")
        verbose_name_plural = _("project timeline")
        ordering = ["project", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.project} · {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValidationError(_("The timeline of a project cannot be changed."))
        super().save(*args, **kwargs)
