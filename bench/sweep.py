"""Deadline-sweep figures: what one ``sweep_day`` costs for 1,000, 10,000 and 100,000 obligations due that day.

Run from the project root (``make bench`` runs it after ``ledger_exports.py``)::

    .venv/bin/python bench/sweep.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zerowaste .venv/bin/python bench/sweep.py
    .venv/bin/python bench/sweep.py --sizes 1000,10000      # a quicker run

It never touches the developer's data: without ``DATABASE_URL`` (or with a SQLite one) it works in a temporary
SQLite file; with a PostgreSQL ``DATABASE_URL`` it creates a scratch database ``bench_<pid>`` on that server and
drops it at the end, whatever happens. ``VAR_DIR`` always points at a temporary folder, and so does the embedded
(filesystem) Celery broker: ``REDIS_URL`` is cleared and ``CELERY_TASK_ALWAYS_EAGER`` is false, so the tasks the
sweep queues after its commit are written to that folder and never delivered. The figures are printed, then one
JSON line with all of them; the project's goals are printed beside them and never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import random
import re
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import (
    ROOT,
    SETTINGS_MODULE,
    BenchError,
    close_django_connections,
    database_version,
    goal,
    line,
    plural,
    scratch_storage,
    terminate_cleanly,
)

SIZES = (1_000, 10_000, 100_000)
WARM_UP = 10  # obligations swept once, unreported, before the sizes: templates, URLs, translations, the broker
GOAL_S = 10.0  # for 100,000 obligations, the whole committed sweep
GOAL_SIZE = 100_000

# 2023-08-31 is a Thursday and a working day: the default ladder's "due" rung (offset 0) fires on it for every
# obligation due that day; its other rungs look for other due dates and find none. "due" tells the unit's
# reporters and its leader: each of them gets one message, a digest of the unit's items that reached the rung
# (so 100 messages for 50 units, whatever the number of obligations), and no rung issues a document.
DAY = dt.date(2023, 8, 31)
PLAN_YEAR = 2023
CREATED_AT = dt.datetime(PLAN_YEAR, 1, 2, tzinfo=dt.UTC)  # the items' history begins before the day swept
UNITS = 50  # city-level units, each with one reporter and one leader
UNITS_PER_TASK = 10  # N/10 tasks × 10 assignments, one deadline obligation each
BATCH = 5000

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

METHOD = (
    "Method, for each size (the previous size's rows deleted first, so that the sweep sees one plan):",
    "  a) counted: sweep_day inside an outer transaction that is then rolled back, its SQL queries captured",
    "     (CaptureQueriesContext); its on_commit hook is discarded with the rollback, never run. Its time, slowed",
    "     by the capture, is given for information only.",
    "  b) timed: `with transaction.atomic(): sweep_day(day)`, committed. A marker on_commit hook registered before",
    "     the sweep's own splits it: sweep = until sweep_day returns; commit = the COMMIT; enqueue = the sweep's",
    "     after-commit hook (the Celery tasks written to the filesystem broker in the temporary folder; no worker,",
    "     nothing delivered); total = all three.",
    "  c) the same day swept again (it must fire nothing): timed as b), counted as a).",
)


# --- Where the benchmark works: a temporary SQLite file or a scratch PostgreSQL database -----------------------


def keep_celery_local() -> None:
    """The embedded filesystem broker, under ``VAR_DIR`` (the settings choose it when ``REDIS_URL`` is empty), and
    no eager tasks: what the sweep queues is written there and never delivered. Set, not defaulted, and empty
    rather than unset, so that neither the caller's environment nor a ``.env`` file brings Redis back."""
    os.environ["REDIS_URL"] = ""
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"


def check_celery_local() -> Path:
    """The folder the sweep's tasks are written to; refuse to run if they could go anywhere else."""
    from django.conf import settings

    from workflow.celery import app

    queue = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    var_dir = Path(settings.VAR_DIR)
    if settings.CELERY_BROKER_URL != "embedded://" or var_dir not in queue.parents:
        raise BenchError(f"Celery must use the filesystem broker under {var_dir}, not {settings.CELERY_BROKER_URL}")
    if settings.CELERY_TASK_ALWAYS_EAGER or app.conf.task_always_eager:
        raise BenchError("CELERY_TASK_ALWAYS_EAGER must be false: the bench must not deliver anything")
    return queue


