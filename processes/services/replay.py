"""A plan's year replayed day by day: the real scheduled jobs and simulated people, each row written at the
simulated moment.

Each day runs what beat runs (06:10 rounds opened, 07:30 the deadline sweep, 07:45 region warnings, deliveries
after every commit) and, on working days, what people do: units report progress and completion — most on time,
some late, a few not at all, each unit keeping its habit (seeded) — and answer notices; leaders sign off;
supervisors accept, verify or return; the office closes out and publishes a bulletin after each two months;
包保 leaders visit their regions. Everything goes through the services, with their permission checks, under a
clock set to the simulated moment (``time_machine``), so the history, the outbox and the documents read as if
the year had been lived. It is how the whole year is seen at once: the acceptance test of every time-dependent
feature and the source of the demo.

It refuses to run under production settings, and on a plan with activity by people that it did not write. It can
be continued: a second run starts the day after the last day replayed.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from processes import workdays
from processes.models import (
    IN_LIBRARY_STATES,
    PROJECT_KINDS,
    Assignment,
    AssignmentState,
    AssignmentTransition,
    Bulletin,
    DeadlineKind,
    Notice,
    NoticeState,
    Obligation,
    ObligationKind,
    ObligationState,
    Pairing,
    Plan,
    Project,
    ProjectEvent,
    ProjectLibrary,
    ProjectMilestone,
    ProjectState,
    ReplayState,
    Report,
    ReportKind,
    ReportStatus,
    Role,
    Round,
    SweepState,
    TransitionAction,
    Unit,
    UnitLevel,
    User,
    Visit,
)

from .history import end_of_day, obligations_owed_as_of
from .ladder import owed_now
from .lifecycle import LifecycleError
from .plans import PlanNotFound, plan_of

logger = logging.getLogger(__name__)

SIMULATED_PREFIX = "sim-"
# Each unit keeps one habit for the year: the share of units with it.
HABITS = (("punctual", 0.7), ("late", 0.2), ("silent", 0.1))
ON_TIME = {"punctual": 0.95, "late": 0.5, "silent": 0.5}  # of what a unit of the habit hands in, the share on time
SILENT_NEVER = 0.85  # what a mostly silent unit never hands in
RETURN_SHARE = 0.08  # progress reports a supervisor returns
COMPLETION_RETURN_SHARE = 0.15  # completion reports returned
PROGRESS_TEXTS = (
    "已召开专题推进会，细化任务分工，按计划推进。",
    "已完成阶段性目标，正在开展现场核查和资料整理。",
    "相关方案已印发，各责任部门正在组织实施。",
    "已建立工作台账，每月调度一次，进展总体顺利。",
    "项目前期手续已办理完毕，正在推进建设。",
)
PROBLEM_TEXTS = ("", "", "资金保障不足，部分项目进度滞后。", "跨部门协调难度较大，需进一步统筹。")
COMPLETION_TEXTS = (
    "任务已按要求完成，相关佐证材料已上传，申请销号。",
    "已完成全部工作内容并通过验收，申请销号。",
)
HIGHLIGHTS_PER_BULLETIN = 2
RETURN_REASONS = ("佐证材料不完整，请补充相关文件后重新报送。", "进展描述过于笼统，请补充具体数据和完成情况。")
ANSWER_TEXTS = ("已组织专题研究，制定整改措施，明确责任人和完成时限，整改工作正在推进。",)
# 项目库: each project keeps a pace for the year (invested against its 序时进度); a few lag well behind it.
PROJECT_LAGGING = 0.2  # the share of projects investing at half to two thirds of their plan
MILESTONE_LATE = 0.25  # the share of milestones reached two weeks to two months after their planned date
PROJECT_RETURN_SHARE = 0.1  # bimonthly reports the office returns
LAG_ANSWERED = 0.5  # explanations of a lag the region gives (the others stay owed and climb the ladder)
PROJECT_TEXTS = (
    "主体厂房钢结构施工中，设备基础已完成。",
    "土建工程按计划推进，主要设备已完成招标采购。",
    "生产线设备安装调试中，配套工程同步建设。",
    "前期手续已办结，施工队伍已进场。",
)
PROJECT_PROBLEMS = ("", "", "建设资金到位滞后。", "用地、环评等审批进度偏慢。")
PROJECT_RETURN_REASONS = (
    "现场照片与形象进度描述不符，请补充近期施工照片后重新报送。",
    "累计完成投资与上期数据衔接不上，请核实后重新报送。",
)
LAG_TEXTS = ("受建设资金到位和审批进度影响，投资完成滞后于序时进度；已协调金融机构加快放款，预计下期追上序时进度。",)


class ReplayRefused(Exception):
    """The replay will not run here, or not on this plan: the message says why."""


@dataclass
class ReplayFigures:
    year: int
    first_day: str
    last_day: str
    seed: int
    calendar: str
    days: int = 0
    rounds: int = 0
    reports_on_time: int = 0
    reports_late: int = 0
    reports_missing: int = 0
    notices: dict[str, int] = field(default_factory=dict)
    max_notices_per_unit_per_month: int = 0
    documents_waiting: int = 0  # drafts not signed by the last day
    messages: int = 0
    max_messages_per_person_per_day: int = 0
    visits: int = 0
    bulletins: int = 0
    returned: int = 0
    closed: int = 0
    open: int = 0
    # 项目库 (the library of the plan's office, when it has one)
    projects: int = 0  # in the library on the last day (入库, 在建, 建成投运)
    projects_started: int = 0  # 在建 or 建成投运 on the last day
    projects_completed: int = 0  # 建成投运
    project_reports: int = 0  # bimonthly reports handed in by the last day
    lag_explanations_owed: int = 0  # explanations of a lag still owed on the last day

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@contextmanager
def simulated_moment(day: dt.date, hour: int, minute: int = 0) -> Iterator[None]:
    """Run the block with the clock at ``day`` ``hour``:``minute`` in the project's time zone."""
    import time_machine

    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
    with time_machine.travel(moment, tick=False):
        yield


