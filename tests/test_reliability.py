"""What must hold when things break, against the real PostgreSQL, Redis, SMTP and Celery worker: two sweeps at once,
a worker killed while sending, the SMTP server down, the broker losing its queue. The outbox row, not the broker,
is the record: each message goes out once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection, connections

from notifications.models import DeliveryState, Message
from processes.models import FiredRung, Role, Unit, User
from processes.services.ladder import sweep_day

from .conftest import ANNEX_XLSX, ImportFile, SmtpSink
from .factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(settings.BASE_DIR)
LEASE_SECONDS = 2


@pytest.fixture(autouse=True)
def _services() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…): the worker and the test share the database")
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/15)")


def wait_for(condition: Callable[[], bool], timeout: float = 40.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what or condition}")


class Worker:
    """A real Celery worker process on the test database, the test's Redis queue and the test's SMTP sink."""

    def __init__(
        self, queue: str, sink: SmtpSink, tmp: Path, *, port: int | None = None, env: dict[str, str] | None = None
    ) -> None:
        db = connection.settings_dict
        host, db_port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        database_url = f"postgres://{db['USER'] or 'postgres'}@{host}:{db_port}/{db['NAME']}"
        self.queue = queue
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "workflow.settings.base",
                "DATABASE_URL": database_url,
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(port or sink.port),
                "EMAIL_TIMEOUT": "20",
                "EMAIL_RETRY_BASE_SECONDS": "1",
                # An attempt cut off is taken again this soon (in production: minutes, above the task time limit).
                "EMAIL_SENDING_LEASE_SECONDS": str(LEASE_SECONDS),
                "CELERY_VISIBILITY_TIMEOUT": "3",
                "VAR_DIR": str(tmp / "var"),
                **(env or {}),
            }
        )
        self.log = tmp / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "workflow",
                    "worker",
                    "-Q",
                    self.queue,
                    "--pool=solo",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=INFO",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def logged(self, text: str) -> bool:
        return text in self.log.read_text(errors="replace")

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def queue() -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.delete(name)


@pytest.fixture
def producer() -> Celery:
    return Celery(broker=os.environ["REDIS_URL"])


@pytest.fixture
def workers(queue: str, smtp_sink: SmtpSink, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start a worker (keyword arguments as ``Worker``'s); each is stopped at the end of the test."""
    started: list[Worker] = []

    def make(**kwargs: Any) -> Worker:
        worker = Worker(queue, smtp_sink, tmp_path, **kwargs)
        worker.start()
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.stop()


def a_message(recipient: User, key: str) -> Message:
    return Message.objects.create(
        recipient=recipient, dedupe_key=key, subject=f"【催办】{key}", body="请于本周内报送进展。", link="/plans/work/"
    )


@pytest.fixture
def person(units: dict[str, Unit]) -> User:
    return UserFactory(username="songyuan_reporter", unit=units["220700"], role=Role.REPORTER)


def test_two_sweeps_of_one_day_at_once_fire_each_rung_once(
    units: dict[str, Unit], import_file: ImportFile, person: User
) -> None:
    assert import_file(ANNEX_XLSX).applied
    day = dt.date(2023, 8, 31)
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = len(sweep_day(day))
        except Exception as exc:  # shown by the assertion below
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(result, int) for result in results), results
    assert sorted(results)[0] == 0 and sorted(results)[1] > 0  # one swept, the other found it done
    fired = FiredRung.objects.filter(fired_on=day)
    assert fired.count() == sorted(results)[1]
    assert fired.values("obligation", "rung", "cycle").distinct().count() == fired.count()
    assert (
        Message.objects.filter(recipient=person).count()
        == Message.objects.filter(recipient=person).values("dedupe_key").distinct().count()
    )


