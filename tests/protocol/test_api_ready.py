"""The team protocol under `pytest --backend-gates`: contract requests in, `backend.api.ready` out.

fixtures/contract_fastapi: three frontend.api.request events (one met, one missing a requirement,
one not implemented) and an endpoint with a verb in its path (API-REST finding). Exactly the met
one is announced, in the card's shape; API-CONTRACT fails naming the other two.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES, REPORT_SCHEMA, validate

pytest_plugins = ["pytester"]


def _project(pytester: pytest.Pytester) -> Path:
    shutil.copytree(FIXTURES / "contract_fastapi", pytester.path, dirs_exist_ok=True)
    return pytester.path


def _event(root: Path) -> dict[str, Any]:
    event = json.loads((root / ".backend-gates" / "report.json").read_text())
    validate(event, REPORT_SCHEMA)
    return event


def _gate(event: dict[str, Any], gate_id: str) -> dict[str, Any]:
    return next(g for g in event["gates"] if g["id"] == gate_id)


HOOK = """
import json


def pytest_backend_gates_api_ready(event):
    with open("hooked.jsonl", "a") as handle:
        handle.write(json.dumps(event) + "\\n")
"""


def test_only_the_met_request_is_announced_ready(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("fastapi")
    root = _project(pytester)
    (root / "conftest.py").write_text(HOOK)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(root / "summary.md"))
    result = pytester.runpytest_subprocess("--backend-gates", "-p", "no:cacheprovider", "tests")
    result.assert_outcomes(passed=4)
    event = _event(root)

    [ready] = event["api_ready"]
    assert ready["event"] == "backend.api.ready"
    assert ready["endpoint"] == "/api/v1/items" and ready["method"] == "GET"
    assert ready["tests"] == "passed" and ready["test_count"] == 2
    assert ready["documentation"] == "openapi.yaml#/paths/~1api~1v1~1items/get"
    assert ready["requests"] == 2 and ready["avg_ms"] > 0 and ready["p95_ms"] >= ready["avg_ms"]
    assert ready["performance"].endswith("over 2 requests") and "ms avg" in ready["performance"]

    not_ready = {n["endpoint"]: n["reasons"] for n in event["api_not_ready"]}
    assert any("BG100" in r for r in not_ready["/api/v1/getStats"])  # verb in path: API-REST
    assert any("API-CONTRACT BG562" in r for r in not_ready["/api/v1/orders"])

    contract = _gate(event, "API-CONTRACT")
    assert contract["status"] == "failed"
    unmet = {(f["rule"], f["extra"]["endpoint"]) for f in event["findings"] if f["gate"] == "API-CONTRACT"}
    assert unmet == {("BG562", "GET /api/v1/orders"), ("BG560", "GET /api/v1/reports")}
    sorting = next(f for f in event["findings"] if f["rule"] == "BG562")
    assert "'sorting'" in sorting["message"] and sorting["path"] == "contracts/web.json" and sorting["line"] == 3

    lines = (root / ".backend-gates" / "events.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == event["api_ready"]
    hooked = (root / "hooked.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in hooked] == event["api_ready"]  # the pytest hook, once per event
    assert "- `GET /api/v1/items`: " in (root / "summary.md").read_text()  # the CI step summary
    result.stdout.fnmatch_lines(["backend.api.ready: 1 of 3 recorded endpoint(s): GET /api/v1/items*"])


def test_a_failing_test_keeps_its_endpoint_back(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi")
    root = _project(pytester)
    tests = root / "tests" / "test_api.py"
    tests.write_text(tests.read_text() + "\n\ndef test_items_broken() -> None:\n    assert client.get('/api/v1/items').json() == []\n")
    result = pytester.runpytest_subprocess("--backend-gates", "-p", "no:cacheprovider", "tests")
    result.assert_outcomes(passed=4, failed=1)
    event = _event(root)
    assert event["api_ready"] == []
    [reason] = next(n["reasons"] for n in event["api_not_ready"] if n["endpoint"] == "/api/v1/items")
    assert "did not pass" in reason and "test_items_broken" in reason
    assert (root / ".backend-gates" / "events.jsonl").read_text() == ""


def test_untested_request_fails_the_contract_gate(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi")
    root = _project(pytester)
    tests = root / "tests" / "test_api.py"
    tests.write_text(tests.read_text().replace("def test_orders", "def _not_a_test_orders"))
    pytester.runpytest_subprocess("--backend-gates", "-p", "no:cacheprovider", "tests").assert_outcomes(passed=3)
    event = _event(root)
    [untested] = [f for f in event["findings"] if f["rule"] == "BG564"]
    assert untested["extra"]["endpoint"] == "GET /api/v1/orders"
    assert [r["endpoint"] for r in event["api_ready"]] == ["/api/v1/items"]


def test_report_dash_writes_the_event_to_stdout(pytester: pytest.Pytester) -> None:
    pytest.importorskip("fastapi")
    root = _project(pytester)
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-report", "-", "-p", "no:cacheprovider", "-q", "tests")
    assert not (root / "-").exists()
    text = result.stdout.str()
    start = text.index('{\n  "event": "backend.gates.report"')
    event, _end = json.JSONDecoder().raw_decode(text[start:])
    validate(event, REPORT_SCHEMA)
    assert [r["endpoint"] for r in event["api_ready"]] == ["/api/v1/items"]
    result.stdout.fnmatch_lines(["*report: stdout*"])
