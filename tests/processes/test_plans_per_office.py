"""A city's plan beside the province's of the same year: each office opens its own rounds, closes its own items,
gets its own plan's escalations, signs and numbers its own documents with its own 代字, publishes its own bulletins,
and assesses its own regions (a city's are its districts); the province's plan works as before."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from django.urls import resolve, reverse

from notifications.models import Message
from processes.models import (
    Assignment,
    AssignmentState,
    DocumentKind,
    DocumentSettings,
    Notice,
    NoticeState,
    Obligation,
    Plan,
    Role,
    Round,
    Unit,
    UnitLevel,
    User,
)
from processes.rules import can_close, can_verify, plans_in_scope
from processes.services.assessment import assessment_compute, regions_of, scheme_ensure
from processes.services.bulletins import bulletin_draft, bulletin_publish
from processes.services.circulars import circular_draft
from processes.services.dashboard import latest_plan_for, progress_by_region
from processes.services.lifecycle import (
    InvalidInput,
    NotAllowed,
    assignment_close,
    assignment_report,
    assignment_verify,
)
from processes.services.pairings import pairing_save, pairings_for
from processes.services.region_warnings import region_figures
from processes.services.rounds import rounds_open_due
from processes.services.signing import notices_sign

from ..conftest import ImportFile
from ..factories import UserFactory
from .test_ladder import sweep
from .test_rounds import at
from .test_views import client_for

pytestmark = pytest.mark.django_db
D = dt.date

CITY_PLAN = """序号,任务,责任单位,完成时限
1,南关区建立“无废城市”建设工作台账，逐项推进销号。,长春市南关区生态环境分局,8月31日
2,朝阳区建立“无废城市”建设工作台账，逐项推进销号。,长春市朝阳区生态环境分局,8月31日
3,南关区开展“无废细胞”创建。,长春市南关区生态环境分局,12月31日
""".encode()
OTHER_CITY_PLAN = """序号,任务,责任单位,完成时限
1,昌邑区建立“无废城市”建设工作台账。,吉林市昌邑区生态环境分局,8月31日
""".encode()


class City:
    """长春's office, two of its districts, their people, and its plan of 2023; 吉林市's plan beside it."""

    def __init__(self, units: dict[str, Unit], import_file: ImportFile) -> None:
        Unit.objects.filter(code__in=["220100", "220200"]).update(is_office=True)
        self.office = Unit.objects.get(code="220100")
        self.nanguan = Unit.objects.create(
            code="220102",
            name="长春市南关区生态环境分局",
            short_name="南关区",
            level=UnitLevel.COUNTY,
            parent=self.office,
        )
        self.chaoyang = Unit.objects.create(
            code="220104",
            name="长春市朝阳区生态环境分局",
            short_name="朝阳区",
            level=UnitLevel.COUNTY,
            parent=self.office,
        )
        Unit.objects.create(
            code="220202",
            name="吉林市昌邑区生态环境分局",
            short_name="昌邑区",
            level=UnitLevel.COUNTY,
            parent=units["220200"],
        )
        self.admin = UserFactory(username="cc_admin", unit=self.office, role=Role.ADMIN, is_staff=True)
        self.supervisor = UserFactory(username="cc_supervisor", unit=self.office, role=Role.SUPERVISOR)
        self.signer = UserFactory(username="cc_signer", unit=self.office, role=Role.LEADER, is_signer=True)
        self.reporter = UserFactory(username="cc_reporter", unit=self.office, role=Role.REPORTER)
        self.ng_reporter = UserFactory(username="ng_reporter", unit=self.nanguan, role=Role.REPORTER)
        self.ng_leader = UserFactory(username="ng_leader", unit=self.nanguan, role=Role.LEADER)
        with at("2023-07-01 09:00"):
            report = import_file(
                CITY_PLAN, filename="长春市2023年任务清单.csv", issuer="220100", title="长春市2023年工作要点"
            )
            assert report.applied, report.errors
            other = import_file(OTHER_CITY_PLAN, filename="吉林市.csv", issuer="220200", title="吉林市2023年工作要点")
            assert other.applied, other.errors
        self.plan = Plan.objects.select_related("issuer").get(issuer=self.office, year=2023)
        self.other_plan = Plan.objects.get(issuer__code="220200", year=2023)

    def item(self, number: str) -> Assignment:
        return Assignment.objects.select_related("task__plan", "unit").get(task__plan=self.plan, task__number=number)


def waiting(user: User, step: str) -> list[dict[str, Any]]:
    """The steps of ``step`` in the person's 我的待办."""
    rows: list[dict[str, Any]] = client_for(user).get(reverse("plans:work")).context[step]
    return rows


