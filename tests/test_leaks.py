"""Secrets never reach any output or the disk.

Secrets are planted in every input kind (Python code, SQL files, OpenAPI specs, configuration,
the output of an evidence command, recorded HTTP bodies) and every output is grepped for them:
every `check` format, the gate report event, the HTML report, `sql`, `config`, `routes`,
stderr, the cache directory on disk, the language server's messages and the pytest plugin's
report. Each planted value is distinct, so a leak names its source.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from support import run_cli, write_tree

PLANTED = {
    # code
    "code_secret_key": "k3J9xq2LmP8vR4tW7yZ1bN6cF0gH5jD2",
    "code_dsn_password": "S3cretPassw0rdQ8",
    "code_aws": "AKIAQYLPMN5HHHFPZAM2",
    "code_kwarg_password": "Vx7kQ2pmZ9wL4qq",
    "code_sql_password": "Pl4ntedSQLpw99",
    "code_libpq_password": "LibpqPw0rd5521",
    # SQL files
    "sql_user_password": "SqlFileUserPw771",
    "sql_dsn_password": "SqlCommentDsnPw883",
    # OpenAPI spec
    "spec_example_token": "SpecExampleTok9k2",
    "spec_server_password": "SpecServerPw4410",
    # configuration
    "config_webhook_token": "WebhookTok3nXYZ1234",
    # evidence command output
    "evidence_stderr_password": "BackupStderrPw8801",
    "evidence_stdout_token": "BackupStdoutTok7702",
}
P = PLANTED

APP = f'''import requests

SECRET_KEY = "{P['code_secret_key']}"
DATABASE_URL = "postgresql://shop:{P['code_dsn_password']}@db.internal:5432/shop"
AWS_ACCESS_KEY_ID = "{P['code_aws']}"
LIBPQ = "host=db user=app password={P['code_libpq_password']} dbname=shop"


def connect():
    return make_conn(host="db", user="app", password="{P['code_kwarg_password']}")


def rotate(cur, user):
    cur.execute("ALTER USER " + user + " WITH PASSWORD '{P['code_sql_password']}'")


def fetch(cur, uid):
    cur.execute(f"SELECT * FROM users WHERE id = {{uid}}")
'''

SQL = f"""-- restore from postgresql://admin:{P['sql_dsn_password']}@db.internal/prod
CREATE USER reporting WITH PASSWORD '{P['sql_user_password']}';
DROP TABLE legacy_users;
ALTER TABLE orders ADD COLUMN note text NOT NULL;
"""

SPEC = f"""openapi: 3.0.3
info: {{title: shop, version: "1"}}
servers:
  - url: https://api:{P['spec_server_password']}@api.example.com/v1
paths:
  /login:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                token: {{type: string, example: "{P['spec_example_token']}"}}
                amount: {{type: {{}}}}
      responses:
        "200": {{description: ok}}
"""

BACKUP = f"""#!/bin/sh
echo "pg_dump: connecting with host=db user=backup password={P['evidence_stderr_password']}" >&2
echo "token={P['evidence_stdout_token']}"
echo "pg_dump: error: connection to server failed: password={P['evidence_stderr_password']}" >&2
exit 1
"""

PYPROJECT = f"""[tool.backend-gates]
paths = ["app", "migrations", "openapi.yaml"]

[tool.backend-gates.db]
backup-command = "sh backup.sh"

