"""`pytest --backend-gates` records HTTP through real test clients and judges it against the spec.

Each capture path runs a real framework in a pytester subprocess: FastAPI TestClient, httpx with
an ASGI transport (async), Flask's test client, Django's test client (pytest-django), and requests
against a live server on 127.0.0.1.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from support import REPORT_SCHEMA, validate

pytest_plugins = ["pytester"]

USERS_SPEC = """
openapi: 3.0.3
info: {title: users, version: "1"}
paths:
  /users/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        "200":
          description: a user
          content:
            application/json:
              schema: {$ref: "#/components/schemas/User"}
  /users:
    post:
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {$ref: "#/components/schemas/User"}
components:
  schemas:
    User:
      type: object
      required: [id, name]
      properties:
        id: {type: integer}
        name: {type: string}
        nickname: {type: string, nullable: true}
"""

FASTAPI_APP = """
from fastapi import FastAPI
from fastapi.responses import JSONResponse

app = FastAPI()

@app.get("/users/{user_id}")
def get_user(user_id: int):
    if user_id == 404:
        return JSONResponse({"detail": "not found"}, status_code=404)
    if user_id == 7:
        return {"id": "seven", "name": "Wrong"}
    return {"id": user_id, "name": "Ann", "nickname": None}
"""


def run(pytester: pytest.Pytester, *args: str) -> tuple[Any, dict[str, Any]]:
    result = pytester.runpytest_subprocess("--backend-gates", "-p", "no:cacheprovider", *args)
    event = json.loads((pytester.path / ".backend-gates" / "report.json").read_text())
    validate(event, REPORT_SCHEMA)
    return result, event


def rules(event: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in event["findings"] if f["rule"] == code]


def gate(event: dict[str, Any], gate_id: str) -> dict[str, Any]:
    return next(g for g in event["gates"] if g["id"] == gate_id)


def project(pytester: pytest.Pytester, app: str, tests: str, spec: str = USERS_SPEC, toml: str = "") -> None:
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["app"]\n' + toml)
    pytester.mkpydir("app")
    (pytester.path / "app" / "main.py").write_text(app)
    if spec:
        (pytester.path / "openapi.yaml").write_text(spec)
    pytester.makepyfile(test_api=tests)


def test_fastapi_testclient_violations_reported_with_operation_and_schema_path(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi")
    project(pytester, FASTAPI_APP, """
from fastapi.testclient import TestClient
from app.main import app

client = TestClient(app)

def test_conforming():
    assert client.get("/users/1").json()["name"] == "Ann"

def test_wrong_type():
    assert client.get("/users/7").status_code == 200

def test_not_found():
    assert client.get("/users/404").status_code == 404
""")
    result, event = run(pytester)
    result.assert_outcomes(passed=3)
    undocumented = rules(event, "BG540")
    assert len(undocumented) == 1
    assert undocumented[0]["extra"]["operation"] == "GET /users/{id}"
    assert undocumented[0]["extra"]["status"] == 404
    assert undocumented[0]["path"] == "openapi.yaml" and undocumented[0]["line"] == 5
    mismatch = rules(event, "BG541")
    assert len(mismatch) == 1, mismatch
    assert mismatch[0]["extra"]["schema_path"] == "#/components/schemas/User/properties/id/type"
    assert mismatch[0]["extra"]["instance_path"] == "/id"
    assert mismatch[0]["extra"]["count"] == 1
    assert "test_wrong_type" in mismatch[0]["message"]
    # the conforming response produced nothing; the untested operation is listed
    assert [f["extra"]["operation"] for f in rules(event, "BG544")] == ["POST /users"]
    assert event["metrics"]["spec_coverage"] == {
        "operations": 2, "exercised": 1, "percent": 50.0, "untested": ["POST /users"], "specs": ["openapi.yaml"],
    }
    endpoint = next(e for e in event["endpoints"] if e["path"] == "/users/{id}")
    assert endpoint["requests"] == 3 and endpoint["documented"] and not endpoint["conformant"] and not endpoint["ready"]
    assert gate(event, "API-STATUS")["status"] == "failed"
    assert gate(event, "API-DOCS")["status"] == "failed"
    assert event["metrics"]["test_kinds"]["contract"] == 2  # the 404 had no documented response to validate


def test_conforming_suite_is_clean_and_endpoints_ready(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi")
    spec = USERS_SPEC.split("  /users:\n")[0] + USERS_SPEC[USERS_SPEC.index("components:"):]
    project(pytester, FASTAPI_APP, """
