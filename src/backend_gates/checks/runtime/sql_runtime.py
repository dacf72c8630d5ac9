"""Runtime SQL findings of `pytest --backend-gates` (evaluated in runtime/sql_gates.py).

These document what the SQL observer reports; their examples are tests that would trigger them.
"""

from __future__ import annotations

from ...model import Severity
from ..base import Bad, RuntimeCheck

_LAZY_BAD = '''def test_list_authors(client):
    # GET /authors returns each author's books; the handler reads `author.books`
    # for every author: one SELECT per author (lazy relationship load)
    assert client.get("/authors").status_code == 200
'''
_LAZY_GOOD = '''# the handler loads the relationship up front:
#   session.scalars(select(Author).options(selectinload(Author.books)))
def test_list_authors(client):
    assert client.get("/authors").status_code == 200
'''


class NPlusOneQuery(RuntimeCheck):
    """The same SELECT ran once per row from one call site in one request or test (N+1).

    Why it matters: the query count grows with the data; a list endpoint that is fast on a test
    database with five rows issues thousands of queries in production. Statements are grouped by
    scope (the innermost recorded HTTP request, else the test phase), fingerprint and call site;
    `n` counts executions and `d` distinct parameter sets. The call site is the application's:
    the first frame in project code outside tests and installed libraries (the view, serializer or
    repository); when the statements ran only inside libraries the view called (a serializer
    reading lazy relations after the view returned), the view that served the request. One finding
    per place, whatever the number of tests or requests that hit it (`occurrences`, `tests`).
    High confidence (error) when d >= 3 and an ORM lazy load is on the stack (SQLAlchemy lazy
    loader, Django related descriptors); medium (warning) when d >= `thresholds.n-plus-one` (5)
    from one call site. Info, never the application's N+1: fixture setup/teardown, statements run
    by test code itself, and loops in a test body (the test's line sits in a for/while loop or a
    comprehension of its source: a seeding loop calls the code once per item).
    No duration threshold: test databases are too fast for one. Exempt: executemany/bulk inserts,
    IN-list batch loads (selectinload, prefetch_related), transaction control, and different call
    sites sharing a fingerprint.
    Allow a known case with `@pytest.mark.backend_gates_allow_n_plus_one(reason=...)` or
    `with backend_gates.allow_n_plus_one("reason"):`.
    Known limits: a test loop is recognised from the test function's source (generated tests
    without source are judged like application code). Django reverse relations iterated with
    `.all()` do not show a lazy frame, so they need d >= 5.
    """

    code = "BG500"
    name = "n-plus-one-query"
    gate = "DB-PERF"
    severity = Severity.WARNING
    message = "N+1: {n} executions ({d} distinct parameter sets) of one SELECT from {site} in {scope}; load it in one query (join/selectinload/prefetch)"
    fix = "eager-load the relationship (selectinload/joinedload, select_related/prefetch_related) or fetch all rows with one IN query"
    bad = [Bad(_LAZY_BAD, line=4)]
    good = [_LAZY_GOOD]


class DuplicateQuery(RuntimeCheck):
    """The identical SELECT (same parameters) ran three or more times from one call site in one scope.

    Why it matters: the result was already known; repeating the statement costs round trips and
    usually means a missing cache or a lookup inside a loop with a constant argument (or a lazy
    load of the same related row for every item). Inside an HTTP request it is a warning; in a test
    scope it is info, because a loop in the test body calling the code under test repeats
    statements on purpose. A write in the same scope between the repeats means the data changed:
    not a duplicate.
    Known limits: statements with different literal text but the same meaning are separate
    parameter sets; counted per call site, so the same lookup from different lines is not flagged.
    """

    code = "BG501"
    name = "duplicate-query"
    gate = "DB-PERF"
    severity = Severity.WARNING
    message = "the same SELECT with the same parameters ran {n} times from {site} in {scope}; reuse the first result"
    fix = "keep the first result (a local variable or a request-scoped cache)"
    bad = [Bad("def test_settings(db):\n    for _ in range(3):\n        db.execute('SELECT value FROM settings WHERE key = ?', ('theme',))\n", line=3)]
    good = ["def test_settings(db):\n    theme = db.execute('SELECT value FROM settings WHERE key = ?', ('theme',)).fetchone()\n"]


class SlowQuery(RuntimeCheck):
    """A statement ran slower than `thresholds.slow-query-ms` (50 ms) during the tests.

    Why it matters: test databases are small; a statement already slow there is slower with
    production data. Reported once per fingerprint with the number of slow executions. Only
    queries count (SELECT, INSERT, UPDATE, DELETE): DDL and PRAGMAs of schema set-up are timed in
    `metrics.queries` but never findings. A timing fails only when clearly above the threshold
    (the rule shared by every timed runtime check: at least two executions over it, or one at three
    times it); one execution just over it is noise, reported at info.
    Known limits: timings include driver overhead and a loaded CI machine; raw `sqlite3`
    connections are observed through the driver's trace callback and are not timed (SQLAlchemy,
    Django, psycopg, psycopg2, asyncpg and aiosqlite statements are).
    """

    code = "BG502"
    name = "slow-query"
    gate = "DB-PERF"
    severity = Severity.WARNING
    message = "{count} execution(s) of this statement took over {threshold} ms (max {max_ms} ms) in {test}"
    fix = "add an index for its filter/join columns, reduce the rows it reads, or move the work out of the request"
    bad = [Bad("def test_report(db):\n    db.execute('SELECT * FROM events e JOIN users u ON u.name LIKE e.pattern')\n", line=2)]
    good = ["def test_report(db):\n    db.execute('SELECT id FROM events WHERE user_id = ?', (7,))\n"]


