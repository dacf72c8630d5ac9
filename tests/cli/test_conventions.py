"""CLI conventions users bring from ruff/bandit: global -v/-q/--color after the subcommand,
NO_COLOR, --statistics, progress on stderr only, strict configuration with did-you-mean,
the nearest sub-project configuration, and a JSON Schema for the configuration."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest

from backend_gates.config import json_schema_text
from support import REPO, run_cli, write_tree

BARE = "def f():\n    try:\n        work()\n    except:\n        log('x')\n"
ANSI = "\x1b["


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_tree(tmp_path, {"app.py": BARE, "client.py": "import requests\n\n\ndef g(u):\n    return requests.get(u)\n"})
    return tmp_path


def test_verbose_after_the_subcommand_says_what_ran_on_stderr(project: Path) -> None:
    plain = run_cli("check", "--no-cache", ".", cwd=project)
    loud = run_cli("check", "--no-cache", ".", "-v", cwd=project)
    assert loud.returncode == plain.returncode == 1
    assert loud.stdout == plain.stdout
    assert "2 file(s)" in loud.stderr and "analysed" in loud.stderr and "configuration defaults" in loud.stderr
    assert run_cli("-v", "check", "--no-cache", ".", cwd=project).stderr.count("file(s)") == 1


def test_quiet_prints_findings_only_and_qq_nothing(project: Path) -> None:
    quiet = run_cli("check", "--no-cache", "-q", ".", cwd=project)
    assert quiet.returncode == 1
    assert "BG401" in quiet.stdout and "Gates:" not in quiet.stdout and "finding(s)" not in quiet.stdout
    silent = run_cli("check", "--no-cache", "-qq", ".", cwd=project)
    assert (silent.returncode, silent.stdout, silent.stderr) == (1, "", "")
    assert run_cli("-q", "check", "--no-cache", ".", cwd=project).stdout == quiet.stdout


@pytest.mark.parametrize(
    "args,env,coloured",
    [
        (["--color", "always"], {}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        ([], {}, False),  # not a terminal
    ],
)
def test_color(project: Path, args: list[str], env: dict[str, str], coloured: bool) -> None:
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    exe = Path(sys.executable).parent / "backend-gates"
    result = subprocess.run([str(exe), "check", "--no-cache", ".", *args], cwd=project, capture_output=True, text=True, env={**base, **env})
    assert (ANSI in result.stdout) is coloured, result.stdout[:300]
    assert "BG401" in result.stdout


def test_statistics(project: Path) -> None:
    text = run_cli("check", "--no-cache", "--statistics", ".", cwd=project)
    assert text.returncode == 1
    lines = text.stdout.splitlines()
    assert any(line.split()[:2] == ["1", "BG401"] for line in lines), text.stdout
    assert not any(line.startswith("app.py:") for line in lines)
    data = json.loads(run_cli("check", "--no-cache", "--statistics", "-f", "json", ".", cwd=project).stdout)
    assert {(r["code"], r["count"]) for r in data} >= {("BG401", 1), ("BG404", 1)}


def test_progress_draws_on_stderr_only(tmp_path: Path) -> None:
    write_tree(tmp_path, {f"pkg/m{i}.py": f"X{i} = {i}\n" for i in range(80)})
    exe = Path(sys.executable).parent / "backend-gates"
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(exe), "check", "--no-cache", "-j", "1", "."], cwd=tmp_path, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    out, _ = proc.communicate(timeout=300)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert b"checking" in seen  # the bar was drawn on the terminal (stderr)
    assert b"checking" not in out and b"\r" not in out and ANSI.encode() not in out
    assert out.decode().rstrip().endswith("not evaluated")


def test_misspelt_table_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend_gates]\nfail-on = \"error\"\n", "app.py": "X = 1\n"})
    result = run_cli("check", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "[tool.backend_gates]" in result.stderr and "did you mean [tool.backend-gates]" in result.stderr


def test_a_string_where_a_list_belongs_is_rejected(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\npaths = \"app\"\n", "app/x.py": "X = 1\n"})
    result = run_cli("check", cwd=tmp_path)
    assert result.returncode == 2
    assert "paths" in result.stderr and 'write paths = ["app"]' in result.stderr


def test_the_sub_project_configuration_applies_to_its_paths(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\nfail-on = \"warning\"\n",
        "svc/pyproject.toml": "[tool.backend-gates]\nignore = [\"BG401\"]\n",
        "svc/app.py": BARE,
    })
    sub = run_cli("check", "--no-cache", "-f", "json", "svc", cwd=tmp_path)
    assert sub.returncode == 0, sub.stdout
    assert json.loads(sub.stdout)["config"]["ignore"]["source"].startswith("pyproject.toml")
    whole = run_cli("check", "--no-cache", "-f", "json", ".", cwd=tmp_path)
    assert whole.returncode == 1


def test_another_project_checked_from_here_gets_its_own_settings_not_these(tmp_path: Path) -> None:
    """`backend-gates check ../other` from inside a configured project: the other tree has no
    configuration of its own, so it is checked with the defaults and its own root (paths relative
    to it), never with the working directory's `ignore`, dialect hints or paths. A path inside
    the working directory's project keeps that project's configuration."""
    write_tree(tmp_path, {
        "here/pyproject.toml": "[tool.backend-gates]\nignore = [\"BG401\"]\n",
        "here/sub/app.py": BARE,
        "other/app/views.py": BARE,
    })
    here = tmp_path / "here"
    other = run_cli("check", "--no-cache", "--no-report", "-f", "json", "../other", cwd=here)
    report = json.loads(other.stdout)
    assert {(f["rule"], f["path"]) for f in report["findings"]} >= {("BG401", "app/views.py")}
    assert report["config"]["ignore"]["source"] == "default"
    inside = run_cli("check", "--no-cache", "--no-report", "-f", "json", "sub", cwd=here)
    assert "BG401" not in {f["rule"] for f in json.loads(inside.stdout)["findings"]}


def test_config_json_schema_is_current_and_strict() -> None:
    # the shipped copy is regenerated by `backend-gates docs` (tests/test_docs.py checks it is current)
    schema = json.loads(json_schema_text())
    assert run_cli("config", "--schema", cwd=REPO).stdout == json_schema_text()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    tables = [tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["backend-gates"]]
    for path in sorted((REPO / "fixtures").rglob("pyproject.toml")):
        table = tomllib.loads(path.read_text()).get("tool", {}).get("backend-gates")
        if table is not None:
            tables.append(table)
    for table in tables:
        validator.validate(table)
    assert not validator.is_valid({"paths": "app"})
    assert not validator.is_valid({"fail-on": "fatal"})
    assert not validator.is_valid({"thresholds": {"n-plus-on": 3}})
    assert validator.is_valid({"severity": {"BG201": "error"}, "checks": {"BG404": {"default": 10}}})