@pytest.fixture
def city(units: dict[str, Unit], import_file: ImportFile, plan: Plan) -> City:
    return City(units, import_file)


def test_the_city_office_runs_its_own_plan_and_closes_only_its_items(
    plan: Plan, city: City, people: dict[str, User]
) -> None:
    # Rounds: the city's admin opens its plan's, not the province's.
    rounds = reverse("plans:rounds", kwargs={"plan": city.plan})
    august = {"period_start": "2023-08-01", "period_end": "2023-08-31", "due_date": "2023-09-05", "title": "8月调度"}
    with at("2023-09-01 09:00"):
        assert client_for(city.admin).post(rounds, august).status_code == 302
        assert client_for(city.admin).post(reverse("plans:rounds", kwargs={"plan": plan}), august).status_code == 403
    assert list(Round.objects.values_list("plan__issuer__code", flat=True)) == ["220100"]
    # Close-out: the district reports, the city's supervisor verifies, the city's admin closes.
    item = city.item("1")
    with at("2023-08-20 10:00"):
        assignment_report(assignment=item, by=city.ng_reporter, text="台账已建立")
        item.refresh_from_db()
        assert not can_verify(item, people["supervisor"])  # the province oversees the city's plan, does not verify it
        assert [row["item"] for row in waiting(city.supervisor, "review")] == [item]
        assert item not in [row["item"] for row in waiting(people["supervisor"], "review")]
        assignment_verify(assignment=item, by=city.supervisor)
        item.refresh_from_db()
        assert not can_close(item, people["office"])  # nor closes it
        assert [row["item"] for row in waiting(city.admin, "close_out")] == [item]
        assert item not in [row["item"] for row in waiting(people["office"], "close_out")]
        assignment_close(assignment=item, by=city.admin)
    assert Assignment.objects.get(pk=item.pk).state == AssignmentState.CLOSED
    # The province's item addressed to the city's bureau: the province closes it, not the city's office.
    provincial = Assignment.objects.get(task__plan=plan, task__number="2", unit=city.office)
    with at("2023-08-21 10:00"):
        assignment_report(assignment=provincial, by=city.reporter, text="已成立议事机构")
        assignment_verify(assignment=provincial, by=people["supervisor"])
        with pytest.raises(NotAllowed):
            assignment_close(assignment=provincial, by=city.admin)
        assignment_close(assignment=provincial, by=people["office"])
    assert Assignment.objects.get(pk=provincial.pk).state == AssignmentState.CLOSED
    # What each sees: the city's office its plan and the province's items in its area, never another city's plan;
    # the provincial office every plan.
    assert set(plans_in_scope(city.admin)) == {plan, city.plan}
    assert set(plans_in_scope(people["supervisor"])) == {plan, city.plan, city.other_plan}
    other_ledger = reverse("plans:ledger", kwargs={"plan": city.other_plan})
    assert client_for(city.admin).get(other_ledger).status_code == 404
    # Nor another city's round, by its number.
    with at("2023-09-02 06:10"):
        [other_round] = rounds_open_due(plan=city.other_plan, as_of=D(2023, 9, 2))[:1]
    assert client_for(city.admin).get(other_round.get_absolute_url()).status_code == 404
    assert client_for(city.admin).post(other_round.get_absolute_url(), {"action": "close"}).status_code == 404
    assert client_for(people["supervisor"]).get(other_round.get_absolute_url()).status_code == 200
    assert client_for(people["supervisor"]).get(reverse("plans:ledger", kwargs={"plan": city.plan})).status_code == 200


