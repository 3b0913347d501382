import csv
import datetime as dt
import io
import re
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from processes import workdays
from processes.models import (
    Assignment,
    AssignmentState,
    ConcernReason,
    Distribution,
    DistributionLine,
    FocusArea,
    Notice,
    NoticeState,
    Obligation,
    ObligationState,
    Pairing,
    Plan,
    Project,
    ProjectField,
    ProjectLibrary,
    ProjectState,
    Role,
    Unit,
    UnitLevel,
    User,
    VisitOutcome,
)
from processes.services.lifecycle import assignment_report, assignment_return, assignment_sign_off
from processes.services.pairings import pairing_save, visit_record
from processes.services.plan_import import plan_import
from processes.services.projects import (
    PlannedMilestone,
    ProjectData,
    library_ensure,
    milestones_plan,
    parse_amount,
    project_admit,
    project_create,
    project_propose,
)
from processes.services.replay import ReplayRefused, replay_year, simulated_moment
from processes.services.units import InputRejected, unit_groups_load_csv, units_load_csv
from security.services import account_mark_demo

DATA = Path(settings.BASE_DIR) / "data"
PROGRAMME_OFFICE = "JL-PRO"
DEMO_PASSWORD = "zhongguo2023"  # noqa: S105 — the demo accounts' password, printed in the README
DEMO_USERS = (
    # username, last name (姓名), unit code, role, staff
    ("songyuan_reporter", "松原填报员", "220700", Role.REPORTER, False),
    ("songyuan_leader", "松原负责人", "220700", Role.LEADER, False),
    ("province_supervisor", "省督办员", "JL-PRO", Role.SUPERVISOR, False),
    ("office_admin", "推进组办公室管理员", "JL-PRO", Role.ADMIN, True),
    ("office_signer", "推进组办公室主任", "JL-PRO", Role.LEADER, False),
    ("baobao_leader", "省厅包保负责人", "JL-EEB", Role.LEADER, False),
    ("changchun_office", "长春市无废城市建设办公室管理员", "220100", Role.ADMIN, False),
)
DEMO_SIGNER = "office_signer"  # the office's 签发人: signs the numbered documents
# The demo distribution list of the bulletins (报 / 送 / 发), delivered to the local mail folder like everything else.
DEMO_DISTRIBUTION = (
    ("生态环境部固体废物与化学品司", "mee-solid-waste@wufei.localhost", DistributionLine.REPORT_TO),
    ("省“无废城市”建设工作推进组各成员单位", "members@wufei.localhost", DistributionLine.SEND_TO),
    ("各市（州）生态环境局", "city-bureaus@wufei.localhost", DistributionLine.SEND_TO),
    ("各县（市、区）“无废城市”建设牵头部门", "counties@wufei.localhost", DistributionLine.ISSUE_TO),
)
# The demo pairing: the provincial department's leader visits 松原 and 白城 every two months, from the plan's start.
DEMO_PAIRING = ("baobao_leader", "JL-EEB", ("220700", "220800"))
# The demo plan is the current year's, built on the 2023 annex, started about six months ago and lived up to
# yesterday by the replay (its seed).
DEMO_MONTHS_AGO = 6
DEMO_SEED = 1
DEMO_UNIT = "220700"  # 松原: the demo accounts' unit
# 细化: 长春市 runs its own plan under the province's, its office the city's 生态环境局, with a few city departments;
# some of its tasks name the provincial task they refine (对应省级任务). Not replayed: its items stand as imported.
CITY_OFFICE = "220100"
CITY_UNITS = "jilin-changchun-units.csv"
CITY_TASKS = "changchun-tasks.csv"
CITY_PLAN_DAYS_LATER = 45  # the city's plan follows the province's (the annex's task 13 gives cities to 7月31日)
# 项目库: the province's demo library, in the published table's columns, written for 2023 (the notice's year); the
# demo moves its years and dates to the demo plan's year. Loaded through the services; the table importer
# (project_import.projects_import) could load it instead.
DEMO_PROJECTS = DATA / "projects" / "jilin-2023-projects.csv"
DEMO_PROJECTS_YEAR = 2023
MILESTONE_COLUMNS = {
    "preparation": "前期手续完成时间",
    "start": "计划开工时间",
    "main_works": "主体完工时间",
    "operation": "竣工投运时间",
}


def _batch(text: str) -> int | None:
    """第一批 → 1; 储备 / 申报 (not admitted yet) → None."""
    found = re.fullmatch(r"第([一二三四五六七八九十\d]+)批", text.strip())
    if not found:
        return None
    digits = "一二三四五六七八九十"
    number = found.group(1)
    return int(number) if number.isdigit() else digits.index(number) + 1


