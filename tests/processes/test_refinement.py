"""细化: a city's plan refines the province's. The link from a city task to the provincial item it serves, read from
the file's column or chosen in the preview; the provincial item's page showing the city tasks; the city's report
filled from them; the provincial ledger's panel of the cities' plans."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from processes.importing.table import ColumnRole, header_role
from processes.models import (
    Assignment,
    AssignmentState,
    Obligation,
    ObligationKind,
    Plan,
    Report,
    Role,
    Task,
    Unit,
    User,
)
from processes.services.lifecycle import assignment_close, assignment_report, assignment_verify
from processes.services.refinement import city_plans_progress, refinement_progress
from processes.services.units import units_load_csv

from ..conftest import ImportFile
from ..factories import UserFactory
from .test_views import client_for

pytestmark = pytest.mark.django_db

DATA = Path(settings.BASE_DIR) / "data"
CHANGCHUN = "220100"
CITY_CSV = DATA / "changchun-tasks.csv"
NOW = dt.datetime(2023, 8, 10, 10, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
HEADER = "序号,任务,责任单位,完成时限,对应省级任务\n"


@pytest.fixture(autouse=True)
def _in_august_2023() -> object:
    with time_machine.travel(NOW, tick=False) as clock:
        yield clock


@pytest.fixture
def changchun(units: dict[str, Unit]) -> Unit:
    """长春市's office and its departments, as load_demo sets them up."""
    Unit.objects.filter(code=CHANGCHUN).update(is_office=True)
    units_load_csv(data=(DATA / "jilin-changchun-units.csv").read_bytes(), filename="jilin-changchun-units.csv")
    return Unit.objects.get(code=CHANGCHUN)


@pytest.fixture
def city_admin(changchun: Unit) -> User:
    return UserFactory(username="changchun_office", unit=changchun, role=Role.ADMIN)


def city_import(import_file: ImportFile, text: str, **kwargs: object) -> object:
    return import_file((HEADER + text).encode(), "changchun.csv", issuer=CHANGCHUN, **kwargs)


def provincial_item(plan: Plan, number: str, unit: str = CHANGCHUN) -> Assignment:
    return Assignment.objects.get(task__plan=plan, task__number=number, unit__code=unit)


def test_the_column_is_read_by_its_names() -> None:
    for name in ("对应省级任务", "对应省级任务序号", "省级任务序号", "对应省级任务（序号）"):
        assert header_role(name) == ColumnRole.SERVES, name
    assert header_role("序号") == ColumnRole.NUMBER and header_role("任务") == ColumnRole.TASK


def test_the_city_plan_links_its_tasks_by_the_files_column(
    plan_2023: Plan, changchun: Unit, import_file: ImportFile
) -> None:
    report = import_file(CITY_CSV, issuer=CHANGCHUN)
    assert report.applied, report.errors
    assert report.warnings == []
    city = Plan.objects.get(issuer=changchun, year=2023)
    links = dict(city.tasks.values_list("number", "serves__task__number"))
    assert links == {"1": "13", "2": "7", "3": "14", "4": "22", "5": "21", "6": None, "7": "25", "8": "34"}
    # Each link is the provincial task's item of 长春 itself, not another unit's.
    assert {task.serves.unit.code for task in city.tasks.exclude(serves=None)} == {CHANGCHUN}
    assert city.tasks.get(number="1").serves == provincial_item(plan_2023, "13")
    # The command's --json says the same (import_plan prints report.as_dict()).
    assert report.as_dict()["refines"] == {n: p for n, p in links.items() if p}


def test_an_unknown_provincial_number_is_a_warning_naming_file_row_and_column(
    plan_2023: Plan, changchun: Unit, import_file: ImportFile
) -> None:
    report = city_import(
        import_file,
        "1,细化年度任务,长春市生态环境局,7月31日,99\n"
        "2,研究建立评估指标体系,长春市生态环境局,8月31日,15\n"  # the province's own task: no item of 长春
        "3,会商机制,长春市生态环境局,8月31日,6\n",
    )
    assert report.applied, report.errors
    texts = [str(problem) for problem in report.warnings]
    assert len(texts) == 2
    assert "changchun.csv" in texts[0] and "row 2" in texts[0] and "column E (对应省级任务)" in texts[0]
    assert "no task 99" in texts[0]
    assert "row 3" in texts[1] and "Provincial task 15 has no item of 长春市生态环境局" in texts[1]
    links = dict(Task.objects.filter(plan__issuer=changchun).values_list("number", "serves__task__number"))
    assert links == {"1": None, "2": None, "3": "6"}


