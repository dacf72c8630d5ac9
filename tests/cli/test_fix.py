"""`check --fix` / `check --diff`: libcst codemods for unambiguous fixes.

Each fixer's before/after examples are run: the rule finds `before`, the fix produces exactly
`after`, which parses and no longer has the finding. On the bad fixture, the fixable findings
disappear and every other finding stays.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest

from backend_gates import fix
from backend_gates.config import load_config
from support import FIXTURES, REPO, run_cli, run_engine, write_tree

SEMGREP = shutil.which("semgrep") or (str(REPO / ".venv-semgrep/bin/semgrep") if (REPO / ".venv-semgrep/bin/semgrep").exists() else None)
EXAMPLES = [(code, i, before, after) for code, fixer in fix.FIXERS.items() for i, (before, after) in enumerate(fixer.examples)]


def _findings(root: Path, code: str) -> list:
    report = run_engine(root, select=[code])
    return [f for f in report.findings if f.code == code and not f.suppressed]


@pytest.mark.parametrize("code,index,before,after", EXAMPLES, ids=[f"{c}-{i}" for c, i, _b, _a in EXAMPLES])
def test_fix_example(tmp_path: Path, code: str, index: int, before: str, after: str) -> None:
    if code == "BG705" and SEMGREP is None:
        pytest.skip("semgrep not installed")
    files = {"app/module.py": before, "pyproject.toml": f'[tool.backend-gates.semgrep]\npath = "{SEMGREP or ""}"\n'}
    write_tree(tmp_path, files)
    assert _findings(tmp_path, code), f"{code} does not find its own example"
    config = load_config(tmp_path, overrides={"select": [code], "cache": False, "jobs": 1}, environ={})
    report = run_engine(tmp_path, select=[code])
    fixes, problems = fix.plan(report, config)
    assert problems == []
    (only,) = fixes
    assert only.after == after, only.diff()
    ast.parse(only.after)
    fix.write(fixes, tmp_path)
    assert _findings(tmp_path, code) == []


def test_every_fixer_has_examples() -> None:
    from backend_gates.checks import load_all
    from backend_gates.checks.base import REGISTRY

    load_all()
    for code, fixer in fix.FIXERS.items():
        assert code in REGISTRY and fixer.examples, code


def _key(f: dict) -> tuple:
    return (f["rule"], f["path"], f["line"], f["message"])


def test_fix_on_the_bad_fixture(tmp_path: Path) -> None:
    project = tmp_path / "bad"
    shutil.copytree(FIXTURES / "bad_fastapi", project)
    before_files = {p: p.read_text() for p in project.rglob("*.py")}
    before = json.loads(run_cli("check", "--no-cache", "--no-report", "-f", "json", ".", cwd=project).stdout)["findings"]
    fixable = [f for f in before if f["rule"] in fix.FIXERS and not f["suppressed"]]
    assert {f["rule"] for f in fixable} >= {"BG221", "BG404", "BG401", "BG103", "BG320"}

    preview = run_cli("check", "--no-cache", "--no-report", "--diff", ".", cwd=project)
    assert preview.returncode == 1 and preview.stdout.startswith("--- a/")
    assert {p: p.read_text() for p in project.rglob("*.py")} == before_files  # a preview writes nothing

    fixed = run_cli("check", "--no-cache", "--no-report", "--fix", "-f", "json", ".", cwd=project)
    assert f"fixed {len(fixable)} finding(s)" in fixed.stderr, fixed.stderr
    after = json.loads(fixed.stdout)["findings"]
    assert not [f for f in after if f["rule"] in fix.FIXERS and not f["suppressed"]]
    rest = {_key(f) for f in before if f not in fixable}
    assert rest == {_key(f) for f in after}  # everything else stays, where it was
    for path in project.rglob("*.py"):
        ast.parse(path.read_text(), str(path))
    again = run_cli("check", "--no-cache", "--no-report", "--diff", ".", cwd=project)
    assert again.returncode == 0 and again.stdout == ""  # nothing left to fix (as ruff --diff: exit 0)
