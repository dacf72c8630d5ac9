"""SQL capture for `pytest --backend-gates`: sqlite3, SQLAlchemy, Django, psycopg 3, psycopg2,
asyncpg and aiosqlite.

Each statement is timed, classified (once per distinct text) and attributed to the running
test/phase and the innermost HTTP request scope (runtime.CONTEXT); fingerprints (lexical
normalisation) are computed per distinct text when a group, a budget or EXPLAIN needs one, and
per-text statistics are folded by fingerprint at the end. Memory stays bounded:
per fingerprint we keep aggregates and a capped sample of durations; per scope we keep groups of
SELECTs only until the test phase ends, when they are judged (N+1, duplicate, budget) and dropped.

Capture layers never double count: a high-level layer (SQLAlchemy events, Django execute
wrappers) marks the DBAPI cursor it is about to use, and the low-level layers (sqlite3, psycopg,
psycopg2 wrappers) skip a statement run on a marked cursor.

The capture observes without changing what the user's code gets: `sqlite3.connect` returns the
connection the user asked for (statements are seen through the driver's trace callback, so raw
sqlite3 statements are counted and grouped but not timed; Django's own sqlite3 connections are
not traced, their statements are seen through Django's cursors); asyncpg and psycopg are wrapped
at their own methods. Connections opened by coverage.py, pytest and backend-gates itself are
recognised by who opens them (never by query text) and not captured. EXPLAIN runs on a second
connection of its own (runtime/explain.py). Statements are keyed by the cheap lexical
normalisation of `sql.fingerprint` (no SQL parser runs in the test process).
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

from .context import CONTEXT
from .explain import Explainer, Target, from_django, from_psycopg, from_psycopg2, from_sqlalchemy, sqlite_target

log = logging.getLogger(__name__)

_local = threading.local()
_perf = time.perf_counter

MAX_SAMPLES = 512  # durations kept per fingerprint (reservoir) for p95
MAX_TESTS = 20  # test ids kept per fingerprint
MAX_DISTINCT = 256  # distinct parameter sets counted per group (more is "many")
MAX_CANDIDATES = 2000  # judged findings kept per process
MAX_ERRORS = 20

_TX = frozenset({"begin", "start", "savepoint", "release", "commit", "rollback", "end", "abort"})
_WRITE = frozenset({"insert", "update", "delete", "replace", "merge", "upsert"})
_LEAD = re.compile(r"^(?:\s+|--[^\n]*\n|/\*.*?\*/|\()*", re.S)
_WORD = re.compile(r"[A-Za-z]+")
_WITH_WRITE = re.compile(r"\b(insert|update|delete)\b", re.I)
_IN_BATCH = re.compile(r"\bIN\s*\(\s*(?!SELECT\b)[^()]*,", re.I)
_STRING = re.compile(r"'(?:[^']|'')*'")
_WHERE = re.compile(r"\bWHERE\b", re.I)
_PYFORMAT = re.compile(r"(?<!%)%s")
_MIGRATION_TABLES = (("alembic_version", "alembic"), ("django_migrations", "django"))
_IMPLICIT_BEGIN = re.compile(r"BEGIN (?:DEFERRED|IMMEDIATE|EXCLUSIVE)?$")
# modules whose own database connections are not the application's: recognised by who opens
# the connection (the first caller outside the driver), never by what the statements say
OWN_MODULES = ("coverage", "_pytest", "pytest", "pytest_cov", "xdist", "backend_gates", "hypothesis", "aiosqlite")

# Frames that change how a statement is judged: (path fragment, function names or None for any
# function, kind). "lazy": an ORM lazy/relationship load; "internal": the framework's own
# bookkeeping query (never an N+1 or duplicate of the project's).
_FRAME_RULES: tuple[tuple[str, frozenset[str] | None, str], ...] = (
    (os.path.join("sqlalchemy", "orm", "strategies.py"), frozenset({"_load_for_state", "_emit_lazyload"}), "lazy"),
    (os.path.join("django", "db", "models", "fields", "related_descriptors.py"), None, "lazy"),
    (os.path.join("django", "db", "backends", "sqlite3", "operations.py"), frozenset({"_quote_params_for_last_executed_query"}), "internal"),
)
_SKIP_PATHS = (
    f"{os.sep}site-packages{os.sep}",
    f"{os.sep}dist-packages{os.sep}",
    f"{os.sep}lib{os.sep}python",
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,  # backend_gates itself
)


def statement_kind(sql: str) -> str:
    """select | write | tx | other, from the first keyword (CTEs: write when they modify)."""
    text = _LEAD.sub("", sql[:200], count=1)
    match = _WORD.match(text)
    word = match.group(0).lower() if match else ""
    if word in ("select", "values", "table"):
        return "select"
    if word == "with":
        return "write" if _WITH_WRITE.search(sql) else "select"
    if word in _WRITE:
        return "write"
    if word in _TX:
        return "tx"
    return "other"


def redact_sql(sql: str) -> str:
    """An example statement safe to print: string literals masked, secrets redacted, capped."""
    from ..redact import redact_text

    text = _STRING.sub("'…'", " ".join(sql.split()))
    if len(text) > 500:
        text = text[:497] + "..."
    return redact_text(text)


def _param_key(sql: str, params: Any) -> int:
    try:
        return hash((sql, repr(params)))
    except Exception:
        return hash((sql, id(params)))


# ----------------------------------------------------------------------------- aggregates


@dataclass
class FingerprintStats:
    sql: str  # redacted example
    kind: str
    dialect: str
    count: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    samples: list[float] = field(default_factory=list)
    tests: set[str] = field(default_factory=set)
    slow: list[dict[str, Any]] = field(default_factory=list)  # executions over the threshold (capped)
    slow_count: int = 0
    untimed: int = 0  # executions seen without a duration (raw sqlite3 through its trace callback)

    def add(self, ms: float | None, test: str | None, rng: random.Random) -> None:
        self.count += 1
        if test is not None and len(self.tests) < MAX_TESTS:
            self.tests.add(test)
        if ms is None:
            self.untimed += 1
            return
        self.total_ms += ms
        if ms > self.max_ms:
            self.max_ms = ms
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(ms)
        else:  # reservoir sampling keeps a fair sample of every execution
            slot = rng.randrange(self.count)
            if slot < MAX_SAMPLES:
                self.samples[slot] = ms

    def p95(self) -> float:
        if not self.samples:
            return 0.0
        ordered = sorted(self.samples)
        index = max(0, min(len(ordered) - 1, int(round(0.95 * len(ordered) + 0.5)) - 1))
        return ordered[index]

    def to_dict(self) -> dict[str, Any]:
        return {
            "sql": self.sql, "kind": self.kind, "dialect": self.dialect, "count": self.count,
            "total_ms": self.total_ms, "max_ms": self.max_ms, "samples": self.samples,
            "tests": sorted(self.tests), "slow": self.slow, "slow_count": self.slow_count, "untimed": self.untimed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FingerprintStats":
        return cls(
            data["sql"], data["kind"], data["dialect"], data["count"], data["total_ms"], data["max_ms"],
            list(data["samples"]), set(data["tests"]), list(data["slow"]), data["slow_count"], int(data.get("untimed", 0)),
        )

    def merge(self, other: "FingerprintStats", rng: random.Random) -> None:
        self.count += other.count
        self.total_ms += other.total_ms
        self.max_ms = max(self.max_ms, other.max_ms)
        combined = self.samples + other.samples
        self.samples = combined if len(combined) <= MAX_SAMPLES else rng.sample(combined, MAX_SAMPLES)
        self.tests = set(sorted(self.tests | other.tests)[:MAX_TESTS])
        self.slow = (self.slow + other.slow)[:10]
        self.slow_count += other.slow_count
        self.untimed += other.untimed


@dataclass
class Group:
    """SELECTs of one fingerprint from one call site in one scope (request or test phase)."""

    scope: str
    test: str | None
    phase: str | None
    request: bool
    fingerprint: str
    site: tuple[str, int, str] | None
    example: str  # the first statement as run (redacted only if the group becomes a finding)
    n: int = 0
    params: set[int] = field(default_factory=set)
    lazy: bool = False
    total_ms: float = 0.0
    allowances: set[int] = field(default_factory=set)
    writes_seen: int = 0  # writes in the scope when the group started
    data_changed: bool = False
    origin: str = "code"  # code | view (site is the request's view) | test (the test drove the loop)
    test_frame: tuple[Any, int] | None = None  # origin "test-loop?": the test frame to read for a loop

    @property
    def d(self) -> int:
        return len(self.params)


@dataclass
class StackInfo:
    first: tuple[str, int, str] | None = None  # innermost project frame (tests included)
    site: tuple[str, int, str] | None = None  # innermost project frame outside tests
    test_site: tuple[str, int, str] | None = None  # innermost frame in a test file or conftest
    via_library: bool = False  # an installed library's frame lies between `site` and the test
    lazy: bool = False
    internal: bool = False
    test_line: int | None = None
    test_frame: tuple[Any, int] | None = None  # (code, line) of the innermost test frame


_NO_STACK = StackInfo()  # not walked (read only)


MAX_SHAPES = 20000  # distinct statement texts kept before their statistics are folded by fingerprint


class _Shape:
    """One distinct statement text, classified once when first seen. Its fingerprint (lexical
    normalisation) is computed only when something needs it (a SELECT group, a query budget,
    EXPLAIN, the fold at the end), and its statistics are kept per text and folded into the
    per-fingerprint aggregates at the end: the per-statement work is a dict lookup and counters."""

    __slots__ = ("sql", "kind", "batch", "tool", "dialect", "fp", "table", "stats")

    def __init__(self, sql: str, dialect: str) -> None:
        kind = statement_kind(sql)
        self.sql = sql
        self.kind = kind
        self.dialect = dialect
        self.batch = kind == "select" and _IN_BATCH.search(sql) is not None
        self.tool: str | None = None  # a migration tool's bookkeeping table written (DB-MIGRATE)
        if kind == "write":
            low = sql[:120].lower()
            self.tool = next((tool for table, tool in _MIGRATION_TABLES if table in low), None)
        self.fp = ""
        self.table = ""
        self.stats: FingerprintStats | None = None

    def fingerprint(self) -> str:
        if not self.fp:
            from ..sql.fingerprint import _lexical

            self.fp = hashlib.sha1(_lexical(self.sql).encode()).hexdigest()[:16]
        return self.fp

    def written_table(self) -> str:
        if not self.table:
            self.table = write_table(self.sql)
        return self.table


def _label(request: Any, test: str | None, phase: str | None) -> str:
    """A scope as findings name it: the request (method and route), else the test and phase."""
    if request is not None:
        return f"{request.method} {request.template or request.path}"
    return f"{test} ({phase})" if test else "(outside tests)"


@dataclass
class Allowance:
    id: int
    reason: str
    kind: str  # marker | context
    path: str
    line: int
    test: str | None
    closed: bool = False
    used: bool = False
    budget: int | None = None


class QueryBudget:
    """Counts statements (not transaction control) while active; see `query_budget`."""

    def __init__(self, max_queries: int) -> None:
        self.max_queries = max_queries
        self.count = 0
        self.fingerprints: dict[str, int] = {}
        self.examples: dict[str, str] = {}


# ----------------------------------------------------------------------------- the observer


class SqlObserver:
    """Runtime observer (protocol in runtime/__init__.py) for SQL statements."""

    name = "sql"
    gates = ("DB-PERF", "M-QUERY", "DB-INDEX", "DB-MIGRATE")
    active: ClassVar["SqlObserver | None"] = None

    def __init__(self) -> None:
        self.root = os.path.abspath(os.getcwd())
        self.slow_ms = 50.0
        self.n_plus_one = 5
        self.request_budget = 0
        self.explain = False
        self.full_scan_rows = 1000
        self.statements = 0
        self.outside_tests = 0  # statements run outside any test (imports, collection)
        self.errors: list[str] = []
        self._stats: dict[str, FingerprintStats] = {}  # by fingerprint: folded from `_shapes`
        self._shapes: dict[str, _Shape] = {}  # by statement text
        self.groups: dict[tuple[Any, ...], Group] = {}
        self._writes: dict[str, int] = {}  # writes per open scope (duplicates need unchanged data)
        self.scope_counts: dict[str, list[Any]] = {}  # scope -> [count, label, test, site of first]
        self.candidates: list[dict[str, Any]] = []
        self.migrations: dict[str, int] = {}
        self.scans: list[dict[str, Any]] = []
        self.explained: set[str] = set()
        self.explain_errors = 0
        self.explain_failures: list[str] = []
        self.explain_unreachable: list[str] = []  # why some databases could not be explained
        self._explainer: Explainer | None = None
        self.resolved = False  # per-statement caches dropped (after `resolve()`)
        self.untraced = 0  # sqlite3 connections left alone (a subclass that initialises itself)
        self.django_untraced = 0  # Django's sqlite3 connections: captured by its cursor wrappers, not traced
        self.uncaptured: list[str] = []  # drivers in use that the capture does not hook
        self.allowances: list[Allowance] = []
        self.budgets: list[QueryBudget] = []
        self._next_allowance = 0
        self._noted: str | None = None
        self._files: dict[str, Any] = {}
        self._skip_files: set[str] = set()
        self._rng = random.Random(0)
        self._undo: list[Callable[[], None]] = []
        self._installed: set[str] = set()
        self._pending: tuple[str, ...] = ("sqlalchemy", "django", "psycopg", "psycopg2", "asyncpg", "aiosqlite")
        self._lock = threading.RLock()
        self.started = False

    # ------------------------------------------------------------------ lifecycle
    def start(self, plugin: Any = None) -> None:
        settings = getattr(plugin, "settings", None)
        if settings is not None:
            self.root = os.path.abspath(str(settings.root))
            self.slow_ms = float(settings["thresholds.slow-query-ms"])
            self.n_plus_one = int(settings["thresholds.n-plus-one"])
            self.request_budget = int(settings["thresholds.request-query-budget"])
            self.full_scan_rows = int(settings["thresholds.full-scan-rows"])
            self.explain = bool(settings["runtime.explain"])
        self.started = True
        SqlObserver.active = self
        self.install()

    def install(self) -> None:
        """Install every capture whose library is importable or imported; cheap to call again."""
        if self._installed and not any(name in sys.modules for name in self._pending):
            return  # the common case at every test start: nothing new was imported
        for name, installer, always in (
            ("sqlite3", self._install_sqlite3, True),
            ("sqlalchemy", self._install_sqlalchemy, False),
            ("django", self._install_django, False),
            ("psycopg", self._install_psycopg, False),
            ("psycopg2", self._install_psycopg2, False),
            ("asyncpg", self._install_asyncpg, False),
            ("aiosqlite", self._install_aiosqlite, False),
        ):
            if name in self._installed or (not always and name not in sys.modules):
                continue
            self._installed.add(name)
            self._pending = tuple(n for n in self._pending if n != name)
            try:
                installer()
            except Exception as exc:  # a capture path that cannot install costs only itself
                self._error(f"{name} capture not installed: {type(exc).__name__}: {exc}")

    def stop(self) -> None:
        self.flush()
        if self._explainer is not None:
            self._explainer.close()
        while self._undo:
            undo = self._undo.pop()
            try:
                undo()
            except Exception as exc:
                self._error(f"uninstall: {exc}")
        if SqlObserver.active is self:
            SqlObserver.active = None
        self.started = False

    # plugin notifications (optional part of the observer protocol)
    def begin_test(self, item: Any) -> None:
        try:
            self.install()
            for mark in item.iter_markers("backend_gates_allow_n_plus_one"):
                reason = str(mark.kwargs.get("reason") or (mark.args[0] if mark.args else "") or "(no reason given)")
                path, line = _item_location(item, self.root)
                self._add_allowance(reason, "marker", path, line, item.nodeid)
        except Exception as exc:  # recorded: the SQL gates become not_evaluated, the test runs on
            self._error(f"begin_test: {type(exc).__name__}: {exc}")

    def end_phase(self, item: Any, phase: str) -> None:
        try:
            self.flush(final_for_test=item.nodeid if phase == "teardown" else None)
        except Exception as exc:
            self._error(f"flush: {type(exc).__name__}: {exc}")

    # ------------------------------------------------------------------ recording
    def _error(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS and message not in self.errors:
            self.errors.append(message)
        log.debug("backend-gates sql capture: %s", message)

    def _shape(self, sql: str, dialect: str) -> _Shape:
        """The classified text of a statement, created on first sight (bounded: past MAX_SHAPES
        texts, the statistics are folded by fingerprint and the texts forgotten)."""
        if len(self._shapes) >= MAX_SHAPES:
            self._fold()
        shape = self._shapes[sql] = _Shape(sql, dialect)
        return shape

    def _fold(self) -> None:
        """Fold the per-text statistics into the per-fingerprint aggregates (examples redacted
        here, once per fingerprint) and forget the texts."""
        with self._lock:
            shapes, self._shapes = self._shapes, {}
            for shape in shapes.values():
                stats = shape.stats
                if stats is None:
                    continue
                shape.stats = None  # a thread holding this shape starts a new record (`_record`)
                fp = shape.fingerprint()
                mine = self._stats.get(fp)
                if mine is None:
                    stats.sql = redact_sql(stats.sql)
                    self._stats[fp] = stats
                else:
                    mine.merge(stats, self._rng)

    @property
    def stats(self) -> dict[str, FingerprintStats]:
        """Per fingerprint: count, durations, example tests, slow executions (folded on reading)."""
        if self._shapes:
            self._fold()
        return self._stats

    def _file_info(self, filename: str) -> tuple[str | None, tuple[tuple[frozenset[str] | None, str], ...], bool]:
        """(project-relative path or None, frame rules of this file or (), whether it is test code)."""
        info = self._files.get(filename)
        if info is None:
            lazy = tuple((names, kind) for frag, names, kind in _FRAME_RULES if filename.endswith(frag))
            rel: str | None = None
            absolute = os.path.abspath(filename) if not filename.startswith("<") else ""
            if absolute.startswith(self.root + os.sep) and not any(s in absolute for s in _SKIP_PATHS):
                rel = os.path.relpath(absolute, self.root).replace(os.sep, "/")
                if rel.split("/", 1)[0] in (".venv", "venv", ".tox", ".nox", "node_modules"):
                    rel = None
            info = (rel, lazy, rel is not None and _is_test_path(rel))
            self._files[filename] = info
            if rel is None and not lazy:
                self._skip_files.add(filename)
        return info

    def _stack(self, test_file: str | None = None) -> "StackInfo":
        """Walk outwards from the capture: the first frame in project code, the first outside tests
        (the application's call site), whether an installed library lies between that site and the
        test (a test client, a task runner: the test did not call the code directly), whether an
        ORM lazy load or framework bookkeeping is on the way, and (with `test_file`) the line of the
        innermost frame in the running test's file beyond the first project frame."""
        frame: Any = sys._getframe(2)
        info = StackInfo()
        skip = self._skip_files  # neither project code nor a special frame: the common case
        depth = 0
        hops = 0
        glet: Any = None
        while depth < 300:
            if frame is None:
                # SQLAlchemy's async engines run the sync core in a child greenlet: continue in
                # the parent greenlet, where the awaiting coroutine (project code) is suspended
                greenlet = sys.modules.get("greenlet")
                if greenlet is None or hops >= 3:
                    break
                glet = (glet or greenlet.getcurrent()).parent
                frame = getattr(glet, "gr_frame", None) if glet is not None else None
                hops += 1
                if frame is None:
                    break
            code = frame.f_code
            filename = code.co_filename
            if filename in skip:
                if info.site is not None:
                    info.via_library = True
                frame = frame.f_back
                depth += 1
                continue
            rel, rules, is_test = self._files.get(filename) or self._file_info(filename)
            if rules and info.site is None:
                for names, kind in rules:
                    if names is None or code.co_name in names:
                        if kind == "lazy":
                            info.lazy = True
                        else:
                            info.internal = True
            if rel is not None:
                if is_test and info.test_site is None:
                    info.test_site = (rel, frame.f_lineno, code.co_name)
                    info.test_frame = (code, frame.f_lineno)
                elif not is_test and info.site is None and info.test_site is None:
                    info.site = (rel, frame.f_lineno, code.co_name)
                if info.first is None:
                    info.first = (rel, frame.f_lineno, code.co_name)
                elif rel == test_file:  # a test frame outside the call site: the test's calling line
                    info.test_line = frame.f_lineno
                    return info
                if info.test_site is not None and test_file is None:
                    return info
            frame = frame.f_back
            depth += 1
        return info

    def _view_site(self, request: Any) -> tuple[str, int, str] | None:
        where = request.data.get("view")
        if not where:
            return None
        filename, line, name = where
        rel, _rules, _test = self._files.get(filename) or self._file_info(filename)
        return (rel, int(line), str(name)) if rel is not None else None

    def record(
        self,
        sql: Any,
        params: Any,
        seconds: float | None,
        dialect: str,
        *,
        many: bool = False,
        explain: Callable[[], Target | None] | None = None,
    ) -> None:
        """One executed statement (`seconds` None: not timed). `explain` tells, only when asked,
        where a second connection can EXPLAIN it. Never raises."""
        try:
            if getattr(_local, "explaining", False):
                return
            if isinstance(sql, bytes):
                sql = sql.decode("utf-8", "replace")
            elif not isinstance(sql, str):
                sql = str(sql)
            self._record(sql, params, None if seconds is None else seconds * 1000.0, dialect, many, explain)
        except Exception as exc:
            self._error(f"record: {type(exc).__name__}: {exc}")

    def _record(self, sql: str, params: Any, ms: float | None, dialect: str, many: bool, explain: Any) -> None:
        shape = self._shapes.get(sql) or self._shape(sql, dialect)
        kind = shape.kind
        ctx = CONTEXT
        test = ctx.test
        request = ctx.request
        if request is not None:
            data = request.data
            data["sql_count"] = data.get("sql_count", 0) + 1
            if kind == "write":
                data["sql_writes"] = data.get("sql_writes", 0) + 1
        if test is not None and self._noted != test and ctx.phase == "call":
            ctx.note("sql")  # what the test itself did, not its fixtures' set-up
            self._noted = test
        if shape.tool is not None:
            self.migrations[shape.tool] = self.migrations.get(shape.tool, 0) + 1
        if kind == "tx":
            return
        if self.budgets:
            fp = shape.fingerprint()
            with self._lock:
                for budget in self.budgets:
                    budget.count += 1
                    budget.fingerprints[fp] = budget.fingerprints.get(fp, 0) + 1
                    budget.examples.setdefault(fp, sql)
        if test is None and request is None:
            # import/collection time: not evidence about any test (and it runs once per xdist worker)
            self.outside_tests += 1
            return
        with self._lock:
            self.statements += 1
            stats = shape.stats
            if stats is None:
                stats = shape.stats = FingerprintStats(sql, kind, dialect)  # the example is redacted at the fold
                if self._shapes.get(sql) is not shape:  # folded meanwhile (another thread): count it again
                    self._shapes[sql] = shape
            stats.add(ms, test, self._rng)
            if kind == "other" and not (self.request_budget and request is not None):
                return  # DDL, PRAGMA: counted, never grouped, slow or written
            # slow *queries*: DDL and PRAGMAs (schema set-up in fixtures) are timed, never findings
            slow = ms is not None and ms > self.slow_ms and kind in ("select", "write")
            groupable = kind == "select" and not many and not shape.batch
            scope = f"request:{request.id}" if request is not None else f"test:{test}:{ctx.phase}"
            # the call site is needed for a finding's place: slow statements, SELECT groups, the
            # first statement of a request under a query budget (other writes need no stack walk)
            site: tuple[str, int, str] | None = None
            origin = "code"
            stack = _NO_STACK
            if slow or groupable or (self.request_budget and request is not None and scope not in self.scope_counts):
                # outside requests, executions reached from different lines of the test are
                # separate invocations by the test, not one loop in the code under test
                test_file = test.split("::", 1)[0] if (groupable and request is None and test) else None
                stack = self._stack(test_file)
                # the application's place: outside tests and installed libraries; else the view
                # that serves the request (its statements ran in a library it called:
                # serialisation, a template); else the test's own line
                site = stack.site
                if site is None and request is not None:
                    site = self._view_site(request)
                    origin = "view"
                if site is None:
                    site = stack.test_site or stack.first
                    origin = "test"
                elif request is None and stack.test_frame is not None:
                    # a loop in the test body may call the code once per item (then it is the
                    # test's loop): read from the test's source only if the group is judged (`_judge`)
                    origin = "test-loop?"
            if slow:
                stats.slow_count += 1
                if len(stats.slow) < 10:
                    stats.slow.append({"ms": round(ms or 0.0, 3), "test": test, "site": list(site) if site else None})
            if self.request_budget and request is not None:
                entry = self.scope_counts.get(scope)
                if entry is None:
                    entry = self.scope_counts[scope] = [0, _label(request, test, ctx.phase), test, site]
                entry[0] += 1
            if kind == "write":
                self._writes[scope] = self._writes.get(scope, 0) + 1
                if request is not None:
                    tables = request.data.setdefault("sql_write_tables", {})
                    table = shape.written_table()
                    tables[table] = tables.get(table, 0) + 1
                    if request.method in ("GET", "HEAD"):  # unsafe-GET judges each write (bookkeeping?)
                        written = request.data.setdefault("sql_write_statements", [])
                        if len(written) < 50:
                            written.append((table, sql[:4000]))
            if groupable and site is not None and not stack.internal:
                fp = shape.fingerprint()
                key = (scope, fp, site, stack.test_line)
                group = self.groups.get(key)
                writes = self._writes.get(scope, 0)
                if group is None:
                    group = self.groups[key] = Group(
                        _label(request, test, ctx.phase), test, ctx.phase, request is not None, fp, site, sql[:2000],
                        writes_seen=writes, origin=origin,
                        test_frame=stack.test_frame if origin == "test-loop?" else None,
                    )
                elif group.writes_seen != writes:
                    group.data_changed = True  # a write between repeats: re-reading is not a duplicate
                group.n += 1
                if len(group.params) < MAX_DISTINCT:
                    group.params.add(_param_key(sql, params))
                group.lazy = group.lazy or stack.lazy
                group.total_ms += ms or 0.0
                for allowance in self.allowances:
                    if not allowance.closed:
                        group.allowances.add(allowance.id)
        if explain is not None and self.explain and kind == "select" and shape.fingerprint() not in self.explained and _WHERE.search(sql):
            fp = shape.fingerprint()
            self.explained.add(fp)  # sampled: one EXPLAIN per statement shape
            self._explain(explain, fp, sql, params)

    def _explain(self, where: Callable[[], Target | None], fp: str, sql: str, params: Any) -> None:
        """EXPLAIN on a second connection (never the user's). Failures are counted for DB-INDEX."""
        from .notices import short

        _local.explaining = True
        try:
            target = where()
            if target is None:
                self.explain_errors += 1
                reason = "an in-memory database (or one without a driver for a second connection) cannot be explained"
                if reason not in self.explain_unreachable:
                    self.explain_unreachable.append(reason)
                return
            if self._explainer is None:
                self._explainer = Explainer(self.full_scan_rows, self._scan)
            self._explainer.run(target, fp, sql, params)
        except Exception as exc:  # EXPLAIN cannot run this statement: DB-INDEX notes it, nothing else
            self.explain_errors += 1
            if len(self.explain_failures) < 5:
                self.explain_failures.append(short(exc))
        finally:
            _local.explaining = False

    # ------------------------------------------------------------------ judging
    def flush(self, final_for_test: str | None = None) -> None:
        """Judge the open groups (end of a test phase) and drop them."""
        if not (self.groups or self.scope_counts or self.allowances or self._writes):
            return
        with self._lock:
            groups, self.groups = self.groups, {}
            self._writes = {}
            counts, self.scope_counts = self.scope_counts, {}
            by_id = {a.id: a for a in self.allowances}
            for group in groups.values():
                self._judge(group, by_id)
            for _scope, (count, label, test, site) in counts.items():
                if self.request_budget and count > self.request_budget:
                    self._candidate({
                        "code": "BG503", "scope": label, "test": test, "request": True, "site": list(site) if site else None,
                        "n": count, "budget": self.request_budget, "severity": None,
                    })
            keep = []
            for allowance in self.allowances:
                done = allowance.closed or (allowance.kind == "marker" and allowance.test == final_for_test)
                if allowance.kind == "marker" and final_for_test is None:
                    done = False
                if not done:
                    keep.append(allowance)
                    continue
                if not allowance.used:
                    self._candidate({
                        "code": "BG504", "reason": allowance.reason, "kind": allowance.kind,
                        "site": [allowance.path, allowance.line, ""], "test": allowance.test, "severity": None,
                    })
            self.allowances = keep

    def _judge(self, group: Group, allowances: dict[int, Allowance]) -> None:
        d, n = group.d, group.n
        code = None
        confidence = None
        if d >= 3 and group.lazy:
            code, confidence = "BG500", "high"
        elif d >= self.n_plus_one:
            code, confidence = "BG500", "medium"
        elif d == 1 and n >= 3 and not group.data_changed:
            code = "BG501"
        if code is None:
            return
        if group.origin == "test-loop?":  # a loop in the test body calls the code once per item: its loop
            group.origin = "test" if group.test_frame is not None and _in_loop(*group.test_frame) else "code"
        fixture = not group.request and group.phase in ("setup", "teardown")
        # the test (or a fixture) called the code once per item itself: seeding and test loops are
        # not the application's N+1 (one call that runs them all is, and keeps its severity)
        driven = group.origin == "test"
        severity: str | None
        if code == "BG500":
            severity = "info" if (fixture or driven) else ("error" if confidence == "high" else "warning")
        else:
            # outside a request, identical repeats are often a loop in the test body calling the
            # code under test (separate invocations): weaker evidence, reported at info
            severity = None if group.request else "info"
        allowed = [allowances[i] for i in sorted(group.allowances) if i in allowances]
        for allowance in allowed:
            allowance.used = True
        self._candidate({
            "code": code, "scope": group.scope, "test": group.test, "phase": group.phase,
            "request": group.request, "fingerprint": group.fingerprint, "n": n, "d": d, "origin": group.origin,
            "lazy": group.lazy, "confidence": confidence, "example": redact_sql(group.example),
            "site": list(group.site) if group.site else None, "total_ms": round(group.total_ms, 3),
            "severity": severity,
            "allowed": allowed[-1].reason if allowed else None,
            "allowed_at": [allowed[-1].path, allowed[-1].line] if allowed else None,
        })

    def _candidate(self, data: dict[str, Any]) -> None:
        if len(self.candidates) < MAX_CANDIDATES:
            self.candidates.append(data)

    # ------------------------------------------------------------------ allowances and budgets
    def _add_allowance(self, reason: str, kind: str, path: str, line: int, test: str | None) -> Allowance:
        with self._lock:
            self._next_allowance += 1
            allowance = Allowance(self._next_allowance, reason, kind, path, line, test)
            self.allowances.append(allowance)
            return allowance

    # ------------------------------------------------------------------ fingerprints
    def resolve(self) -> None:
        """Session end: drop the per-statement caches. Idempotent.

        Fingerprints are the lexical normalisation (literals and placeholders -> ?, IN lists and
        multi-row VALUES collapsed, case and whitespace folded), as pt-query-digest does: no
        parser in the test process or at session end, and the same key in every worker."""
        if self.resolved:
            return
        self._fold()
        self.resolved = True

    def _note_uncaptured(self) -> None:
        from .notices import uncaptured_drivers

        self.uncaptured = sorted(set(self.uncaptured) | set(uncaptured_drivers()))

    # ------------------------------------------------------------------ xdist
    def worker_data(self) -> dict[str, Any]:
        self.flush()
        self.resolve()
        self._note_uncaptured()
        return {
            "uncaptured": self.uncaptured,
            "untraced": self.untraced,
            "explain_unreachable": self.explain_unreachable,
            "statements": self.statements,
            "stats": {fp: s.to_dict() for fp, s in self.stats.items()},
            "candidates": self.candidates,
            "migrations": self.migrations,
            "scans": self.scans,
            "explained": sorted(self.explained),
            "explain_errors": self.explain_errors,
            "explain_failures": self.explain_failures,
            "errors": self.errors,
        }

    def merge(self, data: dict[str, Any]) -> None:
        if "error" in data and "stats" not in data:
            self._error(f"worker: {data['error']}")
            return
        self.resolve()
        self.statements += int(data.get("statements", 0))
        self.uncaptured = sorted(set(self.uncaptured) | set(data.get("uncaptured", [])))
        self.untraced += int(data.get("untraced", 0))
        for reason in data.get("explain_unreachable", []):
            if reason not in self.explain_unreachable:
                self.explain_unreachable.append(reason)
        for fp, raw in data.get("stats", {}).items():
            other = FingerprintStats.from_dict(raw)
            mine = self.stats.get(fp)
            if mine is None:
                self._stats[fp] = other
            else:
                mine.merge(other, self._rng)
        self.candidates.extend(data.get("candidates", []))
        for tool, count in data.get("migrations", {}).items():
            self.migrations[tool] = self.migrations.get(tool, 0) + int(count)
        self.scans.extend(data.get("scans", []))
        self.explained.update(data.get("explained", []))
        self.explain_errors += int(data.get("explain_errors", 0))
        self.explain_failures = (self.explain_failures + list(data.get("explain_failures", [])))[:5]
        for message in data.get("errors", []):
            self._error(message)

    # ------------------------------------------------------------------ report
    def evidence(self, settings: Any, project: Any = None) -> Any:
        from .sql_gates import evidence

        self.flush()
        self.resolve()
        self._note_uncaptured()
        return evidence(self, settings, project)

    # ------------------------------------------------------------------ EXPLAIN
    def _scan(self, fp: str, sql: str, table: str, rows: int, dialect: str) -> None:
        if rows <= self.full_scan_rows:
            return
        stack = self._stack()
        site = stack.site or stack.test_site or stack.first
        self.scans.append({
            "fingerprint": fp, "table": table, "rows": rows, "dialect": dialect, "example": redact_sql(sql),
            "test": CONTEXT.test, "site": list(site) if site else None,
        })

    # ------------------------------------------------------------------ capture: sqlite3
    def _install_sqlite3(self) -> None:
        """`sqlite3.connect` returns exactly the connection asked for (its type, its methods, the
        user's factory); statements are seen through the driver's trace callback. A Connection
        subclass with its own `__init__` may install a trace callback of its own: left alone."""
        import sqlite3
        import sqlite3.dbapi2 as dbapi2

        observer = self
        original = sqlite3.connect
        set_trace = sqlite3.Connection.set_trace_callback

        def tracer_for(target: Target | None) -> Callable[[str], None]:
            where = (lambda: target)

            def trace(statement: str) -> None:
                if getattr(_local, "outer", None) is not None or getattr(_local, "explaining", False):
                    return  # a higher layer (SQLAlchemy, Django) records it, or it is our EXPLAIN
                if _IMPLICIT_BEGIN.match(statement):
                    return  # issued by the sqlite3 module itself, not by the application
                observer.record(statement, None, None, "sqlite", explain=where)

            return trace

        def connect(*args: Any, **kwargs: Any) -> Any:
            conn = original(*args, **kwargs)
            try:
                opener = sys._getframe(1)
                if _opened_by_tooling(opener):
                    return conn
                if "django" in observer._installed and opener.f_globals.get("__name__") == _DJANGO_SQLITE:
                    # Django's own connection: every statement runs through its cursors, which
                    # the Django capture wraps; a trace callback would only cost time per statement
                    observer.django_untraced += 1
                    return conn
                if _initialises_itself(type(conn), sqlite3.Connection):
                    observer.untraced += 1
                    return conn
                database = args[0] if args else kwargs.get("database", "")
                target = sqlite_target(database, bool(kwargs.get("uri", False)))
                set_trace(conn, tracer_for(target))
            except Exception as exc:
                observer._error(f"sqlite3.connect: {exc}")
            return conn

        connect.__wrapped__ = original  # type: ignore[attr-defined]
        sqlite3.connect = connect
        dbapi2.connect = connect

        def undo() -> None:
            sqlite3.connect = original
            dbapi2.connect = original

        self._undo.append(undo)

    # ------------------------------------------------------------------ capture: SQLAlchemy
    def _install_sqlalchemy(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        observer = self

        def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
            _local.outer = _ids(cursor)  # the DBAPI cursor and the adapted driver cursors inside it
            stack = getattr(_local, "sa", None)
            if stack is None:
                stack = _local.sa = []
            stack.append(_perf())

        def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
            _local.outer = None
            stack = getattr(_local, "sa", None)
            if not stack:
                return
            t0 = stack.pop()
            observer.record(statement, parameters, _perf() - t0, conn.dialect.name, many=bool(executemany), explain=(lambda: from_sqlalchemy(conn)) if observer.explain else None)

        def on_error(exception_context: Any) -> None:
            _local.outer = None
            stack = getattr(_local, "sa", None)
            if stack:
                stack.pop()

        event.listen(Engine, "before_cursor_execute", before)
        event.listen(Engine, "after_cursor_execute", after)
        event.listen(Engine, "handle_error", on_error)

        def undo() -> None:
            event.remove(Engine, "before_cursor_execute", before)
            event.remove(Engine, "after_cursor_execute", after)
            event.remove(Engine, "handle_error", on_error)

        self._undo.append(undo)

    # ------------------------------------------------------------------ capture: Django
    def _install_django(self) -> None:
        from django.db.backends.signals import connection_created

        observer = self

        def wrapper(execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: dict[str, Any]) -> Any:
            raw = getattr(context.get("cursor"), "cursor", None)
            previous = getattr(_local, "outer", None)
            _local.outer = _ids(raw) if raw is not None else None
            t0 = _perf()
            try:
                result = execute(sql, params, many, context)
            finally:
                _local.outer = previous
            connection = context.get("connection")
            observer.record(sql, params, _perf() - t0, getattr(connection, "vendor", "") or "", many=many, explain=(lambda: from_django(connection)) if observer.explain else None)
            return result

        def attach(connection: Any) -> None:
            wrappers = getattr(connection, "execute_wrappers", None)
            if wrappers is not None and wrapper not in wrappers:
                wrappers.insert(0, wrapper)  # first: a user's `with execute_wrapper()` pops its own

        def on_created(sender: Any, connection: Any, **kwargs: Any) -> None:
            try:
                attach(connection)
            except Exception as exc:
                observer._error(f"django connection: {exc}")

        connection_created.connect(on_created, weak=False, dispatch_uid="backend_gates_sql")
        attached: list[Any] = []
        try:
            from django.conf import settings as dj_settings

            if dj_settings.configured:
                from django.db import connections

                for connection in connections.all():
                    attach(connection)
                    attached.append(connection)
        except Exception as exc:  # settings not configured yet: connection_created covers it
            log.debug("django connections not attached at start: %s", exc)

        def undo() -> None:
            connection_created.disconnect(dispatch_uid="backend_gates_sql")
            try:
                from django.db import connections

                for connection in list(connections.all()) + attached:
                    wrappers = getattr(connection, "execute_wrappers", [])
                    while wrapper in wrappers:
                        wrappers.remove(wrapper)
            except Exception as exc:  # settings gone at shutdown: nothing left to detach
                log.debug("django wrappers not detached: %s", exc)

        self._undo.append(undo)

    # ------------------------------------------------------------------ capture: psycopg 3
    def _install_psycopg(self) -> None:
        import psycopg

        observer = self

        def text_of(cur: Any, query: Any) -> Any:
            if isinstance(query, (str, bytes)):
                return query
            try:
                return query.as_string(cur)
            except Exception:
                return str(query)

        originals: list[tuple[type, str, Any]] = []

        def patch(cls: type, name: str, make: Callable[[Any], Any]) -> None:
            original = cls.__dict__.get(name)
            if original is None:
                return
            originals.append((cls, name, original))
            setattr(cls, name, make(original))

        def sync_execute(original: Any) -> Any:
            def execute(self: Any, query: Any, params: Any = None, *args: Any, **kwargs: Any) -> Any:
                if _is_outer(self):
                    return original(self, query, params, *args, **kwargs)
                _local.outer = _ids(self)
                t0 = _perf()
                try:
                    result = original(self, query, params, *args, **kwargs)
                finally:
                    _local.outer = None
                conn = self.connection
                observer.record(text_of(self, query), params, _perf() - t0, "postgresql", explain=(lambda: from_psycopg(conn)) if observer.explain else None)
                return result

            return execute

        def sync_many(original: Any) -> Any:
            def executemany(self: Any, query: Any, params_seq: Any, *args: Any, **kwargs: Any) -> Any:
                if _is_outer(self):
                    return original(self, query, params_seq, *args, **kwargs)
                _local.outer = _ids(self)
                t0 = _perf()
                try:
                    result = original(self, query, params_seq, *args, **kwargs)
                finally:
                    _local.outer = None
                observer.record(text_of(self, query), None, _perf() - t0, "postgresql", many=True)
                return result

            return executemany

        def async_execute(original: Any) -> Any:
            async def execute(self: Any, query: Any, params: Any = None, *args: Any, **kwargs: Any) -> Any:
                if _is_outer(self):
                    return await original(self, query, params, *args, **kwargs)
                _local.outer = _ids(self)
                t0 = _perf()
                try:
                    result = await original(self, query, params, *args, **kwargs)
                finally:
                    _local.outer = None
                observer.record(text_of(self, query), params, _perf() - t0, "postgresql")
                return result

            return execute

        def async_many(original: Any) -> Any:
            async def executemany(self: Any, query: Any, params_seq: Any, *args: Any, **kwargs: Any) -> Any:
                if _is_outer(self):
                    return await original(self, query, params_seq, *args, **kwargs)
                _local.outer = _ids(self)
                t0 = _perf()
                try:
                    result = await original(self, query, params_seq, *args, **kwargs)
                finally:
                    _local.outer = None
                observer.record(text_of(self, query), None, _perf() - t0, "postgresql", many=True)
                return result

            return executemany

        patch(psycopg.Cursor, "execute", sync_execute)
        patch(psycopg.Cursor, "executemany", sync_many)
        patch(psycopg.AsyncCursor, "execute", async_execute)
        patch(psycopg.AsyncCursor, "executemany", async_many)

        def undo() -> None:
            for cls, name, original in reversed(originals):
                setattr(cls, name, original)

        self._undo.append(undo)

    # ------------------------------------------------------------------ capture: psycopg2
    def _install_psycopg2(self) -> None:
        import psycopg2  # type: ignore[import-untyped]
        import psycopg2.extensions as ext  # type: ignore[import-untyped]

        observer = self
        original = psycopg2.connect
        cursor_classes: dict[type, type] = {}
        conn_classes: dict[type, type] = {}

        def traced_cursor(base: type) -> type:
            cls = cursor_classes.get(base)
            if cls is None:

                class TracedCursor(base):  # type: ignore[misc]
                    def execute(self, query: Any, vars: Any = None) -> Any:
                        if _is_outer(self):
                            return super().execute(query, vars)
                        _local.outer = _ids(self)
                        t0 = _perf()
                        try:
                            result = super().execute(query, vars)
                        finally:
                            _local.outer = None
                        text = query if isinstance(query, (str, bytes)) else query.as_string(self)
                        conn = self.connection
                        observer.record(text, vars, _perf() - t0, "postgresql", explain=(lambda: from_psycopg2(conn)) if observer.explain else None)
                        return result

                    def executemany(self, query: Any, vars_list: Any) -> Any:
                        if _is_outer(self):
                            return super().executemany(query, vars_list)
                        _local.outer = _ids(self)
                        t0 = _perf()
                        try:
                            result = super().executemany(query, vars_list)
                        finally:
                            _local.outer = None
                        text = query if isinstance(query, (str, bytes)) else query.as_string(self)
                        observer.record(text, None, _perf() - t0, "postgresql", many=True)
                        return result

                cls = cursor_classes[base] = TracedCursor
            return cls

        def traced_connection(base: type) -> type:
            cls = conn_classes.get(base)
            if cls is None:

                class TracedConnection(base):  # type: ignore[misc]
                    def cursor(self, *args: Any, **kwargs: Any) -> Any:
                        factory = kwargs.get("cursor_factory") or self.cursor_factory or ext.cursor
                        kwargs["cursor_factory"] = traced_cursor(factory)
                        return super().cursor(*args, **kwargs)

                cls = conn_classes[base] = TracedConnection
            return cls

        def connect(dsn: Any = None, connection_factory: Any = None, cursor_factory: Any = None, **kwargs: Any) -> Any:
            try:
                connection_factory = traced_connection(connection_factory or ext.connection)
            except Exception as exc:
                observer._error(f"psycopg2.connect: {exc}")
            return original(dsn, connection_factory=connection_factory, cursor_factory=cursor_factory, **kwargs)

        psycopg2.connect = connect

        def undo() -> None:
            psycopg2.connect = original

        self._undo.append(undo)


    # ------------------------------------------------------------------ capture: asyncpg
    def _install_asyncpg(self) -> None:
        """asyncpg's Connection and PreparedStatement methods, wrapped in place (same classes)."""
        import contextvars

        import asyncpg.connection  # type: ignore[import-untyped]
        import asyncpg.prepared_stmt  # type: ignore[import-untyped]

        observer = self
        inside: contextvars.ContextVar[bool] = contextvars.ContextVar("backend_gates_asyncpg", default=False)
        originals: list[tuple[type, str, Any]] = []

        def wrap(cls: type, name: str, query_of: Callable[..., Any], many: bool) -> None:
            original = cls.__dict__.get(name)
            if original is None:
                return

            async def method(self: Any, *args: Any, **kwargs: Any) -> Any:
                if inside.get() or _is_outer(self) or _is_outer(getattr(self, "_connection", None)):
                    return await original(self, *args, **kwargs)
                token = inside.set(True)
                t0 = _perf()
                try:
                    return await original(self, *args, **kwargs)
                finally:
                    inside.reset(token)
                    try:
                        query, params = query_of(self, *args, **kwargs)
                        observer.record(query, params, _perf() - t0, "postgresql", many=many)
                    except Exception as exc:
                        observer._error(f"asyncpg: {exc}")

            method.__name__ = name
            method.__qualname__ = f"{cls.__name__}.{name}"
            method.__doc__ = original.__doc__
            originals.append((cls, name, original))
            setattr(cls, name, method)

        def conn_query(self: Any, query: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
            return query, args

        def conn_many(self: Any, query: Any, args: Any = None, *rest: Any, **kwargs: Any) -> tuple[Any, Any]:
            return query, None

        def stmt_query(self: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
            return getattr(self, "_query", ""), args

        Connection = asyncpg.connection.Connection
        for name in ("execute", "fetch", "fetchrow", "fetchval"):
            wrap(Connection, name, conn_query, False)
        for name in ("executemany", "fetchmany"):
            wrap(Connection, name, conn_many, True)
        Prepared = asyncpg.prepared_stmt.PreparedStatement
        for name in ("fetch", "fetchrow", "fetchval"):
            wrap(Prepared, name, stmt_query, False)
        for name in ("executemany", "fetchmany"):
            wrap(Prepared, name, lambda self, *a, **k: (getattr(self, "_query", ""), None), True)

        def undo() -> None:
            for cls, name, original in reversed(originals):
                setattr(cls, name, original)

        self._undo.append(undo)

    # ------------------------------------------------------------------ capture: aiosqlite
    def _install_aiosqlite(self) -> None:
        """aiosqlite's Connection/Cursor execute methods, wrapped in place. SQLAlchemy's aiosqlite
        dialect is recorded by the SQLAlchemy layer (its cursor is marked), not twice."""
        import aiosqlite

        observer = self
        originals: list[tuple[type, str, Any]] = []

        def wrap(cls: type, name: str, many: bool) -> None:
            original = cls.__dict__.get(name)
            if original is None:
                return

            async def method(self: Any, sql: Any, parameters: Any = None, *args: Any, **kwargs: Any) -> Any:
                if _is_outer(self) or getattr(_local, "outer", None) is not None:
                    return await original(self, sql, parameters, *args, **kwargs)
                t0 = _perf()
                try:
                    return await original(self, sql, parameters, *args, **kwargs)
                finally:
                    observer.record(sql, None if many else parameters, _perf() - t0, "sqlite", many=many)

            method.__name__ = name
            method.__qualname__ = f"{cls.__name__}.{name}"
            method.__doc__ = original.__doc__
            originals.append((cls, name, original))
            setattr(cls, name, method)

        for cls in (aiosqlite.Connection, aiosqlite.Cursor):
            wrap(cls, "execute", False)
            wrap(cls, "executemany", True)

        def undo() -> None:
            for cls, name, original in reversed(originals):
                setattr(cls, name, original)

        self._undo.append(undo)


def _ids(cursor: Any) -> frozenset[int]:
    """Identities of a cursor and the driver cursors it wraps (SQLAlchemy async adapters: `_cursor`)."""
    out = []
    for _ in range(4):
        if cursor is None:
            break
        out.append(id(cursor))
        adapted = getattr(getattr(cursor, "_adapt_connection", None), "_connection", None)
        if adapted is not None:  # SQLAlchemy's asyncpg/aiosqlite adapters: the driver connection
            out.append(id(adapted))
        cursor = getattr(cursor, "_cursor", None)
    return frozenset(out)


def _is_outer(cursor: Any) -> bool:
    """A higher capture layer (SQLAlchemy, Django) is already recording this cursor's statement."""
    outer: frozenset[int] | None = getattr(_local, "outer", None)
    return outer is not None and cursor is not None and id(cursor) in outer


_WRITE_TABLE = re.compile(
    r"^(?:insert(?:\s+or\s+\w+)?\s+into|replace\s+into|update(?:\s+or\s+\w+)?|delete\s+from)\s+((?:[`\"\[]?[\w$]+[`\"\]]?\.)?[`\"\[]?[\w$]+[`\"\]]?)",
    re.I,
)


def write_table(sql: str) -> str:
    """The table an INSERT/UPDATE/DELETE writes (unquoted, schema dropped), or "?"."""
    m = _WRITE_TABLE.match(_LEAD.sub("", sql[:300], count=1))
    if not m:
        return "?"
    return m.group(1).split(".")[-1].strip('`"[]').lower()


_LOOPS: dict[str, tuple[tuple[int, int, int], ...]] = {}


def _loop_spans(filename: str) -> tuple[tuple[int, int, int], ...]:
    """(loop line, first body line, last body line) of every for/while loop in a file, parsed
    once per file (reading the file beats `inspect.getsource` per function)."""
    spans = _LOOPS.get(filename)
    if spans is None:
        spans = ()
        try:
            import ast

            with open(filename, "rb") as handle:
                tree = ast.parse(handle.read())
            found = []
            for node in ast.walk(tree):
                if isinstance(node, (ast.For, ast.AsyncFor, ast.While)) and node.body:
                    end = max(getattr(n, "end_lineno", None) or n.lineno for n in node.body)
                    found.append((node.lineno, node.body[0].lineno, end))
            spans = tuple(found)
        except Exception:  # no source (generated code): not known to be a loop
            spans = ()
        if len(_LOOPS) > 2000:
            _LOOPS.clear()
        _LOOPS[filename] = spans
    return spans


def _in_loop(code: Any, line: int) -> bool:
    """Whether `line` of this test function (or comprehension) is inside a for/while loop body
    of that function."""
    if code.co_name.startswith("<") and code.co_name.endswith("comp>") or code.co_name == "<genexpr>":
        return True
    first = code.co_firstlineno
    return any(loop > first and start <= line <= end for loop, start, end in _loop_spans(code.co_filename))


def _is_test_path(rel: str) -> bool:
    """Test code by pytest's conventions: test_*.py, *_test.py, conftest.py, tests/ folders."""
    parts = rel.split("/")
    name = parts[-1]
    return (
        name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
        or any(part in ("tests", "test", "testing") for part in parts[:-1])
    )


_DJANGO_SQLITE = "django.db.backends.sqlite3.base"  # the module whose `get_new_connection` opens Django's sqlite3 connections


def _opened_by_tooling(frame: Any) -> bool:
    """Whether the code opening this connection is coverage.py, pytest, backend-gates or another
    test tool (identity of the opener: its module), not the application."""
    for _ in range(6):
        if frame is None:
            return False
        name = frame.f_globals.get("__name__", "")
        if not name.startswith("sqlite3"):
            return name.split(".", 1)[0] in OWN_MODULES
        frame = frame.f_back
    return False


def _initialises_itself(cls: type, base: type) -> bool:
    """A user Connection subclass with its own __init__ (it may set its own trace callback)."""
    return any("__init__" in vars(k) for k in cls.__mro__ if k is not base and k is not object)


def _item_location(item: Any, root: str) -> tuple[str, int]:
    try:
        path, line, _name = item.location
        absolute = os.path.abspath(os.path.join(str(item.config.rootpath), path))
        rel = os.path.relpath(absolute, root).replace(os.sep, "/")
        return rel, (line or 0) + 1
    except Exception:
        return item.nodeid.split("::", 1)[0], 1


# ----------------------------------------------------------------------------- public helpers


class allow_n_plus_one:  # noqa: N801 - used like a function: `with allow_n_plus_one("reason"):`
    """Allow a known N+1 (or duplicate query) inside this block; the reason is reported.

    An allowance under which no N+1 or duplicate query happened is itself reported (BG504),
    so allowances do not outlive the code they excused.
    """

    def __init__(self, reason: str) -> None:
        if not reason or not str(reason).strip():
            raise ValueError("allow_n_plus_one needs a reason")
        self.reason = str(reason)
        self._allowance: Allowance | None = None

    def __enter__(self) -> "allow_n_plus_one":
        observer = SqlObserver.active
        if observer is not None:
            frame = sys._getframe(1)
            path = frame.f_code.co_filename
            rel = os.path.relpath(os.path.abspath(path), observer.root).replace(os.sep, "/")
            self._allowance = observer._add_allowance(self.reason, "context", rel, frame.f_lineno, CONTEXT.test)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._allowance is not None:
            self._allowance.closed = True


class query_budget:  # noqa: N801 - used like a function: `with query_budget(max_queries=3):`
    """Assert that the block runs at most `max_queries` SQL statements (transaction control excluded).

    Works with or without `--backend-gates` (without it, capture is installed for the block).
    SQLAlchemy engines, Django connections and psycopg 3 are seen whenever they were created;
    raw sqlite3 and psycopg2 connections only when opened while capture is on (under
    `--backend-gates`: from the start of the session).
    """

    def __init__(self, max_queries: int) -> None:
        if max_queries < 0:
            raise ValueError("max_queries must be 0 or more")
        self.budget = QueryBudget(int(max_queries))
        self._temporary: SqlObserver | None = None

    @property
    def count(self) -> int:
        return self.budget.count

    def __enter__(self) -> "query_budget":
        observer = SqlObserver.active
        if observer is None:
            observer = self._temporary = SqlObserver()
            observer.start(None)
        observer.install()
        self._observer = observer
        with observer._lock:
            observer.budgets.append(self.budget)
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        observer = self._observer
        with observer._lock:
            if self.budget in observer.budgets:
                observer.budgets.remove(self.budget)
        if self._temporary is not None:
            self._temporary.stop()
        if exc_type is None and self.budget.count > self.budget.max_queries:
            top = sorted(self.budget.fingerprints.items(), key=lambda kv: -kv[1])[:5]
            detail = "; ".join(f"{n}x {redact_sql(self.budget.examples[fp])[:120]}" for fp, n in top)
            raise AssertionError(
                f"query budget exceeded: {self.budget.count} queries > max_queries={self.budget.max_queries} ({detail})"
            )