import pytest
from fastapi.testclient import TestClient
from app.main import app

client = TestClient(app)

@pytest.mark.parametrize("uid", [i for i in range(1, 30) if i != 7][:25])
def test_user(uid):
    assert client.get(f"/users/{uid}").status_code == 200
""", spec=spec)
    result, event = run(pytester)
    result.assert_outcomes(passed=25)
    assert [f for f in event["findings"] if f["rule"].startswith("BG54")] == []
    latency = event["metrics"]["latency"]["GET /users/{id}"]
    assert latency["samples"] == 25 and latency["status"] == "passed"
    assert gate(event, "M-LATENCY")["status"] == "passed"
    assert gate(event, "API-STATUS")["status"] == "passed"
    assert gate(event, "API-DOCS")["status"] == "passed"
    assert gate(event, "M-ERRORS")["status"] == "passed"
    assert event["metrics"]["errors"] == {"responses": 25, "server_errors": 0, "rate_percent": 0.0, "excluded": 0}
    assert event["metrics"]["spec_coverage"]["percent"] == 100.0
    # runtime-clean, but a static API finding (no rate limiter: API-RATE) keeps it back (docs/protocol.md)
    assert event["api_ready"] == []
    [not_ready] = event["api_not_ready"]
    assert not_ready["endpoint"] == "/users/{id}" and any(r.startswith("API-RATE") for r in not_ready["reasons"])


def test_httpx_async_asgi_transport_recorded(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi")
    project(pytester, FASTAPI_APP, """
import asyncio
import httpx
from app.main import app

async def fetch(path):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path)

def test_async_client():
    assert asyncio.run(fetch("/users/7")).status_code == 200
""")
    result, event = run(pytester)
    result.assert_outcomes(passed=1)
    [mismatch] = rules(event, "BG541")
    assert mismatch["extra"]["operation"] == "GET /users/{id}"
    assert event["metrics"]["test_kinds"]["api"] == 1


FLASK_APP = """
from flask import Flask, jsonify

app = Flask(__name__)

@app.get("/users/<int:user_id>")
def get_user(user_id):
    if user_id == 500:
        return jsonify(error="boom"), 500
    if user_id == 7:
        return jsonify(id="seven", name="Wrong")
    return jsonify(id=user_id, name="Ann", password_hash="pbkdf2$abc")

@app.post("/users")
def create():
    return jsonify(error="name is required"), 200
"""


def test_flask_client_recorded_with_route_template(pytester: pytest.Pytester) -> None:
    pytest.importorskip("flask")
    project(pytester, FLASK_APP, """
import pytest
from app.main import app

@pytest.fixture
def client():
    return app.test_client()

def test_ok(client):
    assert client.get("/users/1").status_code == 200

def test_wrong(client):
    assert client.get("/users/7").status_code == 200

def test_create(client):
    assert client.post("/users", json={}).status_code == 200
