"""The scratch-database guard: while a migration round trip runs, every database connection the
migration environment opens (SQLAlchemy engines, sync and async, and the DB-API drivers sqlite3,
psycopg, psycopg2, asyncpg, aiosqlite, pymysql, MySQLdb, pg8000) is checked against the scratch
database the round trip created. Anything else is refused before a byte reaches it.

Whatever `env.py` or a Django settings module does (read `DATABASE_URL`, build a URL from settings,
call `create_engine` itself), the user's database is never opened: the connect call raises
`ForeignDatabase`, the refusal is recorded, and the round trip stops with exit 2.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from ..errors import UsageError
from ..redact import redact_text

_MEMORY = frozenset({"", ":memory:"})


class ForeignDatabase(UsageError):
    """A connection to a database other than the round trip's scratch database was refused."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where a connection goes, normalised enough to compare: a SQLite file, or a server database."""

    kind: str  # "sqlite" | "server"
    path: str = ""  # sqlite: the real path ("" for in-memory)
    host: str = ""
    port: int = 0
    database: str = ""

    def label(self) -> str:
        if self.kind == "sqlite":
            return f"SQLite file {self.path}" if self.path else "in-memory SQLite"
        return f"database {self.database!r} on {self.host or '(default host)'}:{self.port or '(default port)'}"


def _real(path: str) -> str:
    return os.path.realpath(os.path.expanduser(path))


def sqlite_target(database: str | bytes | os.PathLike[str]) -> Target:
    text = os.fsdecode(database) if not isinstance(database, str) else database
    if text.startswith("file:"):
        parsed = urlparse(text)
        if parse_qs(parsed.query).get("mode") == ["memory"]:
            return Target("sqlite")
        text = unquote(parsed.path)
    if text in _MEMORY:
        return Target("sqlite")
    return Target("sqlite", path=_real(text))


def server_target(host: Any, port: Any, database: Any) -> Target:
    try:
        number = int(port) if port not in (None, "") else 5432
    except (TypeError, ValueError):
        number = -1
    name = str(host or "")
    if name in ("localhost", "::1"):
        name = "127.0.0.1"
    return Target("server", host=name, port=number, database=str(database or ""))