# --- The data to sweep ----------------------------------------------------------------------------------------


def task_text(rng: random.Random) -> str:
    """A task of 60–120 characters made of distinct clauses such as the annex's."""
    target = rng.randint(60, 120)
    clauses: list[str] = []
    length = 0  # every clause brings its comma, or the final full stop
    for clause in rng.sample(CLAUSES, len(CLAUSES)):
        if length >= target:
            break
        if length + len(clause) + 1 <= 120:
            clauses.append(clause)
            length += len(clause) + 1
    return "，".join(clauses) + "。"


def create_people() -> list[int]:
    """A provincial programme office (a supervisor and an admin) over ``UNITS`` city-level units, each with one
    reporter and one leader. Returns the city units' ids, in order."""
    from django.contrib.auth.hashers import make_password

    from processes.models import Role, Unit, UnitLevel, User

    office = Unit.objects.create(
        code="BENCH-PRO", name="基准省无废城市推进组办公室", level=UnitLevel.PROVINCE, is_office=True, position=0
    )
    Unit.objects.bulk_create(
        [
            Unit(
                code=f"BENCH-C{i:02d}", name=f"基准{i:02d}市生态环境局", level=UnitLevel.CITY, parent=office, position=i
            )
            for i in range(1, UNITS + 1)
        ]
    )
    cities = list(Unit.objects.filter(level=UnitLevel.CITY).order_by("position").values_list("pk", flat=True))
    password = make_password(None)  # unusable: nobody logs in
    people = [(office.pk, Role.SUPERVISOR, "supervisor"), (office.pk, Role.ADMIN, "admin")]
    for index, unit_id in enumerate(cities, start=1):
        people += [(unit_id, Role.REPORTER, f"reporter{index:02d}"), (unit_id, Role.LEADER, f"leader{index:02d}")]
    User.objects.bulk_create(
        [
            User(username=name, email=f"{name}@bench.invalid", password=password, unit_id=unit_id, role=role)
            for unit_id, role, name in people
        ]
    )
    return cities


def deadline_label() -> str:
    """The label the plan gives a deadline obligation, in the office's language (as ``obligations_sync``)."""
    from django.conf import settings
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Deadline (完成时限)")


@dataclass
class Built:
    obligations: int
    tasks: int
    assignments: int
    seconds: float


