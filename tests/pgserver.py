"""A real PostgreSQL server for tests.

Uses `$BACKEND_GATES_TEST_PG_DSN` when set (CI starts a server), else starts a throw-away cluster
with the local PostgreSQL binaries (as the `postgres` user when running as root). Without a server
the tests skip with the reason, except in CI (`CI=true`), where that is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL needed in CI but unavailable: {reason}")
    pytest.skip(f"no PostgreSQL server: {reason}")


@pytest.fixture(scope="session")
def postgres_dsn():
    """DSN of a running PostgreSQL server whose `postgres` database the tests may use."""
    env = os.environ.get("BACKEND_GATES_TEST_PG_DSN")
    if env:
        yield env
        return
    bindir = _bindir()
    if bindir is None:
        _unavailable("PostgreSQL binaries not installed (apt-get install postgresql)")
    base = tempfile.mkdtemp(prefix="bg-pg-")
    os.chmod(base, 0o777)
    data = os.path.join(base, "data")
    port = _free_port()
    try:
        if os.geteuid() == 0:
            shutil.chown(base, "postgres")
        subprocess.run(
            _as_postgres([str(bindir / "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]),
            check=True, capture_output=True, timeout=120,
        )
        subprocess.run(
            _as_postgres([
                str(bindir / "pg_ctl"), "-D", data, "-w", "-l", os.path.join(base, "log"),
                "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
            ]),
            check=True, capture_output=True, timeout=120,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        _unavailable(f"cannot start a local cluster: {exc} {detail.decode(errors='replace')[:300]}")
    dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    deadline = time.time() + 30
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    try:
        yield dsn
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", data, "-m", "immediate", "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def fresh_pg_database(postgres_dsn: str):
    """A new empty database on the server; dropped afterwards. Yields its DSN."""
    import uuid

    psycopg = pytest.importorskip("psycopg")
    name = f"bg_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _db = postgres_dsn.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
