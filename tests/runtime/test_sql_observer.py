"""The SQL observer in-process: classification, redaction, grouping, exemptions, xdist data."""

from __future__ import annotations

import json
import sqlite3
from typing import Iterator

import pytest

import backend_gates
from backend_gates.runtime import CONTEXT
from backend_gates.runtime.sql import SqlObserver, redact_sql, statement_kind


@pytest.fixture
def observer() -> Iterator[SqlObserver]:
    if SqlObserver.active is not None:
        pytest.skip("another SQL observer is active in this process (suite run with --backend-gates)")
    obs = SqlObserver()
    obs.start(None)
    saved = (CONTEXT.test, CONTEXT.phase)
    CONTEXT.test, CONTEXT.phase = "tests/test_x.py::test_x", "call"
    try:
        yield obs
    finally:
        CONTEXT.test, CONTEXT.phase = saved
        obs.stop()


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("SELECT 1", "select"),
        ("  /* hint */ select * from t", "select"),
        ("WITH x AS (SELECT 1) SELECT * FROM x", "select"),
        ("WITH x AS (SELECT 1) DELETE FROM t WHERE id IN (SELECT * FROM x)", "write"),
        ("INSERT INTO t VALUES (1)", "write"),
        ("update t set a = 1", "write"),
        ("SAVEPOINT sa_1", "tx"),
        ("RELEASE SAVEPOINT sa_1", "tx"),
        ("BEGIN", "tx"),
        ("COMMIT", "tx"),
        ("CREATE TABLE t (a int)", "other"),
        ("PRAGMA foreign_keys = ON", "other"),
    ],
)
def test_statement_kind(sql: str, kind: str) -> None:
    assert statement_kind(sql) == kind


def test_redacted_example_masks_literals_and_secrets() -> None:
    text = redact_sql("SELECT id FROM users WHERE api_key = 'sk_live_abcdefghijklmnopqrstuvwx' AND n = 3")
    assert "sk_live" not in text
    assert text == "SELECT id FROM users WHERE api_key = '…' AND n = 3"
    assert len(redact_sql("SELECT " + "a, " * 400 + "b")) == 500


def _judged(obs: SqlObserver) -> list[dict]:
    obs.flush()
    return obs.candidates


def test_inline_literals_group_by_fingerprint_and_count_distinct_sets(observer: SqlObserver) -> None:
    conn = sqlite3.connect(":memory:")
    for i in range(5):
        conn.execute(f"SELECT {i} + 1").fetchall()
    [hit] = _judged(observer)
    assert (hit["code"], hit["n"], hit["d"], hit["confidence"]) == ("BG500", 5, 5, "medium")
    assert hit["site"][0].endswith("test_sql_observer.py") and hit["site"][2] == "test_inline_literals_group_by_fingerprint_and_count_distinct_sets"


def test_below_threshold_and_other_call_sites_are_not_n_plus_one(observer: SqlObserver) -> None:
    conn = sqlite3.connect(":memory:")
    for i in range(4):  # d = 4 < 5, no ORM lazy load
        conn.execute("SELECT ?", (i,)).fetchall()
    for i in range(3):  # same fingerprint, two other call sites: separate groups of d <= 2
        conn.execute("SELECT ?", (i,)).fetchall()
        conn.execute("SELECT ?", (i + 10,)).fetchall()
    assert _judged(observer) == []


def test_exemptions_executemany_in_lists_transaction_control(observer: SqlObserver) -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    for _ in range(6):
        conn.executemany("INSERT INTO t (id) VALUES (?)", [(None,), (None,)])
    for batch in range(6):  # batch loader: one IN-list per batch
        conn.execute("SELECT id FROM t WHERE id IN (?, ?, ?)", (batch, batch + 1, batch + 2)).fetchall()
    for i in range(6):
        conn.execute(f"SAVEPOINT s{i}")
        conn.execute(f"RELEASE SAVEPOINT s{i}")
    assert _judged(observer) == []
    assert observer.stats  # still measured


