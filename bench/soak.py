"""Soak of the embedded default: people using the pages while the worker delivers hundreds of messages and a sweep
runs, on SQLite and the embedded broker, with the real processes ``bin/run-embedded`` starts.

Run from the project root::

    .venv/bin/python bench/soak.py                 # 10 minutes
    .venv/bin/python bench/soak.py --minutes 2     # a quicker run

In a scratch ``VAR_DIR`` (removed at the end; ``--keep`` keeps it) it migrates, loads the demo (``load_demo``, about
a minute and a half) and starts ``bin/run-embedded`` (web server, worker, beat, supervised) on a free port, with mail
sent by SMTP to a sink in this process that takes ``--smtp-delay`` seconds to accept each message, as a real server
does. It then queues ``--messages`` messages to the outbox (one Celery task per 200, as a sweep does) and the deadline
sweep of today, and for ``--minutes`` drives the pages as ``--users`` people at once, each signed in as a demo
account: sign in (again every tenth round), 我的待办, the ledger, an item's page, and — for the unit's reporter and
leader — saving a progress-report draft. A separate loop times the sign-in page alone (no database), the anchor.

It prints the errors (any answer of 500 or more, or no answer: must be 0), the requests and their latency percentiles
per page beside the anchor's, the messages delivered, what the logs say ("database is locked", the worker's
"Unrecoverable error", restarts by the supervisor) and the background's state as the office's banner reads it
(``notifications.health.system_state``), then one JSON line with all of it. Nothing is asserted; the exit status is 1
when there were errors.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import http.cookiejar
import json
import logging
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import ROOT, SETTINGS_MODULE, BenchError, terminate_cleanly

sys.path.insert(0, str(ROOT))

DEMO_PASSWORD = "zhongguo2023"  # noqa: S105 — the demo accounts' password, printed in the README
ACCOUNTS = ("songyuan_reporter", "province_supervisor", "songyuan_leader", "office_admin", "office_signer")
REPORTERS = ("songyuan_reporter", "songyuan_leader")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpSink:
    """An SMTP server that takes ``delay`` seconds to accept each message and counts what it accepted."""

    def __init__(self, delay: float) -> None:
        from aiosmtpd.controller import Controller

        sink = self
        self.received = 0
        self.lock = threading.Lock()

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                await asyncio.sleep(delay)
                with sink.lock:
                    sink.received += 1
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@dataclass
class Figures:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock = threading.Lock()

    def record(self, page: str, seconds: float) -> None:
        with self.lock:
            self.times[page].append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Person:
    """One signed-in browser: cookies, the CSRF token, and the pages it visits."""

    def __init__(self, base: str, username: str, figures: Figures) -> None:
        self.base, self.username, self.figures = base, username, figures
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def csrf(self) -> str:
        return next((c.value for c in self.cookies if c.name == "csrftoken"), "")

    def request(self, page: str, path: str, data: dict[str, str] | None = None) -> str:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode() if data else None
        req = urllib.request.Request(self.base + path, data=body)  # noqa: S310 — http://127.0.0.1 only
        req.add_header("Referer", self.base + path)
        start = time.perf_counter()
        try:
            with self.opener.open(req, timeout=120) as response:
                html: str = response.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            text = exc.read().decode(errors="replace")
            if exc.code >= 500:
                found = re.search(r"(database is locked|[A-Z]\w+Error[^<\n]{0,160})", text)
                self.figures.error(f"{page} {path} as {self.username}: {exc.code} {found.group(0) if found else ''}")
            elif exc.code >= 400:
                self.figures.error(f"{page} {path} as {self.username}: {exc.code}")
            html = text
        except (OSError, urllib.error.URLError) as exc:
            self.figures.error(f"{page} {path} as {self.username}: {type(exc).__name__}: {exc}")
            html = ""
        self.figures.record(page, time.perf_counter() - start)
        return html

    def sign_in(self) -> None:
        self.request("sign-in page", "/accounts/login/")
        html = self.request("sign in", "/accounts/login/", {"username": self.username, "password": DEMO_PASSWORD})
        if 'data-testid="current-user"' not in html:
            self.figures.error(f"sign in as {self.username}: not signed in")

    def sign_out(self) -> None:
        self.request("sign out", "/accounts/logout/", {"next": "/accounts/login/"})


@dataclass(frozen=True)
class Targets:
    year: int
    items: dict[str, list[int]]  # username → assignment ids in their scope
    obligations: dict[str, int]  # reporter username → an open obligation to save a draft on


def find_targets() -> Targets:
    from processes.models import Assignment, Obligation, ObligationKind, ObligationState, Plan, User
    from processes.rules import assignments_in_scope

    plan = Plan.objects.order_by("-year").first()
    if plan is None:
        raise BenchError("the demo has no plan")
    items = {}
    for username in ACCOUNTS:
        user = User.objects.get(username=username)
        ids = assignments_in_scope(user, Assignment.objects.filter(task__plan=plan)).values_list("pk", flat=True)
        items[username] = list(ids[:40])
    owed = (
        Obligation.objects.filter(
            assignment__task__plan=plan,
            assignment__unit__code="220700",
            state__in=(ObligationState.OPEN, ObligationState.RETURNED),
        )
        .exclude(kind=ObligationKind.VISIT)
        .select_related("round")
        .order_by("-due_date", "pk")
    )
    open_ones = [o.pk for o in owed if o.round is None or o.round.is_open][: len(REPORTERS)]
    if len(open_ones) < len(REPORTERS):
        raise BenchError("the demo has no open obligation of 松原 to save a draft on")
    return Targets(plan.year, items, dict(zip(REPORTERS, open_ones, strict=True)))


def drive(person: Person, targets: Targets, until: float, think: float) -> None:
    rng = random.Random(person.username)
    person.sign_in()
    rounds = 0
    while time.monotonic() < until:
        rounds += 1
        if rounds % 10 == 0:
            person.sign_out()
            person.sign_in()
        person.request("我的待办", "/plans/work/")
        person.request("ledger", f"/plans/{targets.year}/ledger/")
        items = targets.items[person.username]
        if items:
            person.request("item", f"/plans/items/{rng.choice(items)}/")
        obligation = targets.obligations.get(person.username)
        if obligation is not None:
            person.request(
                "save draft",
                f"/plans/obligations/{obligation}/",
                {
                    "action": "draft",
                    "text": f"进展情况（草稿）第{rounds}次保存：按计划推进。",
                    "percent": str(rounds % 100),
                    "problems": "",
                    "next_steps": "",
                },
            )
        time.sleep(rng.uniform(0, think))


def anchor(base: str, figures: Figures, until: float) -> None:
    """The sign-in page alone, every half second: no database, the server's own latency."""
    person = Person(base, "anonymous", figures)
    while time.monotonic() < until:
        person.request("anchor: sign-in page", "/accounts/login/")
        time.sleep(0.5)


def percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"p50": values[0] if values else 0.0, "p95": values[0] if values else 0.0, "max": max(values or [0])}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": statistics.median(values), "p95": cuts[94], "p99": cuts[98], "max": max(values)}


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 — http://127.0.0.1 only
                return
        except (OSError, urllib.error.URLError):
            time.sleep(0.5)
    raise BenchError(f"the server did not answer {url} within {seconds:.0f} s")


def manage(*args: str, env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")


def queue_messages(count: int, run: str) -> list[int]:
    """``count`` messages to addresses the sink accepts, queued as a sweep queues them (a task per 200)."""
    from django.db import transaction

    from notifications.models import Message
    from notifications.tasks import enqueue

    with transaction.atomic():
        created = Message.objects.bulk_create(
            Message(
                address=f"soak{n}@wufei.localhost",
                dedupe_key=f"soak-{run}-{n}",
                subject=f"调度提醒 {n}",
                body="请按时报送进展情况。" * 20,
            )
            for n in range(count)
        )
        ids = [message.pk for message in created]
        transaction.on_commit(lambda: enqueue(ids))
    return ids


def log_counts(log_dir: Path) -> dict[str, int]:
    def count(name: str, pattern: str) -> int:
        path = log_dir / name
        return len(re.findall(pattern, path.read_text(errors="replace"))) if path.exists() else 0

    return {
        "database is locked (web)": count("web.log", "database is locked"),
        "database is locked (worker)": count("celery-worker.log", "database is locked"),
        "worker Unrecoverable error": count("celery-worker.log", "Unrecoverable error"),
        "worker task failures": count("celery-worker.log", r"raised unexpected|TimeLimitExceeded"),
        "restarts by the supervisor": count("run-embedded.log", "exited with code"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=6, help="people using the pages at once (default 6)")
    parser.add_argument("--messages", type=int, default=400, help="messages queued at the start (default 400)")
    parser.add_argument("--smtp-delay", type=float, default=0.2, help="seconds the SMTP sink takes per message")
    parser.add_argument("--mail-to-files", action="store_true", help="mail to VAR_DIR/mail as make run does, not SMTP")
    parser.add_argument("--think", type=float, default=0.5, help="at most this many seconds between a person's rounds")
    parser.add_argument("--keep", action="store_true", help="keep the scratch VAR_DIR (its logs) and print where")
    parser.add_argument("--from", dest="source", type=Path, help="start from a copy of a VAR_DIR a --keep run left")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, terminate_cleanly)

    var_dir = Path(tempfile.mkdtemp(prefix="soak-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER")}
    bin_dir = str(Path(sys.executable).parent)
    supervisor: subprocess.Popen[bytes] | None = None
    try:
        with SmtpSink(args.smtp_delay) as sink:
            env.update(
                {
                    "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
                    "VAR_DIR": str(var_dir),
                    "PORT": str(port),
                    "PATH": f"{bin_dir}:{env.get('PATH', '')}",
                    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                    "EMAIL_HOST": "127.0.0.1",
                    "EMAIL_PORT": str(sink.port),
                }
            )
            if args.mail_to_files:
                for key in ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT"):
                    env.pop(key)
            os.environ.update(env)
            for key in ("DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER"):
                os.environ.pop(key, None)
            print(f"soak of the embedded default: scratch VAR_DIR {var_dir}, port {port}, {platform.python_version()}")
            start = time.monotonic()
            if args.source:
                shutil.copy2(args.source / "db.sqlite3", var_dir / "db.sqlite3")
                shutil.copytree(args.source / "private", var_dir / "private")
                manage("migrate", "--noinput", env=env)
                print(f"  demo copied from {args.source}")
            else:
                manage("migrate", "--noinput", env=env)
                manage("load_demo", env=env)
                print(f"  demo loaded in {time.monotonic() - start:.0f} s")

            import django

            django.setup()
            for noisy in ("mail.log", "kombu.connection"):  # the sink's every command; "no hostname" of the broker
                logging.getLogger(noisy).setLevel(logging.ERROR)
            from django.db import connections

            from notifications.health import system_state
            from notifications.models import DeliveryState, Message
            from workflow.celery import app

            targets = find_targets()
            log_dir = var_dir / "log"
            log_dir.mkdir(parents=True, exist_ok=True)
            with open(log_dir / "web.log", "wb") as web_log:
                supervisor = subprocess.Popen(
                    [str(ROOT / "bin" / "run-embedded"), "--noreload"],
                    cwd=ROOT,
                    env=env,
                    stdout=web_log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            wait_for(f"{base}/accounts/login/", 60)
            already_sent = Message.objects.filter(state=DeliveryState.SENT).count()
            queued = queue_messages(args.messages, run=str(os.getpid()))
            app.send_task("processes.sweep_deadlines")
            print(
                f"  started: {args.users} people for {args.minutes:g} min, {len(queued)} messages queued "
                f"({'to var/mail' if args.mail_to_files else f'SMTP sink {args.smtp_delay:g} s per message'}), "
                "today's sweep queued"
            )
            figures = Figures()
            until = time.monotonic() + args.minutes * 60
            threads = [
                threading.Thread(
                    target=drive,
                    args=(Person(base, ACCOUNTS[n % len(ACCOUNTS)], figures), targets, until, args.think),
                )
                for n in range(args.users)
            ]
            threads.append(threading.Thread(target=anchor, args=(base, figures, until)))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            connections.close_all()
            state = system_state()
            sent = Message.objects.filter(state=DeliveryState.SENT).count() - already_sent
            soak_sent = Message.objects.filter(pk__in=queued, state=DeliveryState.SENT).count()
            by_state = dict(Message.objects.values_list("state").annotate(n=django.db.models.Count("pk")))
            received = (
                sum(p.read_bytes().count(b"\nMessage-ID: ") for p in (var_dir / "mail").glob("*"))
                if args.mail_to_files
                else sink.received
            )  # the file backend appends the messages of one second to one file
            logs = log_counts(log_dir)
    finally:
        if supervisor is not None:
            supervisor.send_signal(signal.SIGTERM)
            try:
                supervisor.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(supervisor.pid, signal.SIGKILL)
        if args.keep:
            print(f"  kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)

    pages = {page: {"requests": len(t), **percentiles(t)} for page, t in sorted(figures.times.items())}
    print(f"\nerrors: {len(figures.errors)} (must be 0)")
    for error in figures.errors[:20]:
        print(f"  {error}")
    print(f"\n  {'page':<24} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for page, row in pages.items():
        cells = " ".join(f"{row.get(k, 0) * 1000:8.0f}" for k in ("p50", "p95", "p99", "max"))
        print(f"  {page:<24} {row['requests']:8d} {cells}")
    total = sum(row["requests"] for row in pages.values())
    print(f"  {total} requests in {args.minutes:g} min ({total / (args.minutes * 60):.1f} per second)")
    print(
        f"\nmessages: {soak_sent} of the {len(queued)} queued sent ({sent} sent in all, the sweep's included; "
        f"{'messages in var/mail' if args.mail_to_files else 'the SMTP sink accepted'}: {received}); "
        f"outbox now {by_state}"
    )
    print("logs: " + ", ".join(f"{k}: {v}" for k, v in logs.items()))
    summary = state.as_dict()
    print(f"background (system_state): {'ok' if state.ok else 'NOT OK'} {json.dumps(summary, ensure_ascii=False)}")
    print(
        json.dumps(
            {
                "minutes": args.minutes,
                "users": args.users,
                "errors": len(figures.errors),
                "pages": pages,
                "messages": {"queued": len(queued), "sent": soak_sent, "sent_all": sent, "received": received},
                "logs": logs,
                "background": summary,
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            },
            ensure_ascii=False,
        )
    )
    return 1 if figures.errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"soak: {exc}", file=sys.stderr)
        sys.exit(2)
