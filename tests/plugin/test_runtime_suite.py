"""`pytest --backend-gates`: T-KINDS (test kinds) and M-COVERAGE (pytest-cov data or our own)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from support import REPORT_SCHEMA, validate

pytest_plugins = ["pytester"]

LIB = """
def add(a, b):
    return a + b


def unused(x):
    if x:
        return 1
    return 2
"""


def run(pytester: pytest.Pytester, *args: str) -> tuple[Any, dict[str, Any]]:
    result = pytester.runpytest_subprocess("--backend-gates", "-p", "no:cacheprovider", *args)
    event = json.loads((pytester.path / ".backend-gates" / "report.json").read_text())
    validate(event, REPORT_SCHEMA)
    return result, event


def gate(event: dict[str, Any], gate_id: str) -> dict[str, Any]:
    return next(g for g in event["gates"] if g["id"] == gate_id)


@pytest.fixture
def lib(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["mylib"]\n')
    pytester.mkpydir("mylib")
    (pytester.path / "mylib" / "core.py").write_text(LIB)
    return pytester


def test_kinds_from_markers_folders_and_names(lib: pytest.Pytester) -> None:
    files = {
        "tests/unit/test_core.py": "from mylib.core import add\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        "tests/integration/test_db.py": "def test_db():\n    assert True\n",
        "tests/test_misc.py": (
            "import pytest\n\n@pytest.mark.load\ndef test_many():\n    assert True\n\n"
            "def test_unauthorized_user_is_rejected():\n    assert True\n\n"
            "@pytest.mark.skip(reason='not now')\n@pytest.mark.contract\ndef test_skipped():\n    pass\n"
        ),
    }
    for rel, text in files.items():
        path = lib.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    result, event = run(lib)
    result.assert_outcomes(passed=4, skipped=1)
    kinds = event["metrics"]["test_kinds"]
    assert kinds["unit"] == 1 and kinds["integration"] == 1 and kinds["load"] == 1 and kinds["security"] == 1
    assert kinds["missing"] == ["api", "contract"]  # the skipped contract test does not count
    assert [f for f in event["findings"] if f["rule"] == "BG552"] == []  # no finding at path "."
    t_kinds = gate(event, "T-KINDS")
    assert t_kinds["evidence"]["missing"] == ["api", "contract"]
    assert "missing test kind(s): api, contract" in t_kinds["reason"]
    assert t_kinds["status"] == "warned"  # info by default: named, not failing


def test_missing_kinds_fail_when_severity_raised(lib: pytest.Pytester) -> None:
    with open(lib.path / "pyproject.toml", "a") as handle:
        handle.write('\nseverity = {T-KINDS = "error"}\n')
    lib.makepyfile(test_core="from mylib.core import add\n\ndef test_add():\n    assert add(1, 2) == 3\n")
    result, event = run(lib, "--backend-gates-enforce")
    result.assert_outcomes(passed=1)
    assert result.ret == 1
    assert gate(event, "T-KINDS")["status"] == "failed"
    assert event["metrics"]["test_kinds"]["missing"] == ["integration", "api", "load", "security", "contract"]


def test_required_kinds_option(lib: pytest.Pytester) -> None:
    with open(lib.path / "pyproject.toml", "a") as handle:
        handle.write('\n[tool.backend-gates.checks.missing-test-kind]\nrequired = ["unit"]\n')
    lib.makepyfile(test_core="from mylib.core import add\n\ndef test_add():\n    assert add(1, 2) == 3\n")
    result, event = run(lib)
    result.assert_outcomes(passed=1)
    assert gate(event, "T-KINDS")["status"] == "passed"


def test_own_coverage_measurement_below_threshold(lib: pytest.Pytester) -> None:
    lib.makepyfile(test_core="from mylib.core import add\n\ndef test_add():\n    assert add(1, 2) == 3\n")
    result, event = run(lib, "--backend-gates-cov=mylib")
    result.assert_outcomes(passed=1)
    cov = event["metrics"]["coverage"]
    # module-level lines count (coverage starts before the conftests/tests import mylib)
    assert cov["source"] == "own" and cov["num_statements"] == 6 and cov["covered_lines"] == 3
    assert cov["files"]["mylib/core.py"] == 50.0
    [finding] = [f for f in event["findings"] if f["rule"] == "BG550"]
    assert "50.0%" in finding["message"] and "80.0%" in finding["message"]
    assert gate(event, "M-COVERAGE")["status"] == "failed"


def test_coverage_from_config_and_per_file_minimum(lib: pytest.Pytester) -> None:
    with open(lib.path / "pyproject.toml", "a") as handle:
        handle.write(
            '\n[tool.backend-gates.runtime]\ncoverage-packages = ["mylib"]\n'
            '[tool.backend-gates.thresholds]\ncoverage-percent = 40\n'
            '[tool.backend-gates.checks.BG550]\nminimums = {"mylib/core.py" = 90, "mylib" = 10}\n'
        )
    lib.makepyfile(test_core="from mylib.core import add\n\ndef test_add():\n    assert add(1, 2) == 3\n")
    result, event = run(lib)
    result.assert_outcomes(passed=1)
    findings = [f for f in event["findings"] if f["rule"] == "BG550"]
    assert [(f["path"], f["extra"]["scope"]) for f in findings] == [("mylib/core.py", "mylib/core.py")]


def test_pytest_cov_data_is_read_not_measured_twice(lib: pytest.Pytester) -> None:
    pytest.importorskip("pytest_cov")
    lib.makepyfile(test_core="from mylib.core import add, unused\n\ndef test_all():\n    assert add(1, 2) == 3\n    assert unused(1) == 1\n    assert unused(0) == 2\n")
    result, event = run(lib, "--cov=mylib", "--backend-gates-cov=mylib")
    result.assert_outcomes(passed=1)
    cov = event["metrics"]["coverage"]
    assert cov["source"] == "pytest-cov" and cov["percent"] == 100.0
    assert gate(event, "M-COVERAGE")["status"] == "passed"


def test_no_coverage_source_is_not_evaluated(lib: pytest.Pytester) -> None:
    lib.makepyfile(test_core="def test_x():\n    assert True\n")
    result, event = run(lib)
    m = gate(event, "M-COVERAGE")
    assert m["status"] == "not_evaluated" and "--backend-gates-cov" in m["reason"]


def test_changed_lines_against_git_base(lib: pytest.Pytester) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=lib.path, check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "base")
    git("tag", "base")
    with open(lib.path / "pyproject.toml", "a") as handle:
        handle.write('\n[tool.backend-gates.thresholds]\ncoverage-percent = 60\n[tool.backend-gates.checks.BG551]\nbase = "base"\n')
    lib.makepyfile(test_core="from mylib.core import add\n\ndef test_add():\n    assert add(1, 2) == 3\n")
    git("add", "pyproject.toml")  # tracked and changed; mylib/core.py stays untracked (new: every line changed)
    result, event = run(lib, "--backend-gates-cov=mylib")
    result.assert_outcomes(passed=1)
    changed = event["metrics"]["coverage"]["changed"]
    assert changed["base"] == "base" and changed["lines"] == 6 and changed["covered"] == 3
    [finding] = [f for f in event["findings"] if f["rule"] == "BG551"]
    assert finding["path"] == "mylib/core.py" and "mylib/core.py:7-9" in finding["message"]


def test_kinds_and_coverage_same_with_xdist(lib: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    for i in range(4):
        lib.makepyfile(**{f"test_m{i}": f"from mylib.core import add\n\ndef test_{i}():\n    assert add({i}, 1) == {i + 1}\n"})
    _, serial = run(lib, "--backend-gates-cov=mylib")
    result, parallel = run(lib, "--backend-gates-cov=mylib", "-n", "2")
    result.assert_outcomes(passed=4)
    for key in ("test_kinds", "coverage"):
        assert serial["metrics"][key] == parallel["metrics"][key]
    assert [(g["id"], g["status"]) for g in serial["gates"]] == [(g["id"], g["status"]) for g in parallel["gates"]]