def test_identical_repeats_are_duplicates_not_n_plus_one(observer: SqlObserver) -> None:
    conn = sqlite3.connect(":memory:")
    for _ in range(4):
        conn.execute("SELECT ?", (7,)).fetchall()
    [hit] = _judged(observer)
    assert (hit["code"], hit["n"], hit["d"]) == ("BG501", 4, 1)


def test_request_scope_counts_for_the_http_observer(observer: SqlObserver) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a int)")
    scope = CONTEXT.push_request("GET", "/things")
    try:
        conn.execute("SELECT * FROM t").fetchall()
        conn.execute("INSERT INTO t VALUES (1)")
        conn.execute("COMMIT")
    finally:
        CONTEXT.pop_request(scope)
    assert scope.data == {  # every statement counts (runtime contract); a GET's writes are kept for unsafe-GET
        "sql_count": 3, "sql_writes": 1, "sql_write_tables": {"t": 1}, "sql_write_statements": [("t", "INSERT INTO t VALUES (1)")],
    }
    assert "sql" in CONTEXT.evidence["tests/test_x.py::test_x"]


def test_worker_data_is_json_and_merges(observer: SqlObserver) -> None:
    conn = sqlite3.connect(":memory:")
    for i in range(6):
        conn.execute("SELECT ?", (i,)).fetchall()
    data = json.loads(json.dumps(observer.worker_data()))
    controller = SqlObserver()
    controller.merge(data)
    controller.merge(data)
    assert controller.statements == 2 * observer.statements
    assert len(controller.candidates) == 2
    stats = controller.stats[next(iter(observer.stats))]
    # raw sqlite3 is seen through its trace callback: counted, not timed
    assert stats.count == 12 and stats.untimed == 12 and stats.samples == []
    controller.merge({"error": "worker crashed"})
    assert controller.errors == ["worker: worker crashed"]


def test_query_budget_works_without_the_plugin() -> None:
    if SqlObserver.active is not None:
        pytest.skip("an SQL observer is active in this process")
    with backend_gates.query_budget(max_queries=2) as budget:
        conn = sqlite3.connect(":memory:")  # raw sqlite3 connections are traced from when capture is on
        conn.execute("SELECT 1").fetchall()
        conn.execute("BEGIN")  # transaction control is not counted
        conn.execute("SELECT 2").fetchall()
    assert budget.count == 2
    with pytest.raises(AssertionError, match=r"query budget exceeded: 3 queries > max_queries=2 \(3x SELECT \d\)"):
        with backend_gates.query_budget(max_queries=2):
            conn = sqlite3.connect(":memory:")
            for i in range(3):
                conn.execute("SELECT ?", (i,)).fetchall()
    assert SqlObserver.active is None  # the temporary capture is gone


def test_allowance_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        backend_gates.allow_n_plus_one("  ")


def test_slow_ddl_is_not_a_slow_query(observer: SqlObserver) -> None:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    observer.slow_ms = 0.0  # everything is "slow"
    observer.install()  # timed through SQLAlchemy's events (raw sqlite3 is counted, not timed)
    engine = sqlalchemy.create_engine("sqlite://")
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a int)")
        conn.exec_driver_sql("SELECT * FROM t").fetchall()
    slow = {s.kind: s.slow_count for s in observer.stats.values() if s.kind != "tx"}
    assert slow == {"other": 0, "select": 1}


def test_rereading_after_a_write_is_not_a_duplicate(observer: SqlObserver) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a int)")
    for i in range(3):
        conn.execute("INSERT INTO t VALUES (?)", (i,))
        conn.execute("SELECT count(*) FROM t").fetchall()
    assert _judged(observer) == []


def _lookup(conn: sqlite3.Connection, key: int) -> None:
    conn.execute("SELECT ?", (key,)).fetchall()


