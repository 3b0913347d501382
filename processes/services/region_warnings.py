"""Regions warned on their own (自动预警): a region whose share of late items, or whose progress behind the time
gone (序时进度), passes its plan's thresholds gets a warning to its leaders and its 包保 leaders, once per period.

Beat runs the check every working day after the deadline sweep (`地区自动预警`, 07:45), and
``python manage.py warn_regions`` by hand; the warning and its messages are written together, and a region warned
in a period is not warned again before the next one. A day's figures are that day's, read from the history: the
items that existed then, their states then and what they owed then, whatever day the check runs on."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from processes import workdays
from processes.models import (
    AssignmentState,
    AssignmentTransition,
    Obligation,
    ObligationKind,
    Plan,
    Recipient,
    RegionWarning,
    RegionWarningRule,
    Report,
    ReportStatus,
    SweepState,
    TransitionAction,
    Unit,
    User,
    WarningReason,
)

from .history import OPEN_DEADLINE_STATES, end_of_day, obligations_owed_as_of, state_at, suspension_at
from .ladder import People, messages_send
from .offices import plan_regions, regions_q

if TYPE_CHECKING:
    from notifications.models import Message

DONE_STATES = (AssignmentState.REPORTED, AssignmentState.VERIFIED, AssignmentState.CLOSED)
ONE = Decimal("0.1")


def rule_ensure(plan: Plan) -> RegionWarningRule:
    rule, _created = RegionWarningRule.objects.get_or_create(plan=plan)
    return rule


def period_of(day: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The period of ``months`` months (Jan–Feb, Mar–Apr … for two) that contains ``day``."""
    first = (day.month - 1) // months * months + 1
    last = first + months - 1
    end = dt.date(day.year, 12, 31) if last == 12 else dt.date(day.year, last + 1, 1) - dt.timedelta(days=1)
    return dt.date(day.year, first, 1), end


@dataclass
class RegionFigures:
    region: Unit
    items: int = 0
    late: int = 0
    elapsed: Decimal = Decimal(0)  # the time gone, in percent, averaged over the items with a deadline
    progress: Decimal = Decimal(0)  # the progress reported, in percent, averaged over the same items

    @property
    def late_percent(self) -> Decimal:
        return (Decimal(self.late * 100) / self.items).quantize(ONE, ROUND_HALF_UP) if self.items else Decimal(0)

    @property
    def gap(self) -> Decimal:
        return self.elapsed - self.progress


def region_figures(plan: Plan, day: dt.date) -> list[RegionFigures]:
    """Each region's items on the plan's ledger (the cities of the province's plan, the units directly under the
    office of a city's or a district's plan) at the end of ``day``, how many are late then, and its
    time gone against its progress: an item's time runs from its assignment (the first line of its history) to its
    deadline; its progress is 100 once reported done by then, else the last percent its unit reported by then (0
    without one). Four queries, read as plain rows."""
    from processes.models import Assignment

    until = end_of_day(day)
    percents: dict[int, int] = {}  # each item's last percent reported by the day: the last one read wins
    for assignment_id, value in (
        Report.objects.filter(
            regions_q(plan, "assignment__unit__"),
            assignment__task__plan=plan,
            status=ReportStatus.SUBMITTED,
            percent__isnull=False,
            submitted_at__lt=until,
        )
        .order_by("submitted_at", "pk")
        .values_list("assignment_id", "percent")
    ):
        percents[assignment_id] = value or 0
    first_step = AssignmentTransition.objects.filter(assignment=OuterRef("pk")).order_by("at", "pk").values("at")[:1]
    rows = (
        Assignment.objects.filter(regions_q(plan, "unit__"), task__plan=plan)
        .annotate(
            state_then=state_at(until),
            suspension_then=suspension_at(until),
            start=TruncDate(Subquery(first_step)),  # in the project's time zone
        )
        .filter(state_then__isnull=False)  # an item exists from the first line of its history
        .exclude(state_then=AssignmentState.CARRIED)  # carried into next year's plan: this one's no more
        .order_by()
        .values_list("pk", "unit_id", "state_then", "due_date", "start", "suspension_then")
    )
    # Late on a report it owed then (a round, an occurrence, a milestone, an answer to a notice); late on the
    # deadline itself is read from the item below: open then, not suspended then, past its due date.
    owed = Obligation.objects.filter(
        regions_q(plan, "assignment__unit__"),
        assignment__task__plan=plan,
        kind__in=[kind for kind in ObligationKind if kind not in (ObligationKind.DEADLINE, ObligationKind.VISIT)],
        due_date__lt=day,
    )
    late = set(obligations_owed_as_of(owed, day).order_by().values_list("assignment_id", flat=True).distinct())
    units = {unit.pk: unit for unit in plan_regions(plan)}
    figures: dict[int, RegionFigures] = {}
    timed: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])  # time gone, progress, items with a deadline
    for pk, unit_id, state, due_date, start, suspension in rows:
        entry = figures.get(unit_id)
        if entry is None:
            entry = figures[unit_id] = RegionFigures(region=units[unit_id])
        entry.items += 1
        past_deadline = state in OPEN_DEADLINE_STATES and due_date is not None and due_date < day
        entry.late += suspension != TransitionAction.SUSPENDED and (past_deadline or pk in late)
        if due_date is None:
            continue
        span = (due_date - start).days
        gone = 1.0 if span <= 0 else min(max((day - start).days / span, 0.0), 1.0)
        sums = timed[unit_id]
        sums[0] += gone * 100
        sums[1] += 100 if state in DONE_STATES else percents.get(pk, 0)
        sums[2] += 1
    for unit_id, entry in figures.items():
        gone_sum, done_sum, count = timed.get(unit_id, (0.0, 0.0, 0))
        if count:
            entry.elapsed = Decimal(gone_sum / count).quantize(ONE, ROUND_HALF_UP)
            entry.progress = Decimal(done_sum / count).quantize(ONE, ROUND_HALF_UP)
    units_in_order = sorted(figures.values(), key=lambda f: (f.region.position, f.region.code))
    return units_in_order


