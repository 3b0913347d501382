"""Import and ledger figures: how long a task list takes to import, and what the ledger and plan pages cost.

Run from the project root (``make bench`` runs exactly this)::

    .venv/bin/python bench/import_and_ledger.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zerowaste .venv/bin/python bench/import_and_ledger.py

It never touches the developer's data: without ``DATABASE_URL`` (or with a SQLite one) it works in a temporary
SQLite file; with a PostgreSQL ``DATABASE_URL`` it creates a scratch database ``bench_<pid>`` on that server and
drops it at the end, whatever happens. ``VAR_DIR`` always points at a temporary folder. The figures are printed,
then one JSON line with all of them; the project's goals are printed beside them and never asserted.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import random
import re
import signal
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.test import Client

    from processes.services.plan_import import ImportReport

from common import (
    DATA,
    ROOT,
    SETTINGS_MODULE,
    BenchError,
    close_django_connections,
    database_version,
    goal,
    line,
    load_units,
    plural,
    scratch_storage,
    terminate_cleanly,
)

ANNEX_RUNS = 5
LARGE_RUNS = 3
PAGE_RUNS = 5
LARGE_ROWS = 5000
ANNEX_GOAL_S = 1.0
LARGE_GOAL_S = 10.0

# Years of the plans the benchmark creates; each measurement works on its own plan.
ANNEX_YEAR = 2023
LARGE_YEAR = 2024
LEDGER_YEARS = {10: 2030, 1000: 2031}

# The generated task list: cells as the 2023 annex writes them, cycled so that every pairing occurs.
UNIT_CELLS = (
    "省生态环境厅",
    "各地生态环境局",
    "省生态环境厅、各地生态环境局",
    "松原市、白城市生态环境局",
    "长春市生态环境局",
)
DEADLINE_CELLS = ("8月31日", "12月31日", "持续推进", "按频次要求持续推进", "已完成")
FREQUENCY_PHRASES = ("每季度调度一次工作进展", "每两月报送项目进展情况")
# Ten units in one cell, places sharing the suffix: the ledger plans get exactly ten assignments per task.
TEN_UNITS_CELL = "省生态环境厅、省发改委、长春市、吉林市、四平市、辽源市、通化市、白山市、松原市、白城市生态环境局"
CLAUSES = (
    "加强工业固体废物源头减量和综合利用",
    "推进建筑垃圾分类处理和资源化利用",
    "完善危险废物收集转运和利用处置体系",
    "建立“无废城市”建设重点项目清单并动态更新",
    "强化部门协同和信息共享",
    "开展“无废细胞”创建活动",
    "落实生产者责任延伸制度",
    "健全固体废物环境监管长效机制",
    "推动秸秆综合利用和畜禽粪污资源化",
    "提升生活垃圾分类收运处理能力",
    "加大“无废城市”建设宣传引导力度",
    "依法严厉打击固体废物环境违法行为",
    "组织开展专项督导检查",
    "及时协调解决重点难点问题",
    "确保各项任务按期完成",
)
HEADER = ("序号", "任务", "责任单位", "完成时限")

Row = tuple[str, str, str, str]


# --- Where the benchmark works: a temporary SQLite file or a scratch PostgreSQL database -----------------------


# --- Files to import ------------------------------------------------------------------------------------------


def task_text(rng: random.Random, frequency: str = "") -> str:
    """A task of 60–120 characters made of distinct clauses such as the annex's, with ``frequency`` among them."""
    target = rng.randint(60, 120)
    clauses: list[str] = []
    length = len(frequency) + 1 if frequency else 0  # every clause brings its comma, or the final full stop
    for clause in rng.sample(CLAUSES, len(CLAUSES)):
        if length >= target:
            break
        if length + len(clause) + 1 <= 120:
            clauses.append(clause)
            length += len(clause) + 1
    if frequency:
        clauses.insert(rng.randint(0, len(clauses)), frequency)
    return "，".join(clauses) + "。"


