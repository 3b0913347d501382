"""考核评估: score and rank the regions of a plan over a period by a scheme's weighted indicators.

Each indicator turns a region's measure into a share between 0 and 1, and gives the region that share of its
weight in points:

- a rate (on-time reports, close-out) is its own share: 80 % on time earns 0.8 of the weight;
- a count (late items, notices received, returned reports) is measured against the worst region of the period:
  share = 1 − count / highest count (every region gets the whole weight when no region has any);
- the 包保 visit ratings (1–5, averaged over the period's visits and areas) give (average − 1) / 4; a region not
  visited in the period gets the average share of those that were (the whole weight if none was).

The regions are the plan's city-level units with assignments. Everything is read as of the period's end (or today,
for a period not yet over) from the history: the items' states then, and whether what fell due had been reported
by then; an item closed out after the period counts as open in it. A fixed number of queries, whatever their
number."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from processes.models import (
    HIGHER_IS_BETTER,
    RATING_MAX,
    RATING_MIN,
    Assignment,
    AssignmentState,
    AssignmentTransition,
    Indicator,
    Metric,
    Notice,
    Obligation,
    ObligationKind,
    Plan,
    RegionWarning,
    Report,
    ReportKind,
    ScoringScheme,
    TransitionAction,
    Unit,
    UnitLevel,
    VisitRating,
)

from .history import end_of_day, state_at
from .lifecycle import InvalidInput
from .pdf import render_pdf

DEFAULT_SCHEME = (
    (Metric.ON_TIME, Decimal(25)),
    (Metric.CLOSE_OUT, Decimal(30)),
    (Metric.LATE, Decimal(15)),
    (Metric.NOTICES, Decimal(10)),
    (Metric.RETURNED, Decimal(10)),
    (Metric.VISITS, Decimal(10)),
)
POINTS = Decimal("0.01")
SHARE = Decimal("0.0001")
# The steps that hand in what an obligation asks for (a report, an answer, a visit); a return takes it back.
SUBMITTING = (TransitionAction.PROGRESS_SUBMITTED, TransitionAction.NOTICE_ANSWERED, TransitionAction.VISIT_RECORDED)


def scheme_ensure(plan: Plan) -> ScoringScheme:
    """The plan's first scheme, created from the default (annual assessment, 100 points) if it has none."""
    scheme = ScoringScheme.objects.filter(plan=plan).order_by("pk").first()
    if scheme is None:
        scheme, _created = ScoringScheme.objects.get_or_create(plan=plan, name=_("Annual assessment (年度考核评估)"))
        Indicator.objects.bulk_create(
            Indicator(scheme=scheme, position=index, metric=metric, weight=weight)
            for index, (metric, weight) in enumerate(DEFAULT_SCHEME, start=1)
        )
    return scheme


def weights_check(total: Decimal, weights: list[Decimal]) -> None:
    """The weights of a scheme must add up to its total."""
    added = sum(weights, Decimal(0))
    if not weights:
        raise InvalidInput(_("The scheme has no indicators."), field="indicators")
    if added != total:
        raise InvalidInput(
            _("The weights add up to %(sum)s points; the scheme requires %(total)s.")
            % {"sum": added.normalize(), "total": total.normalize()},
            field="indicators",
        )


@dataclass
class Contribution:
    indicator: Indicator
    measure: str  # as a person reads it: “18 / 20 (90.0%)”, “3”, “4.2”, “not visited”
    share: Decimal
    points: Decimal

    @property
    def metric(self) -> str:
        return self.indicator.metric


@dataclass
class RegionScore:
    unit: Unit
    total: Decimal = Decimal(0)
    rank: int = 0
    contributions: list[Contribution] = field(default_factory=list)


@dataclass
class Assessment:
    scheme: ScoringScheme
    start: dt.date
    end: dt.date
    indicators: list[Indicator]
    regions: list[RegionScore]
    ledger_day: dt.date  # the day everything is read as of: the period's end, or today for a period not yet over

    def region(self, unit: Unit) -> RegionScore | None:
        return next((score for score in self.regions if score.unit.pk == unit.pk), None)


def _percent(done: int, due: int) -> str:
    return f"{done} / {due} ({Decimal(done * 100) / Decimal(due):.1f}%)" if due else _("nothing due")