""")
    result, event = run(pytester)
    result.assert_outcomes(passed=3)
    assert [f["extra"]["schema_path"] for f in rules(event, "BG541")] == ["#/components/schemas/User/properties/id/type"]
    [sensitive] = rules(event, "BG547")
    assert sensitive["extra"]["field"] == "password_hash" and "pbkdf2" not in json.dumps(event)
    assert gate(event, "SEC-CRYPTO")["status"] == "failed"
    # POST /users: 200 undocumented (201 only) and a 2xx error body
    assert rules(event, "BG540")[0]["extra"] == {"operation": "POST /users", "status": 200, "spec": "openapi.yaml", "count": 1, "test": "test_api.py::test_create"}
    [error_body] = rules(event, "BG545")
    assert error_body["extra"]["endpoint"] == "POST /users"
    lines = (pytester.path / "test_api.py").read_text().splitlines()
    assert error_body["path"] == "test_api.py" and lines[error_body["line"] - 1] == "def test_create(client):"


def test_requests_against_live_server_on_localhost(pytester: pytest.Pytester) -> None:
    pytest.importorskip("flask")
    pytest.importorskip("requests")
    project(pytester, FLASK_APP, """
import threading
import pytest
import requests
from werkzeug.serving import make_server
from app.main import app

@pytest.fixture(scope="module")
def live():
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()

def test_live_ok(live):
    assert requests.get(live + "/users/1", timeout=10).status_code == 200

def test_live_wrong(live):
    assert requests.get(live + "/users/7", timeout=10).json()["id"] == "seven"
""")
    result, event = run(pytester)
    result.assert_outcomes(passed=2)
    [mismatch] = rules(event, "BG541")
    assert mismatch["extra"]["operation"] == "GET /users/{id}" and "test_live_wrong" in mismatch["message"]
    endpoint = next(e for e in event["endpoints"] if e["path"] == "/users/{id}")
    assert endpoint["requests"] == 2


def test_django_client_recorded(pytester: pytest.Pytester) -> None:
    pytest.importorskip("django")
    pytest.importorskip("pytest_django")
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["proj"]\n')
    pytester.mkpydir("proj")
    (pytester.path / "proj" / "settings.py").write_text(
        'SECRET_KEY = "test-only-not-secret-000000000000000000000000"\nROOT_URLCONF = "proj.urls"\nALLOWED_HOSTS = ["*"]\n'
        'INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]\n'
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}\nUSE_TZ = True\n'
    )
    (pytester.path / "proj" / "urls.py").write_text(
        "from django.http import JsonResponse\nfrom django.urls import path\n\n"
        "def user(request, pk):\n    if pk == 7:\n        return JsonResponse({'id': 'seven', 'name': 'x'})\n"
        "    return JsonResponse({'id': pk, 'name': 'Ann'})\n\n"
        "urlpatterns = [path('api/users/<int:pk>', user)]\n"
    )
    pytester.makeini("[pytest]\nDJANGO_SETTINGS_MODULE = proj.settings\n")
    spec = USERS_SPEC.replace("info: {title: users, version: \"1\"}", "info: {title: users, version: \"1\"}\nservers: [{url: /api}]")
    (pytester.path / "openapi.yaml").write_text(spec)
    pytester.makepyfile(test_api="""
def test_ok(client):
    assert client.get("/api/users/1").status_code == 200

def test_wrong(client):
    assert client.get("/api/users/7").status_code == 200
""")
    result, event = run(pytester)
    result.assert_outcomes(passed=2)
    [mismatch] = rules(event, "BG541")
    assert mismatch["extra"]["operation"] == "GET /users/{id}"
    assert event["metrics"]["spec_coverage"]["exercised"] == 1


def test_unsafe_get_from_sql_counts_in_the_app_thread(pytester: pytest.Pytester) -> None:
    """The SQL observer's contract: writes counted on CONTEXT.request while the app runs.

    Starlette's TestClient runs the app in a portal thread: the request scope must be visible there.
    """
    pytest.importorskip("fastapi")
    app = """
from fastapi import FastAPI
from backend_gates.runtime import CONTEXT

app = FastAPI()

def fake_sql(write):
    scope = CONTEXT.request
    if scope is not None:
        scope.data["sql_count"] = scope.data.get("sql_count", 0) + 1
        if write:
            scope.data["sql_writes"] = scope.data.get("sql_writes", 0) + 1

