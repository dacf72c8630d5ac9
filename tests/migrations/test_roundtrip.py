"""`backend-gates migrations roundtrip` on the fixture trees: SQLite scratch by default, a real
PostgreSQL database when a DSN is given (tests/pgserver.py starts one)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backend_gates.errors import UsageError
from backend_gates.migrations.roundtrip import alembic_roundtrip, django_roundtrip, run
from support import FIXTURES, run_cli

pytest.importorskip("alembic")


def statuses(result) -> dict[str, str]:
    return {s.migration.split(" ")[0]: s.status for s in result.steps}


def test_clean_alembic_tree_passes_on_sqlite() -> None:
    result = alembic_roundtrip(FIXTURES / "alembic_clean" / "alembic.ini")
    assert result.ok, result.to_dict()
    assert statuses(result) == {"0001": "ok", "0002": "ok", "0003": "ok", "0004": "ok"}
    assert result.database.startswith("sqlite")


def test_empty_downgrade_is_reported_by_name() -> None:
    result = alembic_roundtrip(FIXTURES / "alembic_empty_downgrade" / "alembic.ini")
    assert not result.ok
    [problem] = result.problems
    assert problem.migration.startswith("0002") and problem.status == "not-restored"
    assert "phone left behind" in problem.detail


def test_downgrade_that_does_not_restore_is_reported_by_name_and_later_ones_still_run() -> None:
    result = alembic_roundtrip(FIXTURES / "alembic_bad_downgrade" / "alembic.ini")
    assert statuses(result) == {"0001": "ok", "0002": "not-restored", "0003": "ok"}
    assert "nickname left behind" in result.problems[0].detail


def test_clean_django_app_passes_on_sqlite() -> None:
    pytest.importorskip("django")
    result = django_roundtrip(FIXTURES / "django_clean", "shopsite.settings")
    assert result.ok, result.to_dict()
    assert list(statuses(result)) == [
        "shop.0001_initial", "shop.0002_order_note_status", "shop.0003_order_created_at",
        "shop.0004_backfill_status", "shop.0005_order_status_index",
    ]


def test_irreversible_django_migration_is_reported() -> None:
    pytest.importorskip("django")
    result = django_roundtrip(FIXTURES / "django_unsafe", "billingsite.settings", dsn=None)
    found = statuses(result)
    assert found["billing.0001_initial"] == "ok"
    assert found["billing.0002_unsafe"] in ("apply-failed", "reverse-failed")


def test_cli_exit_codes_and_json() -> None:
    done = run_cli("migrations", "roundtrip", cwd=FIXTURES / "alembic_clean")
    assert done.returncode == 0, done.stderr
    assert "passed" in done.stdout
    done = run_cli("migrations", "roundtrip", "--format", "json", cwd=FIXTURES / "alembic_bad_downgrade")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert data["ok"] is False
    assert [s["migration"].split(" ")[0] for s in data["results"][0]["steps"] if s["status"] != "ok"] == ["0002"]


def test_never_runs_an_env_py_that_builds_its_own_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "proj"
    shutil.copytree(FIXTURES / "alembic_clean", tree)
    env = tree / "alembic" / "env.py"
    env.write_text("import os\n" + env.read_text().replace("config.get_section(config.config_ini_section, {})", "{'sqlalchemy.url': os.environ['DATABASE_URL']}"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'real.db'}")
    with pytest.raises(UsageError, match="refused a connection"):
        alembic_roundtrip(tree / "alembic.ini")
    assert not (tmp_path / "real.db").exists()


def test_no_migrations_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no alembic.ini"):
        run(tmp_path)
    done = run_cli("migrations", "roundtrip", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2 and "no alembic.ini" in done.stderr


@pytest.mark.postgres
def test_clean_alembic_tree_passes_on_postgresql(fresh_pg_database: str) -> None:
    result = alembic_roundtrip(FIXTURES / "alembic_clean" / "alembic.ini", dsn=fresh_pg_database)
    assert result.database.startswith("postgresql")
    assert result.ok, result.to_dict()
    assert len(result.steps) == 4


@pytest.mark.postgres
def test_broken_downgrades_are_reported_on_postgresql(fresh_pg_database: str) -> None:
    result = alembic_roundtrip(FIXTURES / "alembic_bad_downgrade" / "alembic.ini", dsn=fresh_pg_database)
    assert statuses(result) == {"0001": "ok", "0002": "not-restored", "0003": "ok"}


@pytest.mark.postgres
def test_empty_downgrade_on_postgresql(fresh_pg_database: str) -> None:
    result = alembic_roundtrip(FIXTURES / "alembic_empty_downgrade" / "alembic.ini", dsn=fresh_pg_database)
    assert [(p.migration.split(" ")[0], p.status) for p in result.problems] == [("0002", "not-restored")]


@pytest.mark.postgres
def test_clean_django_app_passes_on_postgresql(fresh_pg_database: str) -> None:
    pytest.importorskip("django")
    result = django_roundtrip(FIXTURES / "django_clean", "shopsite.settings", dsn=fresh_pg_database)
    assert result.ok, result.to_dict()
    assert len(result.steps) == 5


@pytest.mark.postgres
def test_refuses_a_database_that_is_not_empty(fresh_pg_database: str) -> None:
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(fresh_pg_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE precious (id int)")
    with pytest.raises(UsageError, match="not empty"):
        alembic_roundtrip(FIXTURES / "alembic_clean" / "alembic.ini", dsn=fresh_pg_database)
    with psycopg.connect(fresh_pg_database, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM precious").fetchone() == (0,)