def period_check(start: dt.date, end: dt.date, *, plan: Plan, fields: tuple[str, str] = ("start", "end")) -> None:
    """A period of ``plan`` to assess or report on: in order, begun by today, and not over before the plan took
    effect (its items exist from its start; a period running into it is read from the start on)."""
    if end < start:
        raise InvalidInput(_("The period ends before it starts."), field=fields[1])
    if start > timezone.localdate():
        raise InvalidInput(
            _("The period starts on %(date)s, after today.") % {"date": start.isoformat()}, field=fields[0]
        )
    if end < plan.starts_on:
        raise InvalidInput(
            _("The plan took effect on %(start)s; the period %(from)s to %(to)s lies before it.")
            % {"start": plan.starts_on.isoformat(), "from": start.isoformat(), "to": end.isoformat()},
            field=fields[1],
        )


def assessment_compute(*, scheme: ScoringScheme, start: dt.date, end: dt.date) -> Assessment:
    """Score and rank the regions of the scheme's plan for ``start``–``end``, as they stood at its end (or today);
    refused for an empty period, weights that do not add up, a period starting after today or over before the plan
    took effect."""
    plan = scheme.plan
    indicators = list(scheme.indicators.all())
    weights_check(scheme.total, [indicator.weight for indicator in indicators])
    period_check(start, end, plan=plan)
    as_of = min(end, timezone.localdate())
    until = end_of_day(as_of)
    regions = regions_of(plan)
    ids = [unit.pk for unit in regions]
    # An item's deadline is met by its completion report (申请销号) by the due date. Anything else it owes is met
    # by its own report, on time when handed in by the due date: what stood at the end of ``as_of`` counts (the
    # last step on it by then handed it in, and was not a return); a report handed in later, or taken back by a
    # return since, does not change the period.
    completed_by_due = Exists(
        Report.objects.filter(
            assignment=OuterRef("assignment"),
            kind=ReportKind.COMPLETION,
            submitted_at__date__lte=OuterRef("due_date"),
        )
    )
    steps = AssignmentTransition.objects.filter(obligation=OuterRef("pk"), at__lt=until).order_by("-at", "-pk")
    deadline = Q(kind=ObligationKind.DEADLINE)
    standing = Q(last_step_then__isnull=False) & ~Q(last_step_then=TransitionAction.PROGRESS_RETURNED)
    on_time = standing & Q(handed_in_then__lte=F("due_date"))
    due = (
        Obligation.objects.filter(
            assignment__task__plan=plan,
            assignment__unit_id__in=ids,
            due_date__gte=start,
            due_date__lte=as_of,
            created_at__lt=until,
        )
        .exclude(kind=ObligationKind.VISIT)
        .annotate(
            completed_by_due=completed_by_due,
            last_step_then=Subquery(steps.values("action")[:1]),
            handed_in_then=TruncDate(Subquery(steps.filter(action__in=SUBMITTING).values("at")[:1])),
        )
        .values("assignment__unit_id")
        .annotate(
            due=Count("pk"),
            on_time=Count("pk", filter=(deadline & Q(completed_by_due=True)) | (~deadline & on_time)),
            late=Count(
                "pk",
                filter=(deadline & Q(completed_by_due=False, due_date__lt=as_of))
                | (~deadline & standing & ~on_time)
                | (~deadline & ~standing & Q(due_date__lt=as_of)),
            ),
        )
    )
    by_unit = {row["assignment__unit_id"]: row for row in due}
    closed: Counter[int] = Counter()
    total: Counter[int] = Counter()
    for unit_id, state in (
        Assignment.objects.filter(task__plan=plan, unit_id__in=ids)
        .annotate(state_then=state_at(until))
        .filter(state_then__isnull=False)  # an item exists from the first line of its history
        .values_list("unit_id", "state_then")
    ):
        total[unit_id] += 1
        closed[unit_id] += state == AssignmentState.CLOSED
    # Warnings received: the notices issued to the region and the warnings it got on its own (自动预警).
    notices = Counter(
        dict(
            Notice.objects.filter(unit_id__in=ids, issued_on__gte=start, issued_on__lte=end)
            .values_list("unit_id")
            .annotate(n=Count("pk"))
        )
    ) + Counter(
        dict(
            RegionWarning.objects.filter(plan=plan, region_id__in=ids, day__gte=start, day__lte=end)
            .values_list("region_id")
            .annotate(n=Count("pk"))
        )
    )
    returned = Counter(
        dict(
            AssignmentTransition.objects.filter(
                assignment__task__plan=plan,
                assignment__unit_id__in=ids,
                action__in=[TransitionAction.RETURNED, TransitionAction.PROGRESS_RETURNED],
                at__gte=end_of_day(start - dt.timedelta(days=1)),
                at__lt=end_of_day(end),
            )
            .values_list("assignment__unit_id")
            .annotate(n=Count("pk"))
        )
    )
    ratings = dict(
        VisitRating.objects.filter(
            visit__pairing__plan=plan,
            visit__region_id__in=ids,
            visit__visited_on__gte=start,
            visit__visited_on__lte=end,
        )
        .values_list("visit__region_id")
        .annotate(avg=Avg("score"))
    )
    if not (any(row.get("due") for row in by_unit.values()) or notices or returned or ratings):
        raise InvalidInput(
            _("Nothing was due, returned, issued or visited from %(start)s to %(end)s: there is nothing to assess.")
            % {"start": start.isoformat(), "end": end.isoformat()},
            field="start",
        )

    counts = {
        Metric.LATE: {pk: by_unit.get(pk, {}).get("late", 0) for pk in ids},
        Metric.NOTICES: {pk: notices[pk] for pk in ids},
        Metric.RETURNED: {pk: returned[pk] for pk in ids},
    }
    visit_shares = {
        pk: (Decimal(str(avg)) - RATING_MIN) / (RATING_MAX - RATING_MIN) for pk, avg in ratings.items() if pk in ids
    }
    mean_visit_share = sum(visit_shares.values(), Decimal(0)) / len(visit_shares) if visit_shares else Decimal(1)

    def measure(metric: str, pk: int) -> tuple[str, Decimal]:
        if metric == Metric.ON_TIME:
            row = by_unit.get(pk, {})
            n_due, n_on_time = row.get("due", 0), row.get("on_time", 0)
            return _percent(n_on_time, n_due), Decimal(n_on_time) / n_due if n_due else Decimal(1)
        if metric == Metric.CLOSE_OUT:
            return _percent(closed[pk], total[pk]), Decimal(closed[pk]) / total[pk] if total[pk] else Decimal(1)
        if metric == Metric.VISITS:
            if pk not in ratings:
                return _("not visited"), mean_visit_share
            return f"{Decimal(str(ratings[pk])).quantize(Decimal('0.01'))}", visit_shares[pk]
        values = counts[Metric(metric)]
        worst = max(values.values(), default=0)
        return str(values[pk]), (Decimal(1) - Decimal(values[pk]) / worst) if worst else Decimal(1)

    scores = []
    for unit in regions:
        score = RegionScore(unit=unit)
        for indicator in indicators:
            text, share = measure(indicator.metric, unit.pk)
            share = share.quantize(SHARE, rounding=ROUND_HALF_UP)
            points = (indicator.weight * share).quantize(POINTS, rounding=ROUND_HALF_UP)
            score.contributions.append(Contribution(indicator=indicator, measure=text, share=share, points=points))
            score.total += points
        scores.append(score)
    scores.sort(key=lambda s: (-s.total, s.unit.position, s.unit.code))
    for index, score in enumerate(scores):
        # Equal totals share a rank (1, 2, 2, 4).
        score.rank = scores[index - 1].rank if index and score.total == scores[index - 1].total else index + 1
    return Assessment(scheme=scheme, start=start, end=end, indicators=indicators, regions=scores, ledger_day=as_of)