def projects_load_csv(
    *,
    data: bytes,
    filename: str,
    library: ProjectLibrary,
    by: User,
    year_offset: int = 0,
    regions: Collection[str] | None = None,
) -> list[Project]:
    """The demo's project table entered through the services, as the office would on the regions' behalf: each row
    entered, and by its 批次 proposed (申报) or admitted (第一批 …) with its 倒排工期 dates; 储备 rows stay in the
    reserve. Years and dates move by ``year_offset``; ``regions`` (short names, 松原市) keeps those only. A row whose
    project exists is left as it is, so loading twice adds nothing."""
    loaded = []
    for row_number, row in enumerate(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))), start=2):
        place = row["所在地区"].strip()
        if regions is not None and place not in regions:
            continue
        region = Unit.objects.get(short_name=place, level=UnitLevel.CITY)
        name = row["项目名称"].strip()
        if Project.objects.filter(library=library, region=region, name=name).exists():
            continue
        years = [int(year) + year_offset for year in re.findall(r"\d{4}", row["建设年限"])]
        yearly = {}
        for column, value in row.items():
            found = re.fullmatch(r"(\d{4})年计划投资（万元）", column or "")
            if found and (value or "").strip():
                yearly[int(found.group(1)) + year_offset] = parse_amount(value, field=column)
        project = project_create(
            library=library,
            data=ProjectData(
                name=name,
                region=region,
                code=row["序号"].strip(),
                company=row["企业名称"].strip(),
                scale=row["项目建设规模及内容"].strip(),
                field=ProjectField.objects.filter(name=row["领域"].strip()).first(),
                start_year=years[0],
                end_year=years[-1],
                planned_investment=parse_amount(row["计划总投资（万元）"], field="planned_investment"),
                yearly=yearly,
                responsible_text=row["责任单位"].strip(),
                contact=row["联系人"].strip(),
                contact_phone=row["联系电话"].strip(),
                source_file=filename,
                source_row=row_number,
            ),
            by=by,
        )
        batch_text = row["批次"].strip()
        if batch_text != "储备":
            project = project_propose(project=project, by=by)
        batch = _batch(batch_text)
        if batch is not None:
            project = project_admit(project=project, by=by, batch=batch)
            planned = {kind: row.get(column, "").strip() for kind, column in MILESTONE_COLUMNS.items()}
            if any(planned.values()):
                milestones_plan(
                    project=project,
                    by=by,
                    milestones=[
                        PlannedMilestone(
                            milestone.label,
                            _moved(planned.get(milestone.kind, ""), year_offset) or milestone.planned_date,
                            milestone.kind,
                            milestone.pk,
                        )
                        for milestone in project.milestones.all()
                    ],
                )
        loaded.append(project)
    return loaded


def _moved(text: str, years: int) -> dt.date | None:
    if not text:
        return None
    day = dt.date.fromisoformat(text)
    return day.replace(year=day.year + years)


def demo_start(today: dt.date) -> dt.date:
    """About six months before ``today``, but inside today's year: the demo plan's 印发/实施 date."""
    start = today - dt.timedelta(days=DEMO_MONTHS_AGO * 30 + 2)
    return max(start, dt.date(today.year, 1, 5))


