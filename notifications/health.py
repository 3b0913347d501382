"""Whether the background runs: beat's last run, the worker's last heartbeat, and the outbox backlog. Read by
``/healthz`` (the load balancer), the office's pages (a banner when mail has stopped) and ``bench/soak.py``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
import threading

from django.db.models import Count, Min, Q
from django.utils import timezone

from .models import DeliveryState, Heartbeat, Message
from .services import sending_lease

HEARTBEAT_TASK = "notifications.heartbeat"
# Beat runs the heartbeat every minute: three missed beats mean the process is down, not slow.
STALE_AFTER = dt.timedelta(minutes=3)
# A message still waiting after this long means delivery is not keeping up (or not running).
BACKLOG_AFTER = dt.timedelta(minutes=10)
# The pages' banner reads the state computed at most this long ago (per process): no query on most pages.
CACHED_FOR = dt.timedelta(seconds=30)


def heartbeat_record(name: str = "worker", *, now: dt.datetime | None = None) -> None:
    """Record that ``name`` is alive now (one row per process name, overwritten)."""
    detail = {"host": socket.gethostname(), "pid": os.getpid()}
    Heartbeat.objects.update_or_create(name=name, defaults={"at": now or timezone.now(), "detail": detail})


@dataclasses.dataclass(frozen=True)
class SystemState:
    beat_at: dt.datetime | None  # when beat last sent the heartbeat task
    worker_at: dt.datetime | None  # when a worker last ran it
    waiting: int  # messages pending, due a retry, or whose attempt was cut off
    oldest_waiting_at: dt.datetime | None
    gave_up: int  # messages failed for good
    now: dt.datetime

    @property
    def beat_ok(self) -> bool:
        return self.beat_at is not None and self.now - self.beat_at <= STALE_AFTER

    @property
    def worker_ok(self) -> bool:
        return self.worker_at is not None and self.now - self.worker_at <= STALE_AFTER

    @property
    def backlog_ok(self) -> bool:
        return self.oldest_waiting_at is None or self.now - self.oldest_waiting_at <= BACKLOG_AFTER

    @property
    def ok(self) -> bool:
        return self.beat_ok and self.worker_ok and self.backlog_ok

    @property
    def stopped(self) -> bool:
        """Beat or the worker is not running: nothing is swept or sent."""
        return not (self.beat_ok and self.worker_ok)

    @property
    def last_seen(self) -> dt.datetime | None:
        """When the background was last seen working: the worker's heartbeat, or beat's if only beat stopped."""
        return self.worker_at if not self.worker_ok else self.beat_at

    def as_dict(self) -> dict[str, object]:
        def iso(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "beat": {"ok": self.beat_ok, "last_run": iso(self.beat_at)},
            "worker": {"ok": self.worker_ok, "last_seen": iso(self.worker_at)},
            "outbox": {
                "ok": self.backlog_ok,
                "waiting": self.waiting,
                "oldest_waiting": iso(self.oldest_waiting_at),
                "gave_up": self.gave_up,
            },
        }


def system_state(now: dt.datetime | None = None) -> SystemState:
    """Three queries: beat's last run of the heartbeat task, the worker's heartbeat, the outbox's backlog."""
    from django_celery_beat.models import PeriodicTask

    now = now or timezone.now()
    beat_at = (
        PeriodicTask.objects.filter(task=HEARTBEAT_TASK, enabled=True)
        .order_by("-last_run_at")
        .values_list("last_run_at", flat=True)
        .first()
    )
    worker_at = Heartbeat.objects.filter(name="worker").values_list("at", flat=True).first()
    waiting_q = (
        Q(state=DeliveryState.PENDING)
        | Q(state=DeliveryState.FAILED, next_attempt_at__lte=now)
        | Q(state=DeliveryState.SENDING, sending_since__lte=now - sending_lease())  # its attempt was cut off
    )
    backlog = Message.objects.aggregate(
        waiting=Count("pk", filter=waiting_q),
        oldest=Min("created_at", filter=waiting_q),
        gave_up=Count("pk", filter=Q(state=DeliveryState.GAVE_UP)),
    )
    return SystemState(
        beat_at=beat_at,
        worker_at=worker_at,
        waiting=backlog["waiting"],
        oldest_waiting_at=backlog["oldest"],
        gave_up=backlog["gave_up"],
        now=now,
    )


_cached: tuple[dt.datetime, SystemState] | None = None
_cached_lock = threading.Lock()


def system_state_cached(now: dt.datetime | None = None) -> SystemState:
    """``system_state()`` as computed at most ``CACHED_FOR`` ago in this process (what every office page reads)."""
    global _cached
    now = now or timezone.now()
    with _cached_lock:
        cached = _cached
        if cached is None or abs(now - cached[0]) > CACHED_FOR:
            cached = _cached = (now, system_state(now))
    return cached[1]


def system_state_forget() -> None:
    """Drop the cached state (tests; the next page computes it again)."""
    global _cached
    with _cached_lock:
        _cached = None
