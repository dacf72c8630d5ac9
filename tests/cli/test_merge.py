"""`backend-gates merge`: CI shard reports combine into the report of the whole run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import REPORT_SCHEMA, run_cli, validate

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _timing_is_not_the_subject(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a loaded CI machine any statement can take 50 ms: no slow-query findings here."""
    monkeypatch.setenv("BACKEND_GATES_THRESHOLDS_SLOW_QUERY_MS", "10000")

TESTS = """
import sqlite3

conn = sqlite3.connect(":memory:")


def loop(n):
    for i in range(n):
        conn.execute("SELECT ? * 2", (i,)).fetchall()  # LOOP


def test_a():
    loop(6)


def test_b():
    for _ in range(3):
        conn.execute("SELECT 42").fetchall()  # DUP


def test_c():
    loop(2)
"""


def _essence(event: dict) -> tuple:
    findings = sorted((f["rule"], f["path"], f["line"], f["fingerprint"], f["suppressed"]) for f in event["findings"])
    gates = [(g["id"], g["status"], g["findings"]) for g in event["gates"]]
    queries = sorted((fp, q["count"]) for fp, q in event["metrics"]["queries"].items())
    return findings, gates, queries


def test_merged_shards_equal_the_whole_run(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["tests"]\nignore = ["T-KINDS"]\n')
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_db.py").write_text(TESTS)
    common = ("--backend-gates", "--backend-gates-no-static")
    pytester.runpytest_subprocess(*common, "--backend-gates-report=whole.json").assert_outcomes(passed=3)
    pytester.runpytest_subprocess(*common, "-k", "test_a", "--backend-gates-report=s1.json").assert_outcomes(passed=1, deselected=2)
    pytester.runpytest_subprocess(*common, "-k", "not test_a", "--backend-gates-report=s2.json").assert_outcomes(passed=2, deselected=1)

    done = run_cli("merge", "s1.json", "s2.json", "-o", "merged.json", cwd=pytester.path)
    assert done.returncode == 1, done.stderr  # DB-PERF failed in the merged report
    merged = json.loads((pytester.path / "merged.json").read_text())
    whole = json.loads((pytester.path / "whole.json").read_text())
    validate(merged, REPORT_SCHEMA)
    assert _essence(merged) == _essence(whole)
    # one finishing step over the shards' evidence: a rule that judged in a shard judged the whole run
    ran = lambda event: {(c["code"], c["gate"]) for c in event["coverage"] if c["reason"] is None}  # noqa: E731
    assert ran(merged) == ran(whole) and ("BG501", "DB-PERF") in ran(merged)
    assert [g["reason"] for g in merged["gates"]] == [g["reason"] for g in whole["gates"]]
    assert merged["summary"]["findings"] == whole["summary"]["findings"] == 2
    assert merged["status"] == "failed"

    zero = run_cli("merge", "s2.json", "--exit-zero", cwd=pytester.path)
    assert zero.returncode == 0
    assert [f["rule"] for f in json.loads(zero.stdout)["findings"]] == ["BG501"]


def test_merge_rejects_what_is_not_a_report(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"hello": 1}')
    done = run_cli("merge", "x.json", cwd=tmp_path)
    assert done.returncode == 2
    assert "x.json: not a backend-gates report" in done.stderr
    missing = run_cli("merge", "nope.json", cwd=tmp_path)
    assert missing.returncode == 2 and "nope.json: cannot read" in missing.stderr
