"""Background work on a real Celery worker: on the embedded file broker of `make run`, and on Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django_celery_beat.models import PeriodicTask

ROOT = Path(settings.BASE_DIR)


def _old_staged_upload(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = [folder / ("0" * 32 + ".bin"), folder / ("0" * 32 + ".json")]
    for path in files:
        path.write_text("x")
        os.utime(path, (time.time() - 3 * 86400, time.time() - 3 * 86400))
    fresh = folder / ("1" * 32 + ".bin")
    fresh.write_text("y")
    return [*files, fresh]


@pytest.fixture
def worker_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update({"VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "workflow.settings.base"})
    return env


def _start_worker(env: dict[str, str], queue: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workflow",
            "worker",
            "-Q",
            queue,
            "--concurrency=1",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def stop() -> Iterator[list[subprocess.Popen[bytes]]]:
    workers: list[subprocess.Popen[bytes]] = []
    yield workers
    for worker in workers:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def _wait_until(condition, timeout: float = 45.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _purge_through(app: Celery, queue: str, staging: Path, worker: subprocess.Popen[bytes]) -> None:
    old_bin, old_json, fresh = _old_staged_upload(staging)
    app.send_task("processes.purge_import_staging", kwargs={"max_age_hours": 24}, queue=queue)
    done = _wait_until(lambda: not old_bin.exists() and not old_json.exists())
    if not done:
        worker.terminate()
        output = worker.communicate(timeout=20)[0].decode(errors="replace")
        pytest.fail(f"the worker did not purge the stale upload; its log:\n{output[-3000:]}")
    assert fresh.exists()  # an upload still awaiting confirmation is kept


def test_a_real_worker_on_the_embedded_broker(worker_env: dict[str, str], tmp_path: Path, stop: list) -> None:
    queue = f"test-{uuid.uuid4().hex[:8]}"
    broker = tmp_path / "var" / "celery"
    for sub in ("queue", "control"):
        (broker / sub).mkdir(parents=True, exist_ok=True)
    stop.append(worker := _start_worker(worker_env, queue))
    app = Celery(
        broker="embedded://",
        broker_transport_options={
            "data_folder_in": str(broker / "queue"),
            "data_folder_out": str(broker / "queue"),
            "control_folder": str(broker / "control"),
        },
    )
    _purge_through(app, queue, tmp_path / "var" / "imports", worker)


def test_a_real_worker_on_redis(worker_env: dict[str, str], tmp_path: Path, stop: list) -> None:
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/15) to run the worker against it")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    stop.append(worker := _start_worker({**worker_env, "REDIS_URL": redis_url}, queue))
    _purge_through(Celery(broker=redis_url), queue, tmp_path / "var" / "imports", worker)


@pytest.mark.django_db
def test_the_nightly_purge_is_a_beat_schedule_the_office_can_edit() -> None:
    task = PeriodicTask.objects.get(task="processes.purge_import_staging")
    assert task.enabled and task.crontab is not None
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("3", "30", "Asia/Shanghai")