def metric_direction(metric: str) -> str:
    return _("higher is better") if metric in HIGHER_IS_BETTER else _("lower is better")


def regions_of(plan: Plan) -> list[Unit]:
    return list(
        Unit.objects.filter(level=UnitLevel.CITY, assignments__task__plan=plan).distinct().order_by("position", "code")
    )


# --- Exports ----------------------------------------------------------------------------------------------------


def _title(assessment: Assessment) -> str:
    return _("%(plan)s · %(scheme)s, %(start)s to %(end)s") % {
        "plan": assessment.scheme.plan.title,
        "scheme": assessment.scheme.name,
        "start": assessment.start.isoformat(),
        "end": assessment.end.isoformat(),
    }


def assessment_xlsx(assessment: Assessment) -> bytes:
    """The ranking with each indicator's measure and points, one row per region."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_("Ranking"))[:31]
    sheet.append([_title(assessment)])
    sheet["A1"].font = Font(bold=True, size=13)
    header = [_("Rank"), _("Region"), _("Score")]
    for indicator in assessment.indicators:
        label = f"{indicator.get_metric_display()}（{indicator.weight.normalize()}）"
        header += [label, _("Points")]
    sheet.append([])
    sheet.append(header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for region in assessment.regions:
        row: list[object] = [region.rank, region.unit.name, float(region.total)]
        for contribution in region.contributions:
            row += [contribution.measure, float(contribution.points)]
        sheet.append(row)
    sheet.column_dimensions["B"].width = 30
    sheet.freeze_panes = "C4"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def assessment_pdf(assessment: Assessment) -> bytes:

    with translation.override("zh-hans"):
        html = render_to_string(
            "documents/assessment.html",
            {"assessment": assessment, "title": _title(assessment), "generated": timezone.localtime()},
        )
    return render_pdf(html)