def test_the_link_survives_a_reimport_and_follows_the_column_when_it_changes(
    plan_2023: Plan, changchun: Unit, import_file: ImportFile
) -> None:
    rows = "1,细化年度任务,长春市生态环境局,7月31日,{first}\n2,会商机制,长春市生态环境局,8月31日,{second}\n"
    assert city_import(import_file, rows.format(first="13", second="")).applied
    # The second task's link chosen in a preview, stored at apply time.
    assert city_import(import_file, rows.format(first="13", second=""), serves={"2": "6"}).applied
    tasks = Task.objects.filter(plan__issuer=changchun)
    assert dict(tasks.values_list("number", "serves__task__number")) == {"1": "13", "2": "6"}

    again = city_import(import_file, rows.format(first="13", second=""))
    assert again.applied and again.changes == []  # an unchanged file changes nothing, the links included
    assert dict(tasks.values_list("number", "serves__task__number")) == {"1": "13", "2": "6"}

    changed = city_import(import_file, rows.format(first="16", second=""), dry_run=True)
    assert [(c.task, c.detail) for c in changed.changes] == [("1", "对应省级任务: “13” → “16”")]
    assert city_import(import_file, rows.format(first="16", second="")).applied
    assert dict(tasks.values_list("number", "serves__task__number")) == {"1": "16", "2": "6"}
    assert city_import(import_file, rows.format(first="16", second=""), serves={"2": ""}).applied  # unlinked
    assert dict(tasks.values_list("number", "serves__task__number")) == {"1": "16", "2": None}


def test_a_district_refines_the_nearest_item_above_it(
    plan_2023: Plan, changchun: Unit, import_file: ImportFile
) -> None:
    district = Unit.objects.create(
        code="220104", name="长春市朝阳区生态环境分局", level="county", parent=changchun, is_office=True
    )
    report = import_file(
        (HEADER + "1,细化年度任务,长春市朝阳区生态环境分局,7月31日,13\n").encode(), "chaoyang.csv", issuer="220104"
    )
    assert report.applied, report.errors
    assert Task.objects.get(plan__issuer=district).serves == provincial_item(plan_2023, "13")


def test_the_provincial_plan_ignores_the_column_with_a_warning(units: dict[str, Unit], import_file: ImportFile) -> None:
    report = import_file((HEADER + "1,任务甲,省生态环境厅,8月31日,3\n").encode(), "province.csv")
    assert report.applied
    assert ["This is the provincial plan" in problem.message for problem in report.warnings] == [True]
    assert Task.objects.get().serves is None


def test_without_a_provincial_plan_the_rows_are_not_linked(changchun: Unit, import_file: ImportFile) -> None:
    report = city_import(import_file, "1,细化年度任务,长春市生态环境局,7月31日,13\n")
    assert report.applied
    assert [problem.row for problem in report.warnings] == [2]
    assert "has no plan for 2023" in report.warnings[0].message


def test_the_preview_offers_the_provincial_items_and_keeps_the_choice_until_confirmed(
    plan_2023: Plan, city_admin: User
) -> None:
    client = client_for(city_admin)
    text = HEADER + "1,细化年度任务,长春市生态环境局,7月31日,13\n2,会商机制,长春市生态环境局,8月31日,\n"
    # No issuer chosen: the city admin's office is the only one offered, and so the issuer.
    response = client.post(
        "/plans/import/", {"file": SimpleUploadedFile("changchun.csv", text.encode()), "year": "2023"}
    )
    assert response.status_code == 302
    preview = response["Location"]
    html = client.get(preview).content.decode()
    select = html.split('name="serves:2"')[1].split("</select>")[0]
    offered = re.findall(r'<option value="(\d+)"', select)
    changchun_items = Assignment.objects.filter(task__plan=plan_2023, unit__code=CHANGCHUN)
    assert offered == [a.task.number for a in changchun_items.order_by("task__position")]
    assert "15" not in offered  # the province's own task: no item of 长春
    first = html.split('name="serves:1"')[1].split("</select>")[0]
    assert re.search(r'<option value="13" selected>', first)

    response = client.post(
        f"{preview}confirm/",
        {"action": "links", "serves:1": "13", "serves-shown:1": "13", "serves:2": "6", "serves-shown:2": ""},
    )
    assert response.status_code == 302 and response["Location"] == preview
    assert not Plan.objects.filter(issuer__code=CHANGCHUN).exists()  # kept with the upload, not written
    html = client.get(preview).content.decode()
    assert re.search(r'<option value="6" selected>', html.split('name="serves:2"')[1].split("</select>")[0])

    response = client.post(f"{preview}confirm/", {"action": "confirm"})  # the stored choice is applied
    assert response.status_code == 302 and response["Location"] == "/plans/220100/2023/"
    links = dict(Task.objects.filter(plan__issuer__code=CHANGCHUN).values_list("number", "serves"))
    assert links == {"1": provincial_item(plan_2023, "13").pk, "2": provincial_item(plan_2023, "6").pk}


