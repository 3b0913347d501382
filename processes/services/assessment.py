"""考核评估: score and rank the regions of a plan over a period by a scheme's weighted indicators.

Each indicator turns a region's measure into a share between 0 and 1, and gives the region that share of its
weight in points. Points reward work: an indicator measures something the region did, and a region with nothing
to show for it — nothing due, nothing handed in, not visited — earns nothing on it (a share of 0, never the whole
weight by default). So a region that did nothing in the period scores 0 and ranks last (sharing the rank with any
other region at 0), and one that did anything can only rank above it.

- 按时报送率 on time: of the obligations due in the period (deadlines, round and recurring reports, milestones,
  answers to notices), the share reported by their due dates. An obligation counts as reported on time when, at
  the end of the period, its report stands (handed in and not returned since; for an item's deadline, the item
  stands reported — with its unit leader, reported, verified or closed out) and that report was handed in by the
  due date. Anything else due in the period is late, whether it was reported later or not at all; a report handed
  in on time but returned and not handed in again by the period's end does not stand, so it is late too. Nothing
  due in the period: the indicator does not apply to the region, which gets 0 for it — there was nothing on time
  to reward (a neutral share, such as the mean of the others, would let a region that did nothing outrank one that
  worked). An office that wants every region measured on it picks a period in which something falls due for each,
  as any period with a dispatch round does.
- 销号率 close-out: the share of the region's items closed out at the end of the period (an item the plan marked
  done at publication counts: the region did that work). No items yet: 0.
- 逾期事项 late items: the items (assignments) with at least one late obligation in the period, as a share of the
  items with something due in it: share = 1 − late items / items due. A rate, not a count against the worst
  region: with a count, a small region that did nothing could still beat a large one that worked and was late
  on a few items. Nothing due: 0, as for on time.
- 预警督办 warnings received (notices and the region's own warnings): a count against the region that received the
  most, share = 1 − count / highest count (1 when nobody received any) — earned only by a region that handed
  something in during the period; one that handed in nothing gets 0, since having received no warning is not work
  (it may only mean that the ladder had not yet reached it).
- 退回 returns: a rate of what the region handed in during the period (reports, completion reports, answers to
  notices reaching the supervisors), share = 1 − returned / handed in (at least 0; returns in the period of
  reports handed in before it count too). Nothing handed in: 0, not the whole weight.
- 包保 visit ratings (1–5, averaged over the period's visits and areas) give (average − 1) / 4; a region not visited
  in the period gets 0, not the mean of those visited (which gave full marks when nobody was visited).
- 项目序时进度达标率 projects on schedule (not in the default scheme: the office adds it to a scheme with the weight
  it chooses, so the default scores stay as they were): of the region's projects in the library of the plan's office
  on the assessment day (入库, 在建, 建成投运) that were admitted by the end of the last report period due by then
  (31 August for an assessment to 30 September: the 7–8月 reports were due on 5 September), the share not behind
  their 序时进度 at that period's end by more than the library's threshold — 累计完成投资 as last reported by the
  assessment day (a returned report does not count; none yet: 0), against the planned investment by that day. A
  project 建成投运 is on schedule. No such project: 0, as for the other rates.

Not judged yet, so left out of on time and late: what falls due today in a period not yet over (until the day
ends, unless already reported), a report owed on an item closed out by its due date, and anything owed by an
item suspended (中止) at the end of the period since its due date or before — the ledger does not count them as
owed either. The regions are the plan's city-level units with assignments. Everything is read as of the period's
end (or today, for a period not yet over) from the history (``history.state_at``, ``history.suspension_at``): an
item closed out after the period counts as open in it, a report handed in or returned after it does not change it.

The title names the period as Chinese documents do (``period_name``: 2023年度, 2023年第三季度, 2023年7—9月,
2023年7月3日—9月29日), not by the scheme's name; the exports write dates as 2023年10月11日. A fixed number of
queries, whatever the number of regions and items."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Exists, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from processes.formats import chinese_date, period_name
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
    Project,
    ProjectEvent,
    ProjectLibrary,
    ProjectState,
    RegionWarning,
    ScoringScheme,
    TransitionAction,
    Unit,
    UnitLevel,
    VisitRating,
)
from processes.spreadsheets import xlsx_append

from .history import ENDED_STATES, end_of_day, start_of_day, state_at, suspension_at
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
# The steps that hand in what an obligation other than a deadline asks for (a report, an answer); a return takes
# it back.
SUBMITTING = (TransitionAction.PROGRESS_SUBMITTED, TransitionAction.NOTICE_ANSWERED)
# The steps that report an item done (申请销号, to the unit leader or straight to the supervisors), or record it done.
REPORTING_DONE = (
    TransitionAction.REPORTED,
    TransitionAction.SUBMITTED_FOR_SIGNOFF,
    TransitionAction.CREATED_DONE,
    TransitionAction.CLOSED_DONE,
)
# An item in these states stands reported done: its deadline is met as long as it stays in one of them.
REPORTED_STATES = (
    AssignmentState.SIGNOFF,
    AssignmentState.REPORTED,
    AssignmentState.VERIFIED,
    AssignmentState.CLOSED,
)
# What reaches the supervisors from a region (a report each; a report signed off by the unit's leader reaches them
# with the sign-off), and what they send back. A unit leader's own return (SIGNOFF_RETURNED) stays inside the unit.
HANDED_IN = (TransitionAction.REPORTED, TransitionAction.PROGRESS_SUBMITTED, TransitionAction.NOTICE_ANSWERED)
RETURNS = (TransitionAction.RETURNED, TransitionAction.PROGRESS_RETURNED)


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


def _number(value: Decimal) -> str:
    """30, 12.5: a number of points without trailing zeros (``normalize()`` alone writes 30 as 3E+1)."""
    return format(value.normalize(), "f")


def weights_check(total: Decimal, weights: list[Decimal]) -> None:
    """The weights of a scheme must add up to its total."""
    added = sum(weights, Decimal(0))
    if not weights:
        raise InvalidInput(_("The scheme has no indicators."), field="indicators")
    if added != total:
        raise InvalidInput(
            _("The weights add up to %(sum)s points; the scheme requires %(total)s.")
            % {"sum": _number(added), "total": _number(total)},
            field="indicators",
        )


# --- Periods as documents name them ------------------------------------------------------------------------------


# --- The assessment ---------------------------------------------------------------------------------------------


@dataclass
class Contribution:
    indicator: Indicator
    measure: str  # as a person reads it: “18 / 20 (90.0%)”, “3”, “4.20”, “not visited”, “nothing due”
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
    late_items: int = 0  # its items with something not handed in by its due date in the period (逾期事项)
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

    @property
    def period(self) -> str:
        """2023年第三季度: see ``period_name``."""
        return period_name(self.start, self.end)

    @property
    def title(self) -> str:
        """The assessment named by its period (2023年第三季度考核评估), not by its scheme (年度考核评估)."""
        return _("%(period)s assessment (考核评估)") % {"period": self.period}

    @property
    def caption(self) -> str:
        """The plan, the scheme (named as such: its name may say 年度 whatever the period) and the period's dates, as
        Chinese documents write dates."""
        return _("%(plan)s · %(scheme)s, %(start)s to %(end)s") % {
            "plan": self.scheme.plan.title,
            "scheme": _("scheme: %(name)s") % {"name": self.scheme.name},
            "start": chinese_date(self.start),
            "end": chinese_date(self.end),
        }


def _percent(done: int, due: int) -> str:
    return f"{done} / {due} ({Decimal(done * 100) / Decimal(due):.1f}%)" if due else _("nothing due")


def _rate(part: int, whole: int) -> Decimal:
    """part / whole; 0 when there is no whole: nothing to measure earns nothing."""
    return Decimal(part) / whole if whole else Decimal(0)


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


@dataclass
class _Timeliness:
    """What fell due in the period for one region: obligations judged and met on time, items with something
    judged and items with something late."""

    due: int = 0
    on_time: int = 0
    items: set[int] = field(default_factory=set)
    late_items: set[int] = field(default_factory=set)


def _timeliness(plan: Plan, ids: list[int], start: dt.date, as_of: dt.date) -> tuple[dict[int, _Timeliness], bool]:
    """Each region's obligations due from ``start`` to ``as_of``, judged as they stood at the end of ``as_of``; and
    whether anything at all fell due. One query: the history is read in SQL, the judgement made here."""
    until = end_of_day(as_of)
    today = timezone.localdate()
    steps = AssignmentTransition.objects.filter(obligation=OuterRef("pk"), at__lt=until).order_by("-at", "-pk")
    item_steps = AssignmentTransition.objects.filter(assignment=OuterRef("assignment_id"), at__lt=until).order_by(
        "-at", "-pk"
    )
    pauses = item_steps.filter(action__in=[TransitionAction.SUSPENDED, TransitionAction.RESUMED])
    rows = (
        Obligation.objects.filter(
            assignment__task__plan=plan,
            assignment__unit_id__in=ids,
            due_date__gte=start,
            due_date__lte=as_of,
            created_at__lt=until,
        )
        .exclude(kind=ObligationKind.VISIT)  # the 包保 leader's, not the region's
        .annotate(
            # A report or an answer: the last step on it then, and when it was last handed in.
            last_step_then=Subquery(steps.values("action")[:1]),
            handed_in_at=Subquery(steps.filter(action__in=SUBMITTING).values("at")[:1]),
            # The item: its state then, when it was last reported done, closed out, and suspended or resumed.
            state_then=state_at(until, "assignment_id"),
            reported_at=Subquery(item_steps.filter(action__in=REPORTING_DONE).values("at")[:1]),
            closed_at=Subquery(item_steps.filter(target__in=ENDED_STATES).values("at")[:1]),
            suspension_then=suspension_at(until, "assignment_id"),
            paused_at=Subquery(pauses.values("at")[:1]),
        )
        .values_list(
            "assignment__unit_id",
            "assignment_id",
            "kind",
            "due_date",
            "last_step_then",
            "handed_in_at",
            "state_then",
            "reported_at",
            "closed_at",
            "suspension_then",
            "paused_at",
        )
    )

    def day(moment: dt.datetime | None) -> dt.date | None:
        return timezone.localdate(moment) if moment is not None else None

    by_unit: dict[int, _Timeliness] = {}
    anything_due = False
    for unit_id, item, kind, due, last_step, handed_in_at, state, reported_at, closed_at, pause, paused_at in rows:
        anything_due = True
        if kind == ObligationKind.DEADLINE:
            # The item's deadline: met if the item stands reported done and was reported by the due date.
            handed_in = day(reported_at) if state in REPORTED_STATES else None
        else:
            # A report or an answer: met if it stands (handed in, not returned since) and came by the due date.
            stands = last_step is not None and last_step != TransitionAction.PROGRESS_RETURNED
            handed_in = day(handed_in_at) if stands else None
        on_time = handed_in is not None and handed_in <= due
        if not on_time:
            if due >= today:
                continue  # due today: late only once the day is over
            paused_on = day(paused_at) if pause == TransitionAction.SUSPENDED else None
            closed_on = day(closed_at) if state in ENDED_STATES else None
            if paused_on is not None and paused_on <= due:
                continue  # the clock stopped (中止) before it fell due
            if state == AssignmentState.CARRIED and closed_on is not None and closed_on <= due:
                continue  # nothing owed here once carried into next year's plan (已结转)
            if kind != ObligationKind.DEADLINE and closed_on is not None and closed_on <= due:
                continue  # a report no longer owed: the item was closed out by then
        region = by_unit.setdefault(unit_id, _Timeliness())
        region.due += 1
        region.on_time += on_time
        region.items.add(item)
        if not on_time:
            region.late_items.add(item)
    return by_unit, anything_due


def _this_plans_notices(plan: Plan) -> Q:
    """The notices that count in ``plan``'s assessment: its own, its office's without a plan, and — for the
    province's plan — those older rows that name neither (made before offices had their own documents). A
    province's notice to a district does not count in its city's plan, nor a city's in the province's."""
    provincial = Exists(Unit.objects.filter(pk=plan.issuer_id, level=UnitLevel.PROVINCE))
    return (
        Q(plan_id=plan.pk)
        | Q(plan__isnull=True, office_id=plan.issuer_id)
        | Q(provincial, plan__isnull=True, office__isnull=True)
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
    timeliness, anything_due = _timeliness(plan, ids, start, as_of)
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
            .filter(_this_plans_notices(plan))
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
    # What the region handed in to the supervisors in the period, and what they returned.
    handed_in: Counter[int] = Counter()
    returned: Counter[int] = Counter()
    for unit_id, n_handed_in, n_signed_off, n_returned in (
        AssignmentTransition.objects.filter(
            assignment__task__plan=plan,
            assignment__unit_id__in=ids,
            at__gte=start_of_day(start),
            at__lt=end_of_day(end),
        )
        .values("assignment__unit_id")
        .annotate(
            handed_in=Count("report", distinct=True, filter=Q(action__in=HANDED_IN)),
            signed_off=Count("pk", filter=Q(action=TransitionAction.SIGNOFF_APPROVED)),
            returned=Count("pk", filter=Q(action__in=RETURNS)),
        )
        .values_list("assignment__unit_id", "handed_in", "signed_off", "returned")
    ):
        handed_in[unit_id] = n_handed_in + n_signed_off
        returned[unit_id] = n_returned
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
    if not (anything_due or +notices or +handed_in or +returned or ratings):
        raise InvalidInput(
            _("Nothing was due, returned, issued or visited from %(start)s to %(end)s: there is nothing to assess.")
            % {"start": start.isoformat(), "end": end.isoformat()},
            field="start",
        )
    most_notices = max((notices[pk] for pk in ids), default=0)

    def measure(metric: str, pk: int) -> tuple[str, Decimal]:
        due = timeliness.get(pk, _Timeliness())
        if metric == Metric.ON_TIME:
            return _percent(due.on_time, due.due), _rate(due.on_time, due.due)
        if metric == Metric.CLOSE_OUT:
            return _percent(closed[pk], total[pk]), _rate(closed[pk], total[pk])
        if metric == Metric.LATE:
            late, items = len(due.late_items), len(due.items)
            return _percent(late, items), (Decimal(1) - _rate(late, items)) if items else Decimal(0)
        if metric == Metric.NOTICES:
            if not handed_in[pk]:
                return str(notices[pk]), Decimal(0)
            return str(notices[pk]), (Decimal(1) - _rate(notices[pk], most_notices)) if most_notices else Decimal(1)
        if metric == Metric.RETURNED:
            if not handed_in[pk]:
                return _("nothing handed in"), Decimal(0)
            return _percent(returned[pk], handed_in[pk]), max(Decimal(0), 1 - _rate(returned[pk], handed_in[pk]))
        # Metric.VISITS
        if pk not in ratings:
            return _("not visited"), Decimal(0)
        average = Decimal(str(ratings[pk]))
        return f"{average.quantize(Decimal('0.01'))}", (average - RATING_MIN) / (RATING_MAX - RATING_MIN)

    pace = (
        _projects_on_schedule(plan, ids, as_of)
        if any(indicator.metric == Metric.PROJECT_PACE for indicator in indicators)
        else {}
    )

    def project_measure(pk: int) -> tuple[str, Decimal]:
        on_schedule, counted = pace.get(pk, (0, 0))
        if not counted:
            return _("no projects"), Decimal(0)
        return _percent(on_schedule, counted), _rate(on_schedule, counted)

    scores = []
    for unit in regions:
        score = RegionScore(unit=unit, late_items=len(timeliness.get(unit.pk, _Timeliness()).late_items))
        for indicator in indicators:
            if indicator.metric == Metric.PROJECT_PACE:
                text, share = project_measure(unit.pk)
            else:
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


def _projects_on_schedule(plan: Plan, ids: list[int], as_of: dt.date) -> dict[int, tuple[int, int]]:
    """Region id → (projects on schedule, projects counted) for 项目序时进度达标率, as things stood at the end of
    ``as_of`` (see the module's description)."""
    from .projects import latest_progress, percent, planned_by, report_periods

    library = ProjectLibrary.objects.filter(office_id=plan.issuer_id).first()
    if library is None:
        return {}
    ends = [
        end
        for year in (as_of.year - 1, as_of.year)
        for _start, end, due, _label in report_periods(library, year)
        if due <= as_of
    ]
    if not ends:
        return {}
    reference = max(ends)
    until = end_of_day(as_of)
    states: dict[int, str] = {}
    admitted: dict[int, dt.datetime] = {}
    for project_id, target, at in (
        ProjectEvent.objects.filter(project__library=library, at__lt=until)
        .exclude(target="")
        .order_by("at", "pk")
        .values_list("project_id", "target", "at")
    ):
        states[project_id] = target
        if target == ProjectState.ADMITTED:
            admitted.setdefault(project_id, at)
    counted = [
        pk
        for pk, state in states.items()
        if state in (ProjectState.ADMITTED, ProjectState.BUILDING, ProjectState.COMPLETED)
        and pk in admitted
        and admitted[pk] < end_of_day(reference)
    ]
    projects = Project.objects.filter(pk__in=counted).prefetch_related("yearly")
    invested = latest_progress(counted, until=until)
    parents = dict(Unit.objects.values_list("pk", "parent_id"))
    wanted = set(ids)
    result: dict[int, tuple[int, int]] = {}
    for project in projects:
        region: int | None = project.region_id
        while region is not None and region not in wanted:
            region = parents.get(region)
        if region is None:
            continue
        on_schedule = states[project.pk] == ProjectState.COMPLETED
        if not on_schedule:
            yearly = {row.year: row.amount for row in project.yearly.all()}
            expected = percent(planned_by(project, reference, yearly), project.planned_investment)
            progress = invested.get(project.pk)
            reported = progress.invested_total if progress is not None else None
            done = percent(reported or Decimal(0), project.planned_investment)
            on_schedule = expected is None or done is None or expected - done <= library.lag_threshold
        good, total = result.get(region, (0, 0))
        result[region] = (good + on_schedule, total + 1)
    return result


def metric_direction(metric: str) -> str:
    return _("higher is better") if metric in HIGHER_IS_BETTER else _("lower is better")


def regions_of(plan: Plan) -> list[Unit]:
    """The regions assessed: the cities of the province's plan; the units directly under the office (its districts,
    counties, departments) of a city's or a district's plan."""
    from .offices import plan_regions

    return list(plan_regions(plan))


# --- Exports ----------------------------------------------------------------------------------------------------


def assessment_xlsx(assessment: Assessment) -> bytes:
    """The ranking with each indicator's measure and points, one row per region, under its title and period."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_("Ranking"))[:31]
    # Every row through xlsx_append: the plan's and scheme's names are people's text, written as text.
    xlsx_append(sheet, [assessment.title])
    sheet["A1"].font = Font(bold=True, size=13)
    xlsx_append(sheet, [assessment.caption])
    header = [_("Rank"), _("Region"), _("Score")]
    for indicator in assessment.indicators:
        label = f"{indicator.get_metric_display()}（{_number(indicator.weight)}）"
        header += [label, _("Points")]
    xlsx_append(sheet, header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for region in assessment.regions:
        row: list[object] = [region.rank, region.unit.name, float(region.total)]
        for contribution in region.contributions:
            row += [contribution.measure, float(contribution.points)]
        xlsx_append(sheet, row)
    sheet.column_dimensions["B"].width = 30
    sheet.freeze_panes = "C4"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def assessment_pdf(assessment: Assessment) -> bytes:

    with translation.override("zh-hans"):
        now = timezone.localtime()
        html = render_to_string(
            "documents/assessment.html",
            {
                "assessment": assessment,
                "title": assessment.title,
                "caption": assessment.caption,
                "generated": f"{chinese_date(now.date())} {now:%H:%M}",
            },
        )
    return render_pdf(html)