@app.get("/users/{user_id}")
def get_user(user_id: int):
    fake_sql(write=user_id == 2)
    return {"id": user_id, "name": "Ann"}
"""
    project(pytester, app, """
from fastapi.testclient import TestClient
from app.main import app

client = TestClient(app)

def test_read():
    client.get("/users/1")

def test_touch():
    client.get("/users/2")
""")
    result, event = run(pytester)
    result.assert_outcomes(passed=2)
    [unsafe] = rules(event, "BG546")
    assert unsafe["extra"]["endpoint"] == "GET /users/{id}" and "test_touch" in unsafe["message"]
    assert gate(event, "API-REST")["status"] == "failed"


def test_error_rate_excludes_expected_errors(pytester: pytest.Pytester) -> None:
    pytest.importorskip("flask")
    project(pytester, FLASK_APP, """
import pytest
from app.main import app

client = app.test_client()

@pytest.mark.backend_gates_expect_errors
def test_marked():
    assert client.get("/users/500").status_code == 500

@pytest.mark.xfail(reason="known")
def test_xfail():
    assert client.get("/users/500").status_code == 200

def test_imperative_xfail():
    client.get("/users/500")
    pytest.xfail("known bug")

def test_inside_raises():
    with pytest.raises(AssertionError):
        assert client.get("/users/500").status_code == 200

def test_ok():
    for i in range(3):
        assert client.get(f"/users/{i}").status_code == 200
""", spec="")
    result, event = run(pytester)
    result.assert_outcomes(passed=3, xfailed=2)
    assert event["metrics"]["errors"] == {"responses": 3, "server_errors": 0, "rate_percent": 0.0, "excluded": 4}
    assert gate(event, "M-ERRORS")["status"] == "passed"
    assert gate(event, "API-DOCS")["status"] == "not_evaluated"
    assert "no OpenAPI spec" in gate(event, "API-DOCS")["reason"]


def test_unexpected_5xx_fails_m_errors_and_latency_budget(pytester: pytest.Pytester) -> None:
    pytest.importorskip("flask")
    project(pytester, FLASK_APP, """
from app.main import app

client = app.test_client()

def test_crash():
    assert client.get("/users/500").status_code == 500

def test_many():
    for i in range(4):
        client.get(f"/users/{i}")
""", spec="", toml="[tool.backend-gates.thresholds]\nlatency-min-samples = 4\nlatency-p95-ms = 0.0001\n")
    result, event = run(pytester, "--backend-gates-enforce")
    result.assert_outcomes(passed=2)
    assert result.ret == 1
    assert event["metrics"]["errors"]["server_errors"] == 1 and event["metrics"]["errors"]["rate_percent"] == 20.0
    [rate] = rules(event, "BG549")
    assert "test_crash" in rate["message"]
    assert gate(event, "M-ERRORS")["status"] == "failed"
    [slow] = rules(event, "BG548")
    assert slow["extra"]["endpoint"] == "GET /users/{user_id}" and slow["extra"]["samples"] == 5
    assert event["metrics"]["latency"]["GET /users/{user_id}"]["status"] == "failed"


def test_insufficient_samples_is_not_a_failure(pytester: pytest.Pytester) -> None:
    pytest.importorskip("flask")
    project(pytester, FLASK_APP, "from app.main import app\n\ndef test_one():\n    app.test_client().get('/users/1')\n", spec="",
            toml="[tool.backend-gates.thresholds]\nlatency-p95-ms = 0.0001\n")
    result, event = run(pytester)
    result.assert_outcomes(passed=1)
    assert event["metrics"]["latency"]["GET /users/{user_id}"]["status"] == "insufficient"
    assert gate(event, "M-LATENCY")["status"] == "not_evaluated"
    assert "insufficient samples" in gate(event, "M-LATENCY")["reason"]
    assert rules(event, "BG548") == []


def test_broken_spec_makes_api_docs_not_evaluated_and_keeps_outcomes(pytester: pytest.Pytester) -> None:
    pytest.importorskip("flask")
    project(pytester, FLASK_APP, "from app.main import app\n\ndef test_one():\n    assert app.test_client().get('/users/1').status_code == 200\n",
            spec="openapi: [broken\n")
    result, event = run(pytester, "--backend-gates-enforce")
    result.assert_outcomes(passed=1)
    docs = gate(event, "API-DOCS")
    assert docs["status"] == "not_evaluated" and "openapi.yaml" in docs["reason"]


def test_capture_failure_never_changes_a_test_outcome(pytester: pytest.Pytester) -> None:
    pytest.importorskip("flask")
    project(pytester, FLASK_APP, """
