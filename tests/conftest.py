"""Fixtures shared by every test: isolated files, the published Jilin data, people in each role."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from notifications.health import system_state_forget
from processes.models import Plan, Role, Unit, User
from processes.services.plan_import import ImportReport, plan_import
from processes.services.units import unit_groups_load_csv, units_load_csv

from .factories import UserFactory

DATA = Path(settings.BASE_DIR) / "data"
ANNEX_XLSX = DATA / "jilin-2023-tasks.xlsx"
ANNEX_CSV = DATA / "jilin-2023-tasks.csv"


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Each test gets its own staging folder, and code outside a request speaks English so that assertions on
    messages do not depend on the translation catalogue; requests still get the Chinese default (see test_i18n)."""
    settings.IMPORT_STAGING_DIR = tmp_path / "imports"
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    system_state_forget()  # the pages' cached background state belongs to the test that computed it
    with translation.override("en"):
        yield


@pytest.fixture
def units(db: None) -> dict[str, Unit]:
    """The Jilin units and unit groups of ``data/``, loaded as ``make run`` loads them."""
    units_load_csv(data=(DATA / "jilin-units.csv").read_bytes(), filename="jilin-units.csv")
    unit_groups_load_csv(data=(DATA / "jilin-unit-groups.csv").read_bytes(), filename="jilin-unit-groups.csv")
    Unit.objects.filter(code="JL-PRO").update(is_office=True)  # as load_demo marks the programme office
    return {unit.code: unit for unit in Unit.objects.all()}


ImportFile = Callable[..., ImportReport]


@pytest.fixture
def import_file(db: None) -> ImportFile:
    """Import bytes or a path the way the command does; keyword arguments override the defaults."""

    def run(source: bytes | Path, filename: str | None = None, **kwargs: Any) -> ImportReport:
        if isinstance(source, Path):
            filename = filename or source.name
            source = source.read_bytes()
        options: dict[str, Any] = {"year": 2023, "max_bytes": settings.IMPORT_MAX_BYTES}
        options.update(kwargs)
        return plan_import(data=source, filename=filename or "plan.csv", **options)

    return run


@pytest.fixture
def plan_2023(units: dict[str, Unit], import_file: ImportFile) -> Plan:
    report = import_file(ANNEX_XLSX, doc_no="吉环固体字〔2023〕15号")
    assert report.applied, report.errors
    return Plan.objects.get(year=2023)


@pytest.fixture
def reporter(units: dict[str, Unit]) -> User:
    return UserFactory(username="songyuan_reporter", unit=units["220700"], role=Role.REPORTER)


@pytest.fixture
def leader(units: dict[str, Unit]) -> User:
    return UserFactory(username="songyuan_leader", unit=units["220700"], role=Role.LEADER)


@pytest.fixture
def supervisor(units: dict[str, Unit]) -> User:
    return UserFactory(username="province_supervisor", unit=units["JL-PRO"], role=Role.SUPERVISOR)


@pytest.fixture
def office_admin(units: dict[str, Unit]) -> User:
    return UserFactory(username="office_admin", unit=units["JL-PRO"], role=Role.ADMIN, is_staff=True)


@pytest.fixture
def signer(units: dict[str, Unit]) -> User:
    """The office's 签发人: the person who signs its numbered documents."""
    return UserFactory(username="office_signer", unit=units["JL-PRO"], role=Role.LEADER, is_signer=True)


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free local port, keeping what it receives; ``down`` refuses mail.

    ``hold`` names the commands ("RCPT", "DATA", "QUIT") at which the server stops answering for as long as they are
    listed; ``reached[command]`` is set when a client gets there (a crash drill kills the sender at that point)."""

    def __init__(self) -> None:
        import asyncio
        import email
        import email.policy
        import socket

        from aiosmtpd.controller import Controller

        sink = self

        async def at(command: str) -> None:
            sink.reached[command].set()
            while command in sink.hold:
                await asyncio.sleep(0.02)

        class Handler:
            async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
                if sink.on_rcpt is not None:
                    sink.on_rcpt()
                if sink.stall_rcpt:
                    await asyncio.sleep(sink.stall_rcpt)
                await at("RCPT")
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                await at("DATA")
                if sink.down:
                    return "421 Service not available"
                sink.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                return "250 OK"

            async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
                await at("QUIT")
                return "221 Bye"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.received: list[Any] = []
        self.down = False
        self.stall_rcpt = 0.0  # seconds the server sits on RCPT before answering
        self.on_rcpt: Callable[[], object] | None = None
        self.hold: set[str] = set()
        self.reached: defaultdict[str, threading.Event] = defaultdict(threading.Event)
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def by_subject(self, fragment: str) -> list[Any]:
        return [message for message in self.received if fragment in str(message["Subject"])]


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield sink
    finally:
        sink.hold.clear()
        sink.controller.stop()


@pytest.fixture
def celery_eager() -> Iterator[None]:
    """Run tasks in the test's process as they are queued (the real worker is tested in tests/test_reliability.py)."""
    from workflow.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before