@contextmanager
def _tasks_run_in_place() -> Iterator[None]:
    """Celery tasks queued by the jobs run at once, inside the simulated moment, not later on a worker."""
    from workflow.celery import app

    before = app.conf.task_always_eager
    trace = logging.getLogger("celery.app.trace")  # one line per task run: thousands over a year
    level = trace.level
    app.conf.task_always_eager = True
    trace.setLevel(logging.WARNING)
    try:
        yield
    finally:
        app.conf.task_always_eager = before
        trace.setLevel(level)


def _person(unit: Unit, role: str, label: str) -> User:
    """An active person of ``unit`` with ``role``: one who exists, or a simulated one (no password, no e-mail)."""
    found = User.objects.filter(unit=unit, role=role, is_active=True).order_by("pk").first()
    if found is not None:
        return found
    user, _created = User.objects.get_or_create(
        username=f"{SIMULATED_PREFIX}{unit.code}-{role}".lower(),
        defaults={"unit": unit, "role": role, "last_name": f"{unit.short_name or unit.name}{label}（模拟）"},
    )
    if _created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _signer(office: Unit) -> User:
    """The office's 签发人: one who exists, or the office's leader made one (simulated if there is none)."""
    found = User.objects.filter(is_active=True, is_signer=True, unit=office).order_by("pk").first()
    if found is not None:
        return found
    leader = _person(office, Role.LEADER, "签发人")
    User.objects.filter(pk=leader.pk).update(is_signer=True)
    leader.is_signer = True
    return leader


