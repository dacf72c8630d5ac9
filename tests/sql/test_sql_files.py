"""`.sql` files as a file kind, and the `backend-gates sql` inventory."""

from __future__ import annotations

import json
from pathlib import Path

from support import FIXTURES, run_cli, run_engine, write_tree


def test_unparseable_statement_is_a_low_finding_and_the_file_goes_on(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "db/schema.sql": "CREATE TABLE a (id INT PRIMARY KEY);\nSELECT id FRM a WHERE;\nCREATE TABLE b (x INT);\n",
    })
    report = run_engine(tmp_path)
    parse = [f for f in report.findings if f.code == "BG300"]
    assert [(f.location.path, f.location.line, f.severity.value) for f in parse] == [("db/schema.sql", 2, "info")]
    assert "cannot parse" in parse[0].message
    # the statement after the broken one was still read: table b has no primary key
    assert [(f.location.line) for f in report.findings if f.code == "BG310"] == [3]


def test_sql_inventory_text_and_json() -> None:
    root = FIXTURES / "sql_migrations"
    done = run_cli("sql", "--no-cache", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "app/db.py:22: SELECT [orders] (parameterised; python)" in done.stdout
    assert "BG301 select-star" in done.stdout
    done = run_cli("sql", "--no-cache", "--format", "json", cwd=root)
    rows = json.loads(done.stdout)["statements"]
    wipe = next(r for r in rows if r["path"] == "app/db.py" and r["line"] == 26)
    assert wipe["kind"] == "DELETE" and wipe["tables"] == ["orders"] and wipe["parameterised"] is False
    assert [f["code"] for f in wipe["findings"]] == ["BG302"]
    origins = {r["origin"] for r in rows}
    assert origins == {"python", "migration-sql"}
    assert any(r["error"] for r in rows)


def test_inventory_of_the_clean_fixture_lists_its_parameterised_sql() -> None:
    done = run_cli("sql", "--no-cache", "--format", "json", cwd=FIXTURES / "clean_flask")
    rows = json.loads(done.stdout)["statements"]
    assert [(r["kind"], r["parameterised"], r["findings"]) for r in rows] == [
        ("SELECT", True, []), ("SELECT", True, []), ("INSERT", True, []),
    ]


def test_dynamic_sql_is_listed_as_dynamic() -> None:
    done = run_cli("sql", "--no-cache", "--format", "json", cwd=FIXTURES / "bad_fastapi")
    rows = {(r["path"], r["line"]): r for r in json.loads(done.stdout)["statements"]}
    get_user, delete_user = rows[("app/routes/users.py", 24)], rows[("app/routes/users.py", 44)]
    assert (get_user["kind"], get_user["dynamic"], get_user["tables"]) == ("SELECT", True, ["users"])
    assert (delete_user["kind"], delete_user["dynamic"], delete_user["parameterised"]) == ("DELETE", True, False)
    assert [f["code"] for f in get_user["findings"]] == ["BG201"]
    constant = rows[("app/sec_cases.py", 34)]
    assert constant["dynamic"] is False and constant["parameterised"] is True
    assert [f["code"] for f in constant["findings"]] == ["BG301"]
