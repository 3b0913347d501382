"""通报: the office names the regions that did well and those that fell behind over a period, from the figures.

The draft is written from the period's assessment (the ranking and its measures) and the items late at its end:
the overall progress, the regions commended and those criticised with what they are criticised for (late items,
returned reports, no 包保 visit, the rank), the office's requirements, and the ranking as the annex. The office
edits it; the 签发人 signs it like any numbered document (``services.signing``): numbered 吉无废通〔YYYY〕N号, sent to
the regions' people, copied to the 包保 leaders. The bulletin no longer names laggards: that is this document's.

Who is commended: up to three regions at the top of the ranking with nothing late and at least 60 % of the points.
Who is criticised: the regions of the bottom third of the ranking that have something to be criticised for (late
items, returned reports, a missed 包保 visit) or scored under 60 %; a region is never both. Late items are counted as
the assessment counts them (in the period), the overall figure as the ledger does (at the period's end)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from processes.formats import chinese_date
from processes.models import (
    AssignmentTransition,
    DocumentKind,
    DocumentSettings,
    Notice,
    NoticeState,
    Pairing,
    Plan,
    TransitionAction,
    UnitLevel,
    User,
    Visit,
)

from .assessment import Assessment, assessment_compute, period_check, period_name, scheme_ensure
from .history import end_of_day, start_of_day
from .late_items import late_items_as_of
from .ledger import ledger_as_of
from .lifecycle import NotAllowed
from .offices import plan_area
from .signing import can_prepare

COMMEND_AT_MOST = 3
PASSING_SHARE = Decimal("0.6")
RETURNS = (TransitionAction.RETURNED, TransitionAction.PROGRESS_RETURNED)


def _region_facts(plan: Plan, assessment: Assessment) -> list[dict[str, Any]]:
    """Each region in ranking order: its score and rank, its items late at the period's end, the reports returned to
    it in the period, and its 包保 visits in the period."""
    ids = [score.unit.pk for score in assessment.regions]
    returned = dict(
        AssignmentTransition.objects.filter(
            assignment__task__plan=plan,
            assignment__unit_id__in=ids,
            action__in=RETURNS,
            at__gte=start_of_day(assessment.start),
            at__lt=end_of_day(assessment.end),
        )
        .values_list("assignment__unit_id")
        .annotate(n=Count("pk"))
    )
    visits = dict(
        Visit.objects.filter(
            pairing__plan=plan, region_id__in=ids, visited_on__gte=assessment.start, visited_on__lte=assessment.end
        )
        .values_list("region_id")
        .annotate(n=Count("pk"))
    )
    paired = set(
        Pairing.regions.through.objects.filter(
            pairing__plan=plan, pairing__start__lte=assessment.end, pairing__end__gte=assessment.start
        ).values_list("unit_id", flat=True)
    )
    return [
        {
            "unit_id": score.unit.pk,
            "name": score.unit.name,
            "rank": score.rank,
            "score": str(score.total),
            "share": str((score.total / assessment.scheme.total).quantize(Decimal("0.0001"))),
            # 逾期事项 as the assessment counts them: items with something not handed in by its due date in the period.
            "late": score.late_items,
            "returned": returned.get(score.unit.pk, 0),
            "visits": visits.get(score.unit.pk, 0),
            "paired": score.unit.pk in paired,
        }
        for score in assessment.regions
    ]


def _faults(region: dict[str, Any]) -> list[str]:
    faults = []
    if region["late"]:
        faults.append(f"逾期事项{region['late']}项")
    if region["returned"]:
        faults.append(f"报送材料被退回{region['returned']}次")
    if region["paired"] and not region["visits"]:
        faults.append("本期未接受包保督导")
    return faults


def circular_figures(plan: Plan, start: dt.date, end: dt.date) -> dict[str, Any]:
    """What the 通报 says, as figures (kept on the document, so it prints as drafted)."""
    assessment = assessment_compute(scheme=scheme_ensure(plan), start=start, end=end)
    regions = _region_facts(plan, assessment)
    ledger = ledger_as_of(plan, None, assessment.ledger_day)
    commended = [
        r["unit_id"]
        for r in regions
        if r["rank"] <= COMMEND_AT_MOST and not r["late"] and Decimal(r["share"]) >= PASSING_SHARE
    ][:COMMEND_AT_MOST]
    bottom = len(regions) - math.ceil(len(regions) / 3)
    criticised = [
        r["unit_id"]
        for index, r in enumerate(regions)
        if r["unit_id"] not in commended and index >= bottom and (_faults(r) or Decimal(r["share"]) < PASSING_SHARE)
    ]
    return {
        "period": period_name(start, end),
        "as_of": assessment.ledger_day.isoformat(),
        "items": ledger.total,
        "closed": ledger.closed,
        "open": ledger.remaining,
        # Late at the period's end, over the whole plan: the ledger's and the bulletin's count.
        "late": len(late_items_as_of(plan, assessment.ledger_day)),
        "total_points": f"{assessment.scheme.total.normalize():f}",
        "regions": regions,
        "commended": commended,
        "criticised": criticised,
    }


def _office_name(plan: Plan) -> str:
    """Who assessed: the province's programme office, or the city's (district's) office by its full name."""
    if plan.issuer.level == UnitLevel.PROVINCE:
        return "省“无废城市”建设工作推进组办公室"
    return DocumentSettings.for_office(plan.issuer).issuer


def _body(plan: Plan, figures: dict[str, Any]) -> list[str]:
    by_id = {r["unit_id"]: r for r in figures["regions"]}
    as_of = chinese_date(dt.date.fromisoformat(figures["as_of"]))
    paragraphs = [
        f"按照《{plan.title}》调度销号和考核评估机制，{_office_name(plan)}对{figures['period']}各地"
        "年度任务推进情况进行了调度评估。现将有关情况通报如下。",
        "一、总体情况",
        f"截至{as_of}，{plan_area(plan)}{figures['items']}项任务事项中，已销号{figures['closed']}项，正在推进{figures['open']}项，"
        f"其中逾期{figures['late']}项。",
        "二、工作推进较好的地区",
    ]
    if figures["commended"]:
        names = "、".join(by_id[pk]["name"] for pk in figures["commended"])
        paragraphs.append(f"{names}年度任务推进有力，按时报送、按期完成情况较好，考核评估得分位居前列，予以通报表扬。")
    else:
        paragraphs.append("本期没有无逾期事项且考核评估得分达到总分60%的地区，不予表扬。")
    paragraphs.append("三、工作推进滞后的地区")
    if figures["criticised"]:
        for pk in figures["criticised"]:
            region = by_id[pk]
            faults = "；".join(_faults(region)) or "考核评估得分低于总分60%"
            paragraphs.append(
                f"{region['name']}：考核评估得分{region['score']}分，位列第{region['rank']}名；{faults}。"
            )
        paragraphs.append("对以上地区予以通报批评。")
    else:
        paragraphs.append("本期各地均按要求推进，没有需要通报批评的地区。")
    paragraphs += [
        "四、工作要求",
        "各地要对照年度任务清单，认真查摆问题，逐项整改落实；被通报批评的地区要认真分析原因，切实采取措施，"
        "确保逾期事项尽快销号、年度任务按期完成。",
    ]
    return paragraphs


def circular_draft(*, plan: Plan, by: User, start: dt.date, end: dt.date) -> Notice:
    """A 通报 for ``start``–``end`` drafted from the figures, waiting for the 签发人: addressed to the plan's
    regions, copied to the units of their 包保 leaders."""
    if not can_prepare(by, plan.issuer_id):
        raise NotAllowed(_("Only the plan's own office drafts a circular."))
    period_check(start, end, plan=plan)
    from .ladder import issuer_name

    figures = circular_figures(plan, start, end)
    regions = [r["unit_id"] for r in figures["regions"]]
    copied = list(
        dict.fromkeys(
            Pairing.objects.filter(plan=plan, regions__in=regions).order_by("pk").values_list("unit__name", flat=True)
        )
    )
    notice = Notice.objects.create(
        kind=DocumentKind.CIRCULAR,
        state=NoticeState.DRAFT,
        plan=plan,
        issuer=issuer_name(plan.issuer),
        office=plan.issuer,
        title=f"关于{figures['period']}{plan_area(plan)}“无废城市”建设年度任务推进情况的通报",
        body="\n".join(_body(plan, figures)),
        addressees="、".join(r["name"] for r in figures["regions"]),
        copy_to="、".join(name for name in copied if name),
        period_start=start,
        period_end=end,
        figures=figures,
        # Drafted today; a period of a past year on its last day, so that it can be signed and numbered in its year.
        drafted_on=today if (today := timezone.localdate()).year <= end.year else end,
        drafted_at=timezone.now(),
    )
    notice.sent_to.set(regions)
    return notice


def circular_copied_people(notice: Notice) -> list[User]:
    """The 包保 leaders of the regions a circular names: it is copied to them."""
    if notice.plan_id is None:
        return []
    leaders = Pairing.objects.filter(plan_id=notice.plan_id, regions__in=notice.sent_to.all()).values("leader_id")
    return list(User.objects.filter(Q(pk__in=leaders), is_active=True).order_by("pk"))
