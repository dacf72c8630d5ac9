"""`--diff REF`: only findings on lines changed since a git ref (CLI and pytest plugin)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from backend_gates.diff import parse_unified
from support import run_cli, write_tree

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

OLD = "def old():\n    try:\n        work()\n    except:\n        log('old')\n"
NEW = "\n\ndef new():\n    try:\n        work()\n    except:\n        log('new')\n"


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root, check=True, capture_output=True
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write_tree(tmp_path, {"pyproject.toml": '[tool.backend-gates]\npaths = ["app"]\n', "app/views.py": OLD, "app/other.py": OLD})
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "start")
    (tmp_path / "app" / "views.py").write_text(OLD + NEW)
    (tmp_path / "app" / "fresh.py").write_text(OLD)  # untracked: every line is new
    return tmp_path


def test_parse_unified_diff() -> None:
    text = (
        "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -3,0 +4,2 @@\n+a\n+b\n@@ -10 +12 @@\n-c\n+d\n"
        "@@ -20,3 +21,0 @@\n-e\n--- a/gone.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n"
    )
    assert parse_unified(text) == {"x.py": {4, 5, 12}}


def test_cli_reports_only_changed_lines(repo: Path) -> None:
    full = run_cli("check", "--no-cache", "--format", "concise", cwd=repo)
    assert len(full.stdout.splitlines()) == 4
    result = run_cli("check", "--no-cache", "--format", "concise", "--diff", "HEAD", cwd=repo)
    assert result.returncode == 1
    assert sorted(row.split(":")[0] + ":" + row.split(":")[1] for row in result.stdout.splitlines()) == [
        "app/fresh.py:4",
        "app/views.py:11",
    ]
    event = json.loads(run_cli("check", "--no-cache", "--format", "json", "--diff", "HEAD", cwd=repo).stdout)
    assert event["diff"] == {"ref": "HEAD", "files_changed": 2, "dropped": 2}


def test_cli_clean_diff_exits_zero(repo: Path) -> None:
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "more")
    (repo / "app" / "views.py").write_text("# a comment\n" + OLD + NEW)
    result = run_cli("check", "--no-cache", "--format", "concise", "--diff", "HEAD", cwd=repo)
    assert result.returncode == 0, result.stdout
    assert result.stdout == ""


def test_cli_bad_ref_is_a_usage_error(repo: Path) -> None:
    result = run_cli("check", "--no-cache", "--diff", "no-such-ref", cwd=repo)
    assert result.returncode == 2
    assert "--diff" in result.stderr and "no-such-ref" in result.stderr


def test_non_ascii_and_quoted_paths_keep_their_findings(tmp_path: Path) -> None:
    """git C-quotes such names (`"b/caf\\303\\251.py"`); a finding there must not vanish."""
    names = ["app/café.py", "app/données/vue.py", 'app/we"ird.py']
    write_tree(tmp_path, {name: OLD for name in names})
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "-c", "core.quotePath=true", "add", ".")
    git(tmp_path, "commit", "-qm", "start")
    for name in names:
        (tmp_path / name).write_text(OLD + NEW)
    (tmp_path / "app" / "nouveauté.py").write_text(OLD)  # untracked
    result = run_cli("check", "--no-cache", "-f", "json", "--diff", "HEAD", "app", cwd=tmp_path)
    found = {(f["path"], f["line"]) for f in json.loads(result.stdout)["findings"] if f["rule"] == "BG401"}
    assert found == {(n, 11) for n in names} | {("app/nouveauté.py", 4)}, result.stdout + result.stderr
