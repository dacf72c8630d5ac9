"""`pytest --backend-gates` reads the spec too: spec gates and findings reach the report."""

from __future__ import annotations

import json
import shutil

import pytest

from support import FIXTURES, REPORT_SCHEMA, validate

pytest_plugins = ["pytester"]


def test_plugin_reports_spec_findings_and_drift(pytester: pytest.Pytester) -> None:
    shutil.copytree(FIXTURES / "openapi_fastapi", pytester.path, dirs_exist_ok=True)
    pytester.makepyfile(test_ok="def test_ok():\n    assert True\n")
    result = pytester.runpytest_subprocess("--backend-gates")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*= backend-gates =*", "API-DOCS*"])
    event = json.loads((pytester.path / ".backend-gates" / "report.json").read_text())
    validate(event, REPORT_SCHEMA)
    rules = sorted(f["rule"] for f in event["findings"] if f["rule"].startswith("BG6"))
    assert rules == ["BG615", "BG616"]
    docs = next(g for g in event["gates"] if g["id"] == "API-DOCS")
    assert docs["status"] in ("warned", "failed")
