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
PYPROJECT = '[tool.backend-gates]\npaths = ["app"]\n'


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
        '[tool.backend-gates]\npaths = ["shop"]\n[tool.backend-gates.db]\nrequire-migrations-applied = true\n'
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
    gates = _gates(event)
    # the test database was built by running the migrations: DB-MIGRATE runtime has evidence
    assert gates["DB-MIGRATE"]["status"] == "passed", gates["DB-MIGRATE"]
    assert "django" in gates["DB-MIGRATE"]["evidence"]["runtime_migrations"]


def test_django_nomigrations_fails_db_migrate_when_required(django_project: pytest.Pytester) -> None:
    result = django_project.runpytest_subprocess("--backend-gates", "--backend-gates-no-static", "-p", "django", "--nomigrations", "-k", "fixed")
    result.assert_outcomes(passed=1, deselected=1)
    event = _report(django_project)
    assert [f["rule"] for f in event["findings"]] == ["BG507"]
    assert _gates(event)["DB-MIGRATE"]["status"] == "failed"
