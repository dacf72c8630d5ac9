"""The pre-commit hook, through the real `pre-commit` tool."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO

BAD = "def f():\n    try:\n        work()\n    except:\n        log('x')\n"
GOOD = "def f():\n    try:\n        work()\n    except ValueError:\n        log('x')\n"


def _pre_commit() -> str:
    exe = Path(sys.executable).parent / "pre-commit"
    if exe.exists():
        return str(exe)
    found = shutil.which("pre-commit")
    if not found:
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    return found


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.slow
def test_hook_fails_on_violation_and_passes_when_fixed(tmp_path: Path) -> None:
    exe = _pre_commit()
    project = tmp_path / "project"
    project.mkdir()
    _git("init", "-q", cwd=project)
    _git("config", "user.email", "t@example.com", cwd=project)
    _git("config", "user.name", "t", cwd=project)
    (project / "views.py").write_text(BAD)
    # third-party code copied into the project: pre-commit names its files, the hook still skips them
    (project / "requirements.txt").write_text("requests\nurllib3\nsix\n")
    (project / "lib" / "requests").mkdir(parents=True)
    (project / "lib" / "requests" / "__init__.py").write_text(BAD)
    (project / "lib" / "urllib3.py").write_text(BAD)
    (project / "lib" / "six.py").write_text(BAD)
    _git("add", ".", cwd=project)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("BACKEND_GATES_FAIL_ON", None)

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, "try-repo", str(REPO), "backend-gates", "--all-files"],
            cwd=project, capture_output=True, text=True, env=env, timeout=900,
        )

    failed = try_repo()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "BG401" in failed.stdout
    (project / "views.py").write_text(GOOD)
    _git("add", "views.py", cwd=project)
    passed = try_repo()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
