"""The embedded default runs with nothing set; production refuses to start without what it must be told."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "workflow.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "wufei.example.gov.cn",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/zerowaste",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SITE_URL": "https://wufei.example.gov.cn",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k not in ("DEBUG",)}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "SITE_URL"])
def test_production_fails_closed_without(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and missing in result.stderr


@pytest.mark.parametrize(
    ("site_url", "extra", "error"),
    [
        ("wufei.example.gov.cn", {}, "workflow.E001"),  # not an absolute address
        ("https://wufei.example.gov.cn/zerowaste/", {}, "workflow.E001"),  # a path the links would not carry
        ("ftp://wufei.example.gov.cn", {}, "workflow.E001"),
        ("https://127.0.0.1:8000", {}, "workflow.E002"),  # a host this site does not answer to
        ("http://wufei.example.gov.cn", {}, "workflow.E003"),  # plain http
    ],
)
def test_links_must_point_home(site_url: str, extra: dict[str, str], error: str) -> None:
    result = manage("check", "--deploy", env={**PRODUCTION_ENV, "SITE_URL": site_url, **extra})
    assert result.returncode != 0 and error in result.stderr, result.stderr


def test_plain_http_links_only_when_allowed_on_purpose() -> None:
    env = {**PRODUCTION_ENV, "SITE_URL": "http://wufei.example.gov.cn:8080", "SITE_URL_ALLOW_HTTP": "1"}
    result = manage("check", "--deploy", "--fail-level", "ERROR", env=env)
    assert result.returncode == 0, result.stderr


def test_the_embedded_default_checks_a_malformed_site_url(tmp_path: Path) -> None:
    env = {"DJANGO_SETTINGS_MODULE": "workflow.settings.base", "VAR_DIR": str(tmp_path), "SITE_URL": "127.0.0.1:8000"}
    result = manage("check", env=env)
    assert result.returncode != 0 and "workflow.E001" in result.stderr


def test_gunicorn_refuses_to_start_with_links_pointing_elsewhere(tmp_path: Path) -> None:
    """The system checks run before gunicorn serves: a SITE_URL on another host stops it, naming the check."""
    env = {**PRODUCTION_ENV, "SITE_URL": "https://elsewhere.example.com", "GUNICORN_BIND": "127.0.0.1:0"}
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DEBUG"}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "workflow.E002" in result.stdout + result.stderr and "Booting worker" not in result.stdout + result.stderr


@pytest.mark.parametrize("process", ["worker", "beat"])
def test_the_worker_and_beat_refuse_to_start_with_links_pointing_elsewhere(
    process: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """They write the links of every message: the same check stops them before they take any task."""
    env = {**PRODUCTION_ENV, "SITE_URL": "https://elsewhere.example.com", "CELERY_QUEUE": "never-used"}
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DEBUG"}
    extra = ["--pool=solo"]
    if process == "beat":  # beat reads its schedule from the database before it starts: it needs a migrated one
        request.getfixturevalue("db")
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…): beat reads its schedule from it")
        db = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
        extra = ["-s", str(tmp_path / "schedule")]
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "workflow", process, *extra],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "workflow.E002" in result.stdout + result.stderr


def test_gunicorn_takes_its_size_from_the_environment() -> None:
    env = {**PRODUCTION_ENV, "WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "6", "PORT": "9001"}
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DEBUG"}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--print-config"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    config = dict(
        (name.strip(), value.strip()) for name, _, value in (line.partition("=") for line in result.stdout.splitlines())
    )
    assert (config["workers"], config["threads"], config["bind"]) == ("3", "6", "['0.0.0.0:9001']")
    assert config["accesslog"] == "None" and config["wsgi_app"] == "workflow.wsgi:application"


def test_the_default_worker_count_is_capped() -> None:
    import runpy

    default_workers = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["default_workers"]
    assert [default_workers(cores) for cores in (1, 2, 3, 16)] == [3, 5, 7, 8]


def test_production_serves_static_files_itself() -> None:
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.MIDDLEWARE[:4]); print(s.STORAGES['staticfiles']['BACKEND']); "
        "print(s.DEBUG, s.LOG_FORMAT, s.REQUEST_LOG)",
        env=PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr
    middleware, storage, flags = result.stdout.splitlines()[-3:]
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in middleware
    assert middleware.index("workflow.health.HealthCheckMiddleware") < middleware.index("SecurityMiddleware")
    assert storage == "workflow.storage.StaticFilesStorage" and flags == "False json True"


def test_production_refuses_sqlite() -> None:
    result = manage("check", env={**PRODUCTION_ENV, "DATABASE_URL": "sqlite:////tmp/x.sqlite3"})
    assert result.returncode != 0 and "PostgreSQL" in result.stderr


def test_the_embedded_default_needs_nothing_set(tmp_path: Path) -> None:
    result = manage("check", env={"DJANGO_SETTINGS_MODULE": "workflow.settings.base", "VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_chinese_first_in_shanghai() -> None:
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ


@pytest.mark.django_db
def test_every_model_change_has_its_migration() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
