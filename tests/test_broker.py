"""The embedded broker (workflow/broker.py): a worker polling the queue folder never reads half a message, and one
unreadable file does not stop it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from queue import Empty

import pytest
from kombu import Connection
from kombu.transport import filesystem

import workflow.broker
from workflow.broker import register


def _connection(url: str, folder: Path) -> Connection:
    for sub in ("queue", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return Connection(
        url,
        transport_options={
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "control_folder": str(folder / "control"),
        },
    )


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Connection]:
    register()
    with _connection("embedded://", tmp_path) as connection:
        yield connection


def _slow(seconds: float, real):  # type: ignore[no-untyped-def]
    def wait_then(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(seconds)
        return real(*args, **kwargs)

    return wait_then


def test_kombus_own_transport_hands_a_worker_a_message_still_being_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What stopped the worker: kombu creates the file, then writes it; a poll in between reads an empty file."""
    with _connection("filesystem://", tmp_path) as connection:
        producer, consumer = connection.channel(), connection.channel()
        monkeypatch.setattr(filesystem, "lock", _slow(0.5, filesystem.lock))  # between the open and the write
        writer = threading.Thread(target=producer._put, args=("celery", {"body": "x"}))
        writer.start()
        time.sleep(0.2)
        with pytest.raises(json.JSONDecodeError):
            consumer._get("celery")
        writer.join()


def test_a_message_is_invisible_until_written_whole(embedded: Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    producer, consumer = embedded.channel(), embedded.channel()
    monkeypatch.setattr(workflow.broker.os, "fsync", _slow(0.5, workflow.broker.os.fsync))  # mid-write
    writer = threading.Thread(target=producer._put, args=("celery", {"body": "x"}))
    writer.start()
    time.sleep(0.2)
    with pytest.raises(Empty):
        consumer._get("celery")
    writer.join()
    assert consumer._get("celery") == {"body": "x"}
    with pytest.raises(Empty):
        consumer._get("celery")


def test_an_unreadable_message_is_set_aside_and_the_next_one_read(embedded: Connection, tmp_path: Path) -> None:
    channel = embedded.channel()
    queue = tmp_path / "queue"
    (queue / "00000000000000000001_left-by-an-old-version.celery.msg").write_bytes(b'{"body": ')
    channel._put("celery", {"body": "next"})
    assert channel._get("celery") == {"body": "next"}
    assert [p.name for p in (queue / "corrupt").iterdir()] == ["00000000000000000001_left-by-an-old-version.celery.msg"]
    assert not [p for p in queue.iterdir() if p.is_file()]


def test_messages_come_out_in_the_order_they_went_in(embedded: Connection) -> None:
    channel = embedded.channel()
    for n in range(30):
        channel._put("celery", {"n": n})
    assert [channel._get("celery")["n"] for _ in range(30)] == list(range(30))


def test_a_routing_table_read_while_it_is_rewritten_is_whole(embedded: Connection) -> None:
    """Binding queues rewrites the exchange's table; a publisher reading it at the same moment sees the old table or
    the new one, never an empty or cut one (kombu truncates the file before it locks it)."""
    channel = embedded.channel()
    stop = threading.Event()
    errors: list[BaseException] = []

    def bind() -> None:
        n = 0
        while not stop.is_set():
            channel._queue_bind("celery.pidbox", "", "", f"worker-{n}")
            channel._delete(f"worker-{n}", "celery.pidbox", "", "")
            n += 1

    binder = threading.Thread(target=bind)
    binder.start()
    reader = embedded.channel()
    try:
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            try:
                reader.get_table("celery.pidbox")
            except Exception as exc:
                errors.append(exc)
    finally:
        stop.set()
        binder.join()
    assert errors == []
    channel._queue_bind("celery.pidbox", "", "", "a")
    channel._queue_bind("celery.pidbox", "", "", "b")
    channel._queue_bind("celery.pidbox", "", "", "a")
    assert sorted(row.queue for row in reader.get_table("celery.pidbox")) == ["a", "b"]
