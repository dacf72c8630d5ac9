"""Runtime SQL capture through `pytest --backend-gates`, with real frameworks and databases.

Each test writes a small project, runs pytest in a subprocess (pytester) and reads the report.
HTTP request scopes come from a tiny ASGI/WSGI middleware calling CONTEXT.push_request /
pop_request (standing in for the HTTP observer, which lives on another branch).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support import REPORT_SCHEMA, validate

pytest_plugins = ["pytester"]

APPS = Path(__file__).parent / "sqlapps"
PYPROJECT = '[tool.backend-gates]\npaths = ["app"]\nignore = ["T-KINDS"]\n'
SLOW_ENV = "BACKEND_GATES_THRESHOLDS_SLOW_QUERY_MS"


@pytest.fixture(autouse=True)
def _timing_is_not_the_subject(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a loaded CI machine any statement can take 50 ms; tests about slow queries set their own."""
    monkeypatch.setenv(SLOW_ENV, "10000")


def _line_of(path: Path, marker: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in {path}")


def _report(pytester: pytest.Pytester) -> dict[str, Any]:
    event = json.loads((pytester.path / ".backend-gates" / "report.json").read_text())
    validate(event, REPORT_SCHEMA)
    return event


def _findings(event: dict[str, Any], code: str, *, suppressed: bool | None = False) -> list[dict[str, Any]]:
    return [f for f in event["findings"] if f["rule"] == code and (suppressed is None or f["suppressed"] is suppressed)]


def _gates(event: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["id"]: g for g in event["gates"]}


def _project(pytester: pytest.Pytester, files: dict[str, str], pyproject: str = PYPROJECT) -> None:
    pytester.makepyprojecttoml(pyproject)
    (pytester.path / "app").mkdir(exist_ok=True)
    (pytester.path / "app" / "__init__.py").write_text("")
    for rel, text in files.items():
        target = pytester.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


# ----------------------------------------------------------------------------- FastAPI + SQLAlchemy

FASTAPI_TESTS = """
import pytest
from fastapi.testclient import TestClient

from app.main import app, seed
from app.scope_middleware import ScopeMiddleware

app.add_middleware(ScopeMiddleware)
seed()
client = TestClient(app)


def test_list_lazy():
    response = client.get("/authors")
    assert response.status_code == 200
    assert len(response.json()) == 6


def test_list_eager():
    response = client.get("/authors-eager")
    assert response.status_code == 200
    assert response.json()[0]["books"] == ["b0-0", "b0-1"]
"""


@pytest.fixture
def fastapi_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytest.importorskip("fastapi")
    pytest.importorskip("sqlalchemy")
    _project(pytester, {
        "app/main.py": (APPS / "fastapi_sqla.py").read_text(),
        "app/scope_middleware.py": (APPS / "scope_middleware.py").read_text(),
        "tests/test_api.py": FASTAPI_TESTS,
    })
    return pytester


def test_fastapi_sqlalchemy_lazy_load_is_n_plus_one_at_that_request(fastapi_project: pytest.Pytester) -> None:
    result = fastapi_project.runpytest_subprocess("--backend-gates", "--backend-gates-no-static")
    result.assert_outcomes(passed=2)
    event = _report(fastapi_project)
    hits = _findings(event, "BG500")
    assert len(hits) == 1, hits
    hit = hits[0]
    line = _line_of(fastapi_project.path / "app" / "main.py", "# N+1 HERE")
    assert (hit["path"], hit["line"]) == ("app/main.py", line)
    assert hit["severity"] == "error"  # lazy loader on the stack: high confidence
    extra = hit["extra"]
    assert extra["n"] == 6 and extra["d"] == 6
    assert extra["confidence"] == "high" and extra["orm_lazy_load"] is True
    assert extra["scope"] == "request GET /authors in tests/test_api.py::test_list_lazy"
    assert extra["call_site"].startswith(f"app/main.py:{line}")
    assert "FROM books" in extra["example"] and extra["fingerprint"]
    # the eager-loading endpoint is not flagged (its IN-list batch load is exempt)
    assert all("authors-eager" not in f["extra"]["scope"] for f in event["findings"] if f["rule"] in ("BG500", "BG501"))
    gates = _gates(event)
    assert gates["DB-PERF"]["status"] == "failed"
    queries = event["metrics"]["queries"]
    books = [q for q in queries.values() if "FROM books" in q["sql"] and "IN (" not in q["sql"]]
    assert books and books[0]["count"] == 6 and books[0]["tests"] == ["tests/test_api.py::test_list_lazy"]
    assert gates["M-QUERY"]["status"] == "passed"


def test_fastapi_eager_loading_alone_passes(fastapi_project: pytest.Pytester) -> None:
    result = fastapi_project.runpytest_subprocess("--backend-gates", "--backend-gates-no-static", "-k", "eager")
    result.assert_outcomes(passed=1, deselected=1)
    event = _report(fastapi_project)
    assert not [f for f in event["findings"] if f["gate"] == "DB-PERF"]
    gates = _gates(event)
    assert gates["DB-PERF"]["status"] == "passed"
    assert gates["DB-PERF"]["evidence"]["runtime_sql"]["statements"] > 0


# ----------------------------------------------------------------------------- Flask + sqlite3

FLASK_TESTS = """
import pytest

from app.main import app, seed
from app.wsgi_scope import ScopeMiddleware

app.wsgi_app = ScopeMiddleware(app.wsgi_app)


@pytest.fixture(scope="module")
def client():
    seed()
    return app.test_client()


def test_list_loop(client):
    assert len(client.get("/authors").get_json()) == 6


def test_list_joined(client):
    assert client.get("/authors-joined").get_json()[0]["books"] == ["b0-0", "b0-1"]
"""


def test_flask_sqlite3_query_in_loop_is_n_plus_one(pytester: pytest.Pytester) -> None:
    pytest.importorskip("flask")
    _project(pytester, {
        "app/main.py": (APPS / "flask_sqlite.py").read_text(),
        "app/wsgi_scope.py": (APPS / "wsgi_scope.py").read_text(),
        "tests/test_api.py": FLASK_TESTS,
    })
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-no-static")
    result.assert_outcomes(passed=2)
    event = _report(pytester)
    hits = _findings(event, "BG500")
    assert len(hits) == 1, hits
    hit = hits[0]
    assert (hit["path"], hit["line"]) == ("app/main.py", _line_of(pytester.path / "app" / "main.py", "# N+1 HERE"))
    assert hit["extra"]["n"] == 6 and hit["extra"]["d"] == 6
    assert hit["extra"]["confidence"] == "medium" and hit["severity"] == "warning"  # no ORM: d >= 5
    assert hit["extra"]["scope"] == "request GET /authors in tests/test_api.py::test_list_loop"
    # the joined version, the executemany seeding and the fixture's DDL are not findings
    assert [f["rule"] for f in event["findings"] if f["gate"] == "DB-PERF"] == ["BG500"]


# ----------------------------------------------------------------------------- Django

DJANGO_TESTS = """
import pytest

from shop.models import Author, Book


@pytest.fixture
def books(db):
    for i in range(5):
        author = Author.objects.create(name=f"a{i}")
        Book.objects.create(title=f"b{i}", author=author)


def test_books(client, books):
    assert len(client.get("/books/").json()) == 5
    assert Author.objects.filter(name="a1").count() == 1  # FULL SCAN


def test_books_fixed(client, books):
    assert client.get("/books-fixed/").json()[0] == {"title": "b0", "author": "a0"}
"""


@pytest.fixture
def django_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytest.importorskip("django")
    pytest.importorskip("pytest_django")
    files = {}
    base = APPS / "django"
    for path in base.rglob("*.py"):
        files[path.relative_to(base).as_posix()] = path.read_text()
    files["tests/test_views.py"] = DJANGO_TESTS
    _project(pytester, files, pyproject=(
        '[tool.backend-gates]\npaths = ["shop"]\nignore = ["T-KINDS"]\n[tool.backend-gates.db]\nrequire-migrations-applied = true\n'
        '[tool.backend-gates.runtime]\nexplain = true\n[tool.backend-gates.thresholds]\nfull-scan-rows = 2\n'
        '[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = "djproj.settings"\npythonpath = ["."]\n'
    ))
    return pytester


def test_django_related_descriptor_is_n_plus_one_and_migrations_are_evidence(django_project: pytest.Pytester) -> None:
    result = django_project.runpytest_subprocess("--backend-gates", "--backend-gates-no-static", "-p", "django")
    result.assert_outcomes(passed=2)
    event = _report(django_project)
    hits = _findings(event, "BG500")
    assert len(hits) == 1, hits
    hit = hits[0]
    assert (hit["path"], hit["line"]) == ("shop/views.py", _line_of(django_project.path / "shop" / "views.py", "# N+1 HERE"))
    assert hit["extra"]["n"] == 5 and hit["extra"]["d"] == 5
    assert hit["extra"]["confidence"] == "high" and hit["extra"]["orm_lazy_load"] is True
    assert hit["extra"]["scope"] == "request GET /books/ in tests/test_views.py::test_books"
    assert not [f for f in event["findings"] if "books-fixed" in json.dumps(f)]
    # every statement through Django's cursors counted once (its own sqlite3 connection is not traced)
    inserts = {q["sql"].split(" (", 1)[0]: q["count"] for q in event["metrics"]["queries"].values() if q["kind"] == "write"}
    assert {k: v for k, v in inserts.items() if "shop_" in k} == {'INSERT INTO "shop_author"': 10, 'INSERT INTO "shop_book"': 10}
    gates = _gates(event)
    # the test database was built by running the migrations: DB-MIGRATE runtime has evidence
    assert gates["DB-MIGRATE"]["status"] == "passed", gates["DB-MIGRATE"]
    assert "django" in gates["DB-MIGRATE"]["evidence"]["runtime_migrations"]
    # EXPLAIN through Django's connection: the unindexed name filter is a full scan; the list
    # without WHERE and the primary-key lookups are not
    scans = _findings(event, "BG506")
    test_file = django_project.path / "tests" / "test_views.py"
    assert [(s["path"], s["line"], s["extra"]["table"]) for s in scans] == [
        ("tests/test_views.py", _line_of(test_file, "# FULL SCAN"), "shop_author")
    ]


def test_django_nomigrations_fails_db_migrate_when_required(django_project: pytest.Pytester) -> None:
    result = django_project.runpytest_subprocess("--backend-gates", "--backend-gates-no-static", "-p", "django", "--nomigrations", "-k", "fixed")
    result.assert_outcomes(passed=1, deselected=1)
    event = _report(django_project)
    assert [f["rule"] for f in event["findings"]] == ["BG507"]
    assert _gates(event)["DB-MIGRATE"]["status"] == "failed"


# ----------------------------------------------------------------------------- PostgreSQL (psycopg 3, psycopg2)

PG_TESTS = """
import os

import psycopg
import psycopg2
import pytest

DSN = os.environ["BG_TEST_DSN"]


@pytest.fixture(scope="module", autouse=True)
def schema():
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS items")
        conn.execute("CREATE TABLE items (id serial PRIMARY KEY, owner int, name text)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO items (owner, name) VALUES (%s, %s)", [(i % 50, f"n{i}") for i in range(3000)])


def test_psycopg_loop():
    with psycopg.connect(DSN) as conn:
        for owner in range(6):
            conn.execute("SELECT name FROM items WHERE owner = %s", (owner,)).fetchall()  # PSYCOPG N+1
        # the test's own transaction is still usable after EXPLAIN ran inside it
        conn.execute("INSERT INTO items (owner, name) VALUES (%s, %s)", (999, "mine"))
        assert conn.execute("SELECT count(*) FROM items WHERE owner = 999").fetchone()[0] == 1
        conn.rollback()


def test_psycopg_async_loop():
    import asyncio

    async def main():
        async with await psycopg.AsyncConnection.connect(DSN) as conn:
            for owner in range(5):
                cur = await conn.execute("SELECT id FROM items WHERE owner = %s ORDER BY id LIMIT 1", (owner,))  # ASYNC PSYCOPG N+1
                await cur.fetchall()

    asyncio.run(main())


def test_psycopg2_loop():
    conn = psycopg2.connect(DSN)
    try:
        cur = conn.cursor()
        for owner in range(5):
            cur.execute("SELECT name FROM items WHERE owner = %s AND id > %s", (owner, 0))  # PSYCOPG2 N+1
            cur.fetchall()
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    finally:
        conn.close()
"""


@pytest.mark.postgres
def test_psycopg_and_psycopg2_against_real_postgres(pytester: pytest.Pytester, fresh_pg_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("psycopg")
    pytest.importorskip("psycopg2")
    _project(pytester, {"tests/test_pg.py": PG_TESTS}, pyproject=(
        PYPROJECT + "[tool.backend-gates.runtime]\nexplain = true\n[tool.backend-gates.thresholds]\nfull-scan-rows = 1000\n"
    ))
    monkeypatch.setenv("BG_TEST_DSN", fresh_pg_database)
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-no-static")
    result.assert_outcomes(passed=3)
    event = _report(pytester)
    test_file = pytester.path / "tests" / "test_pg.py"
    hits = {f["line"]: f for f in _findings(event, "BG500")}
    assert {line: (h["extra"]["n"], h["extra"]["d"]) for line, h in hits.items()} == {
        _line_of(test_file, "# PSYCOPG N+1"): (6, 6),
        _line_of(test_file, "# PSYCOPG2 N+1"): (5, 5),
        _line_of(test_file, "# ASYNC PSYCOPG N+1"): (5, 5),
    }
    assert all(h["extra"]["scope"].endswith("(call)") for h in hits.values())  # no request: the test's call phase
    # EXPLAIN found the sequential scans of the 3000-row table (no index on owner)
    scans = _findings(event, "BG506")
    assert scans and {s["extra"]["table"] for s in scans} == {"items"}
    assert {s["line"] for s in scans} <= set(hits) | {_line_of(test_file, "count(*) FROM items")}
    gates = _gates(event)
    assert gates["DB-INDEX"]["status"] == "failed"
    assert all(q["dialect"] == "postgresql" for q in event["metrics"]["queries"].values())


# ----------------------------------------------------------------------------- allowances, budgets, slow, EXPLAIN

SQLITE_TESTS = """
import sqlite3
import time

import pytest

import sqlalchemy

import backend_gates

conn = sqlite3.connect("big.db")
conn.execute("DROP TABLE IF EXISTS big")
conn.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT)")
conn.executemany("INSERT INTO big (id, name) VALUES (?, ?)", [(i, f"n{i}") for i in range(2000)])
conn.commit()
# raw sqlite3 is seen through its trace callback (not timed): timings come from SQLAlchemy
engine = sqlalchemy.create_engine("sqlite://")
sqlalchemy.event.listen(engine, "connect", lambda dbapi, rec: dbapi.create_function("sleepy", 1, lambda x: time.sleep(0.06) or x))


def loop(count):
    for i in range(count):
        conn.execute("SELECT name FROM big WHERE id = ?", (i,)).fetchall()  # LOOP


@pytest.fixture
def warmed():
    loop(6)


@pytest.mark.backend_gates_allow_n_plus_one(reason="legacy export, ticket 12")
def test_allowed_by_marker():
    loop(6)


def test_allowed_by_context():
    with backend_gates.allow_n_plus_one("paged in the next release"):
        loop(7)


@pytest.mark.backend_gates_allow_n_plus_one(reason="was slow once")
def test_unused_marker():
    conn.execute("SELECT 1")


def test_unused_context():
    with backend_gates.allow_n_plus_one("nothing here"):  # UNUSED CM
        conn.execute("SELECT 2")


def test_budget_exceeded():
    with backend_gates.query_budget(max_queries=2):
        loop(3)


def test_budget_kept():
    with backend_gates.query_budget(max_queries=3) as budget:
        loop(3)
    assert budget.count == 3


def test_duplicate():
    for _ in range(3):
        conn.execute("SELECT name FROM big WHERE id = ?", (1,)).fetchall()  # DUP


def test_fixture_loop(warmed):
    pass


def test_slow():
    with engine.connect() as c:
        for _ in range(2):
            c.exec_driver_sql("SELECT sleepy(1)").fetchall()  # SLOW


def test_full_scan():
    conn.execute("SELECT id FROM big WHERE name = ?", ("n5",)).fetchall()  # SCAN
    conn.execute("SELECT name FROM big WHERE id = ?", (5,)).fetchall()
"""


def test_allowances_budgets_slow_queries_and_full_scans(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SLOW_ENV, "50")
    _project(pytester, {"tests/test_db.py": SQLITE_TESTS}, pyproject=PYPROJECT + "[tool.backend-gates.runtime]\nexplain = true\n")
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-no-static")
    result.assert_outcomes(passed=9, failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: query budget exceeded: 3 queries > max_queries=2*"])
    event = _report(pytester)
    src = pytester.path / "tests" / "test_db.py"
    loop_line = _line_of(src, "# LOOP")

    allowed = _findings(event, "BG500", suppressed=True)
    assert sorted((f["extra"]["test"].split("::")[1], f["suppression"]["reason"]) for f in allowed) == [
        ("test_allowed_by_context", "paged in the next release"),
        ("test_allowed_by_marker", "legacy export, ticket 12"),
    ]
    active = _findings(event, "BG500")
    # only the fixture's loop remains, at info severity (setup phase); budgets of 3 are below d >= 5
    assert [(f["line"], f["severity"], f["extra"]["phase"]) for f in active] == [(loop_line, "info", "setup")]

    unused = _findings(event, "BG504")
    assert sorted((f["path"], f["line"]) for f in unused) == sorted([
        ("tests/test_db.py", _line_of(src, 'reason="was slow once"')),
        ("tests/test_db.py", _line_of(src, "# UNUSED CM")),
    ])

    dup = _findings(event, "BG501")
    assert [(f["line"], f["extra"]["n"], f["extra"]["d"], f["severity"]) for f in dup] == [(_line_of(src, "# DUP"), 3, 1, "info")]

    slow = [f for f in _findings(event, "BG502") if "sleepy" in f["extra"]["example"]]
    assert [(f["line"], f["extra"]["slow"]) for f in slow] == [(_line_of(src, "# SLOW"), 2)]
    budget = [f for f in _findings(event, "BG505") if "sleepy" in f["extra"]["example"]]
    assert [(f["line"], f["severity"]) for f in budget] == [(_line_of(src, "# SLOW"), "warning")]  # slow twice: not noise

    scans = _findings(event, "BG506")
    assert [(f["line"], f["extra"]["table"]) for f in scans] == [(_line_of(src, "# SCAN"), "big")]

    gates = _gates(event)
    assert gates["DB-PERF"]["status"] == "failed"
    assert gates["M-QUERY"]["status"] == "failed"
    assert gates["DB-INDEX"]["status"] == "failed"
    assert gates["DB-PERF"]["suppressed"] == 2


def test_single_slow_execution_is_noise_for_m_query(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SLOW_ENV, "200")  # one 250 ms execution: over the budget, under 3x (600 ms)
    _project(pytester, {"tests/test_db.py": (
        "import time, sqlalchemy\n"
        "engine = sqlalchemy.create_engine('sqlite://')\n"
        "sqlalchemy.event.listen(engine, 'connect', lambda c, r: c.create_function('sleepy', 1, lambda x: time.sleep(0.25) or x))\n"
        "def test_once():\n"
        "    with engine.connect() as c:\n"
        "        c.exec_driver_sql('SELECT sleepy(1)').fetchall()\n"
    )})
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-no-static")
    result.assert_outcomes(passed=1)
    event = _report(pytester)
    assert [f["severity"] for f in _findings(event, "BG505")] == ["info"]
    assert [f["extra"]["slow"] for f in _findings(event, "BG502")] == [1]
    assert _gates(event)["M-QUERY"]["status"] == "warned"


# ----------------------------------------------------------------------------- pytest-xdist

def _essence(event: dict[str, Any]) -> dict[str, Any]:
    """What must not depend on -n: gate results, findings, query counts (timings excluded)."""
    findings = sorted(
        (f["rule"], f["path"], f["line"], f["severity"], f["suppressed"], f["fingerprint"],
         json.dumps({k: v for k, v in (f.get("extra") or {}).items() if k not in ("max_ms", "p95_ms", "total_ms")}, sort_keys=True))
        for f in event["findings"]
    )
    gates = [(g["id"], g["status"], g["findings"], g["suppressed"]) for g in event["gates"]]
    queries = sorted((fp, q["count"], tuple(q["tests"])) for fp, q in event["metrics"]["queries"].items())
    return {"findings": findings, "gates": gates, "queries": queries}


def test_report_is_the_same_with_and_without_xdist(fastapi_project: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    fastapi_project.makepyfile(test_more=SQLITE_TESTS.replace("\"big.db\"", "\":memory:\""))
    serial = fastapi_project.runpytest_subprocess("--backend-gates", "--backend-gates-no-static", "-p", "no:randomly")
    serial.assert_outcomes(passed=11, failed=1)
    first = _essence(_report(fastapi_project))
    parallel = fastapi_project.runpytest_subprocess("--backend-gates", "--backend-gates-no-static", "-n", "2")
    parallel.assert_outcomes(passed=11, failed=1)
    second = _essence(_report(fastapi_project))
    assert first["findings"] and any(f[0] == "BG500" and f[1] == "app/main.py" for f in first["findings"])
    assert first == second


def test_a_dying_worker_does_not_lose_the_others_data(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    body = (
        "import os, sqlite3\n"
        "def _loop(tag):\n"
        "    conn = sqlite3.connect(':memory:')\n"
        "    for i in range(6):\n"
        "        conn.execute('SELECT ? + ?', (tag, i))  # LOOP\n"
    )
    files = {f"tests/test_w{i}.py": body + f"def test_w{i}():\n    _loop({i})\n" for i in range(4)}
    files["tests/test_crash.py"] = "import os\ndef test_crash():\n    os._exit(3)\n"
    _project(pytester, files)
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-no-static", "-n", "2")
    result.assert_outcomes(passed=4, failed=1)
    event = _report(pytester)
    tests = sorted(f["extra"]["test"] for f in _findings(event, "BG500"))
    assert tests == [f"tests/test_w{i}.py::test_w{i}" for i in range(4)]


# ----------------------------------------------------------------------------- SQLAlchemy async

ASYNC_TESTS = """
import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def main():
    engine = create_async_engine("sqlite+aiosqlite://")  # created inside the test, after capture started
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        await conn.execute(text("INSERT INTO t (id, v) VALUES (:id, :v)"), [{"id": i, "v": str(i)} for i in range(10)])
        for i in range(5):
            await conn.execute(text("SELECT v FROM t WHERE id = :id"), {"id": i})  # ASYNC N+1
    await engine.dispose()


def test_async_engine():
    asyncio.run(main())
"""


def test_sqlalchemy_async_engine_is_captured_once(pytester: pytest.Pytester) -> None:
    pytest.importorskip("sqlalchemy")
    pytest.importorskip("aiosqlite")
    _project(pytester, {"tests/test_async.py": ASYNC_TESTS})
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-no-static")
    result.assert_outcomes(passed=1)
    event = _report(pytester)
    hits = _findings(event, "BG500")
    assert [(h["line"], h["extra"]["n"], h["extra"]["d"]) for h in hits] == [
        (_line_of(pytester.path / "tests" / "test_async.py", "# ASYNC N+1"), 5, 5)
    ]
    counts = {q["sql"]: q["count"] for q in event["metrics"]["queries"].values()}
    assert counts["SELECT v FROM t WHERE id = ?"] == 5  # not doubled by the sqlite3 layer under aiosqlite
    assert sum(1 for sql in counts if sql.startswith("INSERT INTO t")) == 1


# ----------------------------------------------------------------------------- alembic, request budget

ALEMBIC_ENV = """
from alembic import context
from sqlalchemy import create_engine

engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
"""

ALEMBIC_VERSION = """
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(20)))


def downgrade():
    op.drop_table("users")
"""

ALEMBIC_TESTS = """
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'app.db'}"
    cfg = Config()
    cfg.set_main_option("script_location", "migrations")
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "head")
    return create_engine(url)


def test_users(engine):
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 0
"""


def test_alembic_upgrade_in_the_tests_is_db_migrate_evidence(pytester: pytest.Pytester) -> None:
    pytest.importorskip("alembic")
    _project(pytester, {
        "migrations/env.py": ALEMBIC_ENV,
        "migrations/versions/0001_users.py": ALEMBIC_VERSION,
        "tests/test_users.py": ALEMBIC_TESTS,
    }, pyproject=PYPROJECT + "[tool.backend-gates.db]\nrequire-migrations-applied = true\n")
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-no-static")
    result.assert_outcomes(passed=1)
    gate = _gates(_report(pytester))["DB-MIGRATE"]
    assert gate["status"] == "passed"
    assert "alembic" in gate["evidence"]["runtime_migrations"]


def test_without_migrations_db_migrate_is_not_evaluated_unless_required(pytester: pytest.Pytester) -> None:
    _project(pytester, {"tests/test_x.py": "import sqlite3\ndef test_x():\n    sqlite3.connect(':memory:').execute('SELECT 1')\n"})
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-no-static")
    result.assert_outcomes(passed=1)
    gate = _gates(_report(pytester))["DB-MIGRATE"]
    assert gate["status"] == "not_evaluated"
    assert "no migration ran during the tests" in gate["reason"]


def test_request_query_budget(pytester: pytest.Pytester) -> None:
    pytest.importorskip("flask")
    _project(pytester, {
        "app/main.py": (APPS / "flask_sqlite.py").read_text(),
        "app/wsgi_scope.py": (APPS / "wsgi_scope.py").read_text(),
        "tests/test_api.py": FLASK_TESTS,
    }, pyproject=PYPROJECT + "[tool.backend-gates.thresholds]\nrequest-query-budget = 4\n")
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-no-static")
    result.assert_outcomes(passed=2)
    hits = _findings(_report(pytester), "BG503")
    # /authors runs 1 + 6 statements; /authors-joined runs 2
    assert [(h["extra"]["scope"], h["extra"]["n"], h["extra"]["budget"]) for h in hits] == [
        ("request GET /authors in tests/test_api.py::test_list_loop", 7, 4)
    ]


def test_configuration_deselects_runtime_rules_and_overrides_severity(pytester: pytest.Pytester) -> None:
    body = (
        "import sqlite3\n"
        "def test_x():\n"
        "    conn = sqlite3.connect(':memory:')\n"
        "    for i in range(6):\n"
        "        conn.execute('SELECT ?', (i,)).fetchall()\n"
        "    for _ in range(3):\n"
        "        conn.execute('SELECT 1').fetchall()\n"
    )
    _project(pytester, {"tests/test_x.py": body}, pyproject='[tool.backend-gates]\npaths = ["app"]\nignore = ["BG500", "T-KINDS"]\n[tool.backend-gates.severity]\nBG501 = "error"\n')
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-no-static")
    result.assert_outcomes(passed=1)
    event = _report(pytester)
    assert [(f["rule"], f["severity"]) for f in event["findings"]] == [("BG501", "error")]
    assert _gates(event)["DB-PERF"]["status"] == "failed"


SYNC_ENDPOINT_TESTS = """
from fastapi.testclient import TestClient

from backend_gates.runtime import CONTEXT
from app.main import app, seed

seed()


class ScopedClient:
    '''Opens the request scope in the test's thread; the app serves it in other threads.'''

    def __init__(self, app):
        self.client = TestClient(app)

    def get(self, path):
        scope = CONTEXT.push_request("GET", path)
        try:
            return self.client.get(path)
        finally:
            CONTEXT.pop_request(scope)


client = ScopedClient(app)


def test_sync_endpoint():
    assert len(client.get("/authors-sync").json()) == 6
"""


def test_fastapi_sync_endpoint_in_a_threadpool_is_attributed_to_its_request(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi")
    _project(pytester, {
        "app/main.py": (APPS / "fastapi_sqla.py").read_text(),
        "tests/test_sync.py": SYNC_ENDPOINT_TESTS,
    })
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-no-static")
    result.assert_outcomes(passed=1)
    [hit] = _findings(_report(pytester), "BG500")
    assert (hit["path"], hit["line"]) == ("app/main.py", _line_of(pytester.path / "app" / "main.py", "# SYNC N+1 HERE"))
    assert hit["extra"]["scope"] == "request GET /authors-sync in tests/test_sync.py::test_sync_endpoint"
    assert (hit["extra"]["n"], hit["extra"]["d"], hit["extra"]["confidence"]) == (6, 6, "high")
