"""The embedded default's database: SQLite in WAL mode, so that a page reads while a job writes, and a writer waits
for another's lock instead of answering "database is locked"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings

ROOT = Path(settings.BASE_DIR)

PROBE = """
import json, os, threading, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "workflow.settings.base"
django.setup()
from django.db import connection, connections, transaction

with connection.cursor() as cursor:
    pragmas = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
               for name in ("journal_mode", "synchronous", "busy_timeout")}
    cursor.execute("CREATE TABLE probe (n integer)")
held = threading.Event()
seen = {}

def long_writer():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO probe VALUES (1)")
        held.set()
        time.sleep(1.5)
    connections.close_all()

def page():
    held.wait()
    start = time.monotonic()
    with connection.cursor() as cursor:
        seen["rows_read"] = cursor.execute("SELECT count(*) FROM probe").fetchone()[0]
    seen["read_s"] = time.monotonic() - start
    start = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO probe VALUES (2)")
    seen["write_waited_s"] = time.monotonic() - start
    connections.close_all()

threads = [threading.Thread(target=long_writer), threading.Thread(target=page)]
for t in threads: t.start()
for t in threads: t.join()
with connection.cursor() as cursor:
    seen["rows_after"] = cursor.execute("SELECT count(*) FROM probe").fetchone()[0]
print(json.dumps({"pragmas": pragmas, **seen}))
"""


def run_on_the_embedded_default(code: str, tmp_path: Path, *, timeout: int) -> dict[str, Any]:
    """Run ``code`` in a process of its own on the embedded default (SQLite in ``tmp_path``); its last line of
    output is a JSON object of what it saw."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sqlite_reads_during_a_write_and_a_second_writer_waits(tmp_path: Path) -> None:
    seen = run_on_the_embedded_default(PROBE, tmp_path, timeout=60)
    assert seen["pragmas"] == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 30000}  # 1 = NORMAL
    # WAL: the page reads the last committed state at once, without waiting for the writer.
    assert seen["rows_read"] == 0 and seen["read_s"] < 0.5
    # The second writer waits for the first to commit (busy timeout), then writes: no "database is locked".
    assert seen["write_waited_s"] > 0.5
    assert seen["rows_after"] == 2


SUPERVISED = """
import logging, sys, threading, os, signal, time
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
from workflow.embedded import Child, Supervisor
python = sys.executable
crashing = Child("crashing", [python, "-c", "import sys; sys.exit(3)"])
steady = Child("steady", [python, "-c", "import time; print('steady', flush=True); time.sleep(600)"])
def interrupt():
    time.sleep(5)
    print("pids", steady.process.pid, flush=True)
    os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C sends
threading.Thread(target=interrupt, daemon=True).start()
sys.exit(Supervisor([crashing, steady], dict(os.environ)).run())
"""


def test_the_supervisor_starts_a_dying_process_again_with_back_off_and_ctrl_c_stops_all() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SUPERVISED], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # Dies at once, started again after 1 s, then 2 s (then 4 s: after the interrupt).
    assert sum(1 for line in lines if line.startswith("crashing started")) == 3
    assert [line for line in lines if line.startswith("crashing exited")][:2] == [
        "crashing exited with code 3 after 0 s; starting it again in 1 s (see var/log)",
        "crashing exited with code 3 after 0 s; starting it again in 2 s (see var/log)",
    ]
    assert sum(1 for line in lines if line.startswith("steady started")) == 1
    assert lines[-1] == "stopped"
    steady_pid = int(next(line for line in lines if line.startswith("pids")).split()[1])
    assert not Path(f"/proc/{steady_pid}").exists()  # stopped with its supervisor, not left behind


CATCH_UP = """
import datetime as dt, json, os, threading, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "workflow.settings.base"
django.setup()
from django.db import connection, connections, transaction
from processes.models import SweepState
import processes.services.ladder as ladder

with connection.schema_editor() as editor:
    editor.create_model(SweepState)
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE probe (n integer)")
today = dt.date(2027, 3, 31)
SweepState.objects.create(name="daily", last_swept=today - dt.timedelta(days=15))
started = threading.Event()

def a_days_sweep(day):  # each day's sweep: one write transaction of 0.3 s
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO probe VALUES (1)")
        started.set()
        time.sleep(0.3)
    return []

ladder.sweep_day = a_days_sweep
seen = {}

def catch_up():
    start = time.monotonic()
    ladder.sweep_scheduled(today)
    seen["catch_up_s"] = time.monotonic() - start
    connections.close_all()

def page():
    started.wait()
    time.sleep(0.5)
    start = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO probe VALUES (2)")
    seen["page_waited_s"] = time.monotonic() - start
    connections.close_all()

threads = [threading.Thread(target=catch_up), threading.Thread(target=page)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(seen))
"""


def test_a_page_writes_while_the_sweep_catches_up_day_after_day(tmp_path: Path) -> None:
    """Each day of a catch-up is its own transaction, but they come one right after the other: SQLite's waiting
    writer, which polls, would only get the lock once the whole catch-up (up to two months) is over."""
    seen = run_on_the_embedded_default(CATCH_UP, tmp_path, timeout=120)
    assert seen["catch_up_s"] > 4.4  # 15 days of 0.3 s
    assert seen["page_waited_s"] < 1.0, seen
