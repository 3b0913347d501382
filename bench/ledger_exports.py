"""Ledger-export figures: what building the ledger of a plan costs, and what each export (PDF, XLSX, CSV) takes.

Run from the project root (``make bench`` runs it after ``import_and_ledger.py``)::

    .venv/bin/python bench/ledger_exports.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zerowaste .venv/bin/python bench/ledger_exports.py

It never touches the developer's data: without ``DATABASE_URL`` (or with a SQLite one) it works in a temporary
SQLite file; with a PostgreSQL ``DATABASE_URL`` it creates a scratch database ``bench_<pid>`` on that server and
drops it at the end, whatever happens. ``VAR_DIR`` always points at a temporary folder. The figures are printed,
then one JSON line with all of them; the project's goals are printed beside them and never asserted.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from processes.services.ledger import Ledger

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

RUNS = 3
ANNEX_ASSIGNMENTS = 289
PDF_GOAL_S = 3.0  # for the annex's 289 rows
LARGE_TASKS = 300  # × 10 units: 3,000 assignments

# Years of the plans the benchmark creates.
ANNEX_YEAR = 2023
LARGE_YEAR = 2024

# The generated task list: deadline cells as the 2023 annex writes them, cycled.
DEADLINE_CELLS = ("8月31日", "12月31日", "持续推进", "按频次要求持续推进", "已完成")
FREQUENCY_PHRASES = ("每季度调度一次工作进展", "每两月报送项目进展情况")
# Ten units in one cell, places sharing the suffix: exactly ten assignments per task.
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


# --- The plans to export --------------------------------------------------------------------------------------


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


def generated_rows(count: int, *, seed: int) -> list[Row]:
    """``count`` task rows numbered 1..count, each naming the same ten units; deadlines cycle through the annex's
    kinds of cells, and every recurring task, and every seventh other one, names its frequency in the text."""
    rng = random.Random(seed)
    rows: list[Row] = []
    for i in range(count):
        deadline = DEADLINE_CELLS[i % len(DEADLINE_CELLS)]
        names_frequency = deadline == "按频次要求持续推进" or i % 7 == 0
        frequency = FREQUENCY_PHRASES[i % 2] if names_frequency else ""
        rows.append((str(i + 1), task_text(rng, frequency), TEN_UNITS_CELL, deadline))
    return rows


def csv_bytes(rows: list[Row]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def import_plan(data: bytes, filename: str, year: int) -> int:
    """Import ``data`` as the plan of ``year``; the number of assignments it created."""
    from django.conf import settings

    from processes.services.plan_import import plan_import

    report = plan_import(data=data, filename=filename, year=year, max_bytes=settings.IMPORT_MAX_BYTES)
    if report.errors:
        shown = "\n  ".join(str(problem) for problem in report.errors[:10])
        raise BenchError(f"{filename} into {year}: {len(report.errors)} errors, first:\n  {shown}")
    if not report.applied:
        raise BenchError(f"{filename} into {year} was not applied")
    return report.assignment_count


# --- Measuring ------------------------------------------------------------------------------------------------


def ledger_of(year: int) -> Callable[[], Ledger]:
    """Build the whole plan's ledger as of today (``viewer`` None, as ``manage.py export_ledger`` does); the plan
    is read once here, so that a call measures ``ledger_as_of`` alone."""
    from processes.models import Plan
    from processes.services.ledger import ledger_as_of

    return functools.partial(ledger_as_of, Plan.objects.get(year=year), None)


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def counted(action: Callable[[], Any]) -> tuple[int, Any]:
    """The SQL queries ``action`` runs (an untimed call: capturing them slows each query down)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = action()
    return len(captured), result