@pytest.fixture
def city_plan(plan_2023: Plan, changchun: Unit, import_file: ImportFile) -> Plan:
    report = import_file(CITY_CSV, issuer=CHANGCHUN, starts=dt.date(2023, 7, 20))
    assert report.applied, report.errors
    return Plan.objects.get(issuer=changchun, year=2023)


def close_out(item: Assignment, reporter: User, office: User) -> None:
    assignment_report(assignment=item, by=reporter, text="已完成。")
    item.refresh_from_db()
    assignment_verify(assignment=item, by=office, comment="")
    item.refresh_from_db()
    assignment_close(assignment=item, by=office, comment="")


def test_the_provincial_item_shows_the_city_tasks_their_states_and_counts(
    city_plan: Plan, plan_2023: Plan, city_admin: User, supervisor: User, changchun: Unit
) -> None:
    item = provincial_item(plan_2023, "21")
    city_task = city_plan.tasks.get(number="5")
    city_item = city_task.assignments.get()
    close_out(city_item, UserFactory(unit=city_item.unit, role=Role.REPORTER), city_admin)
    also = city_plan.tasks.get(number="6")
    also.serves = item
    also.save()

    html = client_for(supervisor).get(item.get_absolute_url()).content.decode()
    panel = html.split('data-testid="refinements"')[1].split("</section>")[0]
    assert 'data-task="5"' in panel and 'data-task="6"' in panel and "推进建筑垃圾资源化利用项目建设" in panel
    assert 'data-unit="220100-ZJJ" data-state="closed"' in panel
    assert 'data-unit="220100-NYJ" data-state="assigned"' in panel
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', panel))
    assert counts == {"tasks": "2", "total": "2", "closed": "1", "open": "1", "late": "0"}
    assert f'href="/plans/items/{city_item.pk}/"' in panel  # the province sees the city's items

    # The city task's page names the provincial item it refines.
    city_page = client_for(city_admin).get(city_item.get_absolute_url()).content.decode()
    serves = city_page.split('data-testid="serves">')[1].split("</dd>")[0]
    assert "任务21" in serves  # 「…任务21」: the provincial task, in the default Chinese


