"""Gate verdicts on new code: with a base, only findings in new or changed code fail their gate;
older ones are listed, marked existing and counted apart."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support import REPORT_SCHEMA, run_cli, validate, write_tree

APP = '''from fastapi import FastAPI

app = FastAPI()


@app.get("/api/v1/getStats")  # old: a verb in the path
def stats() -> dict[str, int]:
    return {}


@app.get("/api/v1/items")
def items() -> list[int]:
    return []
'''
NEW_ROUTE = '''

@app.get("/api/v1/fetchOrders")  # new on the branch
def orders() -> list[int]:
    return []
'''
CONFIG = '[tool.backend-gates]\nselect = ["API-REST"]\n'


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    write_tree(root, {"pyproject.toml": CONFIG, "app/__init__.py": "", "app/main.py": APP})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    with (root / "app" / "main.py").open("a") as handle:
        handle.write(NEW_ROUTE)
    git(root, "commit", "-q", "-am", "new endpoint")
    return root


def _verb_findings(event: dict) -> dict[str, bool]:
    return {f["extra"]["route"]: bool(f.get("extra", {}).get("existing")) for f in event["findings"] if f["rule"] == "BG100"}


def test_only_the_new_violation_fails(repo: Path) -> None:
    done = run_cli("check", "--no-cache", "-f", "json", "--new-code", "main", cwd=repo)
    event = json.loads(done.stdout)
    validate(event, REPORT_SCHEMA)
    assert _verb_findings(event) == {"GET /api/v1/getStats": True, "GET /api/v1/fetchOrders": False}
    rest = next(g for g in event["gates"] if g["id"] == "API-REST")
    assert rest["status"] == "failed" and rest["findings"] == 1 and rest["evidence"]["existing"] == 1
    assert event["summary"]["existing"] == 1 and event["summary"]["failing"] == 1
    assert event["new_code"]["ref"] == "main" and event["new_code"]["source"] == "command line"
    assert done.returncode == 1

    text = run_cli("check", "--no-cache", "--new-code", "main", cwd=repo).stdout
    assert "(existing) GET /api/v1/getStats" in text
    assert "(1 existing: on code unchanged since main, not failing)" in text


def test_without_new_violations_the_gate_passes_and_lists_the_old_one(repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    git(repo, "checkout", "-q", "-b", "docs-only")
    (repo / "README.md").write_text("docs\n")
    done = run_cli("check", "--no-cache", "-f", "json", "--new-code", "main", cwd=repo)
    event = json.loads(done.stdout)
    rest = next(g for g in event["gates"] if g["id"] == "API-REST")
    assert rest["status"] == "passed" and "1 existing finding(s)" in rest["reason"]
    assert _verb_findings(event) == {"GET /api/v1/getStats": True}
    assert done.returncode == 0


def test_ci_pull_request_base_from_the_environment(repo: Path) -> None:
    done = run_cli("check", "--no-cache", "-f", "json", cwd=repo, env={"GITHUB_BASE_REF": "main"})
    event = json.loads(done.stdout)
    assert event["new_code"]["source"] == "env GITHUB_BASE_REF"
    assert _verb_findings(event) == {"GET /api/v1/getStats": True, "GET /api/v1/fetchOrders": False}
    sarif = json.loads(run_cli("check", "--no-cache", "-f", "sarif", cwd=repo, env={"GITHUB_BASE_REF": "main"}).stdout)
    states = {r["baselineState"] for r in sarif["runs"][0]["results"]}
    assert states == {"new", "unchanged"}


def test_unresolvable_ci_base_is_reported_and_every_finding_counts(repo: Path) -> None:
    done = run_cli("check", "--no-cache", "-f", "json", cwd=repo, env={"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "gone"})
    event = json.loads(done.stdout)
    assert "cannot resolve" in event["new_code"]["problem"]
    assert _verb_findings(event) == {"GET /api/v1/getStats": False, "GET /api/v1/fetchOrders": False}


def test_configured_base_git_cannot_resolve_is_a_usage_error(repo: Path) -> None:
    done = run_cli("check", "--no-cache", "--new-code", "nope", cwd=repo)
    assert done.returncode == 2 and "nope" in done.stderr


def test_new_code_from_the_configuration(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(CONFIG + 'new-code = "main"\n')
    done = run_cli("check", "--no-cache", "-f", "json", cwd=repo)
    event = json.loads(done.stdout)
    assert event["new_code"]["source"].startswith("pyproject.toml")
    assert _verb_findings(event) == {"GET /api/v1/getStats": True, "GET /api/v1/fetchOrders": False}
    assert done.returncode == 1
