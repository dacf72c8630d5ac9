"""A one-file run of an edited file takes the answers its last analysis computed with sqlglot
(statement kinds of its SQL text) from the cache instead of importing sqlglot again: only new SQL
text is parsed. The findings are those of a fresh run either way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support import write_tree

DB = '''def find(cur, name):
    cur.execute("SELECT id, name FROM users WHERE name = %s ORDER BY id", (name,))
    return cur.fetchall()


def count(cur, table):
    cur.execute(f"SELECT count(*) FROM {table}")
    return cur.fetchone()
'''


def _check(root: Path, *args: str) -> tuple[list[tuple[str, int]], set[str]]:
    """(rule, line) of the findings, and the modules the run imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKEND_GATES_")}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "backend_gates", "check", "-f", "json", "--no-report", *args],
        cwd=root, capture_output=True, text=True, env=env, timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    found = sorted((f["rule"], f["line"]) for f in json.loads(done.stdout)["findings"] if f["path"] == "app/db.py")
    return found, imported


def test_an_edited_file_keeps_its_sql_answers_and_only_new_text_is_parsed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/__init__.py": "", "app/db.py": DB})
    cold, imported = _check(tmp_path)
    assert "sqlglot" in imported and ("BG202", 7) in cold

    (tmp_path / "app" / "db.py").write_text(DB.replace("    return cur.fetchall()", "    rows = cur.fetchall()\n    return rows"))
    edited, imported = _check(tmp_path, "app/db.py")
    assert "sqlglot" not in imported
    assert edited == _check(tmp_path, "app/db.py", "--no-cache")[0] == [(r, n + 1 if n > 3 else n) for r, n in cold]

    (tmp_path / "app" / "db.py").write_text(DB.replace("ORDER BY id", "ORDER BY name"))
    changed, imported = _check(tmp_path, "app/db.py")
    assert "sqlglot" in imported  # new text: judged by sqlglot
    assert changed == _check(tmp_path, "app/db.py", "--no-cache")[0] == cold