def median_seconds(action: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """The median time of ``runs`` calls, and the result of the last one."""
    times = []
    result = None
    for _ in range(runs):
        seconds, result = timed(action)
        times.append(seconds)
    return statistics.median(times), result


def pdf_pages(pdf: bytes, scratch: Path) -> tuple[int, str]:
    """The page count of ``pdf`` and how it was found: pdfinfo if installed, else the PDF's own page tree."""
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo:
        path = scratch / "ledger.pdf"
        path.write_bytes(pdf)
        result = subprocess.run([pdfinfo, str(path)], capture_output=True, text=True, check=False)
        found = re.search(r"^Pages:\s+(\d+)", result.stdout, re.MULTILINE)
        if found:
            return int(found.group(1)), "pdfinfo"
    return pages_from_bytes(pdf), "PDF bytes"


def pages_from_bytes(pdf: bytes) -> int:
    """Count the page objects, in the file and in its compressed object streams (WeasyPrint writes both)."""
    chunks = [pdf]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        with contextlib.suppress(zlib.error):
            chunks.append(zlib.decompress(stream.group(1)))
    pages = sum(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", chunk)) for chunk in chunks)
    if not pages:
        raise BenchError("no page found in the PDF")
    return pages


# --- The benchmark --------------------------------------------------------------------------------------------


def queries_note(count: int) -> str:
    return f"{count:,} {'query' if count == 1 else 'queries'}"


def size(data: bytes) -> str:
    return f"{len(data) / 1024:,.0f} KB" if len(data) < 1024 * 1024 else f"{len(data) / 1024 / 1024:.1f} MB"


def first_pdf(year: int) -> dict[str, Any]:
    """The process's very first PDF render, on its own: it imports WeasyPrint and pango and loads the fonts."""
    from processes.services.exports import ledger_pdf

    ledger = ledger_of(year)()
    seconds, pdf = timed(lambda: ledger_pdf(ledger))
    line(f"first PDF render in the process ({ledger.total} rows)", seconds, f"{size(pdf)}; imports and fonts")
    return {"rows": ledger.total, "seconds": seconds, "bytes": len(pdf)}


def bench_exports(year: int, scratch: Path, pdf_goal: float | None = None) -> dict[str, Any]:
    """Queries and median time of the ledger and of each export of the plan of ``year``."""
    from processes.services.exports import ledger_csv, ledger_pdf, ledger_xlsx

    build = ledger_of(year)
    queries, ledger = counted(build)  # also the warm-up
    seconds, ledger = median_seconds(build, RUNS)
    line(f"ledger_as_of ({ledger.total:,} rows)", seconds, queries_note(queries))
    figures: dict[str, Any] = {"rows": ledger.total, "runs": RUNS, "ledger_s": seconds, "ledger_queries": queries}
    exports: dict[str, Callable[[Ledger], bytes]] = {"pdf": ledger_pdf, "xlsx": ledger_xlsx, "csv": ledger_csv}
    for fmt, export in exports.items():
        queries, _ = counted(functools.partial(export, ledger))  # also the warm-up
        seconds, data = median_seconds(functools.partial(export, ledger), RUNS)
        note = f"{size(data)}, {queries_note(queries)}"
        if fmt == "pdf":
            pages, method = pdf_pages(data, scratch)
            note = f"{size(data)}, {plural(pages, 'page')} ({method}), {queries_note(queries)}"
            if pdf_goal is not None:
                note += f", {goal(seconds, pdf_goal)} for {ledger.total} rows"
            figures["pdf_pages"] = pages
            figures["pdf_pages_from"] = method
        line(f"{fmt.upper()} export", seconds, note)
        figures[f"{fmt}_s"] = seconds
        figures[f"{fmt}_bytes"] = len(data)
        figures[f"{fmt}_queries"] = queries
    if pdf_goal is not None:
        figures["pdf_goal_s"] = pdf_goal
    return figures


def bench_annex(figures: dict[str, Any], scratch: Path) -> None:
    assignments = import_plan((DATA / "jilin-2023-tasks.xlsx").read_bytes(), "jilin-2023-tasks.xlsx", ANNEX_YEAR)
    if assignments != ANNEX_ASSIGNMENTS:
        raise BenchError(f"the 2023 annex made {assignments} assignments, not {ANNEX_ASSIGNMENTS}")
    print(f"\n1. The 2023 annex plan ({assignments} assignments), whole-plan ledger as of today")
    figures["first_pdf"] = first_pdf(ANNEX_YEAR)
    print(f"  median of {RUNS}, after one untimed call that counts the queries:")
    figures["annex"] = bench_exports(ANNEX_YEAR, scratch, PDF_GOAL_S)
    first, warm = figures["first_pdf"]["seconds"], figures["annex"]["pdf_s"]
    print(f"  first-call cost of the PDF: {first - warm:+.3f} s over the median")


def bench_large(figures: dict[str, Any], scratch: Path) -> None:
    rows = generated_rows(LARGE_TASKS, seed=LARGE_YEAR)
    assignments = import_plan(csv_bytes(rows), "generated.csv", LARGE_YEAR)
    if assignments != LARGE_TASKS * 10:
        raise BenchError(f"the generated plan made {assignments} assignments, not {LARGE_TASKS * 10}")
    print(f"\n2. A generated plan ({LARGE_TASKS} tasks × 10 units = {assignments:,} assignments), median of {RUNS}")
    print("   (reported, no goal)")
    figures["large"] = {"tasks": LARGE_TASKS, **bench_exports(LARGE_YEAR, scratch)}


def run(database: str) -> dict[str, Any]:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

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
    scratch = Path(settings.VAR_DIR)
    scratch.mkdir(parents=True, exist_ok=True)
    bench_annex(figures, scratch)
    bench_large(figures, scratch)
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
