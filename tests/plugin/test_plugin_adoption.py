"""The pytest plugin honours the baseline, `--backend-gates-diff` and writes the HTML report."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from support import run_cli

pytest_plugins = ["pytester"]

OLD = "def old():\n    try:\n        work()\n    except:\n        log('old')\n"
NEW = "\n\ndef new():\n    try:\n        work()\n    except:\n        log('new')\n"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["app"]\nignore = ["T-KINDS"]\n')
    pytester.mkpydir("app")
    (pytester.path / "app" / "views.py").write_text(OLD)
    pytester.makepyfile(test_ok="def test_ok():\n    assert True\n")
    return pytester


def _event(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / ".backend-gates" / "report.json").read_text())


def test_plugin_honours_config_baseline(project: pytest.Pytester) -> None:
    written = run_cli("check", "--no-cache", "--write-baseline", "gates-baseline.json", cwd=project.path)
    assert written.returncode == 0, written.stderr
    project.makepyprojecttoml('[tool.backend-gates]\npaths = ["app"]\nignore = ["T-KINDS"]\nbaseline = "gates-baseline.json"\n')
    result = project.runpytest_subprocess("--backend-gates", "--backend-gates-enforce")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    by_id = {g["id"]: g for g in _event(project)["gates"]}
    assert by_id["AP-ERROR-HANDLING"]["status"] == "passed"
    assert by_id["AP-ERROR-HANDLING"]["suppressed"] == 1
    (project.path / "app" / "views.py").write_text(OLD + NEW)
    result = project.runpytest_subprocess("--backend-gates", "--backend-gates-enforce")
    assert result.ret == 1
    event = _event(project)
    active = [(f["path"], f["line"]) for f in event["findings"] if not f["suppressed"]]
    assert active == [("app/views.py", 11)]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_plugin_diff_option(project: pytest.Pytester) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=project.path, check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "start")
    (project.path / "app" / "views.py").write_text(OLD + NEW)
    result = project.runpytest_subprocess("--backend-gates", "--backend-gates-diff", "HEAD")
    result.assert_outcomes(passed=1)
    event = _event(project)
    assert [(f["path"], f["line"]) for f in event["findings"]] == [("app/views.py", 11)]
    assert event["diff"]["ref"] == "HEAD" and event["diff"]["dropped"] == 1


RUNTIME_CONFTEST = '''
from backend_gates.model import Finding, Location, Severity, fingerprint
from backend_gates.runtime import OBSERVERS

OBSERVERS.append("conftest:FakeQueryObserver")


class FakeQueryObserver:
    """Stands in for a runtime observer: one N+1 finding at a call site in app/views.py."""

    name = "fake"
    gates = ("DB-PERF",)

    def start(self, plugin): pass
    def stop(self): pass
    def worker_data(self): return {}
    def merge(self, data): pass

    def evidence(self, settings):
        from backend_gates.evidence import Evidence
        from backend_gates.model import Judged

        text = (settings.root / "app" / "views.py").read_text().splitlines()
        line = next(i for i, t in enumerate(text, 1) if "lazy_users" in t)
        finding = Finding(
            "BG500", "n-plus-one-query", "DB-PERF", Severity.WARNING, "N+1: 12 executions of one SELECT",
            Location("app/views.py", line, 5), evidence=text[line - 1],
            fingerprint=fingerprint("BG500", "app/views.py", text[line - 1].strip()),
        )
        return Evidence("runtime:fake", findings=(finding,), judged=(Judged("BG500", "DB-PERF"),))
'''

CLEAN_VIEWS = "def listing(orders):\n    return [o.user for o in orders]  # lazy_users\n"


def test_plugin_writes_and_honours_a_baseline_with_runtime_findings(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["app"]\nignore = ["T-KINDS"]\nbaseline = "gates-baseline.json"\n')
    pytester.mkpydir("app")
    (pytester.path / "app" / "views.py").write_text(OLD + "\n\n" + CLEAN_VIEWS)
    pytester.makeconftest(RUNTIME_CONFTEST)
    pytester.makepyfile(test_ok="def test_ok():\n    assert True\n")
    written = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-enforce", "--backend-gates-write-baseline", "gates-baseline.json")
    assert written.ret == 0
    written.stdout.fnmatch_lines(["baseline: wrote 2 finding(s) to gates-baseline.json"])
    entries = json.loads((pytester.path / "gates-baseline.json").read_text())["findings"]
    assert sorted(e["rule"] for e in entries) == ["BG401", "BG500"]
    # lines inserted above both findings: still baselined, the session passes under enforce
    (pytester.path / "app" / "views.py").write_text('"""Views."""\n\nLIMIT = 5\n\n\n' + OLD + "\n\n" + CLEAN_VIEWS)
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-enforce")
    assert result.ret == 0
    event = _event(pytester)
    assert {f["rule"]: f["suppression"]["kind"] for f in event["findings"]} == {"BG401": "baseline", "BG500": "baseline"}
    assert event["baseline"]["unused"] == []
    by_id = {g["id"]: g for g in event["gates"]}
    assert by_id["DB-PERF"]["status"] == "passed" and by_id["DB-PERF"]["suppressed"] == 1
    # the runtime finding's code is gone: its entry is listed as no longer occurring
    (pytester.path / "app" / "views.py").write_text(OLD + "\n\ndef listing(orders):\n    return orders  # lazy_users, prefetched\n")
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-enforce")
    assert result.ret == 1  # the changed line is a new runtime finding
    result.stdout.fnmatch_lines(["baseline: 1 entry no longer occurs; rewrite it to shrink it"])