def test_the_city_plans_escalations_go_to_the_city_office_and_its_documents_are_its_own(
    plan: Plan, city: City, people: dict[str, User], signer: User, django_capture_on_commit_callbacks: Any
) -> None:
    eeb_supervisor = UserFactory(username="eeb_supervisor", unit=Unit.objects.get(code="JL-EEB"), role=Role.SUPERVISOR)
    districts = [city.nanguan, city.chaoyang]
    # 黄色预警 (1 working day late) to the supervisors over the unit: the city's, not the province's nor those above
    # the city's office in the unit tree.
    sweep("2023-09-01", django_capture_on_commit_callbacks)
    told = Message.objects.filter(units__in=districts)
    assert told.filter(recipient=city.supervisor).exists()
    assert not told.filter(recipient__in=[people["supervisor"], eeb_supervisor]).exists()
    # 红色预警 (5 working days): to "the office" — the plan's issuer's admins — with a 预警函 of the city's office.
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    told = Message.objects.filter(units__in=districts, sweep__day=D(2023, 9, 7))
    assert told.filter(recipient=city.admin).exists()
    assert not told.filter(recipient=people["office"]).exists()
    assert Message.objects.filter(recipient=people["office"], sweep__day=D(2023, 9, 7)).exists()  # the province's
    city_drafts = list(Notice.objects.filter(plan=city.plan, kind=DocumentKind.WARNING_LETTER).order_by("unit__code"))
    assert [n.unit for n in city_drafts] == districts
    assert {(n.office_id, n.issuer) for n in city_drafts} == {(city.office.pk, "长春市生态环境局")}
    province_drafts = list(Notice.objects.filter(plan=plan, kind=DocumentKind.WARNING_LETTER).order_by("pk"))
    assert province_drafts and {n.office_id for n in province_drafts} == {Unit.objects.get(code="JL-PRO").pk}
    # Each office's 签发人 signs its own documents, which take its own sequence and 代字.
    with at("2023-09-08 09:00"):
        with pytest.raises(NotAllowed):
            notices_sign(notices=city_drafts, by=signer, on=D(2023, 9, 8))
        with pytest.raises(NotAllowed):
            notices_sign(notices=province_drafts[:1], by=city.signer, on=D(2023, 9, 8))
        notices_sign(notices=province_drafts[:1], by=signer, on=D(2023, 9, 8))
        signed = notices_sign(notices=city_drafts, by=city.signer, on=D(2023, 9, 8))
        notices_sign(notices=province_drafts[1:2], by=signer, on=D(2023, 9, 8))
    assert [n.doc_no for n in signed] == ["长春无废预〔2023〕1号", "长春无废预〔2023〕2号"]
    numbers = Notice.objects.filter(plan=plan, state=NoticeState.ISSUED).order_by("number")
    assert list(numbers.values_list("doc_no", flat=True)) == ["吉无废预〔2023〕1号", "吉无废预〔2023〕2号"]
    # The district hears of its document; the 包保/answer machinery is the same as the province's.
    assert Message.objects.filter(recipient=city.ng_leader, notices=signed[0]).exists()
    # The work page of each office lists only its own drafts to sign.
    waiting = client_for(city.signer).get(reverse("plans:work")).context["to_sign"]
    assert waiting == [] and client_for(signer).get(reverse("plans:work")).context["to_sign"]