class RequestQueryBudget(RuntimeCheck):
    """An HTTP request ran more statements than `thresholds.request-query-budget` allows.

    Why it matters: a per-request query budget keeps endpoints from growing query counts unnoticed.
    Off by default (budget 0); set the budget to enable it. In a test, assert a budget with
    `with backend_gates.query_budget(max_queries=N):`, which fails the test when exceeded.
    Known limits: counts the statements recorded while the request scope was open in its thread.
    """

    code = "BG503"
    name = "request-query-budget"
    gate = "DB-PERF"
    severity = Severity.WARNING
    message = "{scope} ran {n} statements; the budget is {budget} per request"
    fix = "batch the lookups or eager-load what the endpoint serialises"
    bad = [Bad("def test_dashboard(client):\n    client.get('/dashboard')  # 40 statements, budget 20\n", line=2)]
    good = ["def test_dashboard(client):\n    client.get('/dashboard')  # 6 statements\n"]


class UnusedNPlusOneAllowance(RuntimeCheck):
    """An N+1 allowance (marker or context manager) under which no N+1 or duplicate query ran.

    Why it matters: allowances must not rot; when the code they excused is fixed, remove them so
    they do not hide the next regression.
    Known limits: an allowance is judged per test run; a test skipped in this run reports nothing.
    """

    code = "BG504"
    name = "unused-n-plus-one-allowance"
    gate = "DB-PERF"
    severity = Severity.WARNING
    message = "N+1 allowance ({reason}) matched no N+1 or duplicate query in {test}; remove it"
    fix = "remove the marker or the `allow_n_plus_one` block"
    bad = [Bad("@pytest.mark.backend_gates_allow_n_plus_one(reason='legacy report')\ndef test_fast_now(client):\n    client.get('/report')  # now eager-loads\n", line=1)]
    good = ["def test_fast_now(client):\n    client.get('/report')\n"]


class QueryOverBudget(RuntimeCheck):
    """M-QUERY: a query fingerprint exceeded the time budget (thresholds.slow-query-ms) reliably.

    Why it matters: the metrics gate requires every query under the budget. A single slow
    execution on a test database is noisy, so the gate fails only when the fingerprint was slow at
    least twice or once by a large margin (3x the budget); a lone slow execution within the margin
    is reported at info severity.
    Known limits: p95 is computed from a capped sample (512 durations per fingerprint).
    """

    code = "BG505"
    name = "query-time-budget"
    gate = "M-QUERY"
    severity = Severity.WARNING
    message = "query over the {threshold} ms budget: max {max_ms} ms, p95 {p95_ms} ms, {slow}/{count} executions slow"
    fix = "index the columns it filters on or reduce the rows it reads"
    bad = [Bad("def test_search(db):\n    for _ in range(2):\n        db.execute('SELECT * FROM big WHERE lower(name) LIKE ?', ('%a%',))  # 120 ms each\n", line=3)]
    good = ["def test_search(db):\n    db.execute('SELECT * FROM big WHERE id = ?', (1,))  # 0.1 ms\n"]


class FullTableScan(RuntimeCheck):
    """A SELECT's plan is a full table scan on a table above `thresholds.full-scan-rows` rows.

    Why it matters: full scans grow with the table. With `runtime.explain = true` the plugin runs
    `EXPLAIN QUERY PLAN` (SQLite) or `EXPLAIN (FORMAT JSON)` (PostgreSQL) once per SELECT fingerprint,
    on the test's own connection, inside a savepoint when a transaction is open, so the test's
    transaction is not disturbed.
    Only scans that filter rows count (SQLite: the statement has a WHERE clause; PostgreSQL: the Seq
    Scan node has a Filter): reading a whole table on purpose is not a missing index.
    Known limits: sqlite3, psycopg and psycopg2 connections (directly, through SQLAlchemy or
    Django); other drivers are not explained. Row counts are those of the test database, so set
    `thresholds.full-scan-rows` to what the test data makes meaningful.
    """

    code = "BG506"
    name = "full-table-scan"
    gate = "DB-INDEX"
    severity = Severity.WARNING
    message = "full scan of table {table} ({rows} rows) by this SELECT; index the filtered columns"
    fix = "add an index on the columns in WHERE/JOIN, or limit the query"
    bad = [Bad("def test_by_email(db):\n    db.execute('SELECT id FROM users WHERE email = ?', ('a@b.c',))  # users: 5000 rows, no index\n", line=2)]
    good = ["def test_by_email(db):\n    db.execute('SELECT id FROM users WHERE id = ?', (1,))\n"]


class MigrationsNotApplied(RuntimeCheck):
    """No migration ran during the test run while `db.require-migrations-applied` is on.

    Why it matters: tests that build the schema with `create_all()` or `--nomigrations` never run
    the migrations production will run. Evidence is a write to `alembic_version` (alembic upgrade)
    or `django_migrations` (Django test database created by migrate) seen by the SQL capture.
    Known limits: migrations applied outside the test process (a CI step before pytest) are not
    seen; say so by leaving the setting off.
    """

    code = "BG507"
    name = "migrations-not-applied"
    gate = "DB-MIGRATE"
    severity = Severity.ERROR
    message = "no migration ran during the tests (no alembic upgrade, no Django migrate); build the test schema from the migrations"
    fix = "run `alembic upgrade head` in a session fixture, or drop `--nomigrations`"
    bad = [Bad("@pytest.fixture(scope='session')\ndef db():\n    Base.metadata.create_all(engine)\n", line=3)]
    good = ["@pytest.fixture(scope='session')\ndef db():\n    command.upgrade(alembic_cfg, 'head')\n"]
