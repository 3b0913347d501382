"""The command-line contracts: load_units, load_unit_groups, import_plan (with --json and --dry-run), load_demo."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from processes.models import Assignment, Pairing, Plan, Unit, UnitAlias, UnitGroup, User
from processes.services.units import unit_index

from ..conftest import ANNEX_CSV, ANNEX_XLSX, DATA

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_load_units_twice_updates_and_never_duplicates(tmp_path: Path) -> None:
    assert "16 created, 0 updated, 0 unchanged" in run("load_units", str(DATA / "jilin-units.csv"))
    assert Unit.objects.count() == 16
    songyuan = Unit.objects.get(code="220700")
    assert (songyuan.parent.code, songyuan.level, songyuan.short_name) == ("JL-EEB", "city", "松原市")
    assert set(Unit.objects.get(code="220100").aliases.values_list("name", flat=True)) == {
        "长春市生态环境厅",
        "长春市局",
    }

    changed = (
        (DATA / "jilin-units.csv")
        .read_text("utf-8")
        .replace("220700,松原市生态环境局,松原市,city,JL-EEB,", "220700,松原市生态环境局,松原,city,JL-EEB,松原市局")
    )
    path = tmp_path / "units.csv"
    path.write_text(changed, "utf-8")
    output = run("load_units", str(path))

    assert "0 created, 1 updated, 15 unchanged" in output
    assert Unit.objects.count() == 16
    assert UnitAlias.objects.filter(name="松原市局", unit__code="220700").exists()
    assert Unit.objects.get(code="220700").short_name == "松原"
    assert UnitAlias.objects.count() == 11 + 1


def test_load_units_refuses_a_bad_file_naming_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("code,name,short_name,level,parent_code,aliases\nA,甲,,planet,,\nB,乙,,city,NOPE,\n", "utf-8")
    with pytest.raises(CommandError) as caught:
        run("load_units", str(path))
    message = str(caught.value)
    assert "units.csv" in message and "row 2" in message and "column D" in message and "planet" in message
    assert "row 3" in message and "NOPE" in message
    assert not Unit.objects.exists()


def test_load_units_refuses_an_alias_that_names_another_unit(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("code,name,short_name,level,parent_code,aliases\nA,甲局,,city,,乙局\nB,乙局,,city,,\n", "utf-8")
    with pytest.raises(CommandError, match="乙局"):
        run("load_units", str(path))
    assert not Unit.objects.exists()


def test_unit_groups_are_data(units: dict[str, Unit]) -> None:
    group = UnitGroup.objects.get(name="各地生态环境局")
    assert (group.member_level, group.members.count()) == ("city", 0)
    assert group.aliases.filter(name="各市(州)、长白山管委会、梅河新区(梅河口市)生态环境局").exists()
    assert len(unit_index().resolve("各地生态环境局").codes) == 11
    nine = UnitGroup.objects.get(name="各市(州)生态环境局")
    assert nine.members.count() == 9
    output = run("load_unit_groups", str(DATA / "jilin-unit-groups.csv"))
    assert "0 created, 0 updated, 2 unchanged" in output
    assert UnitGroup.objects.count() == 2


def test_the_local_bureaus_group_is_there_after_loading_units_alone() -> None:
    # A fresh database knows 各地生态环境局 (seeded by a migration): loading the unit table is enough to import.
    run("load_units", str(DATA / "jilin-units.csv"))
    summary = json.loads(run("import_plan", str(ANNEX_XLSX), "--year", "2023", "--json"))
    assert (summary["tasks"], summary["assignments"], summary["closed"], summary["errors"]) == (39, 289, 1, [])


def test_a_new_unit_of_the_groups_level_joins_the_group(units: dict[str, Unit]) -> None:
    Unit.objects.create(code="229900", name="示范区生态环境局", short_name="示范区", level="city")
    assert len(unit_index().resolve("各地生态环境局").codes) == 12
    Unit.objects.filter(code="229900").update(is_active=False)
    assert len(unit_index().resolve("各地生态环境局").codes) == 11


def test_import_plan_prints_a_json_summary(units: dict[str, Unit]) -> None:
    summary = json.loads(
        run("import_plan", str(ANNEX_XLSX), "--year", "2023", "--doc-no", "吉环固体字〔2023〕15号", "--json")
    )
    assert (summary["tasks"], summary["assignments"], summary["closed"]) == (39, 289, 1)
    assert summary["errors"] == []
    assert any("长春市生态环境厅" in warning["message"] for warning in summary["warnings"])
    assert summary["applied"] is True
    assert Plan.objects.get(year=2023).doc_no == "吉环固体字〔2023〕15号"


def test_import_plan_dry_run_writes_nothing(units: dict[str, Unit]) -> None:
    summary = json.loads(run("import_plan", str(ANNEX_CSV), "--year", "2023", "--dry-run", "--json"))
    assert (summary["tasks"], summary["assignments"], summary["dry_run"], summary["applied"]) == (39, 289, True, False)
    assert not Plan.objects.exists() and not Assignment.objects.exists()


def test_import_plan_with_errors_fails_and_prints_where(units: dict[str, Unit], tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "序号,任务,责任单位,完成时限\n1,任务甲,省生态环境厅,8月31日\n2,任务乙,火星市生态环境局,9月30日\n", "utf-8"
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_plan", str(path), "--year", "2023", stdout=out)
    assert "bad.csv" in out.getvalue() and "row 3" in out.getvalue() and "火星市生态环境局" in out.getvalue()
    assert not Plan.objects.exists()


def test_import_plan_json_still_prints_on_errors(units: dict[str, Unit], tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("序号,任务,责任单位,完成时限\n1,任务甲,省生态环境厅,明年\n", "utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_plan", str(path), "--year", "2023", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["errors"][0]["row"] == 2 and summary["errors"][0]["column"] == "D"


def test_import_plan_reports_a_missing_file() -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_plan", "/nonexistent/plan.xlsx", "--year", "2023")


def test_load_demo_loads_everything_and_can_run_again() -> None:
    """The demo plan is the current year's, started about six months ago (its year is lived by replay_year, tested
    in test_replay.py; --no-replay keeps this test to the data itself)."""
    with time_machine.travel(dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC), tick=False):
        run("load_demo", "--no-replay")
        run("load_demo", "--no-replay")
    plan = Plan.objects.get(issuer__code="JL-PRO")
    assert plan.year == 2026 and plan.starts_on == dt.date(2026, 6, 3) and "演示" in plan.title
    assert Unit.objects.count() == 16 + 7  # and 长春市's departments, for its own plan (细化)
    assert Assignment.objects.filter(task__plan=plan).count() == 289
    assert Plan.objects.filter(issuer__code="220100", year=2026).get().tasks.count() == 8
    roles = dict(User.objects.values_list("username", "role"))
    assert roles == {
        "songyuan_reporter": "reporter",
        "songyuan_leader": "leader",
        "province_supervisor": "supervisor",
        "office_admin": "admin",
        "office_signer": "leader",
        "baobao_leader": "leader",
        "changchun_office": "admin",
    }
    assert User.objects.get(username="songyuan_reporter").unit.code == "220700"
    # The office's 签发人 (issue 11): the only signer.
    assert list(User.objects.filter(is_signer=True).values_list("username", flat=True)) == ["office_signer"]
    # One 包保 pairing, not two: the provincial department's leader with 松原 and 白城, three visits owed each.
    pairing = Pairing.objects.get()
    assert (pairing.leader.username, pairing.unit.code) == ("baobao_leader", "JL-EEB")  # type: ignore[union-attr]
    assert sorted(pairing.regions.values_list("code", flat=True)) == ["220700", "220800"]
    assert (pairing.start, pairing.end) == (dt.date(2026, 6, 3), dt.date(2026, 12, 31))
    assert pairing.visits_owed.count() == 8  # May–June (it ends after the start) to November–December, two regions


def test_load_units_refuses_text_it_cannot_decode(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes("code,name\n".encode("utf-16"))
    with pytest.raises(CommandError, match="GB18030"):
        run("load_units", str(path))