def generated_rows(count: int, *, units_cell: str | None = None, seed: int = 2023) -> list[Row]:
    """``count`` task rows numbered 1..count. Units and deadlines cycle through the annex's kinds of cells (all 25
    pairings occur); every recurring task, and every seventh other one, names its frequency in the text."""
    rng = random.Random(seed)
    rows: list[Row] = []
    for i in range(count):
        units = units_cell or UNIT_CELLS[i % len(UNIT_CELLS)]
        deadline = DEADLINE_CELLS[(i + i // len(UNIT_CELLS)) % len(DEADLINE_CELLS)]
        names_frequency = deadline == "按频次要求持续推进" or i % 7 == 0
        frequency = FREQUENCY_PHRASES[i % 2] if names_frequency else ""
        rows.append((str(i + 1), task_text(rng, frequency), units, deadline))
    return rows


def csv_bytes(rows: list[Row]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[Row]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(HEADER))
    for number, text, units, deadline in rows:
        sheet.append([int(number), text, units, deadline])  # 序号 as a number, as offices' Excel holds it
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- Measuring ------------------------------------------------------------------------------------------------


@dataclass
class ImportRun:
    seconds: float
    report: ImportReport


def run_import(data: bytes, filename: str, year: int, *, dry_run: bool = False) -> ImportRun:
    from django.conf import settings

    from processes.services.plan_import import plan_import

    start = time.perf_counter()
    report = plan_import(data=data, filename=filename, year=year, max_bytes=settings.IMPORT_MAX_BYTES, dry_run=dry_run)
    seconds = time.perf_counter() - start
    if report.errors:
        shown = "\n  ".join(str(problem) for problem in report.errors[:10])
        raise BenchError(f"{filename} into {year}: {len(report.errors)} errors, first:\n  {shown}")
    if not dry_run and not report.applied:
        raise BenchError(f"{filename} into {year} was not applied")
    return ImportRun(seconds, report)


@dataclass
class Deletion:
    seconds: float
    queries: int


def delete_plan(year: int) -> Deletion:
    """Delete the plan of ``year`` (if any) through the ORM's cascade, as the admin does, counting its queries."""
    from django.db import connection

    from processes.models import Plan

    queries = 0

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    start = time.perf_counter()
    with connection.execute_wrapper(count):
        Plan.objects.filter(year=year).delete()
    return Deletion(time.perf_counter() - start, queries)


def median_fresh_import(data: bytes, filename: str, year: int, runs: int) -> ImportRun:
    """The median of ``runs`` imports of ``data``, each into a plan that does not exist yet (deleted after)."""
    results = []
    for _ in range(runs):
        delete_plan(year)
        results.append(run_import(data, filename, year))
    delete_plan(year)
    return median_run(results)


def median_run(results: list[ImportRun]) -> ImportRun:
    ordered = sorted(results, key=lambda run: run.seconds)
    return ordered[len(ordered) // 2]


@dataclass
class PageFigures:
    queries: int
    seconds: float
    items: int | None


def measure_page(client: Client, url: str, runs: int) -> PageFigures:
    """Queries of one GET after a warm-up request, and the median response time of ``runs`` more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get() -> str:
        response = client.get(url)
        if response.status_code != 200:
            raise BenchError(f"GET {url} answered {response.status_code}")
        return response.content.decode()

    get()
    with CaptureQueriesContext(connection) as captured:
        html = get()
    # Count now: the captured list is read from the connection's log, which the next request clears.
    queries = len(captured)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        get()
        times.append(time.perf_counter() - start)
    total = re.search(r'data-count="total">(\d+)<', html)
    return PageFigures(queries, statistics.median(times), int(total.group(1)) if total else None)


# --- The benchmark --------------------------------------------------------------------------------------------


def supervisor_client() -> Client:
    from django.test import Client

    from processes.models import Role, Unit, User

    user = User.objects.create_user(
        username="bench_supervisor", unit=Unit.objects.get(code="JL-PRO"), role=Role.SUPERVISOR
    )
    client = Client()
    client.force_login(user)
    return client


def bench_annex(figures: dict[str, Any]) -> None:
    xlsx = (DATA / "jilin-2023-tasks.xlsx").read_bytes()
    csv_data = (DATA / "jilin-2023-tasks.csv").read_bytes()
    print(f"\n1. The 2023 annex (39 rows), each import into a fresh plan, median of {ANNEX_RUNS}")
    run_import(xlsx, "jilin-2023-tasks.xlsx", ANNEX_YEAR, dry_run=True)  # warm-up: imports, catalogues, caches
    xlsx_run = median_fresh_import(xlsx, "jilin-2023-tasks.xlsx", ANNEX_YEAR, ANNEX_RUNS)
    csv_run = median_fresh_import(csv_data, "jilin-2023-tasks.csv", ANNEX_YEAR, ANNEX_RUNS)
    dry = median_run([run_import(xlsx, "jilin-2023-tasks.xlsx", ANNEX_YEAR, dry_run=True) for _ in range(ANNEX_RUNS)])
    run_import(xlsx, "jilin-2023-tasks.xlsx", ANNEX_YEAR)
    dry_again = median_run(
        [run_import(xlsx, "jilin-2023-tasks.xlsx", ANNEX_YEAR, dry_run=True) for _ in range(ANNEX_RUNS)]
    )
    delete_plan(ANNEX_YEAR)
    report = xlsx_run.report
    line("xlsx import", xlsx_run.seconds, goal(xlsx_run.seconds, ANNEX_GOAL_S))
    line("csv import", csv_run.seconds, goal(csv_run.seconds, ANNEX_GOAL_S))
    line("xlsx dry run (no plan yet)", dry.seconds, goal(dry.seconds, ANNEX_GOAL_S))
    line(
        "xlsx dry run (same plan imported)",
        dry_again.seconds,
        f"{goal(dry_again.seconds, ANNEX_GOAL_S)}, {plural(len(dry_again.report.changes), 'change')}",
    )
    print(
        f"  {len(report.tasks)} tasks, {report.assignment_count} assignments, {plural(len(report.warnings), 'warning')}"
    )
    figures["annex"] = {
        "rows": len(report.tasks),
        "assignments": report.assignment_count,
        "runs": ANNEX_RUNS,
        "xlsx_s": xlsx_run.seconds,
        "csv_s": csv_run.seconds,
        "xlsx_dry_run_s": dry.seconds,
        "xlsx_dry_run_existing_plan_s": dry_again.seconds,
        "goal_s": ANNEX_GOAL_S,
    }


def bench_large(figures: dict[str, Any]) -> None:
    rows = generated_rows(LARGE_ROWS)
    files = {"csv": csv_bytes(rows), "xlsx": xlsx_bytes(rows)}
    print(f"\n2. A generated {LARGE_ROWS:,}-row task list, each import into a fresh plan, median of {LARGE_RUNS}")
    runs = {
        kind: median_fresh_import(data, f"generated.{kind}", LARGE_YEAR, LARGE_RUNS) for kind, data in files.items()
    }
    report = runs["csv"].report
    for kind, run in runs.items():
        size = len(files[kind]) / 1024 / 1024
        line(f"{kind} import ({size:.1f} MB)", run.seconds, goal(run.seconds, LARGE_GOAL_S))
    print(
        f"  {len(report.tasks):,} tasks, {report.assignment_count:,} assignments "
        f"({report.closed_count:,} closed at publication), {plural(len(report.warnings), 'warning')}"
    )

    print(f"\n3. Re-import of the same {LARGE_ROWS:,}-row file over its plan (nothing changes), median of {LARGE_RUNS}")
    run_import(files["csv"], "generated.csv", LARGE_YEAR)
    again = median_run([run_import(files["csv"], "generated.csv", LARGE_YEAR) for _ in range(LARGE_RUNS)])
    line(
        "csv re-import",
        again.seconds,
        f"{goal(again.seconds, LARGE_GOAL_S)}, {plural(len(again.report.changes), 'change')}",
    )
    deleted = delete_plan(LARGE_YEAR)
    line("deleting that plan (for information)", deleted.seconds, f"{deleted.queries:,} queries")
    figures["large"] = {
        "rows": LARGE_ROWS,
        "tasks": len(report.tasks),
        "assignments": report.assignment_count,
        "runs": LARGE_RUNS,
        "csv_bytes": len(files["csv"]),
        "xlsx_bytes": len(files["xlsx"]),
        "csv_s": runs["csv"].seconds,
        "xlsx_s": runs["xlsx"].seconds,
        "reimport_csv_s": again.seconds,
        "reimport_changes": len(again.report.changes),
        "delete_plan_s": deleted.seconds,
        "delete_plan_queries": deleted.queries,
        "goal_s": LARGE_GOAL_S,
    }


def bench_pages(figures: dict[str, Any]) -> None:
    client = supervisor_client()
    for assignments, year in LEDGER_YEARS.items():
        rows = generated_rows(assignments // 10, units_cell=TEN_UNITS_CELL, seed=year)
        report = run_import(csv_bytes(rows), f"ledger-{assignments}.csv", year).report
        if report.assignment_count != assignments:
            raise BenchError(f"the plan of {year} has {report.assignment_count} assignments, not {assignments}")
    print(f"\n4. Pages as a province supervisor: queries of one GET, median response time of {PAGE_RUNS}")
    pages = {"ledger": "/plans/{year}/ledger/", "plan": "/plans/{year}/"}
    figures["pages"] = {}
    for page, pattern in pages.items():
        measured = {n: measure_page(client, pattern.format(year=year), PAGE_RUNS) for n, year in LEDGER_YEARS.items()}
        for n, result in measured.items():
            if page == "ledger" and result.items != n:
                raise BenchError(f"the ledger of the {n}-assignment plan shows {result.items} items")
            line(
                f"{pattern.format(year=LEDGER_YEARS[n])} ({n:,} assignments)",
                result.seconds,
                f"{result.queries} queries",
            )
        counts = [result.queries for result in measured.values()]
        same = len(set(counts)) == 1
        print(f"  {page} page query counts equal: {'yes' if same else 'NO'} ({' vs '.join(map(str, counts))})")
        figures["pages"][page] = {
            "queries_equal": same,
            **{f"queries_{n}": result.queries for n, result in measured.items()},
            **{f"seconds_{n}": result.seconds for n, result in measured.items()},
        }


def run(database: str) -> dict[str, Any]:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - start
    load_units()
    version = database_version()
    print(f"Database: {database}; {version}")
    print(f"Python {platform.python_version()}, Django {django.get_version()}, DEBUG={settings.DEBUG}")
    print(f"Migrations: {migrated:.1f} s")
    figures: dict[str, Any] = {
        "database": connection.vendor,
        "database_version": version,
        "python": platform.python_version(),
        "django": django.get_version(),
    }
    bench_annex(figures)
    bench_large(figures)
    bench_pages(figures)
    return figures


def main() -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ.setdefault("DEBUG", "false")  # as deployed: no query log, no debug templates
    sys.path.insert(0, str(ROOT))
    signal.signal(signal.SIGTERM, terminate_cleanly)
    try:
        with scratch_storage() as database:
            try:
                figures = run(database)
            finally:
                close_django_connections()
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; the scratch storage was removed", file=sys.stderr)
        return 130
    print()
    print(json.dumps(figures, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