def test_the_late_count_follows_what_the_city_items_owe(city_plan: Plan, plan_2023: Plan, supervisor: User) -> None:
    item = provincial_item(plan_2023, "34")  # refined by task 8, due 30 September
    with time_machine.travel(dt.datetime(2023, 10, 9, 10, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")), tick=False):
        progress = refinement_progress(assignment=item, viewer=supervisor)
        assert (progress.total, progress.open, progress.late) == (1, 1, 1)
    progress = refinement_progress(assignment=item, viewer=supervisor)
    assert progress.late == 0  # on 10 August it is not due yet


def test_another_city_does_not_see_the_city_tasks(city_plan: Plan, plan_2023: Plan, units: dict[str, Unit]) -> None:
    item = provincial_item(plan_2023, "13")
    jilin_city = UserFactory(unit=units["220200"], role=Role.SUPERVISOR)
    songyuan_admin = UserFactory(unit=units["220700"], role=Role.ADMIN)
    for outsider in (jilin_city, songyuan_admin):
        response = client_for(outsider).get(item.get_absolute_url())
        assert response.status_code == 404
        assert client_for(outsider).get(f"{item.get_absolute_url()}?fill=refinements").status_code == 404
        assert client_for(outsider).get("/plans/220100/2023/").status_code == 404  # nor the city's plan


def test_the_citys_report_on_the_provincial_item_is_filled_from_its_tasks(
    city_plan: Plan, plan_2023: Plan, changchun: Unit
) -> None:
    reporter = UserFactory(username="changchun_reporter", unit=changchun, role=Role.REPORTER)
    item = provincial_item(plan_2023, "22")
    client = client_for(reporter, language="en")
    page = client.get(item.get_absolute_url()).content.decode()
    assert 'href="?fill=refinements#step-report"' in page
    assert "依托一汽集团" not in page.split('name="text"')[1].split("</textarea>")[0]

    filled = client.get(f"{item.get_absolute_url()}?fill=refinements").content.decode()
    text = filled.split('name="text"')[1].split("</textarea>")[0]
    assert "(as of 2023-08-10): 1 tasks with 2 items, 0 closed out, 2 open, of which 0 late." in text
    assert "依托一汽集团谋划汽车行业循环产业链" in text
    assert "长春市工业和信息化局: Open" in text and "长春市商务局: Open" in text
    # The unit still reviews and submits: nothing was reported by filling the form.
    item.refresh_from_db()
    assert item.state == AssignmentState.ASSIGNED and not item.reports.exists()


def test_the_provincial_ledger_shows_how_far_each_city_plan_has_got(
    city_plan: Plan,
    plan_2023: Plan,
    supervisor: User,
    reporter: User,
    city_admin: User,
    units: dict[str, Unit],
    changchun: Unit,
) -> None:
    city_item = city_plan.tasks.get(number="5").assignments.get()
    close_out(city_item, UserFactory(unit=city_item.unit, role=Role.REPORTER), city_admin)

    html = client_for(supervisor).get("/plans/JL-PRO/2023/ledger/").content.decode()
    panel = html.split('data-testid="city-plans"')[1].split("</section>")[0]
    row = panel.split('data-plan="220100/2023"')[1].split("</tr>")[0]
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)%?<', row))
    assert counts == {
        "tasks": "8",
        "refining": "7",
        "total": "10",
        "closed": "1",
        "open": "9",
        "late": "1",  # task 1, due 31 July, not reported by 10 August
        "percent": "10",
    }
    assert 'href="/plans/220100/2023/"' in row  # the province opens the city's plan

    # A supervisor of another city does not see 长春's plan at all (nor its figures); a reporter gets no panel.
    other = UserFactory(unit=units["220200"], role=Role.SUPERVISOR)
    assert city_plans_progress(plan=plan_2023, viewer=other) == []
    assert "220100/2023" not in client_for(other).get("/plans/JL-PRO/2023/ledger/").content.decode()
    # 长春's own supervisor sees its row on the province's ledger.
    own = UserFactory(unit=changchun, role=Role.SUPERVISOR)
    [mine] = city_plans_progress(plan=plan_2023, viewer=own)
    assert mine.plan == city_plan and mine.visible is True
    assert 'data-testid="city-plans"' not in client_for(reporter).get("/plans/JL-PRO/2023/ledger/").content.decode()
    # The city's own ledger has no such panel.
    assert city_plans_progress(plan=city_plan, viewer=supervisor) == []


def test_the_citys_progress_report_is_filled_from_its_tasks(city_plan: Plan, plan_2023: Plan, changchun: Unit) -> None:
    reporter = UserFactory(username="changchun_reporter", unit=changchun, role=Role.REPORTER)
    item = provincial_item(plan_2023, "14")  # 每两月上报调度台账: refined by the city's task 3
    obligation = Obligation.objects.filter(assignment=item).exclude(kind=ObligationKind.VISIT).earliest("due_date")
    client = client_for(reporter, language="en")
    assert 'href="?fill=refinements"' in client.get(obligation.get_absolute_url()).content.decode()
    filled = client.get(f"{obligation.get_absolute_url()}?fill=refinements").content.decode()
    text = filled.split('name="text"')[1].split("</textarea>")[0]
    assert "每两月向省推进组办公室报送年度任务清单调度台账" in text and "长春市生态环境局" in text
    assert not Report.objects.filter(obligation=obligation).exists()  # nothing saved until the unit submits