class Simulation:
    """The people of one plan and their habits, and what each of them does on a working day."""

    def __init__(self, plan: Plan, seed: int) -> None:
        self.plan = plan
        self.seed = seed
        office = plan.issuer
        self.supervisor = _person(office, Role.SUPERVISOR, "督办员")
        self.admin = _person(office, Role.ADMIN, "管理员")
        self.signer = _signer(office)
        units = Unit.objects.filter(assignments__task__plan=plan).distinct().order_by("position", "code")
        self.reporter = {unit.pk: _person(unit, Role.REPORTER, "填报员") for unit in units}
        self.leader = {unit.pk: _person(unit, Role.LEADER, "负责人") for unit in units}
        rng = random.Random(f"{seed}:habits")  # noqa: S311 - a simulation, not security
        names = [name for name, _share in HABITS]
        weights = [share for _name, share in HABITS]
        self.habit = {unit.pk: rng.choices(names, weights)[0] for unit in units}

    def rng(self, *key: object) -> random.Random:
        """A generator fixed by the seed and ``key``: the same decision whatever day it is asked. Keys are what the
        plan names (序号, unit code, due date), never row ids, so a seed lives the same year in any database."""
        return random.Random(":".join(str(part) for part in (self.seed, *key)))  # noqa: S311

    @staticmethod
    def key(obligation: Obligation) -> str:
        """An obligation as the plan names it: task, unit, what is owed and when."""
        assignment = obligation.assignment
        owed = f"{obligation.kind}/{obligation.label}/{obligation.due_date}"
        return f"{assignment.task.number}/{assignment.unit.code}/{owed}"

    def report_day(self, unit_id: int, due: dt.date, opened: dt.date, *key: object) -> dt.date | None:
        """When a unit of its habit reports something due on ``due`` (None: never)."""
        rng = self.rng(*key)
        habit = self.habit.get(unit_id, "punctual")
        if habit == "silent" and rng.random() < SILENT_NEVER:
            return None
        if rng.random() < ON_TIME[habit]:
            day = workdays.add_workdays(due, -rng.randint(0, 4))
        else:
            day = workdays.add_workdays(due, rng.randint(1, 12))
        return max(day, workdays.add_workdays(opened, 1))

    # --- the day's people ---------------------------------------------------------------------------------

    def work(self, day: dt.date) -> Counter[str]:
        done: Counter[str] = Counter()
        steps: list[tuple[int, Callable[[dt.date], int], str]] = [
            (8, self.office_signs, "signed"),
            (9, self.units_report_progress, "progress"),
            (9, self.units_report_projects, "project_reports"),
            (10, self.units_report_completion, "completion"),
            (11, self.units_answer_notices, "answers"),
            (14, self.leaders_sign_off, "signoff"),
            (15, self.supervisors_review, "reviews"),
            (15, self.office_reviews_projects, "project_reviews"),
            (16, self.office_closes_out, "closed"),
            (16, self.leaders_visit, "visits"),
            (17, self.office_publishes_bulletin, "bulletins"),
        ]
        for hour, step, name in steps:
            with simulated_moment(day, hour, 30 if name in ("visits",) else 0):
                done[name] += step(day)
        return done

    def _owed(self, day: dt.date) -> QuerySet[Obligation]:
        """What the plan's units owe now. People act in the simulated present, so the current states are that
        day's: no need to read them back from the history (the jobs, which can run for any day, do)."""
        return Obligation.objects.filter(
            owed_now(), assignment__task__plan=self.plan, due_date__lte=day + dt.timedelta(days=40)
        )

    def units_report_progress(self, day: dt.date) -> int:
        from .rounds import last_percent, progress_save

        returned = Q(transitions__action=TransitionAction.PROGRESS_RETURNED)
        owed = (
            self._owed(day)
            .filter(kind__in=[ObligationKind.ROUND, ObligationKind.OCCURRENCE, ObligationKind.MILESTONE])
            .select_related("assignment__task", "assignment__unit")
            .annotate(
                returns=Count("transitions", filter=returned), last_return=Max("transitions__at", filter=returned)
            )
        )
        count = 0
        for obligation in owed:
            unit_id = obligation.assignment.unit_id
            returns = obligation.returns
            opened = timezone.localdate(obligation.created_at)
            when = self.report_day(unit_id, obligation.due_date, opened, "progress", self.key(obligation), returns)
            if returns:
                pause = self.rng("resubmit", self.key(obligation), returns).randint(2, 6)
                when = workdays.add_workdays(timezone.localdate(obligation.last_return), pause)
            if when is None or when > day:
                continue
            rng = self.rng("text", self.key(obligation), returns)
            percent = self._percent(obligation.assignment, day, last_percent(obligation.assignment))
            try:
                progress_save(
                    obligation=obligation,
                    by=self.reporter[unit_id],
                    text=rng.choice(PROGRESS_TEXTS),
                    percent=percent,
                    problems=rng.choice(PROBLEM_TEXTS),
                    next_steps="按计划继续推进。",
                    submit=True,
                )
            except LifecycleError as refused:
                logger.info("replay: %s could not report %s: %s", unit_id, obligation.pk, refused)
                continue
            count += 1
        return count

    def _percent(self, assignment: Assignment, day: dt.date, last: int | None) -> int:
        start, due = self.plan.starts_on, assignment.due_date or dt.date(self.plan.year, 12, 31)
        elapsed = (day - start).days / max((due - start).days, 1)
        return max(last or 0, min(95, int(elapsed * 90) // 5 * 5))

    def units_report_completion(self, day: dt.date) -> int:
        from .lifecycle import assignment_report

        returned = Q(transitions__action=TransitionAction.RETURNED)
        open_items = (
            Assignment.objects.filter(
                task__plan=self.plan,
                state__in=[AssignmentState.ASSIGNED, AssignmentState.RETURNED],
                suspended_at__isnull=True,
                due_date__isnull=False,
            )
            .select_related("task")
            .annotate(
                returns=Count("transitions", filter=returned), last_return=Max("transitions__at", filter=returned)
            )
        )
        count = 0
        for item in open_items:
            returns = item.returns
            rng = self.rng("completion", item.task.number, item.unit.code, returns)
            due = item.due_date
            assert due is not None  # noqa: S101 - filtered above
            if item.task.deadline_kind in (DeadlineKind.ONGOING, DeadlineKind.RECURRING):
                due = dt.date(self.plan.year, 12, rng.randint(1, 28))  # ongoing work is summed up in December
            when = self.report_day(
                item.unit_id, due, self.plan.starts_on, "completion", item.task.number, item.unit.code, returns
            )
            if returns:
                # New evidence takes a while: a week or three, longer for a unit that is late anyway.
                slow = self.habit.get(item.unit_id) != "punctual"
                when = workdays.add_workdays(timezone.localdate(item.last_return), rng.randint(5, 20 if slow else 12))
            if when is None or when > day:
                continue
            try:
                assignment_report(assignment=item, by=self.reporter[item.unit_id], text=rng.choice(COMPLETION_TEXTS))
            except LifecycleError as refused:
                logger.info("replay: item %s not reported: %s", item.pk, refused)
                continue
            count += 1
        return count

    def office_signs(self, day: dt.date) -> int:
        """The 签发人 signs, each working morning, the drafts made before today (the sweep drafts at dawn, a visit's
        outcome in the afternoon): a document goes out the working day after it is drafted."""
        from .signing import drafts, notices_sign

        waiting = list(drafts(self.plan.issuer).filter(drafted_on__lt=day))  # its own office's
        if not waiting:
            return 0
        return len(notices_sign(notices=waiting, by=self.signer, on=day))

    def units_answer_notices(self, day: dt.date) -> int:
        from .notices import notice_answer

        unanswered = Notice.objects.filter(
            state=NoticeState.ISSUED,
            answered_at__isnull=True,
            issued_on__lte=day,
            unit_id__in=list(self.reporter),
            response_due__isnull=False,
        ).order_by("issued_on", "pk")
        count = 0
        for notice in unanswered:
            unit_id, due, issued = notice.unit_id or 0, notice.response_due or day, notice.issued_on or day
            when = self.report_day(unit_id, due, issued, "answer", notice.doc_no)
            if when is None or when > day:
                continue
            try:
                notice_answer(notice=notice, by=self.leader[unit_id], text=ANSWER_TEXTS[0])
            except LifecycleError as refused:
                logger.info("replay: notice %s not answered: %s", notice.pk, refused)
                continue
            count += 1
        return count

    def leaders_sign_off(self, day: dt.date) -> int:
        from .lifecycle import assignment_sign_off

        count = 0
        for item in Assignment.objects.filter(task__plan=self.plan, state=AssignmentState.SIGNOFF):
            assignment_sign_off(assignment=item, by=self.leader[item.unit_id], approve=True)
            count += 1
        return count

    def supervisors_review(self, day: dt.date) -> int:
        from .lifecycle import assignment_return, assignment_verify
        from .rounds import progress_accept, progress_return

        before = end_of_day(workdays.add_workdays(day, -1))
        count = 0
        submitted = (
            Obligation.objects.filter(assignment__task__plan=self.plan, state="submitted", submitted_at__lt=before)
            .exclude(kind=ObligationKind.DEADLINE)
            .exclude(kind__in=PROJECT_KINDS)  # the library's office reviews those: office_reviews_projects
            .select_related("assignment__task", "assignment__unit")
        )
        for obligation in submitted:
            rng = self.rng("review", self.key(obligation), obligation.submitted_at)
            if obligation.kind != ObligationKind.NOTICE_RESPONSE and rng.random() < RETURN_SHARE:
                progress_return(obligation=obligation, by=self.supervisor, reason=rng.choice(RETURN_REASONS))
            else:
                progress_accept(obligation=obligation, by=self.supervisor)
            count += 1
        for item in self._waiting(AssignmentState.REPORTED, before):
            rng = self.rng("verify", item.task.number, item.unit.code, item.last_step)  # type: ignore[attr-defined]
            if rng.random() < COMPLETION_RETURN_SHARE:
                assignment_return(assignment=item, by=self.supervisor, reason=rng.choice(RETURN_REASONS))
            else:
                assignment_verify(assignment=item, by=self.supervisor)
            count += 1
        return count

    # --- 项目库: the regions' project reports and the office's review ------------------------------------------

    def project_pace(self, project: Project) -> float:
        """How the project invests against its 序时进度 all year: about on plan, or (a few) well behind it."""
        rng = self.rng("pace", project.region.code, project.name)
        return rng.uniform(0.45, 0.68) if rng.random() < PROJECT_LAGGING else rng.uniform(0.93, 1.1)

    def milestone_day(self, milestone: ProjectMilestone, project: Project) -> dt.date:
        """The day the project reaches ``milestone``: near its planned date, some weeks late for a few."""
        rng = self.rng("milestone", project.region.code, project.name, milestone.kind, milestone.label)
        shift = rng.randint(15, 60) if rng.random() < MILESTONE_LATE else rng.randint(-10, 5)
        return milestone.planned_date + dt.timedelta(days=shift)

    def invested_by(self, project: Project, period_end: dt.date, before: Decimal) -> Decimal:
        """累计完成投资 at a period's end: its 序时进度 at the project's pace, with a little noise, never less than
        last reported nor more than planned."""
        from .projects import amount, planned_by

        noise = self.rng("invest", project.region.code, project.name, period_end).uniform(-0.04, 0.04)
        value = planned_by(project, period_end) * Decimal(str(round(self.project_pace(project) + noise, 4)))
        return amount(min(max(value, before), project.planned_investment))

    def units_report_projects(self, day: dt.date) -> int:
        """Each region files its projects' reports: a bimonthly report when due (most on time, some late, some never,
        by the unit's habit) with 累计完成投资 at the project's pace and the milestones reached by then; a milestone
        on its own once reached; and, sometimes, the explanation of a lag."""
        from .projects import latest_progress, project_report_save

        returned = Q(transitions__action=TransitionAction.PROGRESS_RETURNED)
        owed = (
            self._owed(day)
            .filter(kind__in=PROJECT_KINDS)
            .select_related("project__region", "project__library", "project_milestone", "assignment__task")
            .select_related("assignment__unit")
            .annotate(
                returns=Count("transitions", filter=returned), last_return=Max("transitions__at", filter=returned)
            )
            .order_by("due_date", "pk")
        )
        count = 0
        for obligation in owed:
            project, unit_id, returns = obligation.project, obligation.assignment.unit_id, obligation.returns
            if project is None or unit_id not in self.reporter:
                continue
            key = self.key(obligation)
            opened = timezone.localdate(obligation.created_at)
            rng = self.rng("project-text", key, returns)
            reached: dict[int, dt.date] = {}
            if obligation.kind == ObligationKind.PROJECT_LAG:
                if not self.rng("lag", key).random() < LAG_ANSWERED:
                    continue
                when: dt.date | None = workdays.add_workdays(
                    obligation.due_date, self.rng("lag-day", key).randint(1, 8)
                )
            elif obligation.kind == ObligationKind.PROJECT_MILESTONE:
                milestone = obligation.project_milestone
                if milestone is not None:
                    milestone.refresh_from_db(fields=["actual_date"])  # a report earlier today may have named it
                if milestone is None or milestone.actual_date is not None:
                    continue
                reached_on = self.milestone_day(milestone, project)
                when = self.report_day(unit_id, max(reached_on, obligation.due_date), opened, "milestone", key, returns)
                when = None if when is None else max(when, reached_on)
                reached = {milestone.pk: reached_on}
            else:
                when = self.report_day(unit_id, obligation.due_date, opened, "project", key, returns)
            if returns:
                pause = self.rng("resubmit", key, returns).randint(2, 6)
                when = workdays.add_workdays(timezone.localdate(obligation.last_return), pause)
            if when is None or when > day:
                continue
            previous = latest_progress([project.pk]).get(project.pk)
            before = previous.invested_total if previous is not None and previous.invested_total else Decimal(0)
            period, total = None, None
            text = rng.choice(PROJECT_TEXTS)
            if obligation.kind == ObligationKind.PROJECT_REPORT:
                total = self.invested_by(project, obligation.period_end or obligation.due_date, before)
                period = total - before
                for milestone in project.milestones.filter(actual_date__isnull=True):
                    reached_on = self.milestone_day(milestone, project)
                    if reached_on <= day:
                        reached[milestone.pk] = reached_on
            elif obligation.kind == ObligationKind.PROJECT_LAG:
                period, total, text = Decimal(0), before, LAG_TEXTS[0]
            try:
                project_report_save(
                    obligation=obligation,
                    by=self.reporter[unit_id],
                    invested_period=period,
                    invested_total=total,
                    image_progress=text,
                    problems=rng.choice(PROJECT_PROBLEMS),
                    coordination="",
                    milestones_reached=reached,
                    submit=True,
                )
            except LifecycleError as refused:
                logger.info("replay: %s could not report on project %s: %s", unit_id, project.pk, refused)
                continue
            count += 1
        return count

    def office_reviews_projects(self, day: dt.date) -> int:
        """The library's office reviews a project report one to four working days after it came: most accepted, a
        few bimonthly reports returned with the reason. A milestone handed in with a bimonthly report is confirmed
        (or returned) with that report."""
        from .projects import project_report_accept, project_report_return

        submitted = (
            Obligation.objects.filter(
                assignment__task__plan=self.plan, state=ObligationState.SUBMITTED, kind__in=PROJECT_KINDS
            )
            .filter(reports__status=ReportStatus.SUBMITTED)
            .distinct()
            .select_related("assignment__task", "assignment__unit")
            .order_by("submitted_at", "pk")
        )
        count = 0
        for obligation in submitted:
            assert obligation.submitted_at is not None  # noqa: S101 - submitted
            rng = self.rng("project-review", self.key(obligation), obligation.submitted_at)
            if workdays.add_workdays(timezone.localdate(obligation.submitted_at), rng.randint(1, 4)) > day:
                continue
            try:
                if obligation.kind == ObligationKind.PROJECT_REPORT and rng.random() < PROJECT_RETURN_SHARE:
                    project_report_return(
                        obligation=obligation, by=self.supervisor, reason=rng.choice(PROJECT_RETURN_REASONS)
                    )
                else:
                    project_report_accept(obligation=obligation, by=self.supervisor)
            except LifecycleError as refused:
                logger.info("replay: project report %s not reviewed: %s", obligation.pk, refused)
                continue
            count += 1
        return count

    def office_closes_out(self, day: dt.date) -> int:
        from .lifecycle import assignment_close

        count = 0
        for item in self._waiting(AssignmentState.VERIFIED, end_of_day(workdays.add_workdays(day, -1))):
            assignment_close(assignment=item, by=self.admin)
            count += 1
        return count

    def _waiting(self, state: str, before: dt.datetime) -> QuerySet[Assignment]:
        """The plan's items in ``state`` whose last step came before ``before``: people take a day to look."""
        return (
            Assignment.objects.filter(task__plan=self.plan, state=state)
            .select_related("task", "unit")
            .annotate(last_step=Max("transitions__at"))
            .filter(last_step__lt=before)
            .order_by("pk")
        )

    def leaders_visit(self, day: dt.date) -> int:
        from processes.models import FocusArea, VisitOutcome

        from .pairings import visit_record

        owed = (
            self._owed(day)
            .filter(kind=ObligationKind.VISIT)
            .select_related("pairing", "region", "assignment__task", "assignment__unit")
        )
        count = 0
        for obligation in owed:
            pairing, region = obligation.pairing, obligation.region
            if pairing is None or region is None or not (pairing.start <= day <= pairing.end):
                continue
            rng = self.rng("visit", self.key(obligation), region.code)
            when = workdays.add_workdays(obligation.due_date, -rng.randint(3, 25))
            if when > day:
                continue
            visitor = pairing.leader or _person(pairing.unit, Role.LEADER, "负责人")
            late = self._late_share(region, day)
            base = 5 if late < 0.1 else 4 if late < 0.25 else 3
            ratings = {area: max(1, min(5, base + rng.choice((-1, 0, 0, 1)))) for area in FocusArea.values}
            outcome, reason = VisitOutcome.NONE, ""
            if late >= 0.3 and rng.random() < 0.5:
                outcome, reason = VisitOutcome.WARNING, "slow_progress"
            visit_record(
                pairing=pairing,
                region=region,
                by=visitor,
                visited_on=day,
                participants=f"{visitor.last_name or visitor.username}等",
                ratings=ratings,
                findings="实地查看重点项目，听取工作汇报，梳理存在问题。",
                outcome=outcome,
                reason=reason,
            )
            count += 1
        return count

    def _late_share(self, region: Unit, day: dt.date) -> float:
        items = Obligation.objects.filter(
            assignment__task__plan=self.plan, assignment__unit=region, due_date__lt=day
        ).exclude(kind=ObligationKind.VISIT)
        total = items.count()
        late = items.filter(owed_now()).count()
        return late / total if total else 0.0

    def office_publishes_bulletin(self, day: dt.date) -> int:
        """After each two months, on the first working day from the 10th of the next month: that period's issue,
        carrying the progress and, as highlights, the period's last two completion reports (申请销号)."""
        from .bulletins import bulletin_draft, bulletin_pick_highlights, bulletin_publish, highlight_candidates

        if day.day < 10 or day.month % 2 == 0 or day.month == 1:
            return 0
        end = day.replace(day=1) - dt.timedelta(days=1)
        start = (end - dt.timedelta(days=40)).replace(day=1)
        if end < self.plan.starts_on or Bulletin.objects.filter(plan=self.plan, period_end=end).exists():
            return 0
        bulletin = bulletin_draft(
            plan=self.plan, by=self.admin, period_start=max(start, self.plan.starts_on), period_end=end, issued_on=day
        )
        highlights = highlight_candidates(bulletin).filter(kind=ReportKind.COMPLETION).values_list("pk", flat=True)
        if picked := list(highlights[:HIGHLIGHTS_PER_BULLETIN]):
            bulletin_pick_highlights(bulletin=bulletin, by=self.admin, reports=picked)
        bulletin_publish(bulletin=bulletin, by=self.admin)
        return 1


def _foreign_activity(plan: Plan, since: dt.datetime | None) -> int:
    """Steps taken on the plan by people after ``since`` (None: ever), other than the import's."""
    from .plan_import import IMPORT_ACTIONS

    steps = AssignmentTransition.objects.filter(assignment__task__plan=plan, by__isnull=False).exclude(
        action__in=IMPORT_ACTIONS
    )
    visits = Visit.objects.filter(pairing__plan=plan)
    if since is not None:
        steps, visits = steps.filter(at__gte=since), visits.filter(recorded_at__gte=since)
    return steps.count() + visits.count()


def _ensure_pairing(plan: Plan, sim: Simulation) -> None:
    """Without any pairing, the provincial department's leader is paired with every city for the plan's run."""
    from .pairings import pairing_save, visits_task

    if Pairing.objects.filter(plan=plan).exists() or visits_task(plan) is None:
        return
    department = (
        Unit.objects.filter(level=UnitLevel.PROVINCE, is_office=False, children__isnull=False).distinct().first()
    )
    cities = list(Unit.objects.filter(level=UnitLevel.CITY, assignments__task__plan=plan).distinct())
    if department is None or not cities:
        return
    pairing_save(
        plan=plan,
        level=UnitLevel.PROVINCE,
        leader=_person(department, Role.LEADER, "负责人"),
        unit=department,
        regions=cities,
        start=plan.starts_on,
        end=dt.date(plan.year, 12, 31),
        by=sim.admin,
    )


def replay_year(
    *,
    year: int,
    issuer: str | None = None,
    until: dt.date | None = None,
    seed: int = 1,
    progress: Callable[[dt.date, Counter[str]], None] | None = None,
) -> ReplayFigures:
    """Replay the plan of the office ``issuer`` (default: the province's) and ``year`` from its start (or the day
    after the last day replayed) to ``until`` (default: yesterday, or the year's end). Returns the figures of the
    whole replayed run."""
    if not settings.SIMULATION_ALLOWED:
        raise ReplayRefused(_("The replay writes simulated activity: it does not run under production settings."))
    try:
        plan = plan_of(issuer, year)
    except PlanNotFound as exc:
        raise ReplayRefused(str(exc)) from exc
    state = ReplayState.objects.filter(plan=plan).first()
    if state is not None and state.seed != seed:
        raise ReplayRefused(
            _("The plan of %(year)s was replayed with seed %(old)s; continue it with that seed.")
            % {"year": year, "old": state.seed}
        )
    foreign = _foreign_activity(plan, end_of_day(state.last_day) if state else None)
    if foreign:
        raise ReplayRefused(
            _("The plan of %(year)s has %(count)s steps taken by people, not by the replay; it is not replayed.")
            % {"year": year, "count": foreign}
        )
    last = until or min(timezone.localdate() - dt.timedelta(days=1), dt.date(year, 12, 31))
    first = state.last_day + dt.timedelta(days=1) if state else plan.starts_on
    with _tasks_run_in_place():
        with simulated_moment(plan.starts_on if state is None else first, 8):
            sim = Simulation(plan, seed)
            _ensure_pairing(plan, sim)
        day = first
        while day <= last:
            done = _replay_day(plan, sim, day)
            with simulated_moment(day, 23, 59):
                ReplayState.objects.update_or_create(plan=plan, defaults={"seed": seed, "last_day": day})
            if progress is not None:
                progress(day, done)
            day += dt.timedelta(days=1)
    return replay_figures(plan, seed=seed, until=max(last, first - dt.timedelta(days=1)))


def _replay_day(plan: Plan, sim: Simulation, day: dt.date) -> Counter[str]:
    from notifications.services import message_deliver, messages_due

    from .ladder import sweep_day
    from .projects import projects_sync_for_plan
    from .region_warnings import region_warnings_check
    from .rounds import rounds_open_due

    done: Counter[str] = Counter()
    with simulated_moment(day, 6, 10):
        done["rounds"] += len(rounds_open_due(plan=plan, as_of=day))
        done["project_obligations"] += projects_sync_for_plan(plan, day)
    with simulated_moment(day, 7, 30):
        done["fired"] += len(sweep_day(day, plans=Plan.objects.filter(pk=plan.pk)))
        SweepState.objects.update_or_create(name="daily", defaults={"last_swept": day})
    with simulated_moment(day, 7, 45):
        done["region_warnings"] += len(region_warnings_check(day))
    if workdays.is_workday(day):
        done += sim.work(day)
    with simulated_moment(day, 18, 0):  # what waits in the outbox (a retry, a message queued outside a commit)
        for message_id in messages_due():
            message_deliver(message_id)
    return done


def replay_figures(plan: Plan, *, seed: int, until: dt.date) -> ReplayFigures:
    """What the plan's year produced from its start to ``until``, read from the database."""
    from notifications.models import Message

    start = plan.starts_on
    figures = ReplayFigures(
        year=plan.year,
        first_day=start.isoformat(),
        last_day=until.isoformat(),
        seed=seed,
        calendar=workdays.calendar_status([plan.year]),
        days=max((until - start).days + 1, 0),
    )
    figures.rounds = Round.objects.filter(plan=plan, opened_at__lt=end_of_day(until)).count()
    reports = Obligation.objects.filter(
        assignment__task__plan=plan,
        kind__in=[ObligationKind.ROUND, ObligationKind.OCCURRENCE, ObligationKind.MILESTONE],
        due_date__lte=until,
    )
    figures.reports_on_time = reports.filter(submitted_at__lt=end_of_day(until), late=False).count()
    figures.reports_late = reports.filter(submitted_at__lt=end_of_day(until), late=True).count()
    figures.reports_missing = obligations_owed_as_of(reports, until).count()
    # The plan's notices: those listing its items, and those its 包保 visits issued.
    of_plan = Q(items__assignment__task__plan=plan) | Q(visit__pairing__plan=plan)
    notices = Notice.objects.filter(of_plan, issued_on__lte=until).distinct()
    figures.notices = {
        kind: count for kind, count in notices.values_list("kind").annotate(n=Count("pk", distinct=True)).order_by()
    }
    per_month = (
        Notice.objects.filter(pk__in=notices.values("pk"))
        .annotate(month=TruncMonth("issued_on"))
        .values("unit_id", "month")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    figures.max_notices_per_unit_per_month = per_month["n"] if per_month else 0
    figures.documents_waiting = Notice.objects.filter(plan=plan, state=NoticeState.DRAFT, drafted_on__lte=until).count()
    messages = Message.objects.filter(created_at__gte=timezone.make_aware(dt.datetime.combine(start, dt.time.min)))
    messages = messages.filter(created_at__lt=end_of_day(until))
    figures.messages = messages.count()
    busiest = (
        messages.filter(recipient__isnull=False)
        .annotate(day=TruncDate("created_at"))
        .values("recipient_id", "day")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    figures.max_messages_per_person_per_day = busiest["n"] if busiest else 0
    figures.visits = Visit.objects.filter(pairing__plan=plan, visited_on__lte=until).count()
    figures.bulletins = Bulletin.objects.filter(plan=plan, published_at__lt=end_of_day(until)).count()
    figures.returned = AssignmentTransition.objects.filter(
        assignment__task__plan=plan, action__in=["returned", "progress_returned"], at__lt=end_of_day(until)
    ).count()
    from .ledger import ledger_as_of

    ledger = ledger_as_of(plan, None, until)
    figures.closed, figures.open = ledger.closed, ledger.remaining
    _project_figures(figures, plan, until)
    return figures


def _project_figures(figures: ReplayFigures, plan: Plan, until: dt.date) -> None:
    """The projects of the library of the plan's office as they stood at the end of ``until``: their states read from
    their timelines, the reports handed in on the plan's items and the explanations still owed."""
    library = ProjectLibrary.objects.filter(office_id=plan.issuer_id).first()
    if library is None:
        return
    states: dict[int, str] = {}
    for project_id, target in (
        ProjectEvent.objects.filter(project__library=library, at__lt=end_of_day(until))
        .exclude(target="")
        .order_by("at", "pk")
        .values_list("project_id", "target")
    ):
        states[project_id] = target
    in_library = [state for state in states.values() if state in IN_LIBRARY_STATES]
    figures.projects = len(in_library)
    figures.projects_started = sum(state in (ProjectState.BUILDING, ProjectState.COMPLETED) for state in in_library)
    figures.projects_completed = sum(state == ProjectState.COMPLETED for state in in_library)
    owed = Obligation.objects.filter(assignment__task__plan=plan, project__library=library)
    figures.project_reports = (
        Report.objects.filter(
            obligation__in=owed.filter(kind=ObligationKind.PROJECT_REPORT), submitted_at__lt=end_of_day(until)
        )
        .values("obligation_id")
        .distinct()
        .count()
    )
    figures.lag_explanations_owed = obligations_owed_as_of(
        owed.filter(kind=ObligationKind.PROJECT_LAG, due_date__lte=until), until
    ).count()


__all__ = ["ReplayFigures", "ReplayRefused", "replay_figures", "replay_year", "simulated_moment"]
