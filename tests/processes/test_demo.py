"""The demo as a newcomer finds it: `make run` on 2 December 2026 shows a plan in the middle of its year."""

from __future__ import annotations

import datetime as dt
import io
import re
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from notifications.models import Message
from processes.management.commands.load_demo import DEMO_PASSWORD
from processes.models import Assignment, AssignmentTransition, Bulletin, Notice, Plan, User, Visit
from processes.services.lights import lights_for

pytestmark = pytest.mark.django_db(transaction=False)


def signed_in(username: str) -> Client:
    """A newcomer signing in with the README's demo password."""
    client = Client()
    assert client.login(username=username, password=DEMO_PASSWORD)
    return client


TODAY = dt.datetime(2026, 12, 2, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def test_the_demo_is_a_plan_in_use_today() -> None:
    out = io.StringIO()
    with time_machine.travel(TODAY, tick=False):
        call_command("load_demo", stdout=out)
        plan = Plan.objects.get(issuer__code="JL-PRO")
        assert plan.year == 2026 and plan.starts_on == dt.date(2026, 6, 3) and "演示" in plan.title
        assert "2026-12-01" in out.getvalue()

        # 松原's reporter: a non-empty 我的待办 with an item returned to redo.
        reporter = User.objects.get(username="songyuan_reporter")
        work = signed_in("songyuan_reporter").get("/plans/work/").content.decode()
        assert 'data-state="returned"' in work or re.search(r'data-kind="[a-z_]+"\s+class="app-row--flagged"', work)

        # Lights of all three colours on the ledger, a burn-down with a point per round.
        lights = set(lights_for(list(Assignment.objects.values_list("pk", flat=True)), dt.date(2026, 12, 1)).values())
        assert lights == {"green", "yellow", "red"}
        page = signed_in("province_supervisor").get("/plans/JL-PRO/2026/rounds/").content.decode()
        assert len(re.findall(r'data-open="\d+" data-day="2026-', page)) >= 6

        # Notices issued and answered, a visit, a published bulletin, messages in the inbox.
        assert Notice.objects.filter(answered_at__isnull=False).exists()
        assert Notice.objects.filter(answered_at__isnull=True).exists()
        assert Visit.objects.filter(recorded_by__username="baobao_leader").exists()
        assert Bulletin.objects.filter(state="published", year=2026).exists()
        assert Message.objects.filter(recipient=reporter).exists()
        assert not Notice.objects.filter(state="issued").exclude(doc_no__contains="〔2026〕").exists()

        # The office's 签发人: a document waiting for signature in 我的待办.
        work = signed_in("office_signer").get("/plans/work/").content.decode()
        assert 'data-testid="signing-queue"' in work and Notice.objects.filter(state="draft").exists()

        # 细化: 长春市's own plan, some of its tasks refining the province's, seen from both sides.
        city = Plan.objects.get(issuer__code="220100")
        assert (city.year, city.tasks.count(), city.tasks.exclude(serves=None).count()) == (2026, 8, 7)
        assert city.starts_on == dt.date(2026, 7, 18) and "长春市" in city.title
        assert {task.serves.task.plan for task in city.tasks.exclude(serves=None)} == {plan}
        assert {task.serves.unit.code for task in city.tasks.exclude(serves=None)} == {"220100"}
        office = signed_in("changchun_office")
        assert office.get("/plans/220100/2026/ledger/").status_code == 200
        assert office.get("/plans/import/").status_code == 200  # the city's admin imports its own plans
        refined = city.tasks.get(number="1").serves
        page = signed_in("province_supervisor").get(refined.get_absolute_url()).content.decode()
        assert 'data-testid="refinements"' in page and "调整充实市“无废城市”建设工作领导小组" in page
        ledger = signed_in("province_supervisor").get("/plans/JL-PRO/2026/ledger/").content.decode()
        assert 'data-plan="220100/2026"' in ledger.split('data-testid="city-plans"')[1]

        # Run again the same day: the data stays and nothing is added twice.
        steps, messages = AssignmentTransition.objects.count(), Message.objects.count()
        call_command("load_demo", stdout=io.StringIO())
        assert (AssignmentTransition.objects.count(), Message.objects.count()) == (steps, messages)
        assert Plan.objects.count() == 2