def url_target(url: Any) -> Target:
    """The target of a SQLAlchemy URL (string or URL object)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return sqlite_target(u.database or "")
    host = u.host or (u.query.get("host") if isinstance(u.query.get("host"), str) else None)
    return server_target(host, u.port, u.database)


def _libpq_target(conninfo: str, kwargs: dict[str, Any]) -> Target:
    """psycopg / psycopg2: a conninfo string or URI plus keyword arguments. Values libpq would
    take from PG* environment variables count as given, so a bare `connect()` is judged by them."""
    params: dict[str, Any] = {}
    if conninfo:
        if "://" in conninfo:
            u = urlparse(conninfo)
            params.update(host=u.hostname, port=u.port, dbname=unquote(u.path.lstrip("/")))
            for key, values in parse_qs(u.query).items():
                params[key] = values[-1]
        else:
            for part in conninfo.split():
                key, _, value = part.partition("=")
                params[key.strip()] = value.strip().strip("'")
    aliases = {"database": "dbname", "db": "dbname"}
    for key, value in kwargs.items():
        if value is not None:
            params[aliases.get(key, key)] = value
    host = params.get("host") or os.environ.get("PGHOST", "")
    port = params.get("port") or os.environ.get("PGPORT", "")
    dbname = params.get("dbname") or os.environ.get("PGDATABASE", "") or params.get("user") or os.environ.get("PGUSER", "")
    return server_target(host, port, dbname)


@dataclass
class ScratchGuard:
    """Allows connections to `allowed` (and harmless in-memory SQLite); refuses everything else."""

    allowed: Target
    refused: list[str] = field(default_factory=list)
    _undo: list[Callable[[], None]] = field(default_factory=list)

    # ------------------------------------------------------------------ judging

    def judge(self, target: Target, via: str) -> None:
        if target == self.allowed or (target.kind == "sqlite" and not target.path):
            return
        message = (
            f"refused a connection to {redact_text(target.label())} opened through {via}: the migration "
            f"round trip only connects to its own scratch database ({self.allowed.label()}). The migration "
            "environment (env.py or settings) builds its own database URL instead of using the one the round "
            "trip sets; make it read config.get_main_option('sqlalchemy.url') (Django: DATABASES is replaced), "
            "or run the round trip where that URL is not set. Nothing was run against that database."
        )
        self.refused.append(message)
        raise ForeignDatabase(message)

    def _judge_url(self, url: Any, via: str) -> None:
        try:
            target = url_target(url)
        except Exception:
            target = Target("server", host="(unparsable URL)")
        self.judge(target, via)

    # ------------------------------------------------------------------ patching

    def _patch(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
        if original is None:
            return
        setattr(owner, name, make(original))
        self._undo.append(lambda: setattr(owner, name, original))

    def _engine_factory(self, original: Callable[..., Any], via: str) -> Callable[..., Any]:
        guard = self

        def create(url: Any, *args: Any, **kwargs: Any) -> Any:
            guard._judge_url(url, via)
            return original(url, *args, **kwargs)

        create.__wrapped__ = original  # type: ignore[attr-defined]
        return create

    def _install_sqlalchemy(self) -> None:
        if importlib.util.find_spec("sqlalchemy") is None:
            return
        import sqlalchemy
        import sqlalchemy.engine
        import sqlalchemy.engine.create as create_module

        for owner in (create_module, sqlalchemy.engine, sqlalchemy):
            self._patch(owner, "create_engine", lambda f: self._engine_factory(f, "sqlalchemy.create_engine"))
        try:
            import sqlalchemy.ext.asyncio as aio
            import sqlalchemy.ext.asyncio.engine as aio_engine
        except ImportError:  # pragma: no cover - very old SQLAlchemy
            return
        for owner in (aio_engine, aio):
            self._patch(owner, "create_async_engine", lambda f: self._engine_factory(f, "create_async_engine"))

    def _install_sqlite3(self) -> None:
        import sqlite3
        import sqlite3.dbapi2

        guard = self

        def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
            def connect(database: Any = "", *args: Any, **kwargs: Any) -> Any:
                guard.judge(sqlite_target(kwargs.get("database", database)), "sqlite3.connect")
                return original(database, *args, **kwargs)

            return connect

        for owner in (sqlite3, sqlite3.dbapi2):
            self._patch(owner, "connect", wrap)

    def _install_libpq(self) -> None:
        guard = self

        def wrap_function(original: Callable[..., Any], via: str) -> Callable[..., Any]:
            def connect(conninfo: str = "", *args: Any, **kwargs: Any) -> Any:
                dsn = kwargs.get("dsn", conninfo) or ""
                guard.judge(_libpq_target(str(dsn), {k: v for k, v in kwargs.items() if k != "dsn"}), via)
                return original(conninfo, *args, **kwargs)

            return connect

        def wrap_classmethod(original: Any, via: str) -> Any:
            func = original.__func__

            def connect(cls: Any, conninfo: str = "", *args: Any, **kwargs: Any) -> Any:
                guard.judge(_libpq_target(str(conninfo or ""), kwargs), via)
                return func(cls, conninfo, *args, **kwargs)

            return classmethod(connect)

        if importlib.util.find_spec("psycopg") is not None:
            try:
                psycopg = importlib.import_module("psycopg")
            except ImportError:  # libpq missing: nothing can connect through it
                psycopg = None
            if psycopg is not None:
                self._patch(psycopg, "connect", lambda f: wrap_function(f, "psycopg.connect"))
                for cls_name in ("Connection", "AsyncConnection"):
                    cls = getattr(psycopg, cls_name, None)
                    if cls is not None and isinstance(cls.__dict__.get("connect"), classmethod):
                        via = f"psycopg.{cls_name}.connect"

                        def make(f: Any, via: str = via) -> Any:
                            return wrap_classmethod(f, via)

                        self._patch(cls, "connect", make)
        if importlib.util.find_spec("psycopg2") is not None:
            try:
                psycopg2 = importlib.import_module("psycopg2")
            except ImportError:
                psycopg2 = None
            if psycopg2 is not None:
                self._patch(psycopg2, "connect", lambda f: wrap_function(f, "psycopg2.connect"))

    def _install_other_drivers(self) -> None:
        """Drivers the round trip never uses itself: any connection through them is foreign."""
        guard = self
        for module_name in ("asyncpg", "aiosqlite", "pymysql", "MySQLdb", "pg8000", "aiomysql", "mysql.connector"):
            try:
                if importlib.util.find_spec(module_name) is None:
                    continue
                module = importlib.import_module(module_name)
            except Exception:  # an optional driver that does not import cannot connect either
                continue

            def wrap(original: Callable[..., Any], name: str = module_name) -> Callable[..., Any]:
                via = f"{name}.connect"

                def connect(*args: Any, **kwargs: Any) -> Any:
                    dsn = str(args[0]) if args and isinstance(args[0], str) else str(kwargs.get("dsn") or kwargs.get("database") or "")
                    if name == "aiosqlite":
                        guard.judge(sqlite_target(args[0] if args else kwargs.get("database", "")), via)
                    else:
                        u = urlparse(dsn) if "://" in dsn else None
                        guard.judge(
                            server_target(
                                (u.hostname if u else None) or kwargs.get("host"),
                                (u.port if u else None) or kwargs.get("port"),
                                (u.path.lstrip("/") if u else None) or kwargs.get("database") or kwargs.get("db"),
                            ),
                            via,
                        )
                    return original(*args, **kwargs)

                return connect

            self._patch(module, "connect", wrap)

    def install(self) -> None:
        self._install_sqlite3()
        self._install_libpq()
        self._install_other_drivers()
        self._install_sqlalchemy()

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()


@contextmanager
def guarded(allowed: Target) -> Iterator[ScratchGuard]:
    """Patch every connection path for the duration of the block; restore afterwards."""
    guard = ScratchGuard(allowed)
    guard.install()
    try:
        yield guard
    finally:
        guard.uninstall()
