"""The round trip never touches a database it did not create.

The scenario of issue 16: the full-stack FastAPI template's env.py sets
`configuration["sqlalchemy.url"] = get_url()` from the application's settings, with
`DATABASE_URL` pointing at the developer's real, migrated database full of rows. The round trip
must either run on its scratch database or refuse (exit 2), and the real database stays
byte-for-byte unchanged (SQLite: file hash; PostgreSQL: pg_dump and table contents).
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from support import FIXTURES, run_cli

pytest.importorskip("alembic")

TEMPLATE_ENV = '''\
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
target_metadata = None


class Settings:  # the template reads app.core.config.settings, built from the environment
    DATABASE_URL = os.environ["DATABASE_URL"]


settings = Settings()


def get_url():
    return str(settings.DATABASE_URL)


def run_migrations_online():
    configuration = config.get_section(config.config_ini_section)
    assert configuration is not None
    configuration["sqlalchemy.url"] = get_url()
    connectable = engine_from_config(configuration, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
'''

# env.py forms that bypass SQLAlchemy's URL handling entirely
RAW_DRIVER_ENV = '''\
import os
from alembic import context
from sqlalchemy import create_engine, pool
config = context.config
{connect}
connectable = create_engine("{prefix}://", creator=_connect, poolclass=pool.NullPool)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
'''


def template_tree(tmp_path: Path, env_text: str = TEMPLATE_ENV) -> Path:
    tree = tmp_path / "proj"
    shutil.copytree(FIXTURES / "alembic_clean", tree)
    (tree / "alembic" / "env.py").write_text(env_text)
    return tree


def migrate_real(tree: Path, url: str) -> None:
    """The developer's database: migrated to head with rows in it (as `alembic upgrade head` left it)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(tree / "alembic.ini"))
    cfg.set_main_option("script_location", str(FIXTURES / "alembic_clean" / "alembic"))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def real_sqlite(tmp_path: Path) -> Path:
    db = tmp_path / "developer.sqlite3"
    tree = template_tree(tmp_path / "setup")
    migrate_real(tree, f"sqlite:///{db}")
    with sqlite3.connect(db) as conn:
        conn.executemany("INSERT INTO users (email, name) VALUES (?, ?)", [(f"u{i}@example.com", f"user {i}") for i in range(50)])
    return db


