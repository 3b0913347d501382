"""Reading an uploaded file in a child process with a memory and a time limit, so that a file built to exhaust the
server (a zip bomb, a sheet of a million rows) costs a refusal, not the web process.

The child is forked from multiprocessing's fork server (a small process started on first use, holding nothing but
the parsing code: no Django, no database connection, no request), or spawned where there is no fork server. It
caps its own address space (``RLIMIT_AS``: what it holds when it starts plus ``memory_mb``) and CPU time; the
parent waits at most ``seconds`` for its answer and kills it past that.
"""

from __future__ import annotations

import math
import multiprocessing
import threading
from multiprocessing.connection import Connection
from typing import Any

from .parsing import Caps, ParseRefused, parse

# What the fork server loads once, so that each child starts with it in memory (copied on write).
PRELOAD = ["processes.importing.parsing", "openpyxl", "openpyxl.worksheet._reader", "docx"]
_lock = threading.Lock()
_context: Any = None


class WorkerLimit(Exception):
    """The child did not answer: ``reason`` is ``"timeout"``, ``"memory"`` or ``"crashed"`` (``detail`` says how)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


def _get_context() -> Any:
    global _context
    with _lock:
        if _context is None:
            if "forkserver" in multiprocessing.get_all_start_methods():
                _context = multiprocessing.get_context("forkserver")
                _context.set_forkserver_preload(PRELOAD)
            else:
                _context = multiprocessing.get_context("spawn")
        return _context


def _address_space() -> int | None:
    """This process's virtual memory size in bytes (Linux), None where it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _limit_self(memory_bytes: int, seconds: float) -> None:
    try:
        import resource
    except ImportError:  # not a POSIX system: the parent's timeout is the only limit
        return
    size = _address_space()
    if size is not None:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = size + memory_bytes
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    # CPU time as a backstop: the child stops by itself even if nobody is left to kill it.
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    cpu = math.ceil(seconds) + 1
    if hard == resource.RLIM_INFINITY or cpu <= hard:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, hard))


def _child(connection: Connection, kind: str, data: bytes, caps: Caps, memory_bytes: int, seconds: float) -> None:
    _limit_self(memory_bytes, seconds)
    outcome: tuple[Any, ...]
    try:
        outcome = ("ok", parse(kind, data, caps))
    except ParseRefused as refused:
        outcome = ("refused", refused.code, refused.params)
    except MemoryError as exc:
        outcome = ("memory", str(exc))
    except Exception as exc:  # anything else the parsers raise: reported, never a crash without a word
        outcome = ("refused", f"{kind}_unreadable", {"error": f"{type(exc).__name__}: {exc}"})
    del data
    try:
        connection.send(outcome)
    except MemoryError:
        connection.send(("memory", "the rows read do not fit in the memory allowed"))
    finally:
        connection.close()


def parse_in_worker(kind: str, data: bytes, caps: Caps, *, seconds: float, memory_mb: int) -> list[dict[str, Any]]:
    """``parsing.parse(kind, data, caps)`` run in a child process. Raises ``ParseRefused`` as the parser does, and
    ``WorkerLimit`` when the child ran out of memory or time (it is killed) or died."""
    context = _get_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child, args=(sender, kind, data, caps, memory_mb * 1024 * 1024, seconds), daemon=True
    )
    try:
        process.start()
        sender.close()
        if not receiver.poll(seconds):
            raise WorkerLimit("timeout")
        try:
            outcome = receiver.recv()
        except (EOFError, OSError) as exc:
            process.join(1)
            code = process.exitcode
            raise WorkerLimit("crashed", f"exit code {code}" if code is not None else str(exc)) from exc
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    if outcome[0] == "ok":
        result: list[dict[str, Any]] = outcome[1]
        return result
    if outcome[0] == "memory":
        raise WorkerLimit("memory", outcome[1])
    raise ParseRefused(outcome[1], **outcome[2])
