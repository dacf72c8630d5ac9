"""In a git repository, the files checked are the ones git lists: nested .gitignore negations,
.git/info/exclude and tracked files behave exactly as in git."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from support import run_cli, write_tree

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

BARE = "def f():\n    try:\n        work()\n    except:\n        log('x')\n"


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root, check=True, capture_output=True)


def _paths(root: Path, *args: str) -> set[str]:
    result = run_cli("check", "--no-cache", "-f", "json", "--select", "BG401", *args, cwd=root)
    return {f["path"] for f in json.loads(result.stdout)["findings"]}


def test_git_decides_what_is_ignored(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        ".gitignore": "*_gen.py\nout/\n",
        "app/.gitignore": "!keep_gen.py\nlocal.py\n",
        "app/views.py": BARE,
        "app/x_gen.py": BARE,
        "app/keep_gen.py": BARE,
        "app/local.py": BARE,
        "app/sub/deep_gen.py": BARE,
        "out/o.py": BARE,
        "scratch/s.py": BARE,
        "tracked_gen.py": BARE,
    })
    git(tmp_path, "init", "-q")
    (tmp_path / ".git" / "info" / "exclude").write_text("scratch/\n")
    git(tmp_path, "add", "-f", "tracked_gen.py")
    expected = {"app/views.py", "app/keep_gen.py", "tracked_gen.py"}
    assert _paths(tmp_path) == expected
    assert _paths(tmp_path, "app") == {"app/views.py", "app/keep_gen.py"}
    # what git lists is what is checked
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=tmp_path, capture_output=True, text=True).stdout.split()
    assert expected == {p for p in listed if p.endswith(".py")}
    assert _paths(tmp_path, "--no-respect-gitignore") >= expected | {"app/x_gen.py", "scratch/s.py", "out/o.py"}


def test_inside_a_nested_repository_the_gitignore_files_decide(tmp_path: Path) -> None:
    """git lists an untracked nested repository as one entry and does not look inside: there the
    .gitignore files read on the way (the project's and the nested one's) decide. Elsewhere git's
    listing decides, and the .gitignore files are not even parsed (pathspec is not imported)."""
    write_tree(tmp_path, {
        ".gitignore": "*_tmp.py\n",
        "app/views.py": BARE,
        "app/x_tmp.py": BARE,
        "vendor/lib/.gitignore": "gen.py\n",
        "vendor/lib/a.py": BARE,
        "vendor/lib/gen.py": BARE,
        "vendor/lib/b_tmp.py": BARE,
    })
    git(tmp_path, "init", "-q")
    git(tmp_path / "vendor" / "lib", "init", "-q")
    assert _paths(tmp_path) == {"app/views.py", "vendor/lib/a.py"}
    (tmp_path / "vendor" / "lib" / ".git").rename(tmp_path / "vendor" / "lib" / "git-was-here")
    done = run_cli("check", "--no-cache", "-f", "json", "--select", "BG401", cwd=tmp_path, env={"PYTHONPROFILEIMPORTTIME": "1"})
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "backend_gates.engine" in imported and "pathspec" not in imported
    assert {f["path"] for f in json.loads(done.stdout)["findings"]} == {"app/views.py", "vendor/lib/a.py"}