def build(count: int, cities: list[int]) -> Built:
    """One plan with its default ladder, ``count``/10 tasks × 10 city units, and one open deadline obligation per
    assignment (at most one per assignment: ``one_deadline_per_assignment``), all due on ``DAY``."""
    from processes.models import (
        Assignment,
        AssignmentState,
        AssignmentTransition,
        DeadlineKind,
        Obligation,
        ObligationKind,
        Plan,
        Task,
        TransitionAction,
    )
    from processes.services.bulk import insert_plain
    from processes.services.ladder import ladder_ensure

    if count % UNITS_PER_TASK or len(cities) < UNITS_PER_TASK:
        raise BenchError(f"{count} obligations cannot be split into tasks of {UNITS_PER_TASK} units")
    start = time.perf_counter()
    rng = random.Random(count)
    plan = Plan.objects.create(
        year=PLAN_YEAR,
        title=f"{PLAN_YEAR}年“无废城市”建设工作要点（基准 {count:,}）",
        starts_on=dt.date(PLAN_YEAR, 1, 1),
    )
    ladder_ensure(plan)
    tasks = count // UNITS_PER_TASK
    Task.objects.bulk_create(
        [
            Task(
                plan=plan,
                number=str(i),
                position=i,
                text=task_text(rng),
                units_text="各地生态环境局",
                deadline_text="8月31日",
                deadline_kind=DeadlineKind.DATE,
                due_date=DAY,
            )
            for i in range(1, tasks + 1)
        ],
        batch_size=BATCH,
    )
    task_ids = list(Task.objects.filter(plan=plan).order_by("position").values_list("pk", flat=True))
    Assignment.objects.bulk_create(
        [
            # Ten consecutive units (modulo UNITS) per task: distinct, so one assignment per task and unit.
            Assignment(task_id=task_id, unit_id=cities[(t * UNITS_PER_TASK + k) % len(cities)], due_date=DAY)
            for t, task_id in enumerate(task_ids)
            for k in range(UNITS_PER_TASK)
        ],
        batch_size=BATCH,
    )
    label = deadline_label()
    assignment_ids = list(Assignment.objects.filter(task__plan=plan).order_by("pk").values_list("pk", flat=True))
    # The first line of each item's history, as the import writes it: the sweep reads states from the history.
    insert_plain(
        AssignmentTransition,
        [
            {
                "assignment_id": assignment_id,
                "action": TransitionAction.CREATED,
                "target": AssignmentState.ASSIGNED,
                "at": CREATED_AT,
            }
            for assignment_id in assignment_ids
        ],
    )
    insert_plain(
        Obligation,
        [
            {
                "assignment_id": assignment_id,
                "kind": ObligationKind.DEADLINE,
                "label": label,
                "due_date": DAY,
                "created_at": CREATED_AT,
            }
            for assignment_id in assignment_ids
        ],
    )
    built = Built(
        obligations=Obligation.objects.filter(assignment__task__plan=plan).count(),
        tasks=tasks,
        assignments=Assignment.objects.filter(task__plan=plan).count(),
        seconds=time.perf_counter() - start,
    )
    if built.obligations != count:
        raise BenchError(f"built {built.obligations} obligations, not {count}")
    return built


def clear() -> None:
    """Remove the previous size's plan and what its sweep wrote; the units and people stay."""
    from notifications.models import Message
    from processes.models import FiredRung, Plan

    Message.objects.all().delete()
    FiredRung.objects.all().delete()  # before the plan: a fired rung protects its ladder rung
    Plan.objects.all().delete()


# --- Measuring ------------------------------------------------------------------------------------------------


STATEMENT = re.compile(r'^\s*(\w+)(?:.*?\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?)?', re.IGNORECASE | re.DOTALL)


def statement_kind(sql: str) -> str:
    """``INSERT notifications_message``, ``SELECT processes_obligation``, ``SAVEPOINT``: what a query does, where."""
    found = STATEMENT.match(sql)
    if not found:
        return sql[:20]
    verb, table = found.group(1).upper(), found.group(2)
    return f"{verb} {table}" if table and verb in ("SELECT", "INSERT", "UPDATE", "DELETE") else verb


@dataclass
class Counted:
    fired: int
    messages: int
    queries: int
    kinds: dict[str, int]
    seconds: float


def counted_sweep(day: dt.date) -> Counted:
    """One ``sweep_day`` inside an outer transaction that is rolled back, its queries captured: nothing it wrote
    stays, and its on_commit hook goes with the rollback, never run."""
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext

    from notifications.models import Message
    from processes.services.ladder import sweep_day

    reset_queries()  # the log keeps at most queries_limit entries, across captures
    with transaction.atomic():
        before = Message.objects.count()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            fired = sweep_day(day)
            seconds = time.perf_counter() - start
        messages = Message.objects.count() - before
        transaction.set_rollback(True)
    if captured.final_queries >= connection.queries_limit:
        raise BenchError(f"the sweep ran {connection.queries_limit:,} queries or more: the capture cannot count them")
    kinds = Counter(statement_kind(query["sql"]) for query in captured.captured_queries)
    queries = len(captured)
    reset_queries()  # the captured INSERTs hold every row's text
    return Counted(len(fired), messages, queries, dict(kinds.most_common()), seconds)


@dataclass
class Timed:
    fired: int
    rungs: dict[str, int]
    sweep_s: float
    commit_s: float
    enqueue_s: float
    total_s: float
    queued: int