from backend_gates.runtime import http
from app.main import app

def test_broken_recorder(monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("recorder exploded")
    monkeypatch.setattr(http.HttpObserver, "record", boom)
    assert app.test_client().get("/users/1").status_code == 200
""", spec="")
    result, event = run(pytester, "-W", "default")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    assert "recorder exploded" in json.dumps(gate(event, "M-ERRORS")["evidence"])


def test_same_gates_with_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytest.importorskip("fastapi")
    project(pytester, FASTAPI_APP, """
import pytest
from fastapi.testclient import TestClient
from app.main import app

client = TestClient(app)

@pytest.mark.parametrize("uid", [1, 2, 3, 7, 404, 5, 6, 8])
def test_user(uid):
    client.get(f"/users/{uid}")

def test_plain():
    assert 1 + 1 == 2
""")
    _, serial = run(pytester)
    result, parallel = run(pytester, "-n", "2")
    result.assert_outcomes(passed=9)

    def shape(event: dict[str, Any]) -> Any:
        return (
            [(g["id"], g["status"], g["findings"]) for g in event["gates"]],
            sorted((f["rule"], f["path"], f["line"], f["message"], f["fingerprint"]) for f in event["findings"]),
            event["metrics"]["spec_coverage"],
            event["metrics"]["errors"],
            event["metrics"]["test_kinds"],
            [{k: v for k, v in e.items() if k not in ("p95_ms", "avg_ms")} for e in event["endpoints"]],
        )

    assert shape(serial) == shape(parallel)


def test_content_type_required_headers_and_declared_error_fields(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi")
    app = """
from fastapi import FastAPI, Response

app = FastAPI()

@app.get("/raw")
def raw():
    return Response(content=b'{"id": 1}', media_type=None)

@app.post("/things", status_code=201)
def create():
    return {"id": 1}

@app.get("/jobs/{job_id}")
def job(job_id: int):
    return {"id": job_id, "error": "timeout while running"}
"""
    spec = """
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /raw:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object}
  /things:
    post:
      responses:
        "201":
          description: created
          headers:
            Location: {required: true, schema: {type: string}}
          content:
            application/json:
              schema: {type: object}
  /jobs/{id}:
    get:
      responses:
        "200":
          description: a job, possibly failed
          content:
            application/json:
              schema:
                type: object
                properties:
                  id: {type: integer}
                  error: {type: string, nullable: true}
"""
    project(pytester, app, """
from fastapi.testclient import TestClient
from app.main import app

client = TestClient(app)

def test_raw():
    assert client.get("/raw").status_code == 200

def test_create():
    assert client.post("/things").status_code == 201

def test_job():
    assert client.get("/jobs/3").json()["error"]
""", spec=spec)
    result, event = run(pytester)
    result.assert_outcomes(passed=3)
    [ctype] = rules(event, "BG542")
    assert ctype["extra"]["operation"] == "GET /raw" and "without a Content-Type" in ctype["message"]
    [header] = rules(event, "BG543")
    assert header["extra"]["operation"] == "POST /things" and header["extra"]["header"] == "Location"
    assert rules(event, "BG545") == []  # the documented schema declares `error`: it is data here
    assert rules(event, "BG541") == []
