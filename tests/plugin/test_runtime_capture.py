"""What `pytest --backend-gates` captures on real suites: only the application's SQL, every
supported driver and test client, and honest notices for what it cannot see.

Each test writes a small project and runs pytest in a subprocess (pytester), then reads the report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support import REPORT_SCHEMA, validate

pytest_plugins = ["pytester"]


def _run(pytester: pytest.Pytester, *args: str) -> tuple[Any, dict[str, Any]]:
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-no-static", "-p", "no:cacheprovider", *args)
    event = json.loads((pytester.path / ".backend-gates" / "report.json").read_text())
    validate(event, REPORT_SCHEMA)
    return result, event


def _gate(event: dict[str, Any], gate_id: str) -> dict[str, Any]:
    return next(g for g in event["gates"] if g["id"] == gate_id)


def _rules(event: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in event["findings"] if f["rule"] == code]


def _line_of(path: Path, marker: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if marker in line)


def _project(pytester: pytest.Pytester, files: dict[str, str], toml: str = "") -> None:
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["app"]\nignore = ["T-KINDS"]\n' + toml)
    (pytester.path / "app").mkdir(exist_ok=True)
    (pytester.path / "app" / "__init__.py").write_text("")
    for rel, text in files.items():
        target = pytester.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


# ----------------------------------------------------------------------------- SQL: whose statements

SQLITE_APP = """
import sqlite3

DB = "app.db"


def setup():
    conn = sqlite3.connect(DB)
    conn.execute("DROP TABLE IF EXISTS items")
    conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, owner INT)")
    conn.executemany("INSERT INTO items (owner) VALUES (?)", [(i % 3,) for i in range(30)])
    conn.commit()
    conn.close()


def owners():
    conn = sqlite3.connect(DB)
    try:
        return [conn.execute("SELECT count(*) FROM items WHERE owner = ?", (o,)).fetchone()[0] for o in range(3)]
    finally:
        conn.close()
"""

SQLITE_TESTS = """
from app.main import owners, setup

setup()


def test_a():
    assert owners() == [10, 10, 10]


def test_b():
    assert sum(owners()) == 30


def test_c():
    assert len(owners()) == 3
"""


def test_coverage_per_test_contexts_are_not_application_sql(pytester: pytest.Pytester) -> None:
    """coverage.py with `dynamic_context = test_function` writes its SQLite data during the tests;
    its connections are recognised by who opens them, so the counts match a run without coverage."""
    pytest.importorskip("pytest_cov")
    _project(pytester, {"app/main.py": SQLITE_APP, "tests/test_items.py": SQLITE_TESTS})
    (pytester.path / ".coveragerc").write_text("[run]\ndynamic_context = test_function\nbranch = true\n")
    result, plain = _run(pytester)
    result.assert_outcomes(passed=3)
    result, covered = _run(pytester, "--cov=app", "--cov-report=")
    result.assert_outcomes(passed=3)
    assert (pytester.path / ".coverage").exists()

    def statements(event: dict[str, Any]) -> int:
        return int(_gate(event, "DB-PERF")["evidence"]["runtime_sql"]["statements"])

    assert statements(plain) == statements(covered) == 9  # 3 tests x 3 owner counts
    assert not any("numbits" in q["sql"] or "line_bits" in q["sql"] for q in covered["metrics"]["queries"].values())
    assert _rules(covered, "BG500") == _rules(plain, "BG500") == []


ASYNCPG_TESTS = """
import asyncio
import os

import asyncpg

DSN = os.environ["BG_TEST_DSN"]


async def seed():
    conn = await asyncpg.connect(DSN)
    await conn.execute("DROP TABLE IF EXISTS articles")
    await conn.execute("CREATE TABLE articles (id serial PRIMARY KEY, author int, title text)")
    await conn.executemany("INSERT INTO articles (author, title) VALUES ($1, $2)", [(i % 8, f"t{i}") for i in range(40)])
    await conn.close()


asyncio.run(seed())


async def titles(conn, author):
    return [r["title"] for r in await conn.fetch("SELECT title FROM articles WHERE author = $1", author)]  # ASYNCPG N+1


