"""Database rules on annotated fixture trees: findings exactly as annotated (BG3xx)."""

from __future__ import annotations

import pytest

from support import FIXTURES, expectations, run_engine


def db_findings(root):
    report = run_engine(root)
    return {(f.location.path, f.location.line, f.code) for f in report.findings if f.code.startswith("BG3")}


@pytest.mark.parametrize(
    "name",
    ["alembic_clean", "alembic_unsafe", "alembic_empty_downgrade", "alembic_bad_downgrade", "django_clean",
     "django_unsafe", "sql_migrations", "bad_fastapi", "clean_flask", "schema_shop"],
)
def test_findings_exactly_as_annotated(name: str) -> None:
    root = FIXTURES / name
    expected = {e for e in expectations(root) if e[2].startswith("BG3")}
    assert db_findings(root) == expected


def test_clean_trees_have_nothing() -> None:
    for name in ("alembic_clean", "django_clean", "clean_flask"):
        assert db_findings(FIXTURES / name) == set(), name


def test_database_gates_are_evaluated_on_the_unsafe_trees() -> None:
    report = run_engine(FIXTURES / "alembic_unsafe")
    gates = {g.id: g for g in report.gates}
    assert gates["DB-MIGRATE"].status.value == "failed"
    assert gates["DB-ROLLBACK"].status.value == "failed"
    report = run_engine(FIXTURES / "alembic_clean")
    gates = {g.id: g for g in report.gates}
    assert gates["DB-MIGRATE"].status.value == "passed"
    assert gates["DB-ROLLBACK"].status.value == "passed"


def test_index_concurrency_is_dialect_aware(tmp_path) -> None:
    from support import write_tree

    migration = "CREATE TABLE t (id INT PRIMARY KEY, v INT);\n"
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "migrations/0001.up.sql": migration, "migrations/0001.down.sql": "DROP TABLE t;\n",
        "migrations/0002.up.sql": "CREATE INDEX ix ON t (v);\n", "migrations/0002.down.sql": "DROP INDEX ix;\n",
        "app/db.py": "import sqlite3\n",
    })
    assert db_findings(tmp_path) == set()
    (tmp_path / "app" / "db.py").write_text("import psycopg\n")
    assert db_findings(tmp_path) == {("migrations/0002.up.sql", 1, "BG331")}
