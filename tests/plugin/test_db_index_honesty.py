"""DB-INDEX under `pytest --backend-gates` never passes on what did not run: with EXPLAIN off (the
default) its reason names the runtime full-scan check as not judged; with it on, that check ran."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest_plugins = ["pytester"]

APP = '''
import sqlite3

import sqlalchemy as sa

metadata = sa.MetaData()
users = sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50), index=True))


def names(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT)")
    try:
        return conn.execute("SELECT id FROM users WHERE name = ?", ("x",)).fetchall()
    finally:
        conn.close()
'''

TEST = '''
from app.db import names


def test_names(tmp_path):
    assert names(str(tmp_path / "x.db")) == []
'''


def _db_index(pytester: pytest.Pytester, pyproject: str) -> dict[str, Any]:
    pytester.makepyprojecttoml(pyproject)
    (pytester.path / "app").mkdir(exist_ok=True)
    (pytester.path / "app" / "__init__.py").write_text("")
    (pytester.path / "app" / "db.py").write_text(APP)
    (pytester.path / "tests").mkdir(exist_ok=True)
    (pytester.path / "tests" / "test_db.py").write_text(TEST)
    result = pytester.runpytest_subprocess("--backend-gates", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    event = json.loads((pytester.path / ".backend-gates" / "report.json").read_text())
    return next(g for g in event["gates"] if g["id"] == "DB-INDEX")


def test_db_index_names_the_full_scan_check_it_did_not_run(pytester: pytest.Pytester) -> None:
    gate = _db_index(pytester, '[tool.backend-gates]\npaths = ["app"]\n')
    assert gate["status"] in ("passed", "not_evaluated"), gate
    assert "BG506" not in gate["evidence"]["ran"], gate
    # a pass covers the static index rules only, and says so
    assert "not judged: BG506: runtime: full-scan check off" in gate["reason"], gate["reason"]
    assert any(n.startswith("BG506: runtime: full-scan check off") for n in gate["evidence"]["not_evaluated"]), gate


def test_db_index_passes_with_the_full_scan_check_when_explain_is_on(pytester: pytest.Pytester) -> None:
    gate = _db_index(pytester, '[tool.backend-gates]\npaths = ["app"]\n\n[tool.backend-gates.runtime]\nexplain = true\n')
    assert gate["status"] == "passed", gate
    assert "BG506" in gate["evidence"]["ran"] and "not judged" not in gate["reason"], gate
    assert gate["evidence"]["runtime_explained"] >= 1, gate