def queued_tasks(queue: Path) -> int:
    return sum(1 for _ in queue.glob("*.msg")) if queue.is_dir() else 0


def timed_sweep(day: dt.date, queue: Path) -> Timed:
    """``with transaction.atomic(): sweep_day(day)``, committed, timed in three parts by a marker hook that runs
    first after the commit (hooks run in the order they were registered)."""
    from django.db import transaction

    from processes.services.ladder import sweep_day

    marks: dict[str, float] = {}
    tasks_before = queued_tasks(queue)
    start = time.perf_counter()
    with transaction.atomic():
        transaction.on_commit(lambda: marks.setdefault("committed", time.perf_counter()))
        fired = sweep_day(day)
        returned = time.perf_counter()
    end = time.perf_counter()
    committed = marks["committed"]
    return Timed(
        fired=len(fired),
        rungs=dict(Counter(item.rung for item in fired).most_common()),
        sweep_s=returned - start,
        commit_s=committed - returned,
        enqueue_s=end - committed,
        total_s=end - start,
        queued=queued_tasks(queue) - tasks_before,
    )


# --- The benchmark --------------------------------------------------------------------------------------------


def queries_note(count: int) -> str:
    return f"{count:,} {'query' if count == 1 else 'queries'}"


def kinds_note(kinds: dict[str, int]) -> str:
    return ", ".join(f"{kind} ×{count:,}" for kind, count in kinds.items())


def bench_size(index: int, count: int, cities: list[int], queue: Path) -> dict[str, Any]:
    from notifications.models import DeliveryState, Message
    from processes.models import FiredRung

    clear()
    built = build(count, cities)
    print(
        f"\n{index}. {built.obligations:,} open deadline obligations due {DAY} ({built.tasks:,} tasks × "
        f"{UNITS_PER_TASK} units = {built.assignments:,} assignments), built in {built.seconds:.1f} s"
    )
    counted = counted_sweep(DAY)
    if FiredRung.objects.exists() or Message.objects.exists():
        raise BenchError("the rolled-back sweep left rows behind")
    first = timed_sweep(DAY, queue)
    messages = Message.objects.count()
    if first.fired != count or counted.fired != count or FiredRung.objects.count() != count:
        raise BenchError(f"the sweep fired {first.fired} rungs (counted run: {counted.fired}), not {count}")
    if messages != counted.messages:
        raise BenchError(f"the sweep wrote {messages} messages, the counted run {counted.messages}")
    if Message.objects.exclude(state=DeliveryState.PENDING).exists():
        raise BenchError("a message left the outbox during the bench: something delivered it")
    again = timed_sweep(DAY, queue)
    again_counted = counted_sweep(DAY)
    if again.fired or again_counted.fired or Message.objects.count() != messages:
        raise BenchError(f"the second sweep of {DAY} fired {again.fired} rungs")

    note = goal(first.total_s, GOAL_S) if count == GOAL_SIZE else ""
    print(f"  first sweep of {DAY}:")
    line("sweep (until sweep_day returns)", first.sweep_s)
    line("commit", first.commit_s)
    line("after-commit enqueue", first.enqueue_s, f"{plural(first.queued, 'Celery task')} queued, none delivered")
    line("total", first.total_s, note)
    rungs = ", ".join(f"{code} ×{fired:,}" for code, fired in first.rungs.items())
    print(f"  {plural(first.fired, 'rung')} fired ({rungs}), {plural(messages, 'message')} written")
    print(f"  {queries_note(counted.queries)} in one sweep_day call: {kinds_note(counted.kinds)}")
    line("counted run (rolled back, queries captured)", counted.seconds)
    line(
        "second sweep of the same day (total)",
        again.total_s,
        f"fired {again.fired}, {queries_note(again_counted.queries)}",
    )
    return {
        "obligations": built.obligations,
        "tasks": built.tasks,
        "assignments": built.assignments,
        "build_s": built.seconds,
        "fired": first.fired,
        "fired_by_rung": first.rungs,
        "messages": messages,
        "celery_tasks_queued": first.queued,
        "sweep_s": first.sweep_s,
        "commit_s": first.commit_s,
        "enqueue_s": first.enqueue_s,
        "total_s": first.total_s,
        "queries": counted.queries,
        "queries_by_statement": counted.kinds,
        "counted_run_s": counted.seconds,
        "second_sweep_fired": again.fired,
        "second_sweep_total_s": again.total_s,
        "second_sweep_queries": again_counted.queries,
        "second_sweep_queries_by_statement": again_counted.kinds,
    }


