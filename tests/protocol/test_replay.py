"""SEC-AUTHN at runtime (opt-in): credentialed requests replayed without their credentials.

A route whose guard is a no-op at runtime is reported; a properly guarded one is not; the tests'
outcomes are identical with and without the replay.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from support import REPORT_SCHEMA, validate

pytest_plugins = ["pytester"]

FASTAPI_APP = '''
from fastapi import Depends, FastAPI, Header, HTTPException

app = FastAPI()
CALLS: list[str] = []


def require_user(authorization: str | None = Header(default=None)) -> str:
    if authorization != "Bearer good":
        raise HTTPException(status_code=401, detail="not authenticated")
    return "ann"


def get_current_user(authorization: str | None = Header(default=None)) -> str | None:
    return authorization  # looks like a guard; lets anonymous requests through


@app.get("/api/me")
def me(user: str = Depends(require_user)) -> dict[str, str]:
    return {"user": user}


@app.get("/api/reports/{report_id}")
def report(report_id: int, user: str | None = Depends(get_current_user)) -> dict[str, int]:
    return {"id": report_id}


@app.post("/api/reports")
def create_report(user: str | None = Depends(get_current_user)) -> dict[str, int]:
    CALLS.append("create")
    return {"id": 3}
'''

FASTAPI_TESTS = '''
import pytest
from fastapi.testclient import TestClient

from app.main import CALLS, app

client = TestClient(app, headers={"Authorization": "Bearer good"})


def test_me():
    assert client.get("/api/me").json() == {"user": "ann"}


def test_report():
    assert client.get("/api/reports/7").json() == {"id": 7}


def test_create_once():
    assert client.post("/api/reports").status_code == 200
    assert CALLS == ["create"]  # the unsafe POST is never replayed


def test_anonymous_rejected():
    assert TestClient(app).get("/api/me").status_code == 401


def test_fails():
    assert client.get("/api/me").status_code == 500


@pytest.mark.xfail(reason="known")
def test_xfail():
    assert client.get("/api/reports/1").json() == {"id": 2}
'''

FLASK_APP = '''
from functools import wraps

from flask import Flask, abort, request

app = Flask(__name__)


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.headers.get("Authorization") != "Bearer good":
            abort(401)
        return view(*args, **kwargs)
    return wrapper


def auth_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        request.environ.get("HTTP_AUTHORIZATION")  # reads it, never checks it
        return view(*args, **kwargs)
    return wrapper


@app.get("/api/profile")
@login_required
def profile():
    return {"user": "ann"}


@app.get("/api/export")
@auth_required
def export():
    return {"rows": 3}
'''

FLASK_TESTS = '''
from app.main import app


def test_profile():
    client = app.test_client()
    assert client.get("/api/profile", headers={"Authorization": "Bearer good"}).json == {"user": "ann"}


def test_export():
    client = app.test_client()
    assert client.get("/api/export", headers={"Authorization": "Bearer good"}).json == {"rows": 3}
'''


def _project(pytester: pytest.Pytester, app: str, tests: str, replay: bool) -> None:
    config = '[tool.backend-gates]\npaths = ["app"]\nignore = ["T-KINDS"]\n'
    if replay:
        config += "\n[tool.backend-gates.runtime]\nreplay-unauthenticated = true\n"
    pytester.makepyprojecttoml(config)
    (pytester.path / "app").mkdir(exist_ok=True)
    (pytester.path / "app" / "__init__.py").write_text("")
    (pytester.path / "app" / "main.py").write_text(app)
    pytester.makepyfile(test_api=tests)


def _run(pytester: pytest.Pytester, *args: str) -> tuple[Any, dict[str, Any], list[str]]:
    result = pytester.runpytest_subprocess("--backend-gates", "-p", "no:cacheprovider", "-rA", *args)
    event = json.loads((pytester.path / ".backend-gates" / "report.json").read_text())
    validate(event, REPORT_SCHEMA)
    outcomes = sorted(line for line in result.outlines if re.match(r"^(PASSED|FAILED|XFAIL|XPASS|ERROR|SKIPPED) ", line))
    return result, event, outcomes


def _replayed(event: dict[str, Any]) -> list[str]:
    return [f["extra"]["endpoint"] for f in event["findings"] if f["rule"] == "BG566"]


def test_noop_guard_reported_real_guard_not_and_outcomes_unchanged(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi")
    _project(pytester, FASTAPI_APP, FASTAPI_TESTS, replay=False)
    plain, plain_event, plain_outcomes = _run(pytester)
    plain.assert_outcomes(passed=4, failed=1, xfailed=1)
    assert _replayed(plain_event) == []

    _project(pytester, FASTAPI_APP, FASTAPI_TESTS, replay=True)
    result, event, outcomes = _run(pytester)
    result.assert_outcomes(passed=4, failed=1, xfailed=1)
    assert outcomes == plain_outcomes and result.ret == plain.ret

    assert _replayed(event) == ["GET /api/reports/{report_id}"]
    [finding] = [f for f in event["findings"] if f["rule"] == "BG566"]
    assert finding["gate"] == "SEC-AUTHN" and finding["severity"] == "error"
    assert finding["path"] == "app/main.py" and finding["extra"]["removed"] == ["authorization"]
    assert "get_current_user" in finding["message"]
    evidence = next(g for g in event["gates"] if g["id"] == "SEC-AUTHN")["evidence"]["unauthenticated_replays"]
    assert evidence["guarded_endpoints_judged"] == 2  # GET /api/me (401) and GET /api/reports/{id} (200); POST not replayed
    # the replay adds no HTTP evidence: the same requests were recorded
    assert {e["path"]: e["requests"] for e in event["endpoints"]} == {e["path"]: e["requests"] for e in plain_event["endpoints"]}


def test_flask_test_client_replay(pytester: pytest.Pytester) -> None:
    pytest.importorskip("flask")
    _project(pytester, FLASK_APP, FLASK_TESTS, replay=True)
    result, event, _outcomes = _run(pytester)
    result.assert_outcomes(passed=2)
    assert _replayed(event) == ["GET /api/export"]


def test_same_findings_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytest.importorskip("fastapi")
    _project(pytester, FASTAPI_APP, FASTAPI_TESTS, replay=True)
    result, event, _outcomes = _run(pytester, "-n", "2")
    result.assert_outcomes(passed=4, failed=1, xfailed=1)
    assert _replayed(event) == ["GET /api/reports/{report_id}"]