def test_list_articles():
    async def main():
        conn = await asyncpg.connect(DSN)
        try:
            out = [await titles(conn, a) for a in range(8)]
            stmt = await conn.prepare("SELECT count(*) FROM articles WHERE author = $1")
            assert await stmt.fetchval(1) == 5
            assert await conn.fetchval("SELECT 1") == 1
            return out
        finally:
            await conn.close()

    assert len(asyncio.run(main())) == 8
"""


@pytest.mark.postgres
def test_asyncpg_statements_are_captured_on_real_postgres(pytester: pytest.Pytester, fresh_pg_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("asyncpg")
    _project(pytester, {"app/repo.py": "", "tests/test_articles.py": ASYNCPG_TESTS})
    monkeypatch.setenv("BG_TEST_DSN", fresh_pg_database)
    result, event = _run(pytester)
    result.assert_outcomes(passed=1)
    [hit] = _rules(event, "BG500")
    assert hit["line"] == _line_of(pytester.path / "tests" / "test_articles.py", "# ASYNCPG N+1")
    assert (hit["extra"]["n"], hit["extra"]["d"]) == (8, 8)
    sqls = {q["sql"]: q for q in event["metrics"]["queries"].values()}
    assert any("count(*) FROM articles" in s for s in sqls)  # the prepared statement
    assert all(q["dialect"] == "postgresql" for q in sqls.values())
    assert _gate(event, "DB-PERF")["evidence"]["runtime_sql"]["statements"] == 10  # 8 + prepared + SELECT 1


# ----------------------------------------------------------------------------- HTTP clients

FLASK_APP = """
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/users/<int:user_id>")
def get_user(user_id):
    if user_id == 500:
        return jsonify(error="boom"), 500
    return jsonify(id=user_id, name="Ann")
"""


def test_webtest_requests_are_recorded_with_route_templates(pytester: pytest.Pytester) -> None:
    pytest.importorskip("webtest")
    pytest.importorskip("flask")
    _project(pytester, {"app/main.py": FLASK_APP, "tests/test_users.py": """
import pytest
from webtest import AppError, TestApp

from app.main import app

client = TestApp(app)


def test_ok():
    assert client.get("/users/1").json["name"] == "Ann"


def test_expected_error():
    assert client.get("/users/500", expect_errors=True).status_int == 500


def test_unexpected_status_raises():
    with pytest.raises(AppError):
        client.get("/users/500")
"""})
    result, event = _run(pytester)
    result.assert_outcomes(passed=3)
    [endpoint] = [e for e in event["endpoints"] if e["path"] == "/users/{user_id}"]
    assert endpoint["requests"] == 3 and endpoint["statuses"] == {"200": 1, "500": 2}
    assert _gate(event, "M-ERRORS")["status"] != "not_evaluated"


def test_starlette_testclient_over_httpx2_is_recorded(pytester: pytest.Pytester) -> None:
    pytest.importorskip("httpx2")
    pytest.importorskip("fastapi")
    _project(pytester, {"app/main.py": """
from fastapi import FastAPI

app = FastAPI()


@app.get("/items/{item_id}")
def item(item_id: int):
    return {"id": item_id}
""", "tests/test_items.py": """
import httpx2
from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_uses_httpx2():
    assert isinstance(client, httpx2.Client)
    assert client.get("/items/3").json() == {"id": 3}
"""})
    result, event = _run(pytester)
    result.assert_outcomes(passed=1)
    [endpoint] = [e for e in event["endpoints"] if e["path"] == "/items/{item_id}"]
    assert endpoint["requests"] == 1


def test_aiohttp_test_client_is_recorded(pytester: pytest.Pytester) -> None:
    pytest.importorskip("aiohttp")
    _project(pytester, {"app/main.py": """
from aiohttp import web


async def hello(request):
    return web.json_response({"id": int(request.match_info["id"])})


def make_app():
    app = web.Application()
    app.router.add_get("/things/{id}", hello)
    return app
""", "tests/test_things.py": """
import asyncio

from aiohttp.test_utils import TestClient, TestServer

from app.main import make_app


def test_get():
    async def main():
        async with TestClient(TestServer(make_app())) as client:
            response = await client.get("/things/4")
            return response.status, await response.json()

    assert asyncio.run(main()) == (200, {"id": 4})