def compare_queries(sizes: dict[int, dict[str, Any]], key: str, label: str) -> bool:
    counts = [figures[key] for figures in sizes.values()]
    same = len(set(counts)) == 1
    print(f"  {label}: {'yes' if same else 'NO'} ({' vs '.join(f'{count:,}' for count in counts)})")
    if not same:
        first, last = next(iter(sizes.values()))[f"{key}_by_statement"], list(sizes.values())[-1][f"{key}_by_statement"]
        grown = {kind: (first.get(kind, 0), last[kind]) for kind in last if last[kind] != first.get(kind, 0)}
        for kind, (low, high) in grown.items():
            print(f"    {kind}: {low:,} → {high:,}")
    return same


def run(database: str, sizes: list[int]) -> dict[str, Any]:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from processes import workdays

    queue = check_celery_local()
    # The filesystem broker has no host: kombu says so on its first connection, which is not news here.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - start
    if not workdays.is_workday(DAY):
        raise BenchError(f"{DAY} is not a working day by the calendar: the due rung would not fire on it")
    version = database_version()
    print(f"Database: {database}; {version}")
    print(f"Python {platform.python_version()}, Django {django.get_version()}, DEBUG={settings.DEBUG}")
    print(
        f"Celery: {settings.CELERY_BROKER_URL} broker in the temporary folder, "
        f"eager={settings.CELERY_TASK_ALWAYS_EAGER}"
    )
    print(f"Migrations: {migrated:.1f} s")
    cities = create_people()
    print(
        f"Sweep of {DAY} ({DAY:%A}); one plan with the default ladder; {UNITS} city units, each with a reporter and a "
        "leader\n(the due rung tells both: one digest message each, listing the unit's items; no rung issues a "
        "document that day)."
    )
    print("\n".join(METHOD))
    build(WARM_UP, cities)
    timed_sweep(DAY, queue)  # warm-up, not reported
    figures: dict[str, Any] = {
        "database": connection.vendor,
        "database_version": version,
        "python": platform.python_version(),
        "django": django.get_version(),
        "day": DAY.isoformat(),
        "units": UNITS,
        "goal_s": GOAL_S,
        "goal_size": GOAL_SIZE,
    }
    results = {count: bench_size(index, count, cities, queue) for index, count in enumerate(sizes, start=1)}
    figures["sizes"] = {str(count): result for count, result in results.items()}
    print(f"\n{len(sizes) + 1}. Across the sizes ({' / '.join(f'{count:,}' for count in sizes)} obligations)")
    figures["queries_equal"] = compare_queries(results, "queries", "first sweep: query count the same")
    figures["second_sweep_queries_equal"] = compare_queries(
        results, "second_sweep_queries", "second sweep: query count the same"
    )
    if GOAL_SIZE in results:
        total = results[GOAL_SIZE]["total_s"]
        print(f"  {GOAL_SIZE:,} obligations, whole committed sweep: {total:.3f} s, {goal(total, GOAL_S)}")
    return figures


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not sizes or any(size <= 0 or size % UNITS_PER_TASK for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be positive multiples of {UNITS_PER_TASK}: {text!r}")
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=list(SIZES),
        help=f"obligations per size, comma-separated (default {','.join(map(str, SIZES))})",
    )
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ.setdefault("DEBUG", "false")  # as deployed: no query log, no debug templates
    keep_celery_local()
    sys.path.insert(0, str(ROOT))
    signal.signal(signal.SIGTERM, terminate_cleanly)
    try:
        with scratch_storage() as database:
            try:
                figures = run(database, args.sizes)
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
