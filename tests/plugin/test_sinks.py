"""Report sinks (hook, webhook, CI step summary) and fault isolation, through pytester."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _timing_is_not_the_subject(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a loaded CI machine any statement can take 50 ms: no slow-query findings here."""
    monkeypatch.setenv("BACKEND_GATES_THRESHOLDS_SLOW_QUERY_MS", "10000")

TESTS = """
import sqlite3

def test_loop():
    conn = sqlite3.connect(":memory:")
    for i in range(6):
        conn.execute("SELECT ? * 2", (i,)).fetchall()
"""


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    fail_first = 0

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if type(self).fail_first > 0:
            type(self).fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        type(self).received.append({"content_type": self.headers["Content-Type"], "event": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"received": [], "fail_first": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["tests"]\nignore = ["T-KINDS"]\n')
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_db.py").write_text(TESTS)
    return pytester


def test_webhook_receives_the_event_after_a_retry(project: pytest.Pytester, receiver: tuple[str, Any]) -> None:
    url, handler = receiver
    handler.fail_first = 1  # first attempt gets a 503; the retry succeeds
    result = project.runpytest_subprocess("--backend-gates", "--backend-gates-no-static", f"--backend-gates-webhook={url}")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    assert len(handler.received) == 1
    got = handler.received[0]
    assert got["content_type"] == "application/json"
    assert got["event"]["event"] == "backend.gates.report"
    assert [f["rule"] for f in got["event"]["findings"]] == ["BG500"]
    assert "backend-gates warning" not in result.stdout.str()


def test_unreachable_webhook_is_a_warning_not_a_failure(project: pytest.Pytester, receiver: tuple[str, Any]) -> None:
    url, handler = receiver
    handler.fail_first = 10  # always 503
    project.makepyprojecttoml(f'[tool.backend-gates]\npaths = ["tests"]\nignore = ["T-KINDS"]\n[tool.backend-gates.runtime]\nwebhook = "{url}"\n')
    result = project.runpytest_subprocess("--backend-gates", "--backend-gates-no-static")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*backend-gates warning: webhook http://127.0.0.1:*/hook failed after 3 attempt(s): HTTP 503*"])
    assert handler.received == []


def test_report_hook_and_step_summary(project: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project.makeconftest(
        "import json\n"
        "def pytest_backend_gates_report(report):\n"
        "    with open('hooked.json', 'w') as fh:\n"
        "        json.dump({'gates': {g.id: g.status.value for g in report.gates}, 'findings': [f.code for f in report.findings]}, fh)\n"
    )
    summary = tmp_path / "summary.md"
    summary.write_text("previous step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = project.runpytest_subprocess("--backend-gates", "--backend-gates-no-static")
    result.assert_outcomes(passed=1)
    hooked = json.loads((project.path / "hooked.json").read_text())
    # the N+1 loop is in the test body itself: reported at info (not an application N+1), so
    # DB-PERF warns instead of failing
    assert hooked["findings"] == ["BG500"] and hooked["gates"]["DB-PERF"] == "warned"
    text = summary.read_text()
    assert text.startswith("previous step\n## backend-gates")
    assert "| `DB-PERF` |" in text and "| 1 |" in text
    assert "| BG500 | `tests/test_db.py:7` |" in text


def test_a_failing_report_hook_is_a_warning(project: pytest.Pytester) -> None:
    project.makeconftest("def pytest_backend_gates_report(report):\n    raise RuntimeError('boom')\n")
    result = project.runpytest_subprocess("--backend-gates", "--backend-gates-no-static")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*backend-gates warning: pytest_backend_gates_report hook failed: RuntimeError: boom*"])


def test_capture_error_makes_sql_gates_not_evaluated_and_keeps_outcomes(project: pytest.Pytester) -> None:
    project.makeconftest(
        "from backend_gates.runtime import sql\n"
        "def broken(self, *args, **kwargs):\n"
        "    raise KeyError('injected')\n"
        "sql.SqlObserver._record = broken\n"
    )
    (project.path / "tests" / "test_other.py").write_text("def test_fails():\n    assert False\n")
    result = project.runpytest_subprocess("--backend-gates", "--backend-gates-no-static", "-W", "default")
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == 1  # the failing test's own outcome, nothing more
    event = json.loads((project.path / ".backend-gates" / "report.json").read_text())
    gates = {g["id"]: g for g in event["gates"]}
    for gate_id in ("DB-PERF", "M-QUERY", "DB-INDEX", "DB-MIGRATE"):
        assert gates[gate_id]["status"] == "not_evaluated"
        assert "runtime sql capture error: record: KeyError: 'injected'" in gates[gate_id]["reason"]
    assert "BackendGatesWarning" in result.stdout.str()


def test_warnings_as_errors_never_break_the_session(project: pytest.Pytester) -> None:
    project.makeconftest(
        "from backend_gates.runtime import sql\n"
        "def broken(self, *args, **kwargs):\n"
        "    raise KeyError('injected')\n"
        "sql.SqlObserver._record = broken\n"
    )
    result = project.runpytest_subprocess("--backend-gates", "-W", "error", "--backend-gates-webhook=http://127.0.0.1:9/none")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["*DB-PERF*not evaluated*runtime sql capture error*", "*backend-gates warning: webhook*"])