def region_warnings_check(day: dt.date | None = None, *, plans: QuerySet[Plan] | None = None) -> list[RegionWarning]:
    """Warn, on a working day (default today), every region of the day's year's plans (of ``plans``, when given)
    that is past its plan's thresholds and was not warned in the period; the warnings and their messages are
    written together, and sent after the commit. Two checks at once warn each region once: the second waits, then
    finds the warnings."""
    from notifications.models import Message

    day = day or timezone.localdate()
    if not workdays.is_workday(day):
        return []
    warnings: list[RegionWarning] = []
    told: dict[User, list[Message]] = {}  # one message per person per check, listing every region warned
    with transaction.atomic():
        SweepState.objects.select_for_update().get_or_create(name="regions")
        people: People | None = None
        candidates = Plan.objects.all() if plans is None else plans
        for plan in candidates.filter(year=day.year, starts_on__lte=day).select_related("issuer"):
            rule = rule_ensure(plan)
            if not rule.enabled:
                continue
            start, end = period_of(day, rule.period_months)
            warned = set(
                RegionWarning.objects.filter(plan=plan, period_start=start).values_list("region_id", flat=True)
            )
            new: list[RegionWarning] = []
            for figures in region_figures(plan, day):
                if figures.region.pk in warned or figures.items < rule.minimum_items:
                    continue
                reasons = []
                if figures.late and figures.late * 100 >= rule.late_share * figures.items:
                    reasons.append(WarningReason.LATE_SHARE.value)
                if figures.gap >= rule.schedule_gap:
                    reasons.append(WarningReason.BEHIND_SCHEDULE.value)
                if reasons:
                    new.append(
                        RegionWarning(
                            plan=plan,
                            region=figures.region,
                            period_start=start,
                            period_end=end,
                            day=day,
                            reasons=reasons,
                            items=figures.items,
                            late=figures.late,
                            elapsed=figures.elapsed,
                            progress=figures.progress,
                        )
                    )
            for warning in RegionWarning.objects.bulk_create(new):
                people = people or People(day)
                for user, message in _messages(warning, rule, people):
                    told.setdefault(user, []).append(message)
                warnings.append(warning)
        messages = [_digest(user, listed) for user, listed in told.items()]
        message_ids = [message.pk for message in Message.objects.bulk_create(messages)]
        transaction.on_commit(lambda: messages_send(message_ids))
    return warnings


def _messages(warning: RegionWarning, rule: RegionWarningRule, people: People) -> list[tuple[User, Message]]:
    from notifications.models import Message

    region = warning.region
    recipients: dict[int, User] = {
        user.pk: user for user in people.recipients(region.pk, [Recipient.LEADER, Recipient.PAIRED], warning.plan)
    }
    link = reverse("plans:ledger", kwargs={"plan": warning.plan}) + f"?unit={region.pk}"
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "warning": warning,
            "rule": rule,
            "region": region,
            "reasons": warning.reason_labels(),
            "link": settings.SITE_URL.rstrip("/") + link,
        }
        subject = render_to_string("notifications/region_warning_subject.txt", context).strip()
        body = render_to_string("notifications/region_warning_body.txt", context)
    return [
        (
            user,
            Message(recipient=user, dedupe_key=f"region:{warning.pk}:{user.pk}", subject=subject, body=body, link=link),
        )
        for user in recipients.values()
    ]


def _digest(user: User, listed: list[Message]) -> Message:
    """A person told of several regions on one check (a 包保 leader of many) gets one message listing them all."""
    from notifications.models import Message

    if len(listed) == 1:
        return listed[0]
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Region warning] %(count)s regions") % {"count": len(listed)}
    first = listed[0]
    return Message(
        recipient=user,
        dedupe_key=first.dedupe_key,
        subject=subject,
        body="\n\n".join(message.body.strip() for message in listed) + "\n",
        link=reverse("plans:work"),
    )
