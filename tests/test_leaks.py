"""Secrets never reach any output or the disk.

Secrets are planted in every input kind (Python code, SQL files, OpenAPI specs, configuration,
the output of an evidence command, and HTTP requests and responses the plugin records: bodies,
headers, query strings) and every output is grepped for them:
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


# ----------------------------------------------------------------------------- recorded HTTP bodies

HTTP_PLANTED = {
    "http_request_body_password": "ReqBodyPw5521xq",
    "http_request_header_token": "HdrBearerTok8812zz",
    "http_query_token": "QueryApiKey4471kk",
    "http_response_body_token": "RespBodyTok3390mm",
    "http_response_body_plain": "RespPlainSecret6618",
    "http_error_body_secret": "ErrBodySecret2207pp",
}
H = HTTP_PLANTED

HTTP_APP = f'''from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

app = FastAPI()


@app.post("/api/login")
async def login(request: Request) -> dict[str, str]:
    await request.json()
    return {{"session": "ok"}}


@app.get("/api/me")
def me(authorization: str | None = Header(default=None), api_key: str = "") -> dict[str, object]:
    # the spec says `token` is an integer: the response fails validation with the value in hand
    return {{"token": "{H['http_response_body_token']}", "note": "{H['http_response_body_plain']}"}}


@app.get("/api/boom")
def boom() -> JSONResponse:
    return JSONResponse({{"detail": "database password {H['http_error_body_secret']} rejected"}}, status_code=500)
'''

HTTP_SPEC = """openapi: 3.0.3
info: {title: leaky, version: "1"}
paths:
  /api/login:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                password: {type: integer}
      responses:
        "200": {description: ok}
  /api/me:
    get:
      parameters:
        - {name: api_key, in: query, schema: {type: string}}
      security: [{bearer: []}]
      responses:
        "200":
          description: me
          content:
            application/json:
              schema:
                type: object
                properties:
                  token: {type: integer}
                  note: {type: string, maxLength: 3}
  /api/boom:
    get:
      responses:
        "200": {description: never}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
"""

HTTP_TESTS = f'''from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_login():
    assert client.post("/api/login", json={{"password": "{H['http_request_body_password']}"}}).status_code == 200


def test_me():
    answer = client.get("/api/me?api_key={H['http_query_token']}", headers={{"Authorization": "Bearer {H['http_request_header_token']}"}})
    assert answer.status_code == 200


def test_boom():
    assert client.get("/api/boom").status_code == 500
'''


def http_leaks(text: str) -> list[str]:
    return [label for label, value in HTTP_PLANTED.items() if value in text]


def test_no_recorded_http_body_secret_in_any_output(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """Secrets in request/response bodies, headers and query strings the plugin records: not in
    the terminal, the report, events.jsonl, the HTML report, any format rendered from the plugin's
    report, the baseline it writes, the cache directory, or the language server's messages."""
    pytest.importorskip("fastapi")
    pytester.makepyprojecttoml(
        '[tool.backend-gates]\npaths = ["app"]\n[tool.backend-gates.openapi]\nspec = ["openapi.yaml"]\n'
        '[tool.backend-gates.runtime]\nhtml = ".backend-gates/report.html"\nreplay-unauthenticated = true\n'
    )
    write_tree(pytester.path, {"app/__init__.py": "", "app/main.py": HTTP_APP, "openapi.yaml": HTTP_SPEC, "test_api.py": HTTP_TESTS})
    baseline = pytester.path / "baseline.json"
    result = pytester.runpytest_subprocess("--backend-gates", "-p", "no:cacheprovider", "-rA", "--backend-gates-write-baseline", str(baseline))
    result.assert_outcomes(passed=3)
    seen = {"terminal": result.stdout.str() + result.stderr.str()}
    out = pytester.path / ".backend-gates"
    for path in sorted(p for p in out.rglob("*") if p.is_file()):  # report, events, HTML, cache
        seen[str(path.relative_to(pytester.path))] = path.read_text(encoding="utf-8", errors="replace")
    seen["baseline"] = baseline.read_text()
    report = out / "report.json"
    event = json.loads(report.read_text())
    from backend_gates.formatters import FORMATS, renderer
    from backend_gates.merge_cmd import merge_report

    finished = merge_report([event])  # the plugin's report, rendered in every output format
    for fmt in FORMATS:
        seen[f"format {fmt}"] = renderer(fmt)(finished)
    done = run_cli("merge", str(report), "--exit-zero", cwd=pytester.path)
    seen["merge"] = done.stdout + done.stderr
    # not vacuous: the bodies were recorded and judged (validation failures, the 5xx, the replay)
    codes = {f["rule"] for f in event["findings"]}
    assert {"BG541", "BG540"} <= codes, codes
    # the response body's value reached a message (a validation error quotes it), masked
    assert any("/token" in f["message"] and "is not of type 'integer'" in f["message"] for f in event["findings"])
    assert {e["path"] for e in event["endpoints"]} >= {"/api/login", "/api/me", "/api/boom"}
    assert ".backend-gates/report.html" in seen
    for where, text in seen.items():
        assert not http_leaks(text), f"{where} leaks {http_leaks(text)}"

    pytest.importorskip("pygls")
    from test_lsp import Client, _initialize

    client = Client(pytester.path)
    messages: list[str] = []
    try:
        _initialize(client, pytester.path)
        for rel in ("app/main.py", "test_api.py"):
            path = pytester.path / rel
            client.notify("textDocument/didOpen", {"textDocument": {"uri": path.as_uri(), "languageId": "python", "version": 1, "text": path.read_text()}})
            messages.append(json.dumps(client.diagnostics(path.as_uri())))
        client.request("shutdown", None)
        client.notify("exit", None)
        client.close()
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
    while not client.messages.empty():
        messages.append(json.dumps(client.messages.get()))
    # the planted values sit in the files the editor opened: the server may not echo them either
    for text in messages:
        assert not http_leaks(text), http_leaks(text)