def test_the_city_plans_bulletin_assessment_and_regions_are_its_districts(
    plan: Plan, city: City, people: dict[str, User]
) -> None:
    districts = [city.nanguan, city.chaoyang]
    assert regions_of(city.plan) == districts
    assert all(unit.level == UnitLevel.CITY for unit in regions_of(plan)) and len(regions_of(plan)) >= 11
    with at("2023-10-09 09:00"):
        assessment = assessment_compute(scheme=scheme_ensure(city.plan), start=D(2023, 7, 1), end=D(2023, 9, 30))
        assert [score.unit for score in assessment.regions] == districts
        progress = progress_by_region(city.plan, None)
        assert [r.unit.code for r in progress.regions] == ["220102", "220104"]
        assert [f.region for f in region_figures(city.plan, D(2023, 9, 29))] == districts
        # The city's bulletin: its own masthead, issuer and numbering, beside the province's.
        with pytest.raises(NotAllowed):
            bulletin_draft(plan=city.plan, by=people["office"], period_start=D(2023, 8, 1), period_end=D(2023, 9, 30))
        with pytest.raises(NotAllowed):
            bulletin_draft(plan=plan, by=city.admin, period_start=D(2023, 8, 1), period_end=D(2023, 9, 30))
        province = bulletin_draft(plan=plan, by=people["office"], period_start=D(2023, 8, 1), period_end=D(2023, 9, 30))
        province = bulletin_publish(bulletin=province, by=people["office"])
        ours = bulletin_draft(plan=city.plan, by=city.admin, period_start=D(2023, 8, 1), period_end=D(2023, 9, 30))
        ours = bulletin_publish(bulletin=ours, by=city.admin)
        circular = circular_draft(plan=city.plan, by=city.admin, start=D(2023, 7, 1), end=D(2023, 9, 30))
    assert (province.number, province.total_number, ours.number, ours.total_number) == (1, 1, 1, 1)
    assert ours.masthead == "长春“无废城市”建设 工作简报" and ours.issuer == "长春市生态环境局"
    assert province.masthead.startswith("吉林省") and ours.office == city.office
    headlines = [piece.headline for piece in (province.pieces.first(), ours.pieces.first()) if piece is not None]
    assert headlines == ["全省“无废城市”建设年度任务推进情况", "全市“无废城市”建设年度任务推进情况"]
    assert "全市" in circular.title and circular.office == city.office
    assert list(circular.sent_to.order_by("code")) == districts
    # The dashboard shows the districts; the city's office sees its plan's ranking, a district only its own row.
    page = client_for(city.admin).get(reverse("plans:dashboard", kwargs={"plan": city.plan})).content.decode()
    assert "南关区" in page and "朝阳区" in page


def test_the_plan_list_the_latest_plan_and_the_admin_are_per_office(
    plan: Plan, city: City, people: dict[str, User]
) -> None:
    page = client_for(people["supervisor"]).get(reverse("plans:plan_list")).content.decode()
    assert city.plan.title in page and plan.title in page and "长春市" in page
    # The menu's "latest plan": a city office's own plan first, then the newest in scope (the province's first).
    assert latest_plan_for(city.admin) == city.plan
    assert latest_plan_for(people["supervisor"]) == plan
    assert latest_plan_for(people["reporter"]) == plan
    response = client_for(city.admin).get(reverse("plans:dashboard_latest"))
    assert response.status_code == 302 and response["Location"] == reverse(
        "plans:dashboard", kwargs={"plan": city.plan}
    )
    response = client_for(people["supervisor"]).get(reverse("plans:assessment_latest"))
    assert response["Location"] == reverse("plans:assessment", kwargs={"plan": plan})
    # The admin: Plan shows its issuer; a city's staff see only their office's plans.
    city.admin.user_permissions.add(Permission.objects.get(codename="view_plan"))
    listed = client_for(city.admin).get("/admin/processes/plan/").content.decode()
    assert city.plan.title in listed and plan.title not in listed and city.other_plan.title not in listed
    root = UserFactory(username="root", is_staff=True, is_superuser=True, unit=None)
    listed = client_for(root).get(f"/admin/processes/plan/?issuer__id__exact={city.office.pk}").content.decode()
    assert city.plan.title in listed and plan.title not in listed


def _help(name: str) -> str:
    command = load_command_class("processes", name)
    return command.create_parser("manage.py", name).format_help()


@pytest.mark.parametrize(
    "name",
    [
        "sign_documents",
        "export_documents",
        "warn_regions",
        "open_rounds",
        "import_plan",
        "export_ledger",
        "replay_year",
    ],
)
def test_every_command_naming_a_plan_takes_its_issuer_and_says_so(name: str) -> None:
    text = " ".join(_help(name).split())
    assert "--issuer CODE" in text and "office" in text