def test_calls_from_different_test_lines_are_separate_invocations(observer: SqlObserver) -> None:
    CONTEXT.test = "tests/runtime/test_sql_observer.py::test_x"  # this file is the running test's file
    conn = sqlite3.connect(":memory:")
    _lookup(conn, 1)
    _lookup(conn, 2)
    _lookup(conn, 3)
    _lookup(conn, 4)
    _lookup(conn, 5)
    assert _judged(observer) == []
    for key in range(5):  # one line of the test, in a loop: grouped
        _lookup(conn, key)
    [hit] = _judged(observer)
    assert (hit["code"], hit["d"], hit["site"][2]) == ("BG500", 5, "_lookup")


def test_statements_without_a_project_frame_are_not_judged(observer: SqlObserver) -> None:
    observer.root = "/nonexistent-root"  # nothing on the stack is project code
    observer._files.clear()
    observer._skip_files.clear()
    conn = sqlite3.connect(":memory:")
    for i in range(6):
        conn.execute("SELECT ?", (i,)).fetchall()
    assert _judged(observer) == []


def test_sqlite3_connect_returns_the_connection_the_user_asked_for(observer: SqlObserver) -> None:
    """No traced subclass: the type, the user's factory and its overridden methods are untouched."""
    seen: list[str] = []

    class Logged(sqlite3.Connection):
        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
            seen.append(sql)
            return super().execute(sql, *args)

        def cursor(self) -> sqlite3.Cursor:  # type: ignore[override]  # no factory argument
            return super().cursor()

    plain = sqlite3.connect(":memory:")
    assert type(plain) is sqlite3.Connection
    mine = sqlite3.connect(":memory:", factory=Logged)
    assert type(mine) is Logged
    mine.execute("SELECT 1").fetchall()
    mine.cursor().execute("SELECT 2")
    assert seen == ["SELECT 1"]
    # the user's own trace callback sees only the user's statements
    traced: list[str] = []
    plain.set_trace_callback(traced.append)
    plain.execute("SELECT 3").fetchall()
    assert traced == ["SELECT 3"]
    # the subclass (no __init__ of its own) is observed; the plain connection is not any more once
    # the user installed a trace callback of their own (theirs wins: behaviour never changes)
    assert observer.statements == 2


def test_coverage_connections_are_not_application_sql(observer: SqlObserver, tmp_path: object) -> None:
    """Identity of the opener, not the query text: coverage.py's own SQLite data file is not captured."""
    import os

    import coverage

    before = observer.statements
    data = coverage.CoverageData(basename=os.path.join(str(tmp_path), ".coverage"))
    data.add_lines({"/x/app.py": [1, 2, 3]})
    data.write()
    assert observer.statements == before
    sqlite3.connect(":memory:").execute("SELECT 1 FROM sqlite_master").fetchall()
    assert observer.statements == before + 1


def test_statistics_per_text_fold_exactly_by_fingerprint(observer: SqlObserver, monkeypatch: pytest.MonkeyPatch) -> None:
    """Statements are kept per distinct text during the run and folded by fingerprint (also when
    the text table is full mid-run): counts, maxima and examples are those of every execution."""
    import backend_gates.runtime.sql as sql_module

    monkeypatch.setattr(sql_module, "MAX_SHAPES", 8)
    for i in range(30):  # 30 texts of one shape (literals differ), 3 savepoints of their own
        observer.record(f"SELECT a FROM t WHERE token = 'sk_live_{i:024d}'", None, 0.001 * (i + 1), "sqlite")
        if i % 10 == 0:
            observer.record(f'SAVEPOINT "s{i}_x1"', None, 0.0, "sqlite")
    observer.record("UPDATE t SET a = 1", None, 0.002, "sqlite")
    stats = observer.stats
    assert sorted(s.count for s in stats.values()) == [1, 30]  # transaction control is not a query
    [select] = [s for s in stats.values() if s.kind == "select"]
    assert select.max_ms == pytest.approx(30.0) and select.total_ms == pytest.approx(sum(range(1, 31)))
    assert "sk_live" not in select.sql  # the example is redacted when it is folded
    assert observer.statements == 31