class Command(BaseCommand):
    help = (
        "Load the demo data: the Jilin units and groups, one account per role, and a plan of the current year built "
        "on the 2023 annex (吉环固体字〔2023〕15号), started about six months ago and lived up to yesterday by "
        "replay_year. Safe to run again: it updates what exists and continues the year from where it stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-replay", action="store_true", help="import the plan but do not live its year")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_ALLOWED:
            raise CommandError(
                _(
                    "Demo data and demo accounts are not allowed here (DEMO_ALLOWED is off, as under production "
                    "settings): their password is public. Create the office's units and accounts in the admin instead."
                )
            )
        try:
            units = units_load_csv(data=(DATA / "jilin-units.csv").read_bytes(), filename="jilin-units.csv")
            city_units = units_load_csv(data=(DATA / CITY_UNITS).read_bytes(), filename=CITY_UNITS)
            groups = unit_groups_load_csv(
                data=(DATA / "jilin-unit-groups.csv").read_bytes(), filename="jilin-unit-groups.csv"
            )
        except InputRejected as rejected:
            raise CommandError(str(rejected)) from rejected
        # The notice puts the programme office (推进组办公室) in charge of dispatch and close-out.
        Unit.objects.filter(code=PROGRAMME_OFFICE).update(is_office=True)
        Unit.objects.filter(code=CITY_OFFICE).update(is_office=True)  # 长春市 issues its own plan
        self.stdout.write(
            _("Units: %(units)s created; groups: %(groups)s created.")
            % {"units": len(units.created) + len(city_units.created), "groups": len(groups.created)}
        )
        today = timezone.localdate()
        year = today.year
        office = Unit.objects.get(code=PROGRAMME_OFFICE)
        if not Plan.objects.filter(issuer=office, year=year).exists():
            report = plan_import(
                data=(DATA / "jilin-2023-tasks.xlsx").read_bytes(),
                filename="jilin-2023-tasks.xlsx",
                year=year,
                issuer=PROGRAMME_OFFICE,
                title=_("%(year)s年“无废城市”建设任务清单（演示：据吉环固体字〔2023〕15号附件编制）") % {"year": year},
                starts=demo_start(today),
                max_bytes=settings.IMPORT_MAX_BYTES,
            )
            if not report.applied:
                raise CommandError("\n".join(str(problem) for problem in report.errors))
            self.stdout.write(
                _("Plan %(year)s: %(tasks)s tasks, %(assignments)s assignments, from %(start)s.")
                % {
                    "year": year,
                    "tasks": len(report.tasks),
                    "assignments": report.assignment_count,
                    "start": report.starts.isoformat() if report.starts else "",
                }
            )
        self.city_plan(today)
        with transaction.atomic():
            for username, name, code, role, staff in DEMO_USERS:
                user, created = User.objects.get_or_create(username=username)
                user.last_name = name
                user.unit = Unit.objects.get(code=code)
                user.role = role
                user.is_staff = staff
                user.is_superuser = staff
                user.is_signer = username == DEMO_SIGNER
                user.email = f"{username}@wufei.localhost"
                if created:
                    user.set_password(DEMO_PASSWORD)
                user.save()
                account_mark_demo(user=user)  # refused at sign-in wherever DEMO_ALLOWED is off
        plan = Plan.objects.get(issuer=office, year=year)
        self.pairing(plan)
        for position, (name, email, line) in enumerate(DEMO_DISTRIBUTION):
            Distribution.objects.get_or_create(email=email, defaults={"name": name, "line": line, "position": position})
        self.projects(plan)
        if not options["no_replay"]:
            self.replay(plan)
        self.stdout.write(
            _("Demo accounts (password %(password)s): %(users)s")
            % {"password": DEMO_PASSWORD, "users": ", ".join(u[0] for u in DEMO_USERS)}
        )

    def city_plan(self, today: dt.date) -> None:
        """长春市's plan of the year, imported after the province's, some of its tasks refining provincial ones."""
        office = Unit.objects.get(code=CITY_OFFICE)
        if Plan.objects.filter(issuer=office, year=today.year).exists():
            return
        report = plan_import(
            data=(DATA / CITY_TASKS).read_bytes(),
            filename=CITY_TASKS,
            year=today.year,
            issuer=CITY_OFFICE,
            title=_("长春市%(year)s年“无废城市”建设工作要点任务分解表（演示）") % {"year": today.year},
            starts=min(demo_start(today) + dt.timedelta(days=CITY_PLAN_DAYS_LATER), today),
            max_bytes=settings.IMPORT_MAX_BYTES,
        )
        if not report.applied:
            raise CommandError("\n".join(str(problem) for problem in report.errors))
        linked = sum(1 for link in (report.refinements.links.values() if report.refinements else ()) if link)
        self.stdout.write(
            _("Plan of %(office)s %(year)s: %(tasks)s tasks, %(linked)s refining provincial tasks.")
            % {"office": office.name, "year": today.year, "tasks": len(report.tasks), "linked": linked}
        )

    def projects(self, plan: Plan) -> None:
        """The province's project library (task 18 carries it), entered and admitted when the plan took effect."""
        with simulated_moment(plan.starts_on, 9):
            library = library_ensure(plan.issuer)
            loaded = projects_load_csv(
                data=DEMO_PROJECTS.read_bytes(),
                filename=DEMO_PROJECTS.name,
                library=library,
                by=User.objects.get(username="office_admin"),
                year_offset=plan.year - DEMO_PROJECTS_YEAR,
            )
        if loaded:
            admitted = sum(1 for project in loaded if project.state == ProjectState.ADMITTED)
            self.stdout.write(
                _("Project library: %(count)s projects entered, %(admitted)s admitted.")
                % {"count": len(loaded), "admitted": admitted}
            )

    def replay(self, plan: Plan) -> None:
        started = time.monotonic()
        try:
            figures = replay_year(year=plan.year, issuer=plan.issuer.code, seed=DEMO_SEED)
        except ReplayRefused as refused:
            self.stdout.write(_("The demo year is kept as it is: %(why)s") % {"why": refused})
            return
        self.something_to_redo(plan, dt.date.fromisoformat(figures.last_day))
        self.something_to_sign(plan, dt.date.fromisoformat(figures.last_day))
        self.stdout.write(
            _(
                "Demo year lived up to %(day)s in %(seconds).0f s: %(rounds)s rounds, %(closed)s items closed, "
                "%(open)s open, %(notices)s notices, %(visits)s visits, %(bulletins)s bulletins."
            )
            % {
                "day": figures.last_day,
                "seconds": time.monotonic() - started,
                "rounds": figures.rounds,
                "closed": figures.closed,
                "open": figures.open,
                "notices": sum(figures.notices.values()),
                "visits": figures.visits,
                "bulletins": figures.bulletins,
            }
        )

    def something_to_redo(self, plan: Plan, last_day: dt.date) -> None:
        """Whoever signs in as 松原's reporter finds an item to redo: if the year lived left 松原 none returned, on
        the last working day 松原 asked to close one item out and the supervisor returned it, with the reason."""
        songyuan = Unit.objects.get(code=DEMO_UNIT)
        mine = Assignment.objects.filter(task__plan=plan, unit=songyuan)
        if not mine.exists() or plan.starts_on > last_day:
            return
        if (
            mine.filter(state=AssignmentState.RETURNED).exists()
            or Obligation.objects.filter(assignment__in=mine, state=ObligationState.RETURNED).exists()
        ):
            return
        item = (
            mine.filter(state=AssignmentState.ASSIGNED, suspended_at__isnull=True)
            .order_by("due_date", "task__position")
            .first()
        )
        if item is None:
            return
        day = max(workdays.previous_workday(last_day), plan.starts_on)
        with simulated_moment(day, 10):
            assignment_report(
                assignment=item,
                by=User.objects.get(username="songyuan_reporter"),
                text="已完成年度目标任务，申请销号。",
            )
        item.refresh_from_db()
        with simulated_moment(day, 11):
            if item.state == AssignmentState.SIGNOFF:
                assignment_sign_off(assignment=item, by=User.objects.get(username="songyuan_leader"), approve=True)
        with simulated_moment(day, 15):
            assignment_return(
                assignment=item,
                by=User.objects.get(username="province_supervisor"),
                reason="佐证材料不完整：请补充验收报告和现场照片后重新报送。",
            )
        self.stdout.write(
            _("%(unit)s has an item to redo: task %(task)s, returned on %(day)s.")
            % {"unit": songyuan.name, "task": item.task.number, "day": day.isoformat()}
        )

    def something_to_sign(self, plan: Plan, last_day: dt.date) -> None:
        """Whoever signs in as the office's 签发人 finds a document to sign: if the year lived left no draft waiting,
        on the last working day the 包保 leader visited 白城 and found too little attention paid, which drafts a
        预警函 for the signer."""
        if Notice.objects.filter(state=NoticeState.DRAFT).exists() or plan.starts_on > last_day:
            return
        pairing = Pairing.objects.filter(plan=plan, leader__username=DEMO_PAIRING[0]).first()
        region = Unit.objects.filter(code=DEMO_PAIRING[2][1]).first()
        if pairing is None or region is None or pairing.leader is None:
            return
        day = max(workdays.previous_workday(last_day), plan.starts_on)
        with simulated_moment(day, 16):
            visit = visit_record(
                pairing=pairing,
                region=region,
                by=pairing.leader,
                visited_on=day,
                participants="省厅包保负责人、固体处工作人员",
                ratings={area.value: 2 if area == FocusArea.PUBLICITY else 3 for area in FocusArea},
                findings="宣传引导工作薄弱，“无废细胞”创建推进缓慢，工作台账未及时更新。",
                outcome=VisitOutcome.WARNING,
                reason=ConcernReason.INATTENTION,
            )
        self.stdout.write(
            _("A document waits for the signer: %(title)s.") % {"title": visit.notice.title if visit.notice else ""}
        )

    def pairing(self, plan: Plan) -> None:
        username, unit_code, region_codes = DEMO_PAIRING
        start, end = plan.starts_on, dt.date(plan.year, 12, 31)
        leader = User.objects.get(username=username)
        if Pairing.objects.filter(plan=plan, leader=leader).exists():
            return
        with simulated_moment(start, 8):  # the office paired them when the plan took effect
            pairing = pairing_save(
                plan=plan,
                level=UnitLevel.PROVINCE,
                leader=leader,
                unit=Unit.objects.get(code=unit_code),
                regions=list(Unit.objects.filter(code__in=region_codes)),
                start=start,
                end=end,
                by=User.objects.get(username="office_admin"),
            )
        self.stdout.write(_("包保 pairing: %(pairing)s.") % {"pairing": pairing})