def test_a_worker_killed_while_sending_delivers_after_restart_once(
    person: User, smtp_sink: SmtpSink, workers: Callable[[], Worker], producer: Celery, queue: str
) -> None:
    message = a_message(person, "kill-1")
    stalled = threading.Event()
    smtp_sink.on_rcpt = stalled.set
    smtp_sink.stall_rcpt = 30.0  # the first delivery hangs in the SMTP conversation
    first = workers()
    producer.send_task("notifications.deliver", args=[message.pk], queue=queue)
    wait_for(stalled.is_set, what="the worker to start sending")
    first.kill()
    message.refresh_from_db()
    # Marked as being sent before the server was contacted; the server has nothing yet.
    assert message.state == DeliveryState.SENDING and message.attempts == 1 and smtp_sink.received == []
    smtp_sink.stall_rcpt = 0.0
    workers()
    wait_for(lambda: lease_passed(message), what="the attempt's lease to pass")
    producer.send_task("notifications.deliver_due", queue=queue)  # beat's minutely pass over the outbox
    wait_for(lambda: Message.objects.get(pk=message.pk).state == DeliveryState.SENT, what="the message to be sent")
    time.sleep(5)  # the broker handing the killed task back (visibility timeout) must not send it again
    assert len(smtp_sink.by_subject("kill-1")) == 1
    assert Message.objects.get(pk=message.pk).attempts == 2


def test_messages_wait_while_the_smtp_server_is_down_and_go_out_once_when_it_is_back(
    person: User, smtp_sink: SmtpSink, workers: Callable[[], Worker], producer: Celery, queue: str
) -> None:
    messages = [a_message(person, f"down-{n}") for n in range(3)]
    smtp_sink.down = True
    workers()
    for message in messages:
        producer.send_task("notifications.deliver", args=[message.pk], queue=queue)
    wait_for(
        lambda: all(m.state == DeliveryState.FAILED for m in Message.objects.filter(pk__in=[m.pk for m in messages])),
        what="the failures to be recorded",
    )
    failed = Message.objects.get(pk=messages[0].pk)
    assert "421" in failed.last_error and failed.next_attempt_at is not None
    smtp_sink.down = False
    wait_for(
        lambda: Message.objects.filter(pk__in=[m.pk for m in messages], state=DeliveryState.SENT).count() == 3,
        what="the retries to send",
    )
    time.sleep(3)
    assert sorted(str(m["Subject"]).strip() for m in smtp_sink.received) == [f"【催办】down-{n}" for n in range(3)]
    assert all(m.attempts >= 2 for m in Message.objects.filter(pk__in=[m.pk for m in messages]))


def test_a_queue_lost_with_redis_is_made_good_from_the_outbox(
    person: User, smtp_sink: SmtpSink, workers: Callable[[], Worker], producer: Celery, queue: str
) -> None:
    messages = [a_message(person, f"lost-{n}") for n in range(3)]
    for message in messages:
        producer.send_task("notifications.deliver", args=[message.pk], queue=queue)
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    assert client.llen(queue) == 3
    client.delete(queue)  # Redis restarted: it keeps nothing on disk here, the queued tasks are gone
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(created_at=time_ago(60))
    workers()
    producer.send_task("notifications.deliver_due", queue=queue)  # what beat runs every minute
    wait_for(
        lambda: Message.objects.filter(pk__in=[m.pk for m in messages], state=DeliveryState.SENT).count() == 3,
        what="the outbox to be delivered",
    )
    producer.send_task("notifications.deliver_due", queue=queue)  # and again: nothing is sent twice
    time.sleep(3)
    assert sorted(str(m["Subject"]).strip() for m in smtp_sink.received) == [f"【催办】lost-{n}" for n in range(3)]


def time_ago(seconds: int) -> dt.datetime:
    from django.utils import timezone

    return timezone.now() - dt.timedelta(seconds=seconds)


def lease_passed(message: Message) -> bool:
    """The attempt that claimed ``message`` is past its lease (the worker's EMAIL_SENDING_LEASE_SECONDS)."""
    since = Message.objects.filter(pk=message.pk).values_list("sending_since", flat=True).get()
    return since is not None and time_ago(LEASE_SECONDS) > since + dt.timedelta(milliseconds=200)
