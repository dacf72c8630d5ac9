"""EXPLAIN for the SQL observer, on a connection of its own.

The user's connection never sees an extra statement: no EXPLAIN, no `sqlite_master` look-up, no
row count, nothing in its trace callback, its query log or its savepoints. Each statement's
database is described by a `Target` (how to open a second, read-only connection to it), built by
the capture layer that saw the statement; the observer explains each fingerprint once.

Limits: an in-memory SQLite database that is not a shared-cache URI cannot be reached from a
second connection; rows and tables the test has not committed are invisible to it (a SQLite
shared-cache database is read with `read_uncommitted`); PostgreSQL needs psycopg or psycopg2.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable

_PG_KEYS = ("host", "hostaddr", "port", "dbname", "user", "password", "sslmode", "sslrootcert", "sslcert", "sslkey", "options", "service")
_PYFORMAT = re.compile(r"(?<!%)%s")
_SCAN = re.compile(r"SCAN (?:TABLE )?([\w\"\[\]`]+)(?: AS \w+)?$")


@dataclass(frozen=True, slots=True)
class Target:
    """Where a statement ran, as far as a second connection needs to know."""

    dialect: str  # sqlite | postgresql
    database: str = ""  # sqlite: file path or URI
    uri: bool = False
    params: tuple[tuple[str, str], ...] = ()  # PostgreSQL connection keywords (never printed)
    pyformat: bool = False  # %s placeholders (Django hands sqlite statements this way)


class Unsupported(Exception):
    """This statement's database cannot be reached from a second connection."""


def sqlite_target(database: Any, uri: bool = False, *, pyformat: bool = False) -> Target | None:
    if isinstance(database, bytes):
        database = database.decode("utf-8", "replace")
    text = os.fspath(database) if isinstance(database, (str, os.PathLike)) else ""
    if not text or text == ":memory:":
        return None
    if uri or text.startswith("file:"):
        memory = "mode=memory" in text
        if memory and "cache=shared" not in text:
            return None
        return Target("sqlite", str(text), True, pyformat=pyformat)
    return Target("sqlite", os.path.abspath(str(text)), False, pyformat=pyformat)


def postgres_target(params: dict[str, Any]) -> Target | None:
    kept = tuple(sorted((k, str(v)) for k, v in params.items() if k in _PG_KEYS and v not in (None, "")))
    if not kept:
        return None
    return Target("postgresql", params=kept)


def from_sqlalchemy(connection: Any) -> Target | None:
    url = connection.engine.url
    backend = url.get_backend_name()
    if backend == "sqlite":
        uri = str(url.query.get("uri", "")).lower() in ("true", "1")
        return sqlite_target(url.database or "", uri)
    if backend == "postgresql":
        return postgres_target({
            "host": url.host, "port": url.port, "user": url.username, "password": url.password, "dbname": url.database,
        })
    return None


def from_django(connection: Any) -> Target | None:
    vendor = getattr(connection, "vendor", "")
    if vendor not in ("sqlite", "postgresql"):
        return None
    params = connection.get_connection_params()
    if vendor == "sqlite":
        return sqlite_target(params.get("database", ""), bool(params.get("uri")), pyformat=True)
    if "database" in params and "dbname" not in params:
        params = {**params, "dbname": params["database"]}
    return postgres_target(params)


def from_psycopg(conn: Any) -> Target | None:
    info = conn.info
    params = dict(info.get_parameters())
    params["password"] = getattr(info, "password", None)
    params.setdefault("port", getattr(info, "port", None))
    params.setdefault("host", getattr(info, "host", None))
    return postgres_target(params)


def from_psycopg2(conn: Any) -> Target | None:
    params = dict(conn.get_dsn_parameters())
    params["password"] = getattr(getattr(conn, "info", None), "password", None)
    return postgres_target(params)


