"""Database rules on annotated fixture trees: findings exactly as annotated (BG3xx)."""

from __future__ import annotations

import pytest

from support import FIXTURES, expectations, run_engine


def db_findings(root, **overrides):
    """BG3xx findings; every migration is judged (`db.judge-migrations = "all"`) unless overridden."""
    overrides.setdefault("db.judge-migrations", "all")
    report = run_engine(root, **overrides)
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
    report = run_engine(FIXTURES / "alembic_unsafe", **{"db.judge-migrations": "all"})
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


DJANGO_MODELS = (
    "from django.db import models\n\n\nclass Project(models.Model):\n    name = models.CharField(max_length=10)\n\n\n"
    "class Check(models.Model):\n    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name='checks')\n"
)


def test_django_n_plus_one_and_its_fixes(tmp_path) -> None:
    from support import write_tree

    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "hc/models.py": DJANGO_MODELS,
        "hc/views.py": (
            "from .models import Check, Project\n\n\n"
            "def names():\n    return [c.project.name for c in Check.objects.filter(name='x')]\n\n\n"
            "def names_fast():\n    return [c.project.name for c in Check.objects.select_related('project')]\n\n\n"
            "def counts():\n    out = []\n    for p in Project.objects.all():\n        out.append(p.checks.count())\n    return out\n"
        ),
        "hc/migrations/0002_fill.py": (
            "from django.db import migrations\n\n\ndef fill(apps, schema_editor):\n    Check = apps.get_model('hc', 'Check')\n"
            "    for c in Check.objects.all():\n        Check.objects.filter(id=c.id).update(name=c.name.lower())\n\n\n"
            "class Migration(migrations.Migration):\n    dependencies = [('hc', '0001')]\n"
            "    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]\n"
        ),
    })
    assert db_findings(tmp_path) == {("hc/views.py", 5, "BG361"), ("hc/views.py", 15, "BG361")}
