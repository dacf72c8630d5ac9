"""Baseline through the CLI, as a team adopting backend-gates on existing code would use it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import REPORT_SCHEMA, run_cli, validate, write_tree

VIEWS = """\
import logging

log = logging.getLogger(__name__)


def load(repo):
    try:
        return repo.load()
    except:
        log.warning("load failed")


def save(repo, item):
    try:
        repo.save(item)
    except:
        log.warning("save failed")
"""

NEW_VIOLATION = """

def delete(repo, item):
    try:
        repo.delete(item)
    except:
        log.warning("delete failed")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_tree(tmp_path, {"pyproject.toml": '[tool.backend-gates]\npaths = ["app"]\n', "app/views.py": VIEWS})
    return tmp_path


def _bg401_lines(result_stdout: str) -> list[int]:
    lines = []
    for row in result_stdout.splitlines():
        path, line, _col, rest = row.split(":", 3)
        assert path == "app/views.py"
        if rest.split()[0] == "BG401":
            lines.append(int(line))
    return lines


def test_must_show_sequence(project: Path) -> None:
    views = project / "app" / "views.py"
    first = run_cli("check", "--no-cache", "--format", "concise", cwd=project)
    assert first.returncode == 1
    assert _bg401_lines(first.stdout) == [9, 16]

    # 1. write the baseline on a project with findings -> re-run exits 0
    written = run_cli("check", "--no-cache", "--write-baseline", "baseline.json", cwd=project)
    assert written.returncode == 0, written.stderr
    assert "wrote 2 finding(s)" in written.stderr
    data = json.loads((project / "baseline.json").read_text())
    assert [e["rule"] for e in data["findings"]] == ["BG401", "BG401"]
    again = run_cli("check", "--no-cache", "--baseline", "baseline.json", "--format", "concise", cwd=project)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout == ""

    # 2. add one new violation -> exit 1 naming only it
    views.write_text(VIEWS + NEW_VIOLATION)
    new = run_cli("check", "--no-cache", "--baseline", "baseline.json", "--format", "concise", cwd=project)
    assert new.returncode == 1
    assert _bg401_lines(new.stdout) == [23]
    assert "except:" in views.read_text().splitlines()[22]

    # 3. insert lines above the baselined findings (without the new one) -> still exit 0
    views.write_text('"""Views."""\n\nfrom __future__ import annotations\n\n\nLIMIT = 10\n' + VIEWS)
    moved = run_cli("check", "--no-cache", "--baseline", "baseline.json", "--format", "concise", cwd=project)
    assert moved.returncode == 0, moved.stdout
    assert moved.stdout == ""


def test_new_violation_in_a_new_block_above_is_the_one_named(project: Path) -> None:
    """Identical snippets (`except:`) in one file: the new one is named, not a shifted old one."""
    run_cli("check", "--no-cache", "--write-baseline", "baseline.json", cwd=project)
    views = project / "app" / "views.py"
    head, tail = VIEWS.split("def load", 1)
    views.write_text(head + NEW_VIOLATION.lstrip("\n") + "\n\ndef load" + tail)
    result = run_cli("check", "--no-cache", "--baseline", "baseline.json", "--format", "concise", cwd=project)
    assert result.returncode == 1
    (line,) = _bg401_lines(result.stdout)
    assert "repo.delete" in views.read_text().splitlines()[line - 2]


def test_config_baseline_and_audit_trail_and_shrinking(project: Path) -> None:
    run_cli("check", "--no-cache", "--write-baseline", ".backend-gates-baseline.json", cwd=project)
    (project / "pyproject.toml").write_text(
        '[tool.backend-gates]\npaths = ["app"]\nbaseline = ".backend-gates-baseline.json"\n'
    )
    views = project / "app" / "views.py"
    # fix one of the two baselined findings
    views.write_text(VIEWS.replace('    except:\n        log.warning("save failed")', '    except OSError:\n        log.warning("save failed")'))
    result = run_cli("check", "--no-cache", "--format", "json", cwd=project)
    assert result.returncode == 0, result.stdout
    event = json.loads(result.stdout)
    validate(event, REPORT_SCHEMA)
    (baselined,) = [f for f in event["findings"] if f["rule"] == "BG401"]
    assert baselined["suppressed"] is True
    assert baselined["suppression"]["kind"] == "baseline"
    assert event["baseline"]["matched"] == 1
    (unused,) = event["baseline"]["unused"]
    assert unused["rule"] == "BG401" and unused["line"] == 16
    assert "1 baseline entry in .backend-gates-baseline.json no longer occurs" in result.stderr
    sarif = json.loads(run_cli("check", "--no-cache", "--format", "sarif", cwd=project).stdout)
    (res,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "BG401"]
    assert res["suppressions"][0]["kind"] == "external"
    # rewriting the baseline shrinks it
    run_cli("check", "--no-cache", "--write-baseline", ".backend-gates-baseline.json", cwd=project)
    assert len(json.loads((project / ".backend-gates-baseline.json").read_text())["findings"]) == 1


