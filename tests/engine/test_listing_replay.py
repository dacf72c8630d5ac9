"""A partial run (pre-commit, the editor) outside a git work tree takes the project's file listing
from the cache while every directory it listed, every .gitignore and every file whose content
decided its kind (spec-like YAML) is unchanged; any change there lists the tree again. A cached
one-file run reports what a `--no-cache` run reports, and the files it knows (those its cache
keeps) are those a whole-project run finds."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Callable

import pytest

from support import run_cli, write_tree

BARE = "def f():\n    try:\n        work()\n    except:\n        log('x')\n"
SPEC = "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
TREE = {
    ".gitignore": "gen/\n*_tmp.py\n",
    "app/__init__.py": "",
    "app/views.py": BARE,
    "app/models.py": BARE,
    "lib/x.py": BARE,
    "gen/g.py": BARE,
    "lib/x_tmp.py": BARE,
    "docs/api.yaml": "title: not a spec\nitems: [1, 2]\n",
    # third-party copies of declared requirements: vendored, not listed
    "requirements.txt": "plexapi\nmusicbrainzngs\nipwhois\n",
    "bundled/plexapi/__init__.py": BARE,
    "bundled/musicbrainzngs.py": BARE,
    "bundled/ipwhois.py": BARE,
}


def _rewrite(path: Path, old: str, new: str) -> None:
    """An edit in place (same inode): the directory holding the file does not change."""
    path.write_text(path.read_text().replace(old, new))


CHANGES: dict[str, Callable[[Path], object]] = {
    "a file added in a subdirectory": lambda root: (root / "lib" / "y.py").write_text(BARE),
    "a file deleted": lambda root: (root / "app" / "models.py").unlink(),
    "a directory deleted": lambda root: shutil.rmtree(root / "lib"),
    "the .gitignore edited in place": lambda root: _rewrite(root / ".gitignore", "gen/\n", "nothing/\n"),
    "a YAML file made a spec in place": lambda root: _rewrite(root / "docs" / "api.yaml", "title: not a spec\nitems: [1, 2]\n", SPEC),
    "a .gitignore added": lambda root: (root / "lib" / ".gitignore").write_text("x.py\n"),
    "a git repository made above the project": lambda root: _git_above(root),
    "a requirement removed in place (a vendored directory no longer is)": lambda root: _rewrite(root / "requirements.txt", "ipwhois\n", ""),
    "a vendored copy deleted": lambda root: (root / "bundled" / "ipwhois.py").unlink(),
}


def _git_above(root: Path) -> None:
    """Nothing in the project changes, but git's listing now decides (and leaves lib/ out)."""
    subprocess.run(["git", "init", "-q"], cwd=root.parent, check=True, capture_output=True)
    (root.parent / ".git" / "info" / "exclude").write_text("project/lib/\n")


def _one_file(root: Path, *args: str) -> list[tuple[str, int, str]]:
    done = run_cli("check", "app/views.py", "-f", "json", "--no-report", "--exit-zero", *args, cwd=root)
    assert done.returncode == 0, done.stderr
    return sorted((f["rule"], f["line"], f["fingerprint"]) for f in json.loads(done.stdout)["findings"])


def _cached(directory: Path) -> dict[str, object]:
    newest = max(directory.glob("cache-*.json"), key=lambda p: p.stat().st_mtime_ns)
    meta_and_files: dict[str, object] = json.loads(newest.read_text().split("\n", 1)[1])
    return meta_and_files


def _known(root: Path) -> set[str]:
    """The project's files as the one-file run saw them (its cache keeps exactly those)."""
    files = _cached(root / ".backend-gates" / "cache")["files"]
    assert isinstance(files, dict)
    return set(files)


def _found(root: Path, tmp: Path) -> set[str]:
    """The project's files as a whole-project run finds them."""
    other = tmp / "whole-cache"
    shutil.rmtree(other, ignore_errors=True)
    assert run_cli("check", ".", "--no-report", "--exit-zero", cwd=root, env={"BACKEND_GATES_CACHE_DIR": str(other)}).returncode == 0
    files = _cached(other)["files"]
    assert isinstance(files, dict)
    return set(files)


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_one_file_run_lists_the_project_again_when_the_tree_changed(tmp_path: Path, change: str) -> None:
    if "git" in change and shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "project"
    write_tree(root, TREE)
    assert run_cli("check", ".", "--no-report", "--exit-zero", cwd=root).returncode == 0  # the project's cache
    time.sleep(2.2)  # out of the racy window: the listing can be kept
    before = _one_file(root)
    meta = _cached(root / ".backend-gates" / "cache")["meta"]
    assert isinstance(meta, dict) and "listing" in meta  # kept
    assert _one_file(root) == before == _one_file(root, "--no-cache")  # replayed
    assert _known(root) == _found(root, tmp_path)
    known_before = _known(root)
    CHANGES[change](root)
    assert _one_file(root) == _one_file(root, "--no-cache")
    assert _known(root) == _found(root, tmp_path) != known_before
