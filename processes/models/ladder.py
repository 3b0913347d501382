"""Deadlines that enforce themselves: the escalation ladder of each plan, the rungs that fired, the documents
they issued, the official calendar's corrections and confirmed years, and the requests to move a deadline."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .assignments import Assignment, private_storage
from .plans import Plan
from .units import Unit


class Light(models.TextChoices):
    GREEN = "green", _("On track")
    YELLOW = "yellow", _("Behind")
    RED = "red", _("Seriously late")


LIGHT_ORDER = {Light.GREEN: 0, Light.YELLOW: 1, Light.RED: 2}


class Recipient(models.TextChoices):
    REPORTERS = "reporters", _("The unit's reporters")
    LEADER = "leader", _("The unit's leader")
    SUPERVISORS = "supervisors", _("Supervisors over the unit")
    OFFICE = "office", _("The plan's issuing office (its admins)")
    UPPER = "upper", _("One level up (the parent unit's leader and supervisors)")
    PAIRED = "paired", _("The 包保 leader of the unit's region")


class DocumentKind(models.TextChoices):
    WARNING_LETTER = "warning_letter", _("Warning letter (预警函)")
    SUPERVISION_NOTICE = "supervision_notice", _("Supervision notice (督办通知单)")
    CIRCULAR = "circular", _("Circular (通报)")


class NoticeState(models.TextChoices):
    DRAFT = "draft", _("Waiting for signature")
    ISSUED = "issued", _("Issued")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class LadderRung(models.Model):
    """One rung of a plan's ladder: fires ``offset_workdays`` working days from an obligation's due date (negative:
    before it; 0: on it, or the last working day before it), once per obligation and deadline."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="ladder")
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=50)
    offset_workdays = models.SmallIntegerField(
        _("working days from the due date"), help_text=_("-3: three working days before; 0: on it; 5: five after.")
    )
    recipients = models.JSONField(_("recipients"), default=list, help_text=_("Who is told: see the choices."))
    document = models.CharField(_("document issued"), max_length=32, choices=DocumentKind.choices, blank=True)
    light = models.CharField(_("light"), max_length=8, choices=Light.choices, default=Light.GREEN)
    response_workdays = models.PositiveSmallIntegerField(
        _("response due in working days"),
        default=5,
        help_text=_("For a document: when the unit's answer is due, counted from the day it is signed."),
    )
    copy_to = models.CharField(
        _("copy to (抄送)"),
        max_length=300,
        blank=True,
        help_text=_("For a document: bodies it is copied to besides those its recipients name, separated by 、."),
    )
    issue_unsigned = models.BooleanField(
        _("issue without signature"),
        default=False,
        help_text=_("For a document: number and send it at once, without waiting for the signer (签发人)."),
    )

    class Meta:
        verbose_name = _("ladder rung")
        verbose_name_plural = _("ladder")
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="one_rung_code_per_plan")]

    def __str__(self) -> str:
        return self.name


class Notice(models.Model):
    """A 预警函, 督办通知单 or 通报: drafted by the ladder, a visit or the office, it waits for the office's 签发人, who
    may edit its text, signs it or withdraws it. Signing gives it the next number of its kind in the signing year
    (no gaps: a withdrawn draft takes none), dates it, and sends it; the answer it asks for is due counted from
    that day. The PDF, kept in private storage, is the document as it was issued."""

    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind.choices)
    state = models.CharField(_("state"), max_length=16, choices=NoticeState.choices, default=NoticeState.DRAFT)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    doc_no = models.CharField(_("document number"), max_length=64, unique=True, null=True, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("addressed to"), null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    addressees = models.CharField(
        _("addressed to (主送)"), max_length=500, blank=True, help_text=_("For a circular: the bodies it goes to.")
    )
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    issuer = models.CharField(_("issued by"), max_length=200)
    office = models.ForeignKey(
        Unit,
        verbose_name=_("issuing office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices_issued",
        help_text=_("The office whose 签发人 signs it and in whose sequence it is numbered: its plan's issuer."),
    )
    rung = models.ForeignKey(LadderRung, verbose_name=_("rung"), null=True, blank=True, on_delete=models.SET_NULL)
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True, help_text=_("One paragraph per line."))
    copy_to = models.CharField(_("copy to (抄送)"), max_length=500, blank=True)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True, help_text=_("A circular's, as drafted."))
    drafted_on = models.DateField(_("drafted on"), null=True, blank=True)
    drafted_at = models.DateTimeField(_("drafted at"), null=True, blank=True)
    response_workdays = models.PositiveSmallIntegerField(_("answer due in working days"), default=5)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    response_due = models.DateField(_("answer due"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdraw_reason = models.TextField(_("reason for withdrawing"), blank=True)
    reminded_on = models.DateField(_("signers reminded on"), null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last edited by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    edited_at = models.DateTimeField(_("last edited at"), null=True, blank=True)
    items = models.ManyToManyField("processes.Obligation", verbose_name=_("late items"), related_name="notices")
    sent_to = models.ManyToManyField(
        Unit, verbose_name=_("sent to"), blank=True, related_name="circulars", help_text=_("A circular's regions.")
    )
    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="notices/", blank=True, max_length=255)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answer = models.ForeignKey(
        "processes.Report", verbose_name=_("answer"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("official document")
        verbose_name_plural = _("official documents")
        ordering = ["-issued_on", "-number", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "kind", "year", "number"],
                condition=models.Q(number__isnull=False),
                name="one_number_per_office_kind_and_year",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="issued")
                | models.Q(number__isnull=False, doc_no__isnull=False, issued_on__isnull=False),
                name="an_issued_document_is_numbered_and_dated",
            ),
        ]

    def __str__(self) -> str:
        if self.doc_no:
            return f"{self.get_kind_display()} {self.doc_no}"
        return f"{self.get_kind_display()}（{self.get_state_display()}）"

    def get_absolute_url(self) -> str:
        return reverse("plans:notice", kwargs={"pk": self.pk})

    @property
    def is_draft(self) -> bool:
        return self.state == NoticeState.DRAFT

    @property
    def is_issued(self) -> bool:
        return self.state == NoticeState.ISSUED

    @property
    def version(self) -> str:
        """What the signer read: changes whenever the draft is edited (the sign button carries it)."""
        return self.edited_at.isoformat() if self.edited_at else "drafted"

    def paragraphs(self) -> list[str]:
        return [line.strip() for line in self.body.splitlines() if line.strip()]


class Sweep(models.Model):
    """One run of the deadline sweep for one day. What it fired and the messages it wrote point to it, so that a
    message lists exactly the firings of its run (a day swept again later writes a new run, never a message twice)."""

    day = models.DateField(_("day swept"))
    started_at = models.DateTimeField(_("started at"))
    fired = models.PositiveIntegerField(_("rungs fired"), default=0)
    messages = models.PositiveIntegerField(_("messages written"), default=0)

    class Meta:
        verbose_name = _("sweep")
        verbose_name_plural = _("sweeps")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.day} ({self.started_at:%Y-%m-%d %H:%M})"