"""})
    result, event = _run(pytester)
    result.assert_outcomes(passed=1)
    assert [(e["method"], e["path"], e["requests"]) for e in event["endpoints"]] == [("GET", "/things/4", 1)]


def test_django_unresolvable_urls_are_recorded_briefly(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_django")
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["proj"]\nignore = ["T-KINDS"]\n')
    pytester.mkpydir("proj")
    (pytester.path / "proj" / "settings.py").write_text(
        'SECRET_KEY = "test-only-not-secret-000000000000000000000000"\nROOT_URLCONF = "proj.urls"\nALLOWED_HOSTS = ["*"]\n'
        'INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]\nDEBUG = False\n'
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}\nUSE_TZ = True\n'
    )
    patterns = "".join(f"    path('api/section{i}/<int:pk>/', view),\n" for i in range(200))  # a big URLconf
    (pytester.path / "proj" / "urls.py").write_text(
        "from django.http import JsonResponse\nfrom django.urls import path\n\n"
        "def view(request, pk):\n    return JsonResponse({'id': pk})\n\n"
        f"urlpatterns = [\n{patterns}]\n"
    )
    pytester.makeini("[pytest]\nDJANGO_SETTINGS_MODULE = proj.settings\nfilterwarnings = error\n")
    pytester.makepyfile(test_urls="""
def test_known(client):
    assert client.get("/api/section3/7/").json() == {"id": 7}


def test_unknown(client):
    assert client.get("/no/such/page/").status_code == 404
    assert client.get("/another/missing/").status_code == 404
""")
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-no-static", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    text = (pytester.path / ".backend-gates" / "report.json").read_text()
    event = json.loads(text)
    endpoints = {(e["method"], e["path"]): e["requests"] for e in event["endpoints"]}
    assert endpoints == {("GET", "/api/section3/<int:pk>/"): 1, ("GET", "(no matching route)"): 2} or endpoints == {
        ("GET", "/api/section3/{pk}/"): 1, ("GET", "(no matching route)"): 2}
    assert "section199" not in text and "Resolver404" not in text  # no URLconf dump anywhere
    assert not [e for e in event["errors"] if "http" in e["message"]]
    assert _gate(event, "API-STATUS")["status"] != "not_evaluated"


def test_filterwarnings_error_never_turns_capture_problems_into_errors(pytester: pytest.Pytester) -> None:
    pytest.importorskip("flask")
    _project(pytester, {"app/main.py": FLASK_APP, "tests/test_users.py": """
from backend_gates.runtime import http

from app.main import app


def test_ok(monkeypatch):
    monkeypatch.setattr(http, "sensitive_fields", lambda body: 1 / 0)  # a recorder bug
    assert app.test_client().get("/users/1").status_code == 200
    assert app.test_client().get("/users/2").status_code == 200
"""}, toml="")
    (pytester.path / "pytest.ini").write_text("[pytest]\nfilterwarnings =\n    error\n")
    result, event = _run(pytester, "-W", "error")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    messages = [e["message"] for e in event["errors"]]
    assert messages == ["runtime http capture: ZeroDivisionError: division by zero"]  # once, short
    assert _gate(event, "M-ERRORS")["status"] == "passed"  # the gates still judged what was recorded


def test_drivers_and_clients_that_are_not_captured_are_named(pytester: pytest.Pytester) -> None:
    """An imported driver the capture cannot see: a one-line notice, and no `passed` on no evidence."""
    _project(pytester, {"app/main.py": "", "tests/conftest.py": """
import sys
import types

# stand-ins for drivers/clients the capture does not hook (only their presence matters here)
sys.modules.setdefault("pymysql", types.ModuleType("pymysql"))
sys.modules.setdefault("falcon.testing", types.ModuleType("falcon.testing"))
""", "tests/test_x.py": "def test_x():\n    pass\n"})
    result, event = _run(pytester)
    result.assert_outcomes(passed=1)
    messages = [e["message"] for e in event["errors"]]
    assert "runtime sql: PyMySQL is in use and not captured; its statements are not judged" in messages
    assert "runtime http: Falcon's test client is in use and not captured; its requests are not judged" in messages
    perf = _gate(event, "DB-PERF")
    assert perf["status"] == "not_evaluated" and "PyMySQL" in perf["reason"]
    assert "Falcon" in _gate(event, "M-ERRORS")["reason"]