def assert_refused(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "refused a connection" in done.stderr and "scratch database" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert "passed" not in done.stdout


def test_template_env_with_real_sqlite_database_is_refused_and_the_file_is_unchanged(tmp_path: Path, real_sqlite: Path) -> None:
    before = sha256(real_sqlite)
    tree = template_tree(tmp_path)
    done = run_cli("migrations", "roundtrip", cwd=tree, env={"DATABASE_URL": f"sqlite:///{real_sqlite}"})
    assert_refused(done)
    assert str(real_sqlite) in done.stderr  # names what it refused (a path, not a secret)
    assert sha256(real_sqlite) == before
    with sqlite3.connect(real_sqlite) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (50,)


@pytest.mark.parametrize("form", ["sqlite3", "aiosqlite-url"])
def test_raw_driver_connections_are_refused(tmp_path: Path, real_sqlite: Path, form: str) -> None:
    before = sha256(real_sqlite)
    if form == "sqlite3":
        env_text = RAW_DRIVER_ENV.format(
            connect="import sqlite3\ndef _connect():\n    return sqlite3.connect(os.environ['REAL_DB'])", prefix="sqlite"
        )
    else:
        env_text = TEMPLATE_ENV.replace('os.environ["DATABASE_URL"]', '"sqlite+aiosqlite:///" + os.environ["REAL_DB"]')
    tree = template_tree(tmp_path, env_text)
    done = run_cli("migrations", "roundtrip", cwd=tree, env={"REAL_DB": str(real_sqlite)})
    assert_refused(done)
    assert sha256(real_sqlite) == before


def test_env_py_reading_the_configured_url_still_runs_on_the_scratch_file(tmp_path: Path) -> None:
    tree = template_tree(tmp_path, (FIXTURES / "alembic_clean" / "alembic" / "env.py").read_text())
    done = run_cli("migrations", "roundtrip", cwd=tree, env={"DATABASE_URL": "sqlite:////nonexistent/real.db"})
    assert done.returncode == 0, done.stderr
    assert "sqlite (scratch file)" in done.stdout and "passed" in done.stdout


def test_the_guard_is_removed_after_the_run(real_sqlite: Path) -> None:
    from backend_gates.migrations.guard import guarded, sqlite_target

    original = sqlite3.connect
    with guarded(sqlite_target("/tmp/scratch-only.sqlite3")):
        assert sqlite3.connect is not original
        with pytest.raises(Exception, match="refused a connection"):
            sqlite3.connect(str(real_sqlite))
        sqlite3.connect(":memory:").close()  # harmless
    assert sqlite3.connect is original


# ----------------------------------------------------------------------------- PostgreSQL


def pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def pg_snapshot(dsn: str) -> tuple[str, list[tuple[object, ...]]]:
    """A dump of the whole database (schema and data) plus the users table's rows."""
    import psycopg

    dump = ""
    tool = pg_bin("pg_dump")
    if tool:
        done = subprocess.run([tool, "--no-owner", "--dbname", dsn], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        # \restrict / \unrestrict carry a random per-dump key (pg_dump >= 15.14)
        dump = "\n".join(l for l in done.stdout.splitlines() if not l.startswith(("\\restrict", "\\unrestrict")))
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT id, email, name FROM users ORDER BY id").fetchall()
        rows += conn.execute("SELECT version_num, NULL, NULL FROM alembic_version").fetchall()
    return dump, rows


@pytest.fixture
def real_pg(fresh_pg_database: str, tmp_path: Path) -> str:
    psycopg = pytest.importorskip("psycopg")
    url = fresh_pg_database.replace("postgresql://", "postgresql+psycopg://", 1)
    migrate_real(template_tree(tmp_path / "setup"), url)
    with psycopg.connect(fresh_pg_database, autocommit=True) as conn:
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO users (email, name) VALUES (%s, %s)", [(f"u{i}@example.com", f"user {i}") for i in range(50)])
    return fresh_pg_database


@pytest.mark.postgres
def test_template_env_with_real_postgresql_database_is_refused_and_unchanged(tmp_path: Path, real_pg: str) -> None:
    before = pg_snapshot(real_pg)
    assert len(before[1]) == 51
    tree = template_tree(tmp_path)
    url = real_pg.replace("postgresql://", "postgresql+psycopg://", 1)
    done = run_cli("migrations", "roundtrip", cwd=tree, env={"DATABASE_URL": url})
    assert_refused(done)
    assert pg_snapshot(real_pg) == before


@pytest.mark.postgres
def test_psycopg_direct_connection_with_scratch_dsn_is_refused(tmp_path: Path, real_pg: str, postgres_dsn: str) -> None:
    """Even with --dsn naming an empty scratch database, env.py's own connection is refused."""
    import uuid

    import psycopg

    before = pg_snapshot(real_pg)
    scratch = f"bg_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{scratch}"')
    try:
        env_text = RAW_DRIVER_ENV.format(
            connect="import psycopg\ndef _connect():\n    return psycopg.connect(os.environ['REAL_DSN'])", prefix="postgresql+psycopg"
        )
        tree = template_tree(tmp_path, env_text)
        base = postgres_dsn.rpartition("/")[0]
        done = run_cli("migrations", "roundtrip", "--dsn", f"{base}/{scratch}", cwd=tree, env={"REAL_DSN": real_pg})
        assert_refused(done)
        assert pg_snapshot(real_pg) == before
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


@pytest.mark.postgres
def test_dsn_naming_the_real_database_stops_before_running_anything(tmp_path: Path, real_pg: str) -> None:
    before = pg_snapshot(real_pg)
    tree = template_tree(tmp_path, (FIXTURES / "alembic_clean" / "alembic" / "env.py").read_text())
    done = run_cli("migrations", "roundtrip", "--dsn", real_pg, cwd=tree)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "not empty" in done.stderr and "Traceback" not in done.stderr
    assert pg_snapshot(real_pg) == before


@pytest.mark.postgres
def test_dsn_with_a_table_in_another_schema_is_not_empty(tmp_path: Path, fresh_pg_database: str) -> None:
    import psycopg

    with psycopg.connect(fresh_pg_database, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA billing")
        conn.execute("CREATE TABLE billing.invoices (id int)")
        conn.execute("INSERT INTO billing.invoices VALUES (1)")
    done = run_cli("migrations", "roundtrip", "--dsn", fresh_pg_database, cwd=FIXTURES / "alembic_clean")
    assert done.returncode == 2 and "not empty" in done.stderr, done.stderr
    with psycopg.connect(fresh_pg_database) as conn:
        assert conn.execute("SELECT count(*) FROM billing.invoices").fetchone() == (1,)


def test_django_settings_reading_a_real_database_are_replaced_or_refused(tmp_path: Path, real_sqlite: Path) -> None:
    """Django: DATABASES is replaced before setup; a settings module that opens the real database
    itself at import is refused."""
    pytest.importorskip("django")
    before = sha256(real_sqlite)
    tree = tmp_path / "dj"
    shutil.copytree(FIXTURES / "django_clean", tree)
    settings = tree / "shopsite" / "settings.py"
    settings.write_text(settings.read_text() + "\nimport sqlite3, os\nsqlite3.connect(os.environ['REAL_DB']).execute('DELETE FROM users')\n")
    done = run_cli("migrations", "roundtrip", cwd=tree, env={"REAL_DB": str(real_sqlite)})
    assert_refused(done)
    assert sha256(real_sqlite) == before
    assert os.path.exists(real_sqlite)
