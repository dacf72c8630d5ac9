"""`pytest --backend-gates` on a small project, through pytester, as users run it."""

from __future__ import annotations

import json

import pytest

from backend_gates.gates import GATES
from support import REPORT_SCHEMA, validate

pytest_plugins = ["pytester"]

APP = """
def handler():
    try:
        work()
    except:
        log("failed")
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["app"]\n')
    pytester.mkpydir("app")
    (pytester.path / "app" / "views.py").write_text(APP)
    pytester.makepyfile(test_ok="def test_ok():\n    assert True\n")
    return pytester


def test_disabled_plugin_does_nothing(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    assert "= backend-gates =" not in result.stdout.str()
    assert "backend-gates 0.1.0: config" not in result.stdout.str()
    assert not (project.path / ".backend-gates" / "report.json").exists()


def test_report_lists_every_gate_and_validates(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--backend-gates")
    result.assert_outcomes(passed=1)
    assert result.ret == 0  # not enforced: gate failures are reported, the run stays green
    result.stdout.fnmatch_lines(["backend-gates *: config pyproject.toml*", "*= backend-gates =*", "AP-ERROR-HANDLING*FAILED*"])
    event = json.loads((project.path / ".backend-gates" / "report.json").read_text())
    validate(event, REPORT_SCHEMA)
    assert event["event"] == "backend.gates.report"
    assert [g["id"] for g in event["gates"]] == [g.id for g in GATES]
    by_id = {g["id"]: g for g in event["gates"]}
    assert by_id["AP-ERROR-HANDLING"]["status"] == "failed"
    assert by_id["M-LATENCY"]["status"] == "not_evaluated"
    assert by_id["M-LATENCY"]["reason"]


def test_enforce_fails_the_session_on_a_failed_gate(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--backend-gates", "--backend-gates-enforce")
    result.assert_outcomes(passed=1)
    assert result.ret == 1


def test_enforce_from_ini_and_custom_report_path(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nbackend_gates = true\nbackend_gates_enforce = true\nbackend_gates_report = out/gates.json\n")
    result = project.runpytest_subprocess()
    assert result.ret == 1
    assert (project.path / "out" / "gates.json").exists()


def test_clean_project_passes_with_enforce(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["app"]\n')
    pytester.mkpydir("app")
    (pytester.path / "app" / "views.py").write_text("def handler():\n    return 1\n")
    pytester.makepyfile(test_ok="def test_ok():\n    assert True\n")
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-enforce")
    assert result.ret == 0


def test_broken_config_warns_and_keeps_test_outcome(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.backend-gates]\nfail-on = 3\n')
    pytester.makepyfile(test_ok="def test_ok():\n    assert True\n")
    result = pytester.runpytest_subprocess("--backend-gates", "--backend-gates-enforce", "-W", "default")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*backend-gates warning: configuration*fail-on*"])
    event = json.loads((pytester.path / ".backend-gates" / "report.json").read_text())
    validate(event, REPORT_SCHEMA)
    assert {g["status"] for g in event["gates"]} == {"not_evaluated"}


def test_failing_test_keeps_its_exit_code(project: pytest.Pytester) -> None:
    project.makepyfile(test_bad="def test_bad():\n    assert False\n")
    result = project.runpytest_subprocess("--backend-gates", "--backend-gates-enforce")
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == 1


COUNTING_CONFTEST = '''
import pathlib

import backend_gates.pipeline as pipeline

CALLS = []
_score = pipeline.evaluate_gates


def counting(*args, **kwargs):
    CALLS.append(1)
    return _score(*args, **kwargs)


pipeline.evaluate_gates = counting


def pytest_unconfigure(config):
    who = config.workerinput["workerid"] if hasattr(config, "workerinput") else "controller"
    (pathlib.Path(str(config.rootpath)) / f"scored-{who}.txt").write_text(str(len(CALLS)))
'''


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_the_plugin_scores_the_gates_once(project: pytest.Pytester, xdist: bool) -> None:
    """Static and runtime evidence (every observer) meet in one finishing step: one scoring."""
    args = ["--backend-gates"]
    if xdist:
        pytest.importorskip("xdist")
        args += ["-n", "2"]
    project.makeconftest(COUNTING_CONFTEST)
    project.makepyfile(test_more="def test_a():\n    assert 1\n\n\ndef test_b():\n    assert 2\n")
    result = project.runpytest_subprocess(*args)
    result.assert_outcomes(passed=3)
    counts = {p.name: p.read_text() for p in project.path.glob("scored-*.txt")}
    assert counts["scored-controller.txt"] == "1", counts
    assert all(v == "0" for k, v in counts.items() if k != "scored-controller.txt"), counts
    event = json.loads((project.path / ".backend-gates" / "report.json").read_text())
    by_id = {g["id"]: g for g in event["gates"]}
    assert by_id["AP-ERROR-HANDLING"]["status"] == "failed"  # static evidence
    assert by_id["T-KINDS"]["evidence"]["ran"] == ["BG552"]  # runtime evidence, in the same scoring