[tool.backend-gates.runtime]
webhook = "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/{P['config_webhook_token']}"
"""


def leaks(text: str) -> list[str]:
    return [label for label, value in PLANTED.items() if value in text]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("leaky")
    write_tree(
        root,
        {
            "pyproject.toml": PYPROJECT,
            "app/settings.py": APP,
            "migrations/0001_users.sql": SQL,
            "openapi.yaml": SPEC,
            "backup.sh": BACKUP,
        },
    )
    os.chmod(root / "backup.sh", os.stat(root / "backup.sh").st_mode | stat.S_IXUSR)
    return root


def _run(project: Path, *args: str) -> str:
    done = run_cli(*args, cwd=project)
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout + "\n" + done.stderr


def test_pyproject_keys_are_known(project: Path) -> None:
    """The configuration used by the leak test is valid (otherwise the test would be vacuous)."""
    done = run_cli("config", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "backup-command" in done.stdout and "webhook" in done.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "concise", "gitlab", "junit"])
def test_no_planted_secret_in_any_check_format(project: Path, fmt: str, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    out = tmp_path / "out.txt"
    done = run_cli("check", "--no-cache", "-f", fmt, "--report", str(event), cwd=project)
    assert "Traceback" not in done.stderr, done.stderr
    run_cli("check", "--no-cache", "-f", fmt, "-o", str(out), cwd=project)
    texts = {"stdout": done.stdout, "stderr": done.stderr, "event": event.read_text(), "-o file": out.read_text()}
    # not vacuous: the secrets' surroundings were reported
    data = json.loads(texts["event"])
    codes = {f["rule"] for f in data["findings"]}
    assert {"BG210", "BG201"} <= codes, codes
    assert "backup-command exited 1" in texts["event"]
    for where, text in texts.items():
        assert not leaks(text), f"{fmt} {where} leaks {leaks(text)}"


def test_no_planted_secret_in_html_report(project: Path, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    run_cli("check", "--no-cache", "--report", str(event), cwd=project)
    html = tmp_path / "report.html"
    done = run_cli("report", str(event), "--html", str(html), cwd=project)
    assert done.returncode == 0, done.stderr
    assert not leaks(html.read_text() + done.stdout + done.stderr)


@pytest.mark.parametrize(
    "args",
    [("sql",), ("sql", "--format", "json"), ("config",), ("config", "--format", "json"), ("routes",), ("rules",)],
    ids=lambda a: "-".join(a),
)
def test_no_planted_secret_in_other_commands(project: Path, args: tuple[str, ...]) -> None:
    assert not leaks(_run(project, *args))


def test_no_planted_secret_in_the_cache_directory(project: Path, tmp_path: Path) -> None:
    tree = tmp_path / "cached"
    import shutil

    shutil.copytree(project, tree)
    for _ in range(2):  # cold, then warm (replayed from the cache)
        done = run_cli("check", "-f", "json", cwd=tree)
        assert "Traceback" not in done.stderr
        assert not leaks(done.stdout + done.stderr)
    cache = tree / ".backend-gates"
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert files, "the run wrote no cache"
    for path in files:
        found = leaks(path.read_text(encoding="utf-8", errors="replace"))
        assert not found, f"{path.relative_to(tree)} stores {found}"


def test_no_planted_secret_in_language_server_messages(project: Path) -> None:
    pytest.importorskip("pygls")
    from test_lsp import Client, _initialize

    client = Client(project)
    try:
        _initialize(client, project)
        seen: list[str] = []
        for rel in ("app/settings.py", "migrations/0001_users.sql", "openapi.yaml"):
            path = project / rel
            uri = path.as_uri()
            client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": path.read_text()}})
            if rel.endswith(".py"):
                seen.append(json.dumps(client.diagnostics(uri)))
        client.request("shutdown", None)
        client.notify("exit", None)
        client.close()
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
    assert "BG" in seen[0]
    while not client.messages.empty():
        seen.append(json.dumps(client.messages.get()))
    for text in seen:
        assert not leaks(text), leaks(text)


def test_no_planted_secret_in_the_plugin_report(pytester: pytest.Pytester, project: Path) -> None:
    for rel in ("pyproject.toml", "app/settings.py", "migrations/0001_users.sql", "openapi.yaml", "backup.sh"):
        target = pytester.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((project / rel).read_text())
    pytester.makepyfile(test_it="def test_ok():\n    assert True\n")
    result = pytester.runpytest_subprocess("--backend-gates", "-p", "no:cacheprovider")
    text = result.stdout.str() + result.stderr.str()
    report = pytester.path / ".backend-gates" / "report.json"
    assert report.exists(), text
    text += report.read_text()
    assert "backend-gates" in text
    assert not leaks(text), leaks(text)
