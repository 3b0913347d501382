"""The embedded broker: kombu's filesystem transport, made safe for a web server, a worker and beat sharing it.

kombu's own transport creates a message file, then writes into it: a worker polling the folder can take the file
between the two and read nothing, and ``json.loads`` of that kills the worker ("Unrecoverable error:
JSONDecodeError"). It also truncates an exchange's routing table before it takes the file's lock, so a publisher can
read an empty table. Here every file is written whole under a temporary name and renamed into place
(``os.replace``, atomic on one filesystem), messages are taken by renaming them into a folder beside the queue (never
copied to ``/tmp`` on another filesystem), and a message that still cannot be read (a file left by an older version,
a full disk) is moved to ``corrupt/`` and logged instead of stopping the worker.

Registered as the ``embedded://`` transport (``workflow/celery.py``)."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from queue import Empty
from typing import Any

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)

ALIAS = "embedded"


def write_atomically(path: Path, data: bytes) -> None:
    """``path`` holds either its old content or all of ``data``, never a part: written beside it, then renamed."""
    temporary = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock of ``path`` (a lock file of its own, never replaced), for a read-modify-write."""
    with open(path.parent / f".{path.name}.lock", "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class Channel(filesystem.Channel):
    """kombu's filesystem channel with whole-file writes and reads that cannot see half a file."""

    def _read_table(self, file: Path) -> list[filesystem.exchange_queue_t]:
        try:
            table = loads(file.read_bytes().decode())
        except FileNotFoundError:
            return []
        except ValueError:
            # Only a table written by kombu's own transport can be cut short: start it again (the worker binds its
            # queues again when it starts).
            logger.error("embedded broker: unreadable routing table %s, starting it anew", file)
            return []
        return [filesystem.exchange_queue_t(*row) for row in table]

    def get_table(self, exchange: str) -> list[filesystem.exchange_queue_t]:
        return self._read_table(self._exchange_file(exchange))

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        file = self._exchange_file(exchange)
        self.control_folder.mkdir(parents=True, exist_ok=True)
        row = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with _locked(file):
            table = self._read_table(file)
            if row not in table:
                table.insert(0, row)
                write_atomically(file, dumps(table).encode())

    def _delete(self, queue: str, exchange: str, routing_key: str, pattern: str, *args: Any, **kwargs: Any) -> None:
        filesystem.virtual.Channel._delete(self, queue, exchange, routing_key, pattern, *args, **kwargs)
        file = self._exchange_file(exchange)
        row = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with _locked(file):
            table = self._read_table(file)
            if row in table:
                table.remove(row)
                write_atomically(file, dumps(table).encode())

    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        # Wall-clock nanoseconds, zero-padded: names sort in the order written, across restarts and reboots.
        name = f"{time.time_ns():020d}_{uuid.uuid4()}.{queue}.msg"
        try:
            write_atomically(Path(self.data_folder_out) / name, dumps(payload).encode())
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {name!r} to directory") from exc

    @property
    def _taken_folder(self) -> Path:
        folder = Path(self.data_folder_in) / "taken"
        folder.mkdir(exist_ok=True)
        return folder

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        wanted = f"{queue}.msg"
        folder = Path(self.data_folder_in)
        for name in sorted(os.listdir(folder)):
            if name.startswith(".") or name.partition(".")[2] != wanted:
                continue
            taken = self._taken_folder / name
            try:
                os.rename(folder / name, taken)  # one consumer wins the rename; the others move on
            except OSError:
                continue
            try:
                payload = taken.read_bytes()
                message = loads(payload.decode())
            except (OSError, ValueError) as exc:
                self._set_aside(taken, exc)
                continue
            if self.store_processed:
                os.replace(taken, Path(self.processed_folder) / name)
            else:
                taken.unlink()
            return message
        raise Empty()

    def _set_aside(self, path: Path, exc: Exception) -> None:
        corrupt = Path(self.data_folder_in) / "corrupt"
        corrupt.mkdir(exist_ok=True)
        with contextlib.suppress(OSError):
            os.replace(path, corrupt / path.name)
        logger.error("embedded broker: message %s cannot be read (%s), moved to %s", path.name, exc, corrupt)


class Transport(filesystem.Transport):
    Channel = Channel
    driver_type = ALIAS
    driver_name = ALIAS


def register() -> None:
    """Make ``embedded://`` name this transport (in every process that imports the Celery app)."""
    TRANSPORT_ALIASES[ALIAS] = f"{__name__}:Transport"
