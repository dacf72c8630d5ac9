"""SEC-CRYPTO: secrets written into the source (passwords, tokens, keys, DSN passwords).

Values are never printed: messages and evidence show `mask(value)` only.
"""

from __future__ import annotations

import re
from typing import Any

import libcst as cst

from ...model import Severity
from ...redact import DSN_PASSWORD, KEY_FORMATS, KV_PASSWORD, PRIVATE_KEY, mask
from ..base import Bad, Option, PythonCheck
from . import _sensitive as S

_ENV_CALLS = re.compile(r"(^|\.)(getenv|get_env|env|environ\.get|config|get_secret|getpass|secret|Secret|SecretStr)$")


_AUTH_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "x-auth-token", "proxy-authorization"})


def _string_value(node: cst.BaseExpression) -> str | None:
    """The value of a plain (non-f) string literal or an implicit concatenation of them."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if isinstance(node, cst.ConcatenatedString):
        left, right = _string_value(node.left), _string_value(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _target_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index):
            return _string_value(index.value)
    if isinstance(node, cst.SimpleString):
        return _string_value(node)
    return None


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr.value}" if inner else node.attr.value
    return ""


def masked_evidence(name: str, op: str, value: str) -> str:
    return f"{name}{op}\"{mask(value)}\""


class HardcodedSecret(PythonCheck):
    """A password, token, API key or secret key written as a literal, found by the name it is given.

    Why it matters: whoever can read the code (every developer, CI logs, a leaked repository,
    the built image) holds the credential, it cannot be rotated without a deploy, and the same
    value usually ends up shared between environments. Read it from the environment or a secret
    manager (`os.environ["SECRET_KEY"]`, pydantic `BaseSettings`, Vault).
    Looks at assignments (`SECRET_KEY = "..."`, `self.password = ...`, `app.config["API_KEY"] = ...`),
    keyword arguments (`connect(password="...")`), dict entries (`{"api_key": "..."}`), parameter
    defaults and comparisons (`if password == "..."`). Names that describe a secret rather than hold
    one (`password_field`, `TOKEN_URL`, `token_type`) and placeholder values (`""`, `"changeme"`,
    `"<your-key>"`, labels, env-var names, URLs, messages) are ignored; tokens and keys must also
    look machine-made (length, mixed characters, Shannon entropy above `thresholds.secret-min-entropy`).
    Defaults of settings classes that read the environment (pydantic `BaseSettings`) are reported
    only when they look machine-made (a development default like `"mealie"` is not).
    Known limits: test files are skipped unless `check_tests` is set; a weak password that is a
    plain dictionary word of a placeholder list ("admin", "password") is treated as a placeholder.
    """

    code = "BG210"
    name = "hardcoded-secret"
    gate = "SEC-CRYPTO"
    severity = Severity.ERROR
    message = "hardcoded {what} in `{name}` ({masked}); read it from the environment or a secret manager"
    fix = "load it at runtime, e.g. `SECRET_KEY = os.environ[\"SECRET_KEY\"]` or a pydantic BaseSettings field"
    options = {"check_tests": Option(bool, False, "Also report hardcoded secrets in test files (matching `test-paths`).")}
    triggers = ("pass", "pwd", "PASS", "PWD", "ecret", "ECRET", "oken", "OKEN", "key", "KEY", "Key", "redential", "REDENTIAL", "auth", "Auth", "AUTH")
    references = ["https://cwe.mitre.org/data/definitions/798.html"]

    good = [
        'import os\n\nSECRET_KEY = os.environ["SECRET_KEY"]\n',
        'PASSWORD_FIELD = "password"\nTOKEN_URL = "https://auth.example.com/token"\ntoken_type = "bearer"\n',
        'API_KEY = ""\nDB_PASSWORD = "changeme"\nSTRIPE_KEY = "<your-stripe-key>"\n',
        'def login(form):\n    if not form.password:\n        raise ValueError("password is required")\n',
    ]
    bad = [
        Bad('SECRET_KEY = "k3J9xq2LmP8vR4tW7yZ1bN6cF0gH5jD2"\n', line=1),
        Bad('import psycopg\n\nconn = psycopg.connect(host="db", user="shop", password="S3cretPassw0rd")\n', line=3),
        Bad('HEADERS = {"X-Api": "v2", "api_key": "9f8e7d6c5b4a39281706f5e4d3c2b1a0"}\n', line=1),
        Bad('class Settings:\n    def __init__(self):\n        self.jwt_secret = "jwt-signing-secret-2f8a9c1d7e"\n', line=3),
        Bad('import requests\n\nrequests.get("https://api.example.com", auth=("svc", "Vx7kQ2pmZ9wL4"), timeout=5)\n', line=3),
        Bad('HEADERS = {"Authorization": "Bearer b7Fq9ZxL2mN8vR4tK6yP3wS1"}\n', line=1),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.min_entropy = float(ctx.config.values.get("thresholds.secret-min-entropy", 3.0))
        self.off = ctx.is_test_file and not options.get("check_tests", False)
        self.settings_classes: list[bool] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = [_dotted(b.value) for b in node.bases]
        self.settings_classes.append(any(b.endswith(("BaseSettings", "Settings", "Config", "Env")) for b in bases if b))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.settings_classes.pop()

    # ----------------------------------------------------------------------------- judging
    def judge(
        self, name: str | None, value_node: cst.BaseExpression, report_node: cst.CSTNode, op: str = " = ", keyed: bool = False
    ) -> None:
        if not name or self.off:
            return
        value = _string_value(value_node)
        if value is None:
            return
        kind = S.secret_kind(name)
        value = value.strip()
        if kind is None and name.lower() in _AUTH_HEADERS:
            scheme, _, credential = value.partition(" ")
            if scheme.lower() in ("bearer", "token", "basic", "apikey") and credential:
                value, kind = credential.strip(), "token"
            elif name.lower() != "authorization":
                kind = "API key"
        if kind is None:
            return
        if S.is_placeholder(value, name):
            return
        if any(p.search(value) for _l, p in KEY_FORMATS) or PRIVATE_KEY.search(value):
            return  # BG211 reports known key formats
        if kind != "password" and not S.looks_random(value, self.min_entropy):
            return
        if keyed and kind == "password" and value.isalpha() and value.islower() and len(value) < 10:
            return  # {"password": "input"}: a mapping keyed by field name (widget, css class, type)
        if self.settings_classes and self.settings_classes[-1] and not S.looks_random(value, self.min_entropy):
            return  # an env-overridable settings default that is not a real-looking secret
        self.report(
            report_node,
            what=kind,
            name=name,
            masked=mask(value),
            evidence=masked_evidence(name, op, value),
        )

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self.judge(_target_name(target.target), node.value, node.value, keyed=isinstance(target.target, cst.Subscript))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.judge(_target_name(node.target), node.value, node.value)

    def visit_Call(self, node: cst.Call) -> None:
        if _ENV_CALLS.search(_dotted(node.func)):
            return
        for arg in node.args:
            if arg.keyword is not None:
                self.judge(arg.keyword.value, arg.value, arg.value, "=")
                if arg.keyword.value == "auth" and isinstance(arg.value, cst.Tuple) and len(arg.value.elements) == 2:
                    secret = arg.value.elements[1].value  # requests/httpx auth=(user, password)
                    self.judge("password", secret, secret, "=")

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = _string_value(node.key) if isinstance(node.key, (cst.SimpleString, cst.ConcatenatedString)) else None
        self.judge(key, node.value, node.value, ": ", keyed=True)

    def visit_Param(self, node: cst.Param) -> None:
        if node.default is not None:
            self.judge(node.name.value, node.default, node.default, "=")

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if len(node.comparisons) != 1 or not isinstance(node.comparisons[0].operator, (cst.Equal, cst.NotEqual)):
            return
        left, right = node.left, node.comparisons[0].comparator
        for a, b in ((left, right), (right, left)):
            name = _target_name(a) if isinstance(a, (cst.Name, cst.Attribute, cst.Subscript)) else None
            if name and S.secret_kind(name) == "password":
                self.judge(name, b, node, " == ")


_FORMAT_PLACEHOLDER = re.compile(r"(?i)example|xxxx|0000000000|1234567890|abcdef|\*\*\*|your|fake|dummy|sample")


class SecretInKnownFormat(PythonCheck):
    """A string literal that is a credential by its format: cloud/API keys, tokens, private keys.

    Why it matters: these values are live credentials whatever the variable is called (AWS access
    keys, GitHub/Slack/Stripe/Google/OpenAI/SendGrid keys, signed JWTs, PEM private keys); scanners
    in the wild harvest them from public code within minutes. Revoke the key, then load it from the
    environment or a secret manager.
    Known limits: only formats with a recognisable prefix are known (see `backend_gates.redact`);
    documented example values (`AKIAIOSFODNN7EXAMPLE`, `xxxx`) are ignored; docstrings are skipped;
    test files are checked for cloud/API key formats (unless `ignore_tests` is set) but not for
    PEM private keys and JWTs, which tests generate and sign with all the time.
    """

    code = "BG211"
    name = "secret-in-known-format"
    gate = "SEC-CRYPTO"
    severity = Severity.ERROR
    message = "{what} literal in source ({masked}); revoke it and load it from the environment or a secret manager"
    fix = "revoke the credential, remove it from the code (and history), read it from the environment"
    options = {"ignore_tests": Option(bool, False, "Do not report key formats in test files (matching `test-paths`).")}
    triggers = ("AKIA", "ASIA", "gh", "github_pat_", "xox", "sk_", "rk_", "AIza", "sk-", "eyJ", "SG.", "PRIVATE KEY")
    references = ["https://cwe.mitre.org/data/definitions/798.html"]

    good = [
        'AWS_EXAMPLE = "AKIAIOSFODNN7EXAMPLE"\n',
        'PEM_HEADER = "-----BEGIN RSA PRIVATE KEY-----"\n',
        'import os\n\nGITHUB_TOKEN = os.environ["GITHUB_TOKEN"]\n',
    ]
    bad = [
        Bad('import boto3\n\ns3 = boto3.client("s3", aws_access_key_id="AKIAQYLPMN5HHHFPZAM2")\n', line=3),
        Bad('KEY = """-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq9xQ1n1vU5mYk3h2s8dP0fL6rT9wZcJ4gH2kN8mQ5vX1yB\n-----END RSA PRIVATE KEY-----"""\n', line=1),
        Bad('def client():\n    return Github("ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R")\n', line=2),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.docstrings: set[int] = set()
        self.off = ctx.is_test_file and options.get("ignore_tests", False)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if len(node.body) == 1 and isinstance(node.body[0], cst.Expr):
            self.docstrings.add(id(node.body[0].value))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self.check(node)

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        self.check(node)

    def check(self, node: cst.BaseExpression) -> None:
        if self.off or id(node) in self.docstrings:
            return
        value = _string_value(node)
        if not value or len(value) < 16:
            return
        found = self.classify(value)
        if found is None:
            return
        what, secret = found
        if self.ctx.is_test_file and what in ("private key", "jwt"):
            return  # generated signing keys and sample tokens are everyday test fixtures
        shown = secret if what == "private key" else mask(secret)
        self.report(node, what=what, masked=shown, evidence=f"\"{shown}\"")
        # a concatenation is reported once, not once per piece
        if isinstance(node, cst.ConcatenatedString):
            for part in (node.left, node.right):
                self.docstrings.add(id(part))

    @staticmethod
    def classify(value: str) -> tuple[str, str] | None:
        m = PRIVATE_KEY.search(value)
        if m is not None:
            body = re.sub(r"-----[A-Z ]+-----|\s", "", value[m.start() : m.end()])
            if len(body) >= 40 and not _FORMAT_PLACEHOLDER.search(body[:64]) and "..." not in body:
                return "private key", "PEM block"
            return None
        for label, pattern in KEY_FORMATS:
            hit = pattern.search(value)
            if hit is None:
                continue
            secret = hit.group(0)
            if _FORMAT_PLACEHOLDER.search(secret) or len(set(secret[4:])) <= 4:
                continue
            return label.replace("-", " "), secret
        return None


_DSN_PLACEHOLDERS = frozenset({"password", "pass", "passwd", "pwd", "secret", "changeme", "xxx", "xxxx", "****", "***", "mypassword", "yourpassword"})


class PasswordInDsn(PythonCheck):
    """A connection URL or connection string with the password written into it (`postgresql://app:s3cret@db/app`, `"host=db password=s3cret"`).

    Why it matters: the database (or broker, cache, SMTP) password is in the code and in every
    log line or error message that prints the URL. Read the URL from the environment, or build it
    from parts where the password comes from a secret store.
    Known limits: only string literals are read; a password that equals the user name
    (`postgres:postgres@localhost`) or a placeholder (`user:password@`, `{password}`) counts as a
    development default and is ignored; test files are skipped unless `check_tests` is set.
    """

    code = "BG212"
    name = "password-in-dsn"
    gate = "SEC-CRYPTO"
    severity = Severity.ERROR
    message = "connection URL with an embedded password ({masked}); read the URL or the password from the environment"
    fix = "e.g. `DATABASE_URL = os.environ[\"DATABASE_URL\"]`"
    options = {"check_tests": Option(bool, False, "Also report DSN passwords in test files (matching `test-paths`).")}
    triggers = ("://", "assword", "PASSWORD", "pwd=", "PWD=")
    references = ["https://cwe.mitre.org/data/definitions/798.html"]

    good = [
        'import os\n\nDATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://localhost/app")\n',
        'DATABASE_URL = "postgresql://postgres:postgres@localhost:5432/app"\n',
        'def url(user, password):\n    return f"postgresql://{user}:{password}@db/app"\n',
    ]
    bad = [
        Bad('DATABASE_URL = "postgresql://shop:S3cretPassw0rd@db.internal:5432/shop"\n', line=1),
        Bad('import redis\n\ncache = redis.from_url("redis://:Zq8v2LmX0pR4@cache:6379/0")\n', line=3),
        Bad('import psycopg2\n\nconn = psycopg2.connect("host=db dbname=shop user=app password=Zq8v2LmX0pR4")\n', line=3),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.off = ctx.is_test_file and not options.get("check_tests", False)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self.check(node)

    def check(self, node: cst.SimpleString) -> None:
        value = _string_value(node) if not self.off else None
        if not value or ("://" not in value and "=" not in value):
            return
        kv = KV_PASSWORD.search(value)
        if kv is not None and re.search(r"(?i)\b(host|dbname|server|database|user|uid|data source)\s*=", value):
            password = kv.group(2)
            if password.lower() not in _DSN_PLACEHOLDERS and not S.is_placeholder(password):
                self.report(node, masked="password=****", evidence="\"… password=**** …\"")
                return
        for m in DSN_PASSWORD.finditer(value):
            password = m.group("pw")
            user = m.group("head").rsplit("//", 1)[-1].rstrip(":")
            low = password.lower()
            if low in _DSN_PLACEHOLDERS or password == user or S.is_placeholder(password) and len(password) < 4:
                continue
            if any(ch in password for ch in "{}%$<>*") or low.startswith(("your", "change", "example")):
                continue
            scheme = m.group("head").split("://", 1)[0]
            self.report(node, masked=f"{scheme}://{user}:****@…", evidence=f"\"{scheme}://{user}:****@…\"")
            return
