"""The wheel a user installs is complete: every rule (the semgrep pack included), schemas, LICENSE.

Builds the wheel the way `pip`/`python -m build` do (isolated PEP 517 build), installs it in a
fresh virtual environment outside the repository, and runs the console script from there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support import REPO

pytestmark = pytest.mark.slow

SEMGREP = shutil.which("semgrep") or (
    str(REPO / ".venv-semgrep" / "bin" / "semgrep") if (REPO / ".venv-semgrep" / "bin" / "semgrep").exists() else None
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        check=True, capture_output=True, text=True, timeout=600, env=_clean_env(),
    )
    (found,) = out.glob("backend_gates-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    env_dir = tmp_path_factory.mktemp("venv")
    clean = _clean_env()
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, env=clean, timeout=300)
    subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True, capture_output=True, text=True, timeout=900, env=clean,
    )
    return env_dir / "bin" / "backend-gates"


def _clean_env() -> dict[str, str]:
    """Nothing of the test's own environment leaks into the fresh one (PYTHONPATH, VIRTUAL_ENV...)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("BACKEND_GATES_", "VIRTUAL_ENV", "PYTHON"))}


def _run(exe: Path, *args: str, cwd: Path, path_extra: str = "") -> subprocess.CompletedProcess[str]:
    env = _clean_env()
    env["PATH"] = os.pathsep.join(p for p in (path_extra, str(exe.parent), "/usr/bin:/bin") if p)
    env.update({"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"})
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600)


def test_wheel_ships_rule_pack_schemas_and_license(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    pack = sorted(p.relative_to(REPO / "rules").as_posix() for p in (REPO / "rules").rglob("*.yaml"))
    assert pack, "the repository has a rule pack"
    assert {f"backend_gates/rules/{p}" for p in pack} <= names
    assert "backend_gates/schemas/report-1.0.schema.json" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: Apache-2.0" in metadata


def test_installed_wheel_lists_every_rule_and_explains_semgrep_rules(installed: Path, tmp_path: Path) -> None:
    from backend_gates.checks import load_all
    from backend_gates.checks.base import REGISTRY

    load_all()
    result = _run(installed, "rules", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = {r["code"] for r in json.loads(result.stdout)}
    assert listed == set(REGISTRY), set(REGISTRY) ^ listed
    assert sum(1 for c in listed if REGISTRY[c].kind == "semgrep") >= 10
    explained = _run(installed, "explain", "BG701", cwd=tmp_path)
    assert explained.returncode == 0, explained.stderr
    assert "# BG701" in explained.stdout


@pytest.mark.skipif(SEMGREP is None, reason="semgrep not installed")
def test_installed_wheel_runs_the_semgrep_pack(installed: Path, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    shutil.copy(REPO / "rules" / "python" / "eval-request-data.py", project / "views.py")
    result = _run(installed, "check", "--semgrep", "--no-cache", "-f", "json", ".", cwd=project,
                  path_extra=str(Path(SEMGREP).parent))  # type: ignore[arg-type]
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert {(f["rule"], f["line"]) for f in report["findings"]} >= {("BG710", 9), ("BG710", 14)}
    assert report["errors"] == []
