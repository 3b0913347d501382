"""The processes of the embedded default (``bin/run-embedded``, ``make run``): the web server, a Celery worker and
Celery beat, each restarted when it dies, with back-off; Ctrl-C (or SIGTERM) stops them all.

Each runs in a process group of its own, so that a signal reaches it and its children (the autoreloader's server,
the worker's pool process) and nothing else. What happens is logged to ``VAR_DIR/log/run-embedded.log`` and to
the terminal; the worker and beat write their own logs beside it. Whether the worker and beat are alive is also
shown to the office on every page (``notifications.health``)."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import dataclasses
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
# A process that dies again and again waits 1, 2, 4 … seconds, at most a minute, before it is started again; one
# that ran for STEADY seconds before it died is started again at once.
BACKOFF_MAX = 60.0
STEADY = 60.0
STOP_GRACE = 15.0  # seconds a process has to stop on SIGTERM before it is killed

logger = logging.getLogger("run-embedded")


def backoff(failures: int) -> float:
    """The pause before the next start after ``failures`` quick deaths in a row."""
    return 0.0 if failures <= 0 else min(2.0 ** (failures - 1), BACKOFF_MAX)


def _die_with_parent() -> None:  # pragma: no cover — runs in the child between fork and exec
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: a child outlives no supervisor killed with SIGKILL


@dataclasses.dataclass
class Child:
    name: str
    argv: list[str]
    # Whether SIGTERM goes to the whole process group (runserver's autoreloader leaves its server running otherwise)
    # or to the process alone (a Celery worker stops its pool itself, after the tasks under way).
    term_group: bool = True
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    start_at: float = 0.0  # when to start it (again)
    starts: int = 0

    def start(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=env, preexec_fn=_die_with_parent)  # noqa: S603
        self.started_at = time.monotonic()
        self.starts += 1
        logger.info("%s started (pid %s)%s", self.name, self.process.pid, " again" if self.starts > 1 else "")

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if self.term_group or signum == signal.SIGKILL:
                    os.killpg(self.process.pid, signum)
                else:
                    os.kill(self.process.pid, signum)


class Supervisor:
    def __init__(self, children: Sequence[Child], env: dict[str, str]) -> None:
        self.children = list(children)
        self.env = env
        self.stopping = False

    def _stop_requested(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._stop_requested)
        signal.signal(signal.SIGTERM, self._stop_requested)
        try:
            while not self.stopping:
                now = time.monotonic()
                for child in self.children:
                    if child.process is not None and (code := child.process.poll()) is not None:
                        ran = now - child.started_at
                        child.failures = 1 if ran >= STEADY else child.failures + 1
                        child.start_at = now + backoff(child.failures)
                        child.process = None
                        logger.error(
                            "%s exited with code %s after %.0f s; starting it again in %.0f s (see %s)",
                            child.name,
                            code,
                            ran,
                            backoff(child.failures),
                            self.env.get("EMBEDDED_LOG_DIR", "var/log"),
                        )
                    if child.process is None and now >= child.start_at and not self.stopping:
                        child.start(self.env)
                time.sleep(0.2)
        finally:
            self.stop()
        return 0

    def stop(self) -> None:
        logger.info("stopping %s", ", ".join(c.name for c in self.children if c.process is not None) or "nothing")
        for child in self.children:
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop within %.0f s: killed", child.name, STOP_GRACE)
                child.signal(signal.SIGKILL)
                child.process.wait()
        logger.info("stopped")


def children(*, host: str, port: int, log_dir: Path, reload: bool) -> list[Child]:
    python = sys.executable
    web = [python, "manage.py", "runserver", f"{host}:{port}"] + ([] if reload else ["--noreload"])
    worker = [
        *(python, "-m", "celery", "-A", "workflow", "worker"),
        # Two processes: a long job (a batch of 200 messages to a slow mail server) does not hold up the sweep and
        # the heartbeat behind it, which the office's banner would read as a stopped worker.
        *("--loglevel=INFO", "--concurrency=2", "--without-gossip", "--without-mingle"),
        f"--logfile={log_dir / 'celery-worker.log'}",
    ]
    beat = [
        python,
        "-m",
        "celery",
        "-A",
        "workflow",
        "beat",
        "--loglevel=INFO",
        f"--logfile={log_dir / 'celery-beat.log'}",
    ]
    return [Child("web", web), Child("worker", worker, term_group=False), Child("beat", beat, term_group=False)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--noreload", action="store_true", help="do not restart the web server on code changes")
    args = parser.parse_args(argv)
    var_dir = Path(os.environ.get("VAR_DIR", ROOT / "var"))
    log_dir = var_dir / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s: %(message)s",
        handlers=[logging.StreamHandler(), logging.FileHandler(log_dir / "run-embedded.log")],
    )
    env = {**os.environ, "EMBEDDED_LOG_DIR": str(log_dir), "PYTHONUNBUFFERED": "1"}
    redis = env.get("REDIS_URL")
    logger.info("Celery broker: %s", f"Redis at {redis}" if redis else f"embedded ({var_dir / 'celery'})")
    logger.info("logs: %s (worker: celery-worker.log, beat: celery-beat.log)", log_dir)
    logger.info("mail is written to %s unless EMAIL_BACKEND and EMAIL_HOST say otherwise", var_dir / "mail")
    logger.info("serving on http://%s:%s/ — Ctrl-C stops everything", args.host, args.port)
    processes = children(host=args.host, port=args.port, log_dir=log_dir, reload=not args.noreload)
    return Supervisor(processes, env).run()


if __name__ == "__main__":
    sys.exit(main())
