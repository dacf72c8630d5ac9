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
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["app"]\n')
    pytester.mkpydir("app")
    (pytester.path / "app" / "views.py").write_text(OLD)
    pytester.makepyfile(test_ok="def test_ok():\n    assert True\n")
    return pytester


def _event(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / ".backend-gates" / "report.json").read_text())


def test_plugin_honours_config_baseline(project: pytest.Pytester) -> None:
    written = run_cli("check", "--no-cache", "--write-baseline", "gates-baseline.json", cwd=project.path)
    assert written.returncode == 0, written.stderr
    project.makepyprojecttoml('[tool.backend-gates]\npaths = ["app"]\nbaseline = "gates-baseline.json"\n')
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