def test_the_commands_pick_the_issuers_plan(
    plan: Plan, city: City, signer: User, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    out = io.StringIO()
    call_command("open_rounds", "--issuer", "220100", "--year", "2023", "--as-of", "2023-09-10", stdout=out)
    assert set(Round.objects.values_list("plan__issuer__code", flat=True)) == {"220100"}
    sweep("2023-09-07", django_capture_on_commit_callbacks)
    with pytest.raises(CommandError):  # the province's signer signs no city's documents
        call_command(
            "sign_documents", "--issuer", "220100", "--year", "2023", "--as-of", "2023-09-08", "--by", signer.username
        )
    out = io.StringIO()
    with at("2023-09-08 09:00"):
        call_command(
            "sign_documents", "--issuer", "220100", "--year", "2023", "--as-of", "2023-09-08", "--by", "cc_signer",
            "--json", stdout=out,
        )  # fmt: skip
    signed = json.loads(out.getvalue())
    assert signed["issuer"] == "220100" and [s["unit"] for s in signed["signed"]] == ["220102", "220104"]
    assert not Notice.objects.filter(plan=plan, state=NoticeState.ISSUED).exists()  # the province's wait
    out = io.StringIO()
    call_command(
        "export_documents", "--issuer", "220100", "--year", "2023", "--kind", "warning", "-o", str(tmp_path), "--json",
        stdout=out,
    )  # fmt: skip
    listed = json.loads(out.getvalue())
    assert [d["doc_no"] for d in listed["documents"]] == ["长春无废预〔2023〕1号", "长春无废预〔2023〕2号"]
    out = io.StringIO()
    call_command(
        "export_documents", "--year", "2023", "--kind", "warning", "-o", str(tmp_path / "p"), "--json", stdout=out
    )
    assert json.loads(out.getvalue()) == {"issuer": "JL-PRO", "documents": [], "count": 0}
    out = io.StringIO()
    call_command("warn_regions", "--issuer", "220100", "--as-of", "2023-09-29", stdout=out)
    assert "220100/2023" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("warn_regions", "--issuer", "220300", "--as-of", "2023-09-29", stdout=io.StringIO())


def test_a_city_office_pairs_its_own_districts_in_its_own_plan(plan: Plan, city: City, people: dict[str, User]) -> None:
    task = city.plan.tasks.get(number="3")
    changchang = Unit.objects.get(code="220202")
    pairing = {
        "plan": city.plan,
        "level": UnitLevel.CITY,
        "leader": None,
        "unit": city.office,
        "task": task,
        "start": D(2023, 7, 1),
        "end": D(2023, 12, 31),
    }
    with at("2023-07-03 09:00"):
        with pytest.raises(NotAllowed):  # the province's office does not manage the city's pairings
            pairing_save(**pairing, regions=[city.nanguan], by=people["office"])
        with pytest.raises(InvalidInput, match="昌邑区"):  # nor does the city pair what is not under it
            pairing_save(**pairing, regions=[changchang], by=city.admin)
        saved = pairing_save(**pairing, regions=[city.nanguan, city.chaoyang], by=city.admin)
    assert saved in pairings_for(city.admin)
    other_admin = UserFactory(unit=Unit.objects.get(code="220200"), role=Role.ADMIN)
    assert saved not in pairings_for(other_admin)


@pytest.mark.parametrize("prefix", ["items", "rounds", "obligations", "notices", "evidence", "bulletins"])
def test_a_four_digit_id_is_not_taken_for_a_plans_year(prefix: str) -> None:
    """``/plans/items/4921/`` has the shape of ``<issuer>/<year>``: it still reaches the item, not a plan."""
    assert resolve(f"/plans/{prefix}/4921/").url_name != "plan_detail"
    assert resolve("/plans/220100/2023/").url_name == "plan_detail"


def test_two_offices_never_share_a_daizi(plan: Plan, city: City) -> None:
    """Each office's 代字 is its own: the admin refuses a city's 代字 that the province's documents use."""
    province = DocumentSettings.current()
    ours = DocumentSettings.for_office(city.office)
    assert (ours.warning_code, ours.supervision_code, ours.circular_code) == ("长春无废预", "长春无废督", "长春无废通")
    ours.supervision_code = province.supervision_code
    with pytest.raises(ValidationError, match=province.supervision_code):
        ours.full_clean()
    ours.supervision_code = "长无废督"
    ours.full_clean()


def test_a_citys_supervision_notice_threatens_a_city_wide_circular(plan: Plan, city: City) -> None:
    """督办通知单: “逾期仍未整改到位的，将在全市范围内予以通报” for a city's plan — the province's says 全省."""
    from processes.services.offices import plan_area
    from processes.services.signing import draft_text

    assert (plan_area(plan), plan_area(city.plan)) == ("全省", "全市")
    for area in ("全省", "全市"):
        _title, body = draft_text("supervision_notice", addressee="南关区", day=D(2023, 9, 1), items=2, area=area)
        assert f"将在{area}范围内予以通报" in body


def test_two_offices_of_one_place_name_get_different_codes(units: dict[str, Unit]) -> None:
    """通化市 and 通化县 both start with 通化: the second office's 代字 keep their level word, so their 文号 differ."""
    city = units["220500"]  # 通化市生态环境局
    Unit.objects.filter(pk=city.pk).update(is_office=True)
    county = Unit.objects.create(
        code="T-COUNTY", name="通化县生态环境分局", short_name="通化县", level="county", parent=city, is_office=True
    )
    first, second = DocumentSettings.for_office(city), DocumentSettings.for_office(county)
    assert (first.warning_code, second.warning_code) == ("通化无废预", "通化县无废预")
    assert (first.supervision_code, second.supervision_code) == ("通化无废督", "通化县无废督")
    assert DocumentSettings.for_office(county) == second  # made once


def test_a_citys_progress_reports_wait_for_the_city_not_the_province(
    plan: Plan, city: City, people: dict[str, User]
) -> None:
    from processes.services.rounds import progress_save
    from processes.views.work import progress_to_review

    with at("2023-09-02 06:10"):
        rounds_open_due(plan=city.plan, as_of=D(2023, 9, 2))
    owed = Obligation.objects.filter(assignment__task__plan=city.plan, assignment__unit=city.nanguan).first()
    assert owed is not None
    with at("2023-09-04 10:00"):
        progress_save(obligation=owed, by=city.ng_reporter, text="已完成台账建立。", submit=True)
    assert owed.pk in [o.pk for o in progress_to_review(city.supervisor)]
    assert owed.pk not in [o.pk for o in progress_to_review(people["supervisor"])]  # sees the plan, reviews nothing


def test_a_citys_assessment_counts_only_its_own_plans_notices(plan: Plan, city: City) -> None:
    """A province's 督办 to a district counts in the province's plan, not in the city's assessment of the district."""
    Notice.objects.create(
        kind=DocumentKind.SUPERVISION_NOTICE,
        state=NoticeState.ISSUED,
        unit=city.nanguan,
        plan=plan,
        issuer="吉林省“无废城市”建设工作推进组办公室",
        issued_on=D(2023, 9, 5),
        year=2023,
        number=99,
        doc_no="吉无废督〔2023〕99号",
    )
    with at("2023-10-09 09:00"):
        assessment = assessment_compute(scheme=scheme_ensure(city.plan), start=D(2023, 7, 1), end=D(2023, 9, 30))
    nanguan = next(score for score in assessment.regions if score.unit == city.nanguan)
    assert [c.measure for c in nanguan.contributions if c.metric == "notices"] == ["0"]


def test_two_offices_ledgers_download_under_different_names(plan: Plan, city: City, people: dict[str, User]) -> None:
    with at("2023-09-30 09:00"):
        client = client_for(people["supervisor"])
        names = [
            client.get(reverse("plans:ledger_export", kwargs={"plan": p, "fmt": "csv"}))["Content-Disposition"]
            for p in (plan, city.plan)
        ]
    assert "JL-PRO-2023-ledger-2023-09-30.csv" in names[0] and "220100-2023-ledger-2023-09-30.csv" in names[1]


def test_a_document_naming_no_office_is_the_provinces(plan: Plan, city: City, people: dict[str, User]) -> None:
    """A draft made by hand (or before offices had their own documents) names neither plan nor office: the
    province's office prepares and signs it, as signing numbers it; no city office reads or edits it."""
    from processes.services.signing import can_prepare, notice_office_id

    draft = Notice.objects.create(kind=DocumentKind.WARNING_LETTER, unit=city.nanguan, issuer="推进组办公室")
    office = notice_office_id(draft)
    assert office == Unit.objects.get(code="JL-PRO").pk
    assert can_prepare(people["supervisor"], office) and not can_prepare(city.supervisor, office)
