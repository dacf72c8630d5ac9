"""`backend-gates check` run as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import FIXTURES, REPORT_SCHEMA, SARIF_SCHEMA, run_cli, validate, write_tree

BARE = "def f():\n    try:\n        work()\n    except:\n        log('x')\n"


def test_bad_fixture_fails_with_findings(tmp_path: Path) -> None:
    result = run_cli("check", str(FIXTURES / "bad_fastapi"), "--no-cache", cwd=FIXTURES.parent)
    assert result.returncode == 1, result.stderr
    assert "BG401" in result.stdout and "AP-ERROR-HANDLING" in result.stdout
    assert "Gates:" in result.stdout


def test_clean_fixture_passes() -> None:
    result = run_cli("check", "--no-cache", cwd=FIXTURES / "clean_flask")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 finding(s)" in result.stdout


def test_sarif_validates_and_carries_rules_and_fingerprints() -> None:
    result = run_cli("check", "--no-cache", "--format", "sarif", cwd=FIXTURES / "bad_fastapi")
    assert result.returncode == 1
    sarif = json.loads(result.stdout)
    validate(sarif, SARIF_SCHEMA)
    run = sarif["runs"][0]
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert run["results"]
    for res in run["results"]:
        assert res["ruleId"] in rule_ids
        assert len(res["partialFingerprints"]["backendGates/v1"]) >= 16
        assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == res["ruleId"]


def test_json_output_shape_and_schema() -> None:
    result = run_cli("check", "--no-cache", "--format", "json", cwd=FIXTURES / "bad_fastapi")
    doc = json.loads(result.stdout)
    validate(doc, REPORT_SCHEMA)
    assert doc["summary"]["findings"] >= 2
    finding = doc["findings"][0]
    for key in ("rule", "name", "gate", "severity", "path", "line", "column", "end_line", "end_column", "message", "fingerprint"):
        assert key in finding
    assert not finding["path"].startswith("/") and "\\\\" not in finding["path"]
    gate = doc["gates"][0]
    for key in ("id", "checklist", "title", "status", "reason", "findings"):
        assert key in gate


def test_github_annotations() -> None:
    result = run_cli("check", "--no-cache", "--format", "github", cwd=FIXTURES / "bad_fastapi")
    lines = [line for line in result.stdout.splitlines() if line.startswith("::warning ")]
    assert lines and all("file=app/" in line and ",line=" in line for line in lines)


def test_syntax_error_among_good_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "a.py": BARE,
        "broken.py": "def f(:\n    pass\n",
        "c.py": "x = 1\n",
    })
    result = run_cli("check", "--no-cache", "--format", "json", cwd=tmp_path)
    doc = json.loads(result.stdout)
    codes = [(f["path"], f["rule"]) for f in doc["findings"]]
    assert codes.count(("broken.py", "BG001")) == 1
    assert ("a.py", "BG401") in codes  # the other files were still checked
    assert doc["summary"]["files"] == 3
    assert any(e["path"] == "broken.py" and e["kind"] == "parse" for e in doc["errors"])
    assert result.returncode == 1


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("[tool.backend-gates]\nfail-on = 3\n", "fail-on"),
        ("[tool.backend-gates]\nfial-on = 'error'\n", "fial-on"),
        ("[tool.backend-gates]\nselect = 'BG999'\n", "BG999"),
        ("[tool.backend-gates.thresholds]\nlatency-p95-ms = 'fast'\n", "thresholds.latency-p95-ms"),
        ("[tool.backend-gates.checks.BG401]\nnope = 1\n", "checks.BG401.nope"),
        ("[tool.backend-gates\n", "invalid TOML"),
    ],
)
def test_broken_config_exits_2_naming_the_key(tmp_path: Path, toml: str, needle: str) -> None:
    write_tree(tmp_path, {"pyproject.toml": toml, "a.py": BARE})
    result = run_cli("check", "--no-cache", cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert needle in result.stderr
    assert "pyproject.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_select_ignore_severity_and_fail_on(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "a.py": BARE})
    assert run_cli("check", "--no-cache", "--ignore", "BG401", cwd=tmp_path).returncode == 0
    assert run_cli("check", "--no-cache", "--ignore", "AP-ERROR-HANDLING", cwd=tmp_path).returncode == 0
    assert run_cli("check", "--no-cache", "--ignore", "bare-except", cwd=tmp_path).returncode == 0
    assert run_cli("check", "--no-cache", "--fail-on", "error", cwd=tmp_path).returncode == 0
    assert run_cli("check", "--no-cache", "--select", "BG402", cwd=tmp_path).returncode == 0
    assert run_cli("check", "--no-cache", "--select", "anti-patterns", cwd=tmp_path).returncode == 1
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\nfail-on = 'error'\n[tool.backend-gates.severity]\nBG401 = 'error'\n"})
    assert run_cli("check", "--no-cache", cwd=tmp_path).returncode == 1
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n[tool.backend-gates.per-file-ignores]\n'a.py' = ['BG401']\n"})
    assert run_cli("check", "--no-cache", cwd=tmp_path).returncode == 0


def test_precedence_cli_over_env_over_file(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\nfail-on = 'info'\n", "a.py": BARE})
    env = {"BACKEND_GATES_FAIL_ON": "error"}
    assert run_cli("check", "--no-cache", cwd=tmp_path, env=env).returncode == 0
    assert run_cli("check", "--no-cache", "--fail-on", "warning", cwd=tmp_path, env=env).returncode == 1
    shown = run_cli("config", cwd=tmp_path, env=env)
    assert 'fail-on = "error"    # env BACKEND_GATES_FAIL_ON' in shown.stdout
    shown = run_cli("config", cwd=tmp_path)
    assert 'fail-on = "info"    # pyproject.toml [tool.backend-gates]' in shown.stdout
    assert 'jobs = 0    # default' in shown.stdout


def test_inline_suppression_with_reason_kept_in_json_and_sarif(tmp_path: Path) -> None:
    code = "try:\n    work()\nexcept:  # backend-gates: ignore[BG401] the worker restarts on any error\n    log('x')\n"
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "a.py": code})
    result = run_cli("check", "--no-cache", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    [finding] = doc["findings"]
    assert finding["suppressed"] and finding["suppression"]["reason"] == "the worker restarts on any error"
    sarif = json.loads(run_cli("check", "--no-cache", "--format", "sarif", cwd=tmp_path).stdout)
    validate(sarif, SARIF_SCHEMA)
    [res] = sarif["runs"][0]["results"]
    assert res["suppressions"] == [{"kind": "inSource", "justification": "the worker restarts on any error"}]
    text = run_cli("check", "--no-cache", cwd=tmp_path).stdout
    assert "BG401" not in text.split("Gates:")[0]


def test_own_line_suppression_and_by_name_or_gate(tmp_path: Path) -> None:
    code = (
        "try:\n    a()\n# backend-gates: ignore[bare-except] legacy path\nexcept:\n    log('x')\n"
        "try:\n    b()\nexcept:  # backend-gates: ignore[AP-ERROR-HANDLING] legacy path\n    log('x')\n"
    )
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "a.py": code})
    assert run_cli("check", "--no-cache", cwd=tmp_path).returncode == 0


def test_bad_suppressions_are_reported(tmp_path: Path) -> None:
    code = (
        "x = 1  # backend-gates: ignore[BG401] nothing to suppress here\n"
        "try:\n    a()\nexcept:  # backend-gates: ignore[BG401]\n    log('x')\n"
        "try:\n    b()\nexcept:  # backend-gates: ignore[BG401] fix later expires=2001-01-01\n    log('x')\n"
    )
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "a.py": code})
    doc = json.loads(run_cli("check", "--no-cache", "--format", "json", cwd=tmp_path).stdout)
    active = sorted((f["line"], f["rule"]) for f in doc["findings"] if not f["suppressed"])
    assert active == [(1, "BG002"), (4, "BG003"), (8, "BG004"), (8, "BG401")]


def test_cache_replays_without_reparsing(tmp_path: Path) -> None:
    from support import run_engine

    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "a.py": BARE, "b.py": "x = 1\n"})
    first = run_engine(tmp_path, cache=True)
    second = run_engine(tmp_path, cache=True)
    assert first.extra["timing"]["analyzed"] == 2
    assert second.extra["timing"]["analyzed"] == 0
    assert [f.to_dict() for f in first.findings] == [f.to_dict() for f in second.findings]
    (tmp_path / "b.py").write_text("try:\n    x()\nexcept:\n    log('x')\n")
    third = run_engine(tmp_path, cache=True)
    assert third.extra["timing"]["analyzed"] == 1
    assert len(third.findings) == 2


def test_fingerprint_survives_unrelated_edits(tmp_path: Path) -> None:
    from support import run_engine

    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "a.py": BARE})
    before = run_engine(tmp_path).findings[0]
    (tmp_path / "a.py").write_text("import os\n\n\nVALUE = 3\n" + BARE)
    after = run_engine(tmp_path).findings[0]
    assert before.location.line != after.location.line
    assert before.fingerprint == after.fingerprint


def test_gitignore_and_exclude_respected(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\nextend-exclude = ['legacy']\n",
        ".gitignore": "generated/\n",
        "generated/a.py": BARE,
        "legacy/b.py": BARE,
        "app/c.py": BARE,
        ".venv/lib/d.py": BARE,
    })
    doc = json.loads(run_cli("check", "--no-cache", "--format", "json", cwd=tmp_path).stdout)
    assert {f["path"] for f in doc["findings"]} == {"app/c.py"}
    # an explicitly named file is checked even when excluded
    doc = json.loads(run_cli("check", "--no-cache", "--format", "json", "legacy/b.py", cwd=tmp_path).stdout)
    assert {f["path"] for f in doc["findings"]} == {"legacy/b.py"}


def test_parallel_run_equals_serial(tmp_path: Path) -> None:
    files = {"pyproject.toml": "[tool.backend-gates]\n"}
    for i in range(40):
        files[f"pkg/m{i}.py"] = BARE * 20
    write_tree(tmp_path, files)
    serial = json.loads(run_cli("check", "--no-cache", "--jobs", "1", "--format", "json", cwd=tmp_path).stdout)
    parallel = json.loads(run_cli("check", "--no-cache", "--jobs", "2", "--format", "json", cwd=tmp_path).stdout)
    assert serial["findings"] == parallel["findings"]
    assert len(serial["findings"]) == 800


def test_rules_explain_and_missing_path(tmp_path: Path) -> None:
    rules = run_cli("rules", cwd=tmp_path)
    assert rules.returncode == 0 and "BG401" in rules.stdout and "AP-ERROR-HANDLING" in rules.stdout
    data = json.loads(run_cli("rules", "--format", "json", cwd=tmp_path).stdout)
    assert any(r["code"] == "BG402" and r["gate"] == "AP-ERROR-HANDLING" for r in data)
    explain = run_cli("explain", "bare-except", cwd=tmp_path)
    assert explain.returncode == 0 and "## Example" in explain.stdout and "## Use instead" in explain.stdout
    assert run_cli("explain", "BG999", cwd=tmp_path).returncode == 2
    missing = run_cli("check", "nope/", cwd=tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_config_values_with_credentials_are_masked(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pyproject.toml": (
            "[tool.backend-gates.runtime]\nwebhook = 'https://hooks.example.com/x?token=s3cr3tT0kenValue42'\n"
            "[tool.backend-gates.db]\nbackup-command = 'pg_dump postgresql://app:Hunter2Passw0rd@db/shop'\n"
        ),
        "a.py": "x = 1\n",
    })
    shown = run_cli("config", cwd=tmp_path)
    report = run_cli("check", "--no-cache", "--format", "json", cwd=tmp_path)
    for out in (shown.stdout, report.stdout):
        assert "s3cr3tT0kenValue42" not in out and "Hunter2Passw0rd" not in out
        assert "hooks.example.com" in out
