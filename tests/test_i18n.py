"""Chinese first, English available: the catalogue is complete and compiled, pages and messages speak Chinese."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from processes.models import Plan, Unit, User

from .processes.test_views import client_for

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_string_has_a_chinese_translation_and_the_compiled_catalogue_is_current(tmp_path: Path) -> None:
    if shutil.which("msgfmt") is None:
        pytest.skip("needs GNU gettext's msgfmt (Debian package gettext) to check the catalogue")
    compiled = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(compiled), str(CATALOGUE / "django.po")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    assert compiled.read_bytes() == (CATALOGUE / "django.mo").read_bytes(), "run `make messages` and commit locale/"


@pytest.mark.django_db
def test_pages_are_in_chinese_by_default_and_in_english_on_request(plan_2023: Plan, supervisor: User) -> None:
    client = client_for(supervisor)
    html = client.get("/plans/JL-PRO/2023/ledger/").content.decode()
    assert '<html lang="zh-hans"' in html
    assert "台账" in html and "已销号" in html and "挂账" in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/plans/JL-PRO/2023/ledger/"})
    html = client.get("/plans/JL-PRO/2023/ledger/").content.decode()
    assert '<html lang="en"' in html and "Ledger" in html and "Closed out" in html
    assert "吉林省2023年度“无废城市”建设任务清单" in html  # data stays as published


@pytest.mark.django_db
def test_import_errors_read_in_chinese(units: dict[str, Unit], tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "序号,任务,责任单位,完成时限\n1,任务甲,省生态环境厅,8月31日\n2,任务乙,火星市生态环境局,9月30日\n", "utf-8"
    )
    out = io.StringIO()
    with translation.override("zh-hans"), pytest.raises(CommandError) as caught:
        call_command("import_plan", str(path), "--year", "2023", stdout=out)
    assert "bad.csv，第3行，C列(责任单位)：未知单位“火星市生态环境局”" in out.getvalue()
    assert "未写入任何数据" in str(caught.value)


@pytest.mark.django_db
def test_refusals_are_explained_in_chinese(plan_2023: Plan, reporter: User) -> None:
    client = client_for(reporter)
    response = client.get("/plans/JL-PRO/2023/tasks/1/")
    assert response.status_code == 404 and "不在您所在单位的查看范围内" in response.content.decode()
    response = client.get("/plans/import/")
    assert response.status_code == 403 and "仅办公室管理员可导入任务清单" in response.content.decode()
