import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from processes.models import Distribution, DistributionLine, Pairing, Plan, Role, Unit, UnitLevel, User
from processes.services.pairings import pairing_save
from processes.services.plan_import import plan_import
from processes.services.units import InputRejected, unit_groups_load_csv, units_load_csv

DATA = Path(settings.BASE_DIR) / "data"
PROGRAMME_OFFICE = "JL-PRO"
DEMO_PASSWORD = "zhongguo2023"  # noqa: S105 — the demo accounts' password, printed in the README
DEMO_USERS = (
    # username, last name (姓名), unit code, role, staff
    ("songyuan_reporter", "松原填报员", "220700", Role.REPORTER, False),
    ("songyuan_leader", "松原负责人", "220700", Role.LEADER, False),
    ("province_supervisor", "省督办员", "JL-PRO", Role.SUPERVISOR, False),
    ("office_admin", "推进组办公室管理员", "JL-PRO", Role.ADMIN, True),
    ("baobao_leader", "省厅包保负责人", "JL-EEB", Role.LEADER, False),
)
# The demo distribution list of the bulletins (报 / 送), delivered to the local mail folder like everything else.
DEMO_DISTRIBUTION = (
    ("生态环境部固体废物与化学品司", "mee-solid-waste@wufei.localhost", DistributionLine.REPORT_TO),
    ("省“无废城市”建设工作推进组各成员单位", "members@wufei.localhost", DistributionLine.SEND_TO),
    ("各市（州）生态环境局", "city-bureaus@wufei.localhost", DistributionLine.SEND_TO),
)
# The demo pairing: the provincial department's leader visits 松原 and 白城 every two months in 2023's second half.
DEMO_PAIRING = ("baobao_leader", "JL-EEB", ("220700", "220800"), dt.date(2023, 7, 1), dt.date(2023, 12, 31))


class Command(BaseCommand):
    help = (
        "Load the demo data: the Jilin units and groups, the 2023 plan (吉环固体字〔2023〕15号) and one account per "
        "role. Safe to run again: it updates what exists."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            units = units_load_csv(data=(DATA / "jilin-units.csv").read_bytes(), filename="jilin-units.csv")
            groups = unit_groups_load_csv(
                data=(DATA / "jilin-unit-groups.csv").read_bytes(), filename="jilin-unit-groups.csv"
            )
        except InputRejected as rejected:
            raise CommandError(str(rejected)) from rejected
        # The notice puts the programme office (推进组办公室) in charge of dispatch and close-out.
        Unit.objects.filter(code=PROGRAMME_OFFICE).update(is_office=True)
        self.stdout.write(
            _("Units: %(units)s created; groups: %(groups)s created.")
            % {"units": len(units.created), "groups": len(groups.created)}
        )
        if not Plan.objects.filter(year=2023).exists():
            report = plan_import(
                data=(DATA / "jilin-2023-tasks.xlsx").read_bytes(),
                filename="jilin-2023-tasks.xlsx",
                year=2023,
                doc_no="吉环固体字〔2023〕15号",
                max_bytes=settings.IMPORT_MAX_BYTES,
            )
            if not report.applied:
                raise CommandError("\n".join(str(problem) for problem in report.errors))
            self.stdout.write(
                _("Plan %(year)s: %(tasks)s tasks, %(assignments)s assignments.")
                % {"year": 2023, "tasks": len(report.tasks), "assignments": report.assignment_count}
            )
        with transaction.atomic():
            for username, name, code, role, staff in DEMO_USERS:
                user, created = User.objects.get_or_create(username=username)
                user.last_name = name
                user.unit = Unit.objects.get(code=code)
                user.role = role
                user.is_staff = staff
                user.is_superuser = staff
                user.email = f"{username}@wufei.localhost"
                if created:
                    user.set_password(DEMO_PASSWORD)
                user.save()
        self.pairing()
        for position, (name, email, line) in enumerate(DEMO_DISTRIBUTION):
            Distribution.objects.get_or_create(email=email, defaults={"name": name, "line": line, "position": position})
        self.stdout.write(
            _("Demo accounts (password %(password)s): %(users)s")
            % {"password": DEMO_PASSWORD, "users": ", ".join(u[0] for u in DEMO_USERS)}
        )

    def pairing(self) -> None:
        username, unit_code, region_codes, start, end = DEMO_PAIRING
        plan = Plan.objects.filter(year=start.year).first()
        leader = User.objects.get(username=username)
        if plan is None or Pairing.objects.filter(plan=plan, leader=leader).exists():
            return
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