def test_code_moved_to_another_file_stays_baselined(project: Path) -> None:
    run_cli("check", "--no-cache", "--write-baseline", "baseline.json", cwd=project)
    views = project / "app" / "views.py"
    head, save = VIEWS.split("\n\ndef save", 1)
    views.write_text(head + "\n")
    (project / "app" / "storage.py").write_text("import logging\n\nlog = logging.getLogger(__name__)\n\n\ndef save" + save)
    result = run_cli("check", "--no-cache", "--baseline", "baseline.json", "--format", "concise", cwd=project)
    assert result.returncode == 0, result.stdout


def test_fixing_one_function_does_not_pay_for_a_new_finding_elsewhere(project: Path) -> None:
    run_cli("check", "--no-cache", "--write-baseline", "baseline.json", cwd=project)
    views = project / "app" / "views.py"
    fixed = VIEWS.replace('    except:\n        log.warning("load failed")', '    except OSError:\n        log.warning("load failed")')
    views.write_text(fixed + NEW_VIOLATION)
    result = run_cli("check", "--no-cache", "--baseline", "baseline.json", "--format", "concise", cwd=project)
    assert result.returncode == 1
    (line,) = _bg401_lines(result.stdout)
    assert "repo.delete" in views.read_text().splitlines()[line - 2]
    assert "1 baseline entry in baseline.json no longer occurs" in result.stderr


def test_renamed_function_keeps_its_finding_baselined(project: Path) -> None:
    run_cli("check", "--no-cache", "--write-baseline", "baseline.json", cwd=project)
    views = project / "app" / "views.py"
    views.write_text(VIEWS.replace("def save(repo, item):", "def store(repo, item, *, flush=False):"))
    result = run_cli("check", "--no-cache", "--baseline", "baseline.json", "--format", "concise", cwd=project)
    assert result.returncode == 0, result.stdout
    data = json.loads((project / "baseline.json").read_text())
    assert [e["scope"] for e in data["findings"]] == ["load", "save"]


def test_missing_or_broken_baseline_is_a_usage_error(project: Path) -> None:
    missing = run_cli("check", "--no-cache", "--baseline", "nope.json", cwd=project)
    assert missing.returncode == 2
    assert "nope.json" in missing.stderr and "--write-baseline" in missing.stderr
    (project / "bad.json").write_text("[1, 2]")
    broken = run_cli("check", "--no-cache", "--baseline", "bad.json", cwd=project)
    assert broken.returncode == 2
    assert "not a backend-gates baseline" in broken.stderr


def test_inline_suppressions_and_tool_findings_are_not_recorded(project: Path) -> None:
    (project / "app" / "extra.py").write_text(
        "try:\n    work()\nexcept:  # backend-gates: ignore[BG401] framework re-raises\n    pass\nx = 1  # backend-gates: ignore[BG401] stale\n"
    )
    run_cli("check", "--no-cache", "--write-baseline", "baseline.json", cwd=project)
    data = json.loads((project / "baseline.json").read_text())
    assert {(e["path"], e["rule"]) for e in data["findings"]} == {("app/views.py", "BG401")}
    result = run_cli("check", "--no-cache", "--baseline", "baseline.json", "--format", "concise", cwd=project)
    assert result.returncode == 1  # the stale suppression (BG002) is still reported
    assert [row.split()[1] for row in result.stdout.splitlines()] == ["BG002"]


def test_rewriting_after_a_shift_changes_nothing(tmp_path: Path) -> None:
    """`--write-baseline` after code moved down two lines: the file stays byte-identical; a new
    finding adds exactly one entry and a fixed one removes exactly one (no churn, no conflicts)."""
    module = "import requests\nimport logging\n\nlog = logging.getLogger(__name__)\n\n" + "\n\n".join(
        f"def f{i}(url):\n    try:\n        return requests.get(url)\n    except:\n        log.warning('f{i}')\n" for i in range(8)
    )
    write_tree(tmp_path, {"app/views.py": module, "app/other.py": module})
    baseline = tmp_path / "baseline.json"
    run_cli("check", "--no-cache", "--write-baseline", str(baseline), "app", cwd=tmp_path)
    before = baseline.read_text()
    assert len(json.loads(before)["findings"]) == 32
    (tmp_path / "app" / "views.py").write_text('"""Views."""\n\n' + module)
    run_cli("check", "--no-cache", "--write-baseline", str(baseline), "app", cwd=tmp_path)
    assert baseline.read_text() == before
    (tmp_path / "app" / "views.py").write_text('"""Views."""\n\n' + module.replace("    except:\n        log.warning('f3')", "    except:\n        pass"))
    run_cli("check", "--no-cache", "--write-baseline", str(baseline), "app", cwd=tmp_path)
    old, new = set(before.splitlines()), set(baseline.read_text().splitlines())
    assert len(old - new) <= 6 and len(new - old) <= 12  # one entry of ~7 lines swapped, nothing else
    assert run_cli("check", "--no-cache", "--baseline", str(baseline), "app", cwd=tmp_path).returncode == 0
