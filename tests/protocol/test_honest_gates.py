"""Verdicts that say what ran: DB-MIGRATE without applied migrations, API-DOCS without a readable
spec, T-KINDS without findings at path ".", spec coverage judged against a threshold."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from support import FIXTURES, REPORT_SCHEMA, validate

pytest_plugins = ["pytester"]

APP = '''
from fastapi import FastAPI

app = FastAPI()


@app.get("/users/{user_id}")
def get_user(user_id: int) -> dict[str, int]:
    return {"id": user_id}
'''
TESTS = '''
from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_user():
    assert client.get("/users/1").json() == {"id": 1}
'''
SPEC = """openapi: 3.0.3
info: {title: users, version: "1"}
paths:
  /users/{id}:
    get:
      responses:
        "200": {description: a user}
    delete:
      responses:
        "204": {description: gone}
  /users:
    get:
      responses:
        "200": {description: users}
    post:
      responses:
        "201": {description: created}
"""


def _run(pytester: pytest.Pytester) -> dict[str, Any]:
    pytester.runpytest_subprocess("--backend-gates", "-p", "no:cacheprovider")
    event = json.loads((pytester.path / ".backend-gates" / "report.json").read_text())
    validate(event, REPORT_SCHEMA)
    return event


def _gate(event: dict[str, Any], gate_id: str) -> dict[str, Any]:
    return next(g for g in event["gates"] if g["id"] == gate_id)


def _fastapi(pytester: pytest.Pytester, spec: str | None, toml: str = "") -> None:
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["app"]\n' + toml)
    pytester.mkpydir("app")
    (pytester.path / "app" / "main.py").write_text(APP)
    if spec is not None:
        (pytester.path / "openapi.yaml").write_text(spec)
    pytester.makepyfile(test_api=TESTS)


def test_migrations_present_but_none_applied_is_not_evaluated(pytester: pytest.Pytester) -> None:
    shutil.copytree(FIXTURES / "alembic_clean", pytester.path, dirs_exist_ok=True)
    pytester.makepyfile(test_nothing="def test_nothing():\n    assert True\n")
    migrate = _gate(_run(pytester), "DB-MIGRATE")
    assert migrate["status"] == "not_evaluated"
    assert "4 migration file(s) present but none was applied during the tests" in migrate["reason"]

    with open(pytester.path / "pyproject.toml", "a") as handle:
        handle.write("\n[tool.backend-gates.db]\nrequire-migrations-applied = true\n")
    assert _gate(_run(pytester), "DB-MIGRATE")["status"] == "failed"


def test_unreadable_spec_leaves_api_docs_not_evaluated(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi")
    _fastapi(pytester, 'openapi: 3.0.3\ninfo: {title: x, version: "1"\npaths: [\n')
    docs = _gate(_run(pytester), "API-DOCS")
    assert docs["status"] == "not_evaluated"
    assert "openapi.yaml" in docs["reason"]


def test_missing_test_kinds_named_in_the_gate_not_as_findings(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi")
    _fastapi(pytester, SPEC)
    event = _run(pytester)
    assert [f for f in event["findings"] if f["path"] == "." or f["gate"] == "T-KINDS"] == []
    kinds = _gate(event, "T-KINDS")
    assert kinds["status"] == "warned"
    assert kinds["evidence"]["missing"] == ["unit", "integration", "load", "security"]
    assert kinds["reason"].startswith("missing test kind(s): unit, integration, load, security")


def test_spec_coverage_fails_only_below_the_threshold(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi")
    _fastapi(pytester, SPEC)
    event = _run(pytester)
    untested = [f for f in event["findings"] if f["rule"] == "BG544"]
    assert len(untested) == 3 and {f["severity"] for f in untested} == {"info"}
    [below] = [f for f in event["findings"] if f["rule"] == "BG567"]
    assert "1 of 4 spec operations (25.0%)" in below["message"] and below["severity"] == "warning"
    assert _gate(event, "API-DOCS")["status"] == "failed"

    with open(pytester.path / "pyproject.toml", "a") as handle:
        handle.write("\n[tool.backend-gates.thresholds]\nspec-coverage-percent = 20\n")
    event = _run(pytester)
    assert [f for f in event["findings"] if f["rule"] == "BG567"] == []
    assert _gate(event, "API-DOCS")["status"] == "warned"  # the untested operations, as info