class FiredRung(models.Model):
    """A rung that fired for an obligation, on the date it was due to (the record that makes it fire once)."""

    obligation = models.ForeignKey(
        "processes.Obligation", verbose_name=_("obligation"), on_delete=models.CASCADE, related_name="fired"
    )
    rung = models.ForeignKey(LadderRung, verbose_name=_("rung"), on_delete=models.PROTECT, related_name="+")
    cycle = models.PositiveIntegerField(_("deadline cycle"))
    fired_on = models.DateField(_("fired on"))
    due_date = models.DateField(_("due date then"))
    notice = models.ForeignKey(Notice, verbose_name=_("notice"), null=True, blank=True, on_delete=models.SET_NULL)
    sweep = models.ForeignKey(
        Sweep, verbose_name=_("sweep"), null=True, blank=True, on_delete=models.PROTECT, related_name="firings"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fired rung")
        verbose_name_plural = _("fired rungs")
        ordering = ["fired_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["obligation", "rung", "cycle"], name="a_rung_fires_once_per_deadline")
        ]

    def __str__(self) -> str:
        return f"{self.obligation} · {self.rung} · {self.fired_on}"


class DocumentSequence(models.Model):
    """The last number an office gave to a kind of document in a year (吉无废督〔2023〕7号): each office numbers its
    own documents."""

    office = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "kind", "year"], name="one_sequence_per_office_kind_and_year")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class SweepState(models.Model):
    """The last day the scheduled sweep covered; the next one starts the day after, so nothing missed is lost."""

    name = models.CharField(max_length=32, unique=True)
    last_swept = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_swept}"


class CalendarOverride(models.Model):
    """A correction to the official calendar: a day declared a working day, or a day off, when the published
    calendar says otherwise (or has not been published yet)."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar correction")
        verbose_name_plural = _("calendar corrections")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d}"


class CalendarYear(models.Model):
    """A year of the official calendar confirmed by the office from the State Council's notice (国务院办公厅关于
    YYYY年部分节假日安排的通知): the text as pasted, and the days off and make-up working days (调休上班) read from it.
    A year neither ``chinesecalendar`` nor this table knows is provisional (see ``processes.workdays``)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    notice_text = models.TextField(_("notice text"))
    holidays = models.JSONField(_("days off"), default=list, help_text=_("ISO dates, in order."))
    workdays = models.JSONField(_("make-up working days"), default=list, help_text=_("ISO dates, in order."))
    confirmed_at = models.DateTimeField(_("confirmed at"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("holiday arrangements of a year")
        verbose_name_plural = _("holiday arrangements by year")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)

    def holiday_dates(self) -> list[dt.date]:
        return [dt.date.fromisoformat(day) for day in self.holidays]

    def workday_dates(self) -> list[dt.date]:
        return [dt.date.fromisoformat(day) for day in self.workdays]


class ExtensionState(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class ExtensionRequest(models.Model):
    """延期申请: a unit asks, before its deadline, to move it; a supervisor in scope decides."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="extension_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    old_date = models.DateField(_("deadline then"))
    new_date = models.DateField(_("new deadline asked for"))
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=16, choices=ExtensionState.choices, default=ExtensionState.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"],
                condition=models.Q(state="pending"),
                name="one_pending_extension_per_assignment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment} → {self.new_date}"
