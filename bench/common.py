"""What the benchmark scripts share: throwaway storage (a temporary SQLite file, or a scratch PostgreSQL database
dropped at the end whatever happens), a clean exit on SIGTERM, the Jilin units, and how figures are printed.

Imported by the scripts as ``common`` (they run as ``python bench/<script>.py``, so this folder is on the path)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SETTINGS_MODULE = "workflow.settings.base"

POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "postgis")


class BenchError(RuntimeError):
    """A step of the benchmark did not do what it must for the figures to mean anything."""


@dataclass(frozen=True)
class PostgresServer:
    """The server of a PostgreSQL URL, reached through its ``postgres`` database to create and drop databases."""

    params: dict[str, str]

    @classmethod
    def from_url(cls, url: str) -> PostgresServer:
        parts = urlsplit(url)
        params = {key: value for key, value in parse_qsl(parts.query)}
        for key, value in (
            ("host", unquote(parts.hostname or "")),
            ("port", str(parts.port or "")),
            ("user", unquote(parts.username or "")),
            ("password", unquote(parts.password or "")),
        ):
            if value:
                params[key] = value
        return cls(params)

    def execute(self, statement: Any) -> None:
        import psycopg
        from psycopg.conninfo import make_conninfo

        conninfo = make_conninfo("", **{"connect_timeout": "10", **self.params, "dbname": "postgres"})
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(statement)
        except psycopg.Error as exc:
            raise BenchError(f"PostgreSQL at {self.params.get('host', 'localhost')}: {exc}".strip()) from exc

    def create(self, name: str) -> None:
        from psycopg import sql

        self.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop(self, name: str) -> None:
        from psycopg import sql

        # FORCE (PostgreSQL 13+) ends any connection still open, so the database goes even after a crash.
        self.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def with_database_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextlib.contextmanager
def scratch_storage() -> Iterator[str]:
    """Point the settings at throwaway storage (before ``django.setup()``) and remove it on the way out.

    Yields a description of the database for the report."""
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-", ignore_cleanup_errors=True)))
        os.environ["VAR_DIR"] = str(tmp / "var")
        url = os.environ.get("DATABASE_URL", "")
        scheme = urlsplit(url).scheme.split("+")[0]
        if not url or scheme.startswith("sqlite"):
            os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
            yield "SQLite, temporary file"
        elif scheme in POSTGRES_SCHEMES:
            name = f"bench_{os.getpid()}"
            server = PostgresServer.from_url(url)
            server.drop(name)  # left over from an earlier run killed with the same pid
            server.create(name)
            stack.callback(drop_or_warn, server, name)
            os.environ["DATABASE_URL"] = with_database_name(url, name)
            yield f"PostgreSQL, scratch database {name} on {server.params.get('host', 'localhost')} (dropped at exit)"
        else:
            raise BenchError(f"DATABASE_URL scheme {scheme!r} is not supported: use PostgreSQL or leave it unset.")


def drop_or_warn(server: PostgresServer, name: str) -> None:
    """Drop the scratch database; a failure here must not hide why the run ended, so it is only reported."""
    try:
        server.drop(name)
    except BenchError as exc:
        print(f"bench: could not drop the scratch database {name}, drop it by hand: {exc}", file=sys.stderr)


def terminate_cleanly(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the run through the normal exit path, so that the scratch storage is removed."""
    raise SystemExit(128 + signum)


def goal(seconds: float, limit: float) -> str:
    return f"goal < {limit:g} s ({'met' if seconds < limit else 'MISSED'})"


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def line(label: str, seconds: float, note: str = "") -> None:
    print(f"  {label:<44} {seconds:7.3f} s   {note}".rstrip())


def load_units() -> None:
    """The Jilin units and groups, with the programme office marked as `load_demo` marks it (its supervisors see
    every unit's items)."""
    from processes.models import Unit
    from processes.services.units import unit_groups_load_csv, units_load_csv

    units_load_csv(data=(DATA / "jilin-units.csv").read_bytes(), filename="jilin-units.csv")
    unit_groups_load_csv(data=(DATA / "jilin-unit-groups.csv").read_bytes(), filename="jilin-unit-groups.csv")
    Unit.objects.filter(code="JL-PRO").update(is_office=True)


def database_version() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def close_django_connections() -> None:
    """Let go of the scratch database before it is dropped (the settings keep PostgreSQL connections open)."""
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()
