"""Clean ends: a closed pipe ends quietly, every command outside a repository works or says why
in one line, no library logs on stderr unless -v, no traceback without -v."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support import run_cli, write_tree


def _exe() -> list[str]:
    exe = Path(sys.executable).parent / "backend-gates"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "backend_gates"]


@pytest.mark.parametrize("args", [("config",), ("rules",), ("check", "--no-cache"), ("explain", "BG201")], ids=lambda a: a[0])
def test_closed_pipe_ends_quietly(tmp_path: Path, args: tuple[str, ...]) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "app.py": "def f():\n    try:\n        g()\n    except:\n        pass\n"})
    proc = subprocess.Popen([*_exe(), *args], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # `| head -1`
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert code in (0, 1), (code, err)


@pytest.mark.parametrize(
    "args",
    [("docs",), ("check",), ("routes",), ("sql",), ("config",), ("rules",), ("migrations", "roundtrip"), ("spec-diff", "a.yaml", "b.yaml"), ("report", "x.json", "--html", "y.html")],
    ids=lambda a: "-".join(a),
)
def test_every_command_outside_a_repository_works_or_says_why_in_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = run_cli(*args, cwd=tmp_path)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    if done.returncode == 2:
        lines = [l for l in done.stderr.strip().splitlines() if l.strip()]
        assert len(lines) == 1 and lines[0].startswith("backend-gates: error:"), done.stderr
    else:
        assert done.returncode in (0, 1), done.stderr
    assert not (tmp_path / "docs").exists()  # `docs` outside a checkout writes nothing


def test_no_library_logs_on_stderr_unless_verbose(tmp_path: Path) -> None:
    """sqlglot warns (with the raw SQL) on statements it cannot fully parse: never on stderr."""
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.backend-gates]\n",
        "migrations/0001.sql": "CREATE TABLE t (id int);\nSELECT * FROM t WHERE x = 'pw-in-sql-1234' CONNECT BY PRIOR id = parent;\nWEIRD STATEMENT 'S3cretPw99' ;;\n",
        "app.py": "def f(cur):\n    cur.execute(\"MERGE INTO t USING s ON (t.id = s.id) WHEN MATCHED THEN UPDATE SET password = 'LeakedPw123'\")\n",
    })
    done = run_cli("check", "--no-cache", cwd=tmp_path)
    assert done.stderr.strip() == "", done.stderr
    done = run_cli("sql", cwd=tmp_path)
    assert "LeakedPw123" not in done.stdout + done.stderr
    assert not [l for l in done.stderr.splitlines() if "sqlglot" in l.lower()], done.stderr
