"""No secret value appears in any output: plant secrets, run every format and the gate report,
grep the outputs for the planted strings."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import run_cli, write_tree

SECRETS = {
    "secret_key": "k3J9xq2LmP8vR4tW7yZ1bN6cF0gH5jD2",
    "db_password": "S3cretPassw0rdQ8",
    "aws": "AKIAQYLPMN5HHHFPZAM2",
    "github": "ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R",
    "slack": "xoxb-2948572019-8837465510-Zk3Qp9LmX2vR7tW4",
    "kwarg_password": "Vx7#kQ2p!mZ9wL4",
    "bearer": "b7Fq9ZxL2mN8vR4tK6yP3wS1",
    "sql_password": "Pl4ntedSQLpw99",
    "jwt_secret": "jwt-signing-secret-2f8a9c1d7e",
    "redis": "Zq8v2LmX0pR4nB7y",
    "pem_body": "MIIEpAIBAAKCAQEA7bq9xQ1n1vU5mYk3h2s8dP0fL6rT9wZcJ4gH2kN8mQ5vX1yB",
}

APP = f'''import hashlib
import logging

import requests

log = logging.getLogger(__name__)

SECRET_KEY = "{SECRETS['secret_key']}"
DATABASE_URL = "postgresql://shop:{SECRETS['db_password']}@db.internal:5432/shop"
AWS_ACCESS_KEY_ID = "{SECRETS['aws']}"
GH = "{SECRETS['github']}"
SLACK = "{SECRETS['slack']}"
JWT_SECRET = "{SECRETS['jwt_secret']}"
CACHE = "redis://:{SECRETS['redis']}@cache:6379/0"
PRIVATE_KEY = """-----BEGIN RSA PRIVATE KEY-----
{SECRETS['pem_body']}
-----END RSA PRIVATE KEY-----"""


def connect():
    return make_conn(host="db", user="app", password="{SECRETS['kwarg_password']}")


def call(url):
    return requests.get(url, headers={{"Authorization": "Bearer {SECRETS['bearer']}"}}, verify=False, timeout=5)


def rotate(cur, user):
    cur.execute("ALTER USER " + user + " WITH PASSWORD '{SECRETS['sql_password']}'")


def login(password):
    log.info("login with %s", password)
    return hashlib.md5(password.encode()).hexdigest()
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("leak")
    write_tree(root, {"pyproject.toml": "[tool.backend-gates]\npaths = ['app']\n", "app/settings.py": APP})
    return root


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "concise"])
def test_no_secret_in_output_format(project: Path, fmt: str) -> None:
    report = project / f"report-{fmt}.json"
    result = run_cli("check", "--no-cache", "--format", fmt, "--report", str(report), cwd=project)
    outputs = {"stdout": result.stdout, "stderr": result.stderr, "report": report.read_text(encoding="utf-8")}
    # the run really found the planted secrets (the test is not vacuous)
    for code in ("BG210", "BG211", "BG212", "BG201", "BG221", "BG230", "BG220"):
        assert code in outputs["report"], f"{code} did not fire on the planted secrets"
    for where, text in outputs.items():
        for label, secret in SECRETS.items():
            assert secret not in text, f"{label} secret leaked into {fmt} {where}"