class Explainer:
    """Opens (once per database) and uses a second connection; closed by `close()`."""

    def __init__(self, full_scan_rows: int, on_scan: Callable[[str, str, str, int, str], None]) -> None:
        self.full_scan_rows = full_scan_rows
        self.on_scan = on_scan
        self._conns: dict[Target, Any] = {}
        self._broken: dict[Target, str] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            conns, self._conns = self._conns, {}
        for conn in conns.values():
            try:
                conn.close()
            except Exception:  # pragma: no cover - closing is best effort
                pass

    def _connection(self, target: Target) -> Any:
        conn = self._conns.get(target)
        if conn is not None:
            return conn
        if target in self._broken:
            raise Unsupported(self._broken[target])
        try:
            conn = self._open(target)
        except Exception as exc:
            self._broken[target] = f"cannot open a second connection: {type(exc).__name__}"
            raise
        self._conns[target] = conn
        return conn

    def _open(self, target: Target) -> Any:
        if target.dialect == "sqlite":
            import sqlite3

            conn = sqlite3.connect(target.database, uri=target.uri, timeout=0.2, check_same_thread=False, isolation_level=None)
            if "cache=shared" in target.database:
                conn.execute("PRAGMA read_uncommitted = 1")  # see the test's uncommitted rows
            conn.execute("PRAGMA query_only = 1")
            return conn
        params: dict[str, Any] = dict(target.params)
        try:
            import psycopg

            pg = psycopg.connect(**params, autocommit=True, connect_timeout=3, application_name="backend-gates-explain")
            pg.execute("SET default_transaction_read_only = on")
            pg.execute("SET statement_timeout = 5000")
            return ("psycopg", pg)
        except ImportError:
            import psycopg2  # type: ignore[import-untyped]

            pg2 = psycopg2.connect(**params, connect_timeout=3, application_name="backend-gates-explain")
            pg2.autocommit = True
            with pg2.cursor() as cur:
                cur.execute("SET default_transaction_read_only = on")
                cur.execute("SET statement_timeout = 5000")
            return ("psycopg2", pg2)

    def run(self, target: Target, fp: str, sql: str, params: Any) -> None:
        """EXPLAIN one statement; raises when it cannot (the caller counts the failure)."""
        with self._lock:
            conn = self._connection(target)
            if target.dialect == "sqlite":
                self._sqlite(conn, target, fp, sql, params)
            else:
                self._postgres(conn, fp, sql, params)

    def _sqlite(self, conn: Any, target: Target, fp: str, sql: str, params: Any) -> None:
        if target.pyformat:
            sql = _PYFORMAT.sub("?", sql).replace("%%", "%")
        cur = conn.cursor()
        try:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params if params is not None else ())
            tables = []
            for row in cur.fetchall():
                m = _SCAN.match(str(row[-1]))
                if m and m.group(1) != "CONSTANT":
                    tables.append(m.group(1).strip('"[]`'))
            if not tables:
                return
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            known = {r[0] for r in cur.fetchall()}
            for table in dict.fromkeys(t for t in tables if t in known):
                cur.execute(f'SELECT count(*) FROM (SELECT 1 FROM "{table}" LIMIT {self.full_scan_rows + 1})')
                self.on_scan(fp, sql, table, int(cur.fetchone()[0]), "sqlite")
        finally:
            cur.close()

    def _postgres(self, handle: Any, fp: str, sql: str, params: Any) -> None:
        flavour, conn = handle
        if flavour == "psycopg":
            import psycopg

            cur = psycopg.ClientCursor(conn)  # client-side binding: EXPLAIN takes no server parameters
        else:
            cur = conn.cursor()
        try:
            cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            row = cur.fetchone()
            plan = row[0] if row else []
            if isinstance(plan, str):
                plan = json.loads(plan)
            for schema, table in dict.fromkeys(seq_scans(plan)):
                name = f'"{schema}"."{table}"' if schema else f'"{table}"'
                cur.execute(f"SELECT count(*) FROM (SELECT 1 FROM {name} LIMIT {self.full_scan_rows + 1}) s")
                counted = cur.fetchone()
                self.on_scan(fp, sql, table, int(counted[0]) if counted else 0, "postgresql")
        finally:
            cur.close()


def seq_scans(plan: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            # only scans that filter rows: reading a whole table on purpose is not a missing index
            if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") and node.get("Filter"):
                out.append((node.get("Schema", ""), node["Relation Name"]))
            for key in ("Plan", "Plans"):
                if key in node:
                    walk(node[key])

    walk(plan)
    return out
