"""SEC-CRYPTO: secrets written into the source (passwords, tokens, keys, DSN passwords).

Values are never printed: messages and evidence show `mask(value)` only.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

import libcst as cst

from ...model import Severity
from ...redact import DSN_PASSWORD, KEY_FORMATS, KV_PASSWORD, PRIVATE_KEY, mask
from ..base import Bad, Option, PythonCheck
from . import _sensitive as S
from ...patterns import lazy

# calls that read configuration from the environment: `os.environ.get("X", default)`,
# `os.getenv`, python-decouple `config("X", default=...)`, environs/django-environ `env.str(...)`
_ENV_CALLS = lazy(
    r"(^|\.)(getenv|get_env|env|environ\.get|environ\.setdefault|config|get_secret|getpass|secret|Secret|SecretStr|"
    r"env\.(str|bytes|get_value)|get_env_variable|get_env_var|env_var|env_str|get_setting|getattr)$"
)
_AUTH_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "x-auth-token", "proxy-authorization"})

# where a call takes a password/secret by position: terminal callee name -> (argument index, what)
_POSITIONAL_SECRETS: dict[str, tuple[int, str]] = {
    "HTTPBasicAuth": (1, "password"),
    "HTTPDigestAuth": (1, "password"),
    "HTTPProxyAuth": (1, "password"),
    "BasicAuth": (1, "password"),  # aiohttp, httpx
    "DigestAuth": (1, "password"),
    "PlainCredentials": (1, "password"),  # pika
    "UsernamePasswordCredential": (1, "password"),
    "simple_bind_s": (1, "password"),  # python-ldap
    "simple_bind": (1, "password"),
    "bind_s": (1, "password"),
    "create_superuser": (2, "password"),  # Django create_superuser(username, email, password)
    "create_user": (2, "password"),
    "set_password": (0, "password"),
    "pass_": (0, "password"),  # poplib
    "FTP": (2, "password"),
    "FTP_TLS": (2, "password"),
    "Redis": (3, "password"),  # redis.Redis(host, port, db, password)
    "StrictRedis": (3, "password"),
}
# DB-API connect() with positional (host, user, password, db): MySQLdb, pymysql, mysql.connector
_POSITIONAL_CONNECT = lazy(r"(?i)(^|\.)(mysqldb|pymysql|mysql\.connector|mysql|mariadb|pymssql|cx_oracle|oracledb)\.connect$")
# signing / encryption keys: callee (dotted suffix) -> (positional index of the key, keyword)
_SIGNERS: tuple[tuple[re.Pattern[str], int, str], ...] = (
    (lazy(r"(^|\.)(jwt|jws|jwe|jose\.jwt)\.(encode|decode)$"), 1, "key"),
    (lazy(r"(^|\.)jws\.(sign|verify)$"), 1, "key"),
    (lazy(r"(^|\.)(Fernet|MultiFernet|AESGCM|ChaCha20Poly1305|AESCCM|AESSIV|AESOCB3)$"), 0, "key"),
    (lazy(r"(^|\.)hmac\.(new|HMAC|digest)$"), 0, "key"),
    (lazy(r"(^|\.)(AES|DES3|ChaCha20|Blowfish)\.new$"), 0, "key"),
    (lazy(r"(^|\.)algorithms\.(AES|TripleDES|ChaCha20|Camellia)$"), 0, "key"),
    (
        lazy(
            r"(^|\.)(URLSafeTimedSerializer|URLSafeSerializer|TimedSerializer|Serializer|TimestampSigner|Signer|"
            r"TimedJSONWebSignatureSerializer|JSONWebSignatureSerializer|SecureCookieSessionInterface)$"
        ),
        0,
        "secret_key",
    ),
    (lazy(r"(^|\.)(signing\.dumps|signing\.loads)$"), -1, "key"),
    (lazy(r"(^|\.)(JWTStrategy|JWTAuthentication|CookieTransport|AuthJWT|JWTManager)$"), -1, "secret"),
)
# any of the signers (same flags): most calls are none, and one search says so
_ANY_SIGNER = lazy("|".join(f"(?:{pattern.pattern})" for pattern, _, _ in _SIGNERS))
# `<word>_key` names that hold a lookup key (session/cache/storage keys), not a cryptographic key
_LOOKUP_KEY_WORDS = frozenset(
    {"token", "password", "session", "cache", "user", "cookie", "storage", "lookup", "sort", "field", "header",
     "state", "redis", "dict", "map", "csrf", "idempotency", "primary", "foreign", "partition", "group", "order"}
)
# values a keyed mapping uses as labels for a password/token field (HTML input types, widgets)
_FIELD_LABELS = frozenset(
    {"password", "passwd", "text", "input", "hidden", "new-password", "current-password", "secret", "token",
     "string", "str", "required", "optional", "off", "on", "pwd", "pass", "passphrase", "credentials"}
)
# literal fallbacks of env lookups / settings defaults that say "not set" (template placeholders)
_STRICT_PLACEHOLDER = lazy(
    r"(?i)^\s*$|change[-_ ]?(me|it|this)|your[-_ ]|yoursecret|yourkey|yourpassword|replace|placeholder|example|"
    r"xxx|\*\*\*|<[^>]*>|\$\{|\{\{|%\(|^\{.*\}$|insert[-_ ]|redacted|not[-_]?a[-_]?secret|must[-_]be[-_]set|"
    r"set[-_ ]?me|unset|not[-_]?set|override|fill[-_ ]?in|to[-_ ]?be[-_ ]?(set|replaced)|dummy|fake|^none$|^null$|^-+$|"
    r"\{[A-Za-z_][A-Za-z0-9_.]*\}|%[sd]"
)


# values that mark a state where a token or key goes (`FACEBOOK_TOKEN = "temp"` while waiting)
_STATE_WORDS = frozenset(
    {"temp", "pending", "waiting", "expired", "invalid", "revoked", "disabled", "unknown", "missing", "anonymous",
     "guest", "none", "null", "false", "true", "off", "on", "n/a", "na"}
)
# keys that are public by design (Stripe publishable keys, reCAPTCHA/Turnstile site keys, VAPID public keys)
_PUBLIC_WORDS = frozenset({"public", "publishable", "pub", "site"})
_APP_PASSWORD = lazy(r"[a-z]{4}( [a-z]{4}){3}")
# URLs whose path is the credential (whoever has it can post as the integration)
_SECRET_URLS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("slack webhook", lazy(r"https://hooks\.slack\.com/(services|workflows|triggers)/T[A-Z0-9]{6,}/[A-Z0-9]{6,}/[A-Za-z0-9]{16,}")),
    ("discord webhook", lazy(r"https://(?:\w+\.)?discord(?:app)?\.com/api/webhooks/\d{10,}/[A-Za-z0-9_-]{40,}")),
    ("teams webhook", lazy(r"https://[\w.-]+\.webhook\.office\.com/webhookb2/[\w@-]{20,}/IncomingWebhook/[0-9a-f]{20,}/[\w-]{20,}")),
)
_FILLER = frozenset("xX*-_.#?0 ")
# names of a (user, password) pair: `BASIC_AUTH`, `ADMIN_CREDENTIALS`, `login_creds`
_PAIR_WORDS = frozenset({"auth", "credentials", "credential", "creds", "login", "basicauth"})
_DEV_WORDS = frozenset({"dummy", "fake", "test", "testing", "example", "sample", "demo", "mock", "dev", "debug", "local"})


def _string_value(node: cst.BaseExpression) -> str | None:
    """The value of a plain (non-f) string literal or an implicit concatenation of them."""
    # exact type tests: an isinstance miss against a libcst class goes through ABCMeta
    if type(node) is cst.SimpleString:
        value = node.evaluated_value
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if type(node) is not cst.ConcatenatedString and type(node) is not cst.BinaryOperation:
        return None
    if isinstance(node, cst.ConcatenatedString) or (isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add)):
        left, right = _string_value(node.left), _string_value(node.right)  # "sk_live_" "..." or "sk_live_" + "..."
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
    if type(node) is cst.Name:
        return node.value
    if type(node) is cst.Attribute:
        inner = _dotted(node.value)
        return f"{inner}.{node.attr.value}" if inner else node.attr.value
    if type(node) is cst.Call:
        return _dotted(node.func) + "()"
    return ""


def _field_default(value: cst.BaseExpression) -> cst.BaseExpression | None:
    """The default of a field declaration: pydantic `Field("x", ...)` / `Field(default="x")`,
    dataclasses `field(default="x")`; None when `value` is not such a call."""
    if not isinstance(value, cst.Call) or _dotted(value.func).rsplit(".", 1)[-1] not in ("Field", "field", "Secret", "SecretStr"):
        return None
    for i, arg in enumerate(value.args):
        if arg.keyword is not None and arg.keyword.value == "default":
            return arg.value
        if arg.keyword is None and i == 0 and not arg.star:
            return arg.value
    return None


def _looked_up_name(node: cst.BaseExpression) -> str | None:
    """The key a mapping lookup reads: `request.headers.get("X-Admin-Token")` -> "X-Admin-Token"."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in ("get", "getenv"):
        if node.args and node.args[0].keyword is None:
            return _string_value(node.args[0].value)
    return None


def masked_evidence(name: str, op: str, value: str) -> str:
    return f"{name}{op}\"{mask(value)}\""


def lookup_key_name(name: str) -> bool:
    """`TOKEN_KEY`, `SESSION_KEY`, `cache_key`: the key under which something is stored."""
    ws = S.words(name)
    return len(ws) >= 2 and ws[-1] == "key" and ws[-2] in _LOOKUP_KEY_WORDS


def strict_placeholder(value: str, signing: bool = False) -> bool:
    """Template placeholders and "not set" markers; weak real values ("dev", "secret") are not.
    Also a `name=label` parameter (`target=app-watch_files`) and the base64 of an empty value
    (`"e30="` is `{}`): they stand where a token goes but carry nothing secret."""
    v = value.strip()
    if len(v) < 2 or bool(_STRICT_PLACEHOLDER.search(v)):
        return True
    if len(set(v)) <= 1:
        # "xxxxxxxx", "********": filler; but a signing key of one repeated letter ("aaaaaaa") is a weak key
        return not (signing and len(v) >= 6 and v[0] not in _FILLER)
    if re.fullmatch(r"[a-z]+=[a-z][a-z_\-.]*", v):
        return True
    if len(v) <= 8 and len(v) % 4 == 0 and re.fullmatch(r"[A-Za-z0-9+/]+=*", v):
        try:
            decoded = base64.b64decode(v, validate=True).decode("utf-8").strip()
        except (ValueError, UnicodeDecodeError):
            return False
        return decoded in ("", "{}", "[]", "null", '""', "0")
    return False


@dataclass(frozen=True)
class _Const:
    node: cst.BaseExpression
    value: str
    name: str
    dev: bool


class HardcodedSecret(S.SecurityRule, PythonCheck):
    """A password, token, API key or signing key written as a literal, found by the name it is given or by where it is used.

    Why it matters: whoever can read the code (every developer, CI logs, a leaked repository,
    the built image) holds the credential, it cannot be rotated without a deploy, and the same
    value usually ends up shared between environments. A short or guessable literal is worse, not
    better: `SECRET_KEY = "dev"` lets anyone forge session cookies and tokens. Read it from the
    environment or a secret manager (`os.environ["SECRET_KEY"]`, pydantic `BaseSettings` without a
    default, Vault).
    Looks at assignments (`SECRET_KEY = "..."`, `app.secret_key = ...`, `app.config["JWT_SECRET_KEY"]
    = ...`, class attributes of config classes), keyword arguments (`connect(password="...")`,
    `app.config.update(SECRET_KEY=...)`), dict entries (`{"PASSWORD": "..."}`), parameter defaults,
    comparisons (`if password == "..."`), passwords passed by position (`smtp.login(user, "...")`,
    `HTTPBasicAuth(user, "...")`, `pymysql.connect(host, user, "...")`, `create_superuser(name,
    email, "...")`), a pair of literals under an auth name (`BASIC_AUTH = ("admin", "...")`),
    a secret compared with a looked-up credential (`request.headers.get("X-Admin-Token") == "..."`),
    signing and encryption keys given as literals, module constants or locals of the same function
    (`jwt.encode(payload, "secret")`, `Fernet(b"...")`, `hmac.new(b"...")`, `key = b"..."; AES.new(key,
    ...)`, itsdangerous serializers; a literal in the key position is the key however much it reads
    like a label, e.g. `"jwt-signing-key"`) and
    environment lookups whose literal fallback is what runs when the variable is unset
    (`os.environ.get("SECRET_KEY", "dev")`, `config("SECRET_KEY", default=...)`, pydantic settings
    defaults).
    Confidence: high (error) for a machine-made-looking secret, or any literal used as the
    application's signing key (`SECRET_KEY`, `secret_key`, JWT keys) outside development modules;
    medium (warning) for other weak literals and env fallbacks (high when a production-named config
    class inherits the fallback); low (info) in modules and config classes named for development,
    examples or docs.
    Known limits: names that describe a secret rather than hold one (`password_field`, `TOKEN_URL`,
    `token_type`, `SESSION_KEY`) need a machine-made value; keys public by design
    (`STRIPE_PUBLISHABLE_KEY`, `RECAPTCHA_SITE_KEY`, `VAPID_PUBLIC_KEY`) are not secrets; template placeholders (`""`,
    `"<your-key>"`, `"${SECRET}"`, `"change-me"`, filler such as `"xxxxxxxx"`) are ignored, while a
    signing key of one repeated letter (`app.secret_key = "aaaaaaa"`) is a weak key and reported; a password given
    right after a user name equal to it (`PlainCredentials("guest", "guest")`, `auth=("admin", "admin")`) is a
    well-known development default, as in BG212, and not reported; test files are skipped unless
    `check_tests` is set; module constants are followed into signing calls within the same file only.
    """

    code = "BG210"
    name = "hardcoded-secret"
    gate = "SEC-CRYPTO"
    severity = Severity.ERROR
    confidence = "high"
    external_ids = ("ruff:S105", "ruff:S106", "ruff:S107", "bandit:B105", "bandit:B106", "bandit:B107", "sonar:python:S2068", "sonar:python:S6418")
    message = "hardcoded {what} in `{name}` ({masked}); read it from the environment or a secret manager"
    fix = "load it at runtime, e.g. `SECRET_KEY = os.environ[\"SECRET_KEY\"]` or a pydantic BaseSettings field without a default"
    options = {"check_tests": Option(bool, False, "Also report hardcoded secrets in test files (matching `test-paths`).")}
    tests_option = "check_tests"
    triggers = (
        "pass", "pwd", "PASS", "PWD", "ecret", "ECRET", "oken", "OKEN", "key", "KEY", "Key", "redential",
        "REDENTIAL", "auth", "Auth", "AUTH", "login", "Fernet", "hmac", "jwt", "Serializer", "Signer", "AES", "bind",
        "_user", "Redis", "FTP", "connect",
    )
    references = ["https://cwe.mitre.org/data/definitions/798.html", "https://cwe.mitre.org/data/definitions/321.html"]

    good = [
        'import os\n\nSECRET_KEY = os.environ["SECRET_KEY"]\n',
        'PASSWORD_FIELD = "password"\nTOKEN_URL = "https://auth.example.com/token"\ntoken_type = "bearer"\nSESSION_KEY = "_auth_user_id"\n',
        'API_KEY = ""\nDB_PASSWORD = "<db-password>"\nSTRIPE_KEY = "${STRIPE_KEY}"\n',
        'def login(form):\n    if not form.password:\n        raise ValueError("password is required")\n',
        'import os\n\n# placeholder: production sets SECRET_KEY\nSECRET_KEY = os.environ.get("SECRET_KEY", "change-me-in-env")\n',
        'import jwt\nfrom django.conf import settings\n\ndef token(uid):\n    return jwt.encode({"uid": uid}, settings.SECRET_KEY, algorithm="HS256")\n',
        'import os, smtplib\n\ndef send():\n    s = smtplib.SMTP(os.environ["SMTP_HOST"])\n    s.login(os.environ["SMTP_USER"], os.environ["SMTP_PASSWORD"])\n',
        'WIDGET_ATTRS = {"password": "password", "class": "form-control"}\n',
        'AUTH_HEADER = ("Authorization", "Bearer")\nAUTH_TIMEOUT = (3, 10)\n',
        'import os\n\nauth = (os.environ["GITHUB_TOKEN"], "x-oauth-basic")\n',
        'def render(token):\n    if token == "YYYY":\n        return "year"\n    if token == "MM":\n        return "month"\n',
        'SECRET_KEY = "xxxxxxxxxxxxxxxx"\n',
        'def validate(data, errors):\n    errors.setdefault("password", "is required")\n    data.setdefault("token_type", "bearer")\n',
        'STRIPE_PUBLISHABLE_KEY = "pk_live_51HqLyjWDarjtT1zdp7dcQw8Zr"\nRECAPTCHA_SITE_KEY = "6LcQ2vLm9xTp4wRbAAAAAK8Zq2vLm9xTp4wRb"\n',
        'def is_json(request):\n    return request.headers.get("Content-Type") == "application/json"\n',
        'import os\nfrom Crypto.Cipher import AES\n\ndef seal(data):\n    key = "placeholder"\n    key = os.environ["SEAL_KEY"].encode()\n    return AES.new(key, AES.MODE_GCM).encrypt(data)\n',
        'import pika\n\ncreds = pika.PlainCredentials("guest", "guest")\n',
    ]
    bad = [
        Bad('SECRET_KEY = "k3J9xq2LmP8vR4tW7yZ1bN6cF0gH5jD2"\n', line=1),
        Bad('from flask import Flask\n\napp = Flask(__name__)\napp.secret_key = "dev"\n', line=4),
        Bad('from flask import Flask\n\napp = Flask(__name__)\napp.config["SECRET_KEY"] = "secret"\n', line=4),
        Bad('class Config:\n    SECRET_KEY = "super secret key"\n', line=2),
        Bad('import psycopg\n\nconn = psycopg.connect(host="db", user="shop", password="S3cretPassw0rd")\n', line=3),
        Bad('HEADERS = {"X-Api": "v2", "api_key": "9f8e7d6c5b4a39281706f5e4d3c2b1a0"}\n', line=1),
        Bad('class Settings:\n    def __init__(self):\n        self.jwt_secret = "jwt-signing-secret-2f8a9c1d7e"\n', line=3),
        Bad('import requests\n\nrequests.get("https://api.example.com", auth=("svc", "Vx7kQ2pmZ9wL4"), timeout=5)\n', line=3),
        Bad('HEADERS = {"Authorization": "Bearer b7Fq9ZxL2mN8vR4tK6yP3wS1"}\n', line=1),
        Bad('import jwt\n\ndef token(uid):\n    return jwt.encode({"uid": uid}, "secret", algorithm="HS256")\n', line=4),
        Bad('import jwt\n\nKEY = "abc123"\n\ndef token(uid):\n    return jwt.encode({"uid": uid}, KEY, algorithm="HS256")\n', line=3),
        Bad('import smtplib\n\ndef send():\n    s = smtplib.SMTP("smtp.example.com")\n    s.login("noreply@example.com", "mailpass1")\n', line=5),
        Bad('from requests.auth import HTTPBasicAuth\n\nAUTH = HTTPBasicAuth("admin", "pw1234")\n', line=3),
        Bad('import os\n\nclass Config:\n    SECRET_KEY = os.environ.get("APP_SECRET", "secret-key")\n\nclass ProductionConfig(Config):\n    DEBUG = False\n', line=4),
        Bad('from pydantic_settings import BaseSettings\n\nclass Settings(BaseSettings):\n    jwt_secret: str = "s3cr3t-jwt"\n', line=4),
        Bad('from cryptography.fernet import Fernet\n\nf = Fernet(b"ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=")\n', line=3),
        # a literal used as the signing key is the key, however much it reads like a label
        Bad('import jwt\n\ndef token(uid):\n    return jwt.encode({"uid": uid}, "app-signing-key", algorithm="HS256")\n', line=4),
        Bad('ADMIN_AUTH = ("admin", "adm1n-Pw!")\n', line=1),
        Bad('from flask import Flask\n\napp = Flask(__name__)\napp.config.setdefault("SECRET_KEY", "dev-key-77")\n', line=4),
        Bad('EMAIL_HOST_PASSWORD = "qwer tyui opas dfgh"\n', line=1),
        Bad('def configure(settings):\n    setattr(settings, "SECRET_KEY", "s3tattr-k3y-99")\n', line=2),
        Bad('from flask import Flask\n\napp = Flask(__name__)\napp.secret_key = "aaaaaaaa"\n', line=4),
        Bad('from Crypto.Cipher import AES\n\ndef seal(data):\n    key = b"0123456789abcdef"\n    return AES.new(key, AES.MODE_GCM).encrypt(data)\n', line=4),
        Bad('def is_admin(request):\n    return request.headers.get("X-Admin-Token") == "adm-7f3a9c1e5b"\n', line=2),
        Bad('import pika\n\ncreds = pika.PlainCredentials("svc", "Rb7!mQ2#vL9x")\n', line=3),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.min_entropy = float(ctx.config.values.get("thresholds.secret-min-entropy", 3.0))
        self.off = ctx.is_test_file and not options.get("check_tests", False)
        self.dev_module = S.dev_path(ctx.path)
        # per class on the stack: (name, is an env-reading settings class)
        self.classes: list[tuple[str, bool]] = []
        self.functions = 0
        self.reported: set[int] = set()
        self.constants: dict[str, _Const] = {}  # module/class-level NAME = "literal"
        self.local_constants: list[dict[str, _Const]] = []  # per function: `key = b"..."` before `AES.new(key, ...)`
        self.key_uses: list[tuple[str, cst.CSTNode, str]] = []  # (constant name, use, what)
        self.class_bases: dict[str, list[str]] = {}
        self.class_attrs: dict[str, set[str]] = {}
        self.fallbacks: list[tuple[str, str, cst.BaseExpression, str, str]] = []  # (class, attr, node, value, name)

    # ----------------------------------------------------------------------------- scopes
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = [_dotted(b.value) for b in node.bases]
        settings = any(b.endswith(("BaseSettings", "Settings", "Env")) for b in bases if b)
        self.classes.append((node.name.value, settings))
        self.class_bases[node.name.value] = [b.rsplit(".", 1)[-1] for b in bases if b]
        self.class_attrs.setdefault(node.name.value, set())

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions += 1
        self.local_constants.append({})

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions -= 1
        self.local_constants.pop()

    @property
    def dev_context(self) -> bool:
        return self.dev_module or any(S.dev_class(name) for name, _s in self.classes)

    @property
    def in_settings_class(self) -> bool:
        return bool(self.classes) and self.classes[-1][1] and not self.functions

    # ----------------------------------------------------------------------------- judging
    def _kind(self, name: str) -> tuple[str | None, bool]:
        """(what the name holds, whether the name alone says so): weak names need a machine-made value."""
        kind = S.secret_kind(name)
        if kind in (None, "key", "API key") and set(S.words(name)) & _PUBLIC_WORDS:
            return None, False  # STRIPE_PUBLISHABLE_KEY, RECAPTCHA_SITE_KEY: made to be shipped to browsers
        if kind is None:
            ws = S.words(name)
            if len(ws) >= 2 and ws[-1] == "key" and name.isupper() and not lookup_key_name(name):
                return "key", False  # FOO_KEY setting: a key when the value looks machine-made
            return None, False
        if lookup_key_name(name):
            return kind, False
        ws = S.words(name)
        if kind == "token" and ws[-1] != "token" and not ws[-1].endswith("token"):
            return kind, False  # token_budget, tokenizer_...: about tokens
        return kind, True

    def _confidence(self, value: str, kind: str, name: str, signing: bool) -> str:
        if self.dev_context or set(S.words(name)) & _DEV_WORDS:
            return "low"
        if S.looks_random(value, self.min_entropy) or value.startswith("django-insecure"):
            return "high"
        if signing:
            return "high"
        return "medium"

    def judge(
        self,
        name: str | None,
        value_node: cst.BaseExpression,
        report_node: cst.CSTNode,
        op: str = " = ",
        context: str = "assign",
    ) -> bool:
        """Report `value_node` as a secret held by `name`. context: assign (a variable, attribute or
        settings subscript), keyed (a dict entry or a subscript of a mapping), kwarg, param, compare,
        positional, signer (the key argument of a signing call), fallback (an env-lookup default)."""
        if not name or self.off or id(report_node) in self.reported:
            return False
        value = _string_value(value_node)
        if value is None:
            return False
        value = value.strip()
        kind, strong = self._kind(name)
        if context in ("positional", "signer"):
            kind, strong = (kind or ("password" if context == "positional" else "signing key")), True
        if kind is None and name.lower() in _AUTH_HEADERS:
            scheme, _, credential = value.partition(" ")
            if scheme.lower() in ("bearer", "token", "basic", "apikey") and credential:
                value, kind, strong = credential.strip(), "token", True
            elif name.lower() != "authorization":
                kind, strong = "API key", True
        if kind is None:
            return False
        if any(p.search(value) for _l, p in KEY_FORMATS) or PRIVATE_KEY.search(value):
            return False  # BG211 reports known key formats
        if kind != "password" and value.lower() in _STATE_WORDS:
            return False  # `TOKEN = "temp"` / `token == "pending"`: a state marker, not a credential
        if not self._value_is_secret(value, name, kind, strong, context):
            return False
        signing = self._signing_name(name) or context == "signer"
        confidence = self._confidence(value, kind, name, signing and context in ("assign", "signer", "kwarg", "keyed"))
        if context == "fallback" or self.in_settings_class:
            confidence = "low" if self.dev_context else ("high" if S.looks_random(value, self.min_entropy) else "medium")
        if (self.in_settings_class or context == "fallback") and self.classes and not self.functions:
            # a production config inheriting this default runs with it: decided in finish()
            self.fallbacks.append((self.classes[-1][0], name, value_node, value, kind))
        self.reported.add(id(report_node))
        self.report(
            report_node,
            confidence=confidence,
            what=kind if context != "fallback" else f"{kind} fallback",
            name=name,
            masked=mask(value),
            evidence=masked_evidence(name, op, value),
        )
        return True

    @staticmethod
    def _signing_name(name: str) -> bool:
        ws = S.words(name)
        return "secret" in ws or (len(ws) >= 2 and ws[-1] == "key" and ws[-2] in ("secret", "signing", "jwt", "hmac", "encryption", "fernet", "session", "app", "master", "crypto"))

    def _value_is_secret(self, value: str, name: str, kind: str, strong: bool, context: str) -> bool:
        if not strong:
            if re.fullmatch(r"[_a-z][a-z_\-.:/]*", value):
                return False  # a lowercase identifier: a label or lookup key
            return S.looks_random(value, self.min_entropy) and not S.is_placeholder(value, name)
        if strict_placeholder(value, signing=self._signing_name(name) or context == "signer"):
            return False
        if S._URLISH.match(value) or S._FILEISH.search(value):
            return False  # a URL, path or key file name
        if context == "signer":
            return True  # the literal is the key material itself, whatever it reads like ("jwt-signing-key")
        low = value.lower()
        norm_v = re.sub(r"[^a-z0-9]", "", low)
        if context in ("keyed", "kwarg", "param", "compare"):
            # mappings and keyword arguments name fields and carry labels and messages
            if " " in value or "\t" in value or S._ENV_NAME.match(value):
                return False
            if low in ("new-password", "current-password", "one-time-code"):
                return False  # HTML autocomplete tokens
            norm_n = re.sub(r"[^a-z0-9]", "", name.lower())
            if context == "keyed" and (low in _FIELD_LABELS or norm_v and (norm_v in norm_n or norm_n in norm_v) and not any(c.isdigit() for c in value)):
                return False  # {"password": "password"}: a field label
            if re.fullmatch(r"[a-z]+([_\-][a-z]+)+", value) and S._SECRET_WORD.search(value) and kind != "secret":
                return False  # "reset-password", "auth_token": a label naming a secret
            if context == "keyed" and kind != "password" and re.fullmatch(r"[a-z]+", value):
                return False  # {"secret": "url"}: a lowercase word in a mapping is a label
            return True
        if context == "fallback" and S._ENV_NAME.match(value):
            return False
        # assignments: a message ("Enter your password") or a format string is not a secret;
        # but a Google app password is four groups of four letters ("abcd efgh ijkl mnop")
        if " " in value and not (kind == "password" and _APP_PASSWORD.fullmatch(value)) and (
            not self._signing_name(name) or len(value.split()) > 5 or re.search(r"[.,;:!?\n]", value)
        ):
            return False  # a message ("Invalid password, try again"); only signing keys are phrases
        words = S.words(name)
        if context == "assign" and self.classes and not self.functions and norm_v == "".join(words):
            return False  # class Field: SECRET = "secret": an enum-like member named by its value
        if not self._signing_name(name) and kind != "password" and re.fullmatch(r"[a-z]+", value) and low in words:
            return False  # PK_TOKEN = "token", REQUEST_TOKEN = "request": a label
        if not self._signing_name(name) and re.fullmatch(r"[a-z]+([_\-.:][a-z]+)+", value):
            if set(re.split(r"[_\-.:]", value)) & set(S.words(name)):
                return False  # password_reset_token = "password_reset": a label (purpose, salt, key name)
        if context == "assign" and kind == "password" and low in ("password", "passwd") and not self._signing_name(name) and S.words(name)[-1] not in S.PASSWORD_WORDS:
            return False
        return True

    # ----------------------------------------------------------------------------- visitors
    def _subscript_is_mapping_label(self, target: cst.BaseExpression) -> bool:
        """`errors["password"] = "..."` (labels) vs `app.config["SECRET_KEY"] = "..."` (settings)."""
        if not isinstance(target, cst.Subscript):
            return False
        key = _target_name(target) or ""
        base = _dotted(target.value).lower()
        if key.isupper() or base.endswith(("config", "settings", "environ", "conf", "secrets", "credentials")):
            return False
        return True

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            tgt = target.target
            if isinstance(tgt, (cst.Tuple, cst.List)) and isinstance(node.value, (cst.Tuple, cst.List)):
                # USER, PASSWORD = "admin", "s3cret": each name holds its own value
                if len(tgt.elements) == len(node.value.elements):
                    for left, right in zip(tgt.elements, node.value.elements):
                        self.judge(_target_name(left.value), right.value, right.value, " = ")
                continue
            name = _target_name(tgt)
            if isinstance(tgt, cst.Attribute) and tgt.attr.value == "auth" and isinstance(node.value, cst.Tuple) and len(node.value.elements) == 2:
                secret = node.value.elements[1].value  # session.auth = (user, password)
                self.judge("password", secret, secret, " = ", "positional")
                continue
            if name and isinstance(node.value, cst.Tuple) and self._credential_pair(name, node.value):
                continue
            context = "keyed" if self._subscript_is_mapping_label(tgt) else "assign"
            if name and not self.judge(name, node.value, node.value, " = ", context):
                self._remember_constant(tgt, node.value)
            if self.classes and not self.functions and isinstance(tgt, cst.Name):
                self.class_attrs.setdefault(self.classes[-1][0], set()).add(tgt.value)
            self._env_fallback(name, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            name = _target_name(node.target)
            default = _field_default(node.value)
            if name and default is not None:
                self.judge(name, default, default, " = ")  # `jwt_secret: str = Field("dev", ...)`
            elif name and not self.judge(name, node.value, node.value, " = "):
                self._remember_constant(node.target, node.value)
            if self.classes and not self.functions and isinstance(node.target, cst.Name):
                self.class_attrs.setdefault(self.classes[-1][0], set()).add(node.target.value)
            self._env_fallback(name, node.value)

    def _credential_pair(self, name: str, value: cst.Tuple) -> bool:
        """`BASIC_AUTH = ("admin", "s3cret")`: a (user, password) pair of literals held by a name
        that says it authenticates; the second element is the password."""
        if len(value.elements) != 2 or not set(S.words(name)) & _PAIR_WORDS or S.words(name)[-1] in S.META_SUFFIX:
            return False
        user, secret = value.elements[0].value, value.elements[1].value
        if _string_value(secret) is None or _string_value(user) is None:
            return False  # `(github_token, "x-oauth-basic")`: the credential is the variable, the literal a fixed word
        self.judge("password", secret, secret, " = ", "positional")
        return True

    def _remember_constant(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if not isinstance(target, cst.Name):
            return
        literal = _string_value(value)
        if self.local_constants:
            scope = self.local_constants[-1]
            if literal is not None:
                scope[target.value] = _Const(value, literal, target.value, self.dev_context)
            else:
                scope.pop(target.value, None)  # rebound to something else
        elif literal is not None:
            self.constants[target.value] = _Const(value, literal, target.value, self.dev_context)

    def _use(self, name: cst.Name, what: str) -> None:
        """A name passed where a password or key goes: a local literal is judged now, a module
        constant when the file is done (it may be assigned after the function)."""
        local = self.local_constants[-1].get(name.value) if self.local_constants else None
        if local is not None:
            self.judge(local.name, local.node, local.node, " = ", "signer" if what == "signing key" else "positional")
        else:
            self.key_uses.append((name.value, name, what))

    def _env_fallback(self, target: str | None, value: cst.BaseExpression) -> None:
        """`X = os.environ.get("X", "fallback")`, `X = env("X", default=...)`, `X = getenv("X") or "..."`."""
        if isinstance(value, cst.BooleanOperation) and isinstance(value.operator, cst.Or):
            if isinstance(value.left, cst.Call) and _ENV_CALLS.search(_dotted(value.left.func)):
                var = self._env_var(value.left) or target
                self.judge(var if var and S.secret_kind(var) else target, value.right, value.right, " or ", "fallback")
            return
        if not isinstance(value, cst.Call):
            return
        self._env_call_default(value, target)

    def _env_var(self, call: cst.Call) -> str | None:
        if call.args and call.args[0].keyword is None:
            return _string_value(call.args[0].value)
        return None

    def _env_call_default(self, call: cst.Call, target: str | None) -> None:
        func = _dotted(call.func)
        if not _ENV_CALLS.search(func) or func.endswith("getattr"):
            return
        var = self._env_var(call)
        default: cst.BaseExpression | None = None
        for i, arg in enumerate(call.args):
            if arg.keyword is not None and arg.keyword.value in ("default", "fallback"):
                default = arg.value
            elif arg.keyword is None and i == 1:
                default = arg.value
        if default is None:
            return
        for name in (target, var):
            if name and self._kind(name)[1]:
                self.judge(name, default, default, ", ", "fallback")
                return

    def visit_Call(self, node: cst.Call) -> None:
        func = _dotted(node.func)
        if _ENV_CALLS.search(func):
            # env lookups are judged from the assignment (the fallback); one that stands alone
            # (`os.environ.setdefault("SECRET_KEY", "dev")`) by the variable it names
            self._env_call_default(node, None)
            return
        terminal = func.rsplit(".", 1)[-1]
        positional = [a for a in node.args if a.keyword is None and a.star == ""]
        if func == "setattr" and len(positional) == 3:
            key = _string_value(positional[1].value)  # `setattr(settings, "SECRET_KEY", "...")`
            if key:
                self.judge(key, positional[2].value, positional[2].value, " = ", "assign")
            return
        if terminal == "setdefault" and len(positional) >= 2:
            # `app.config.setdefault("SECRET_KEY", "dev")`: the default is what runs
            key = _string_value(positional[0].value)
            if key:
                value = positional[1].value
                self.judge(key, value, value, ", ", "assign" if key.isupper() else "keyed")
        for arg in node.args:
            if arg.keyword is not None:
                self.judge(arg.keyword.value, arg.value, arg.value, "=", "kwarg")
                if arg.keyword.value == "auth" and isinstance(arg.value, cst.Tuple) and len(arg.value.elements) == 2:
                    secret = arg.value.elements[1].value  # requests/httpx auth=(user, password)
                    if not _same_as_user(arg.value.elements[0].value, secret):
                        self.judge("password", secret, secret, "=", "positional")
        self._positional_password(node, func, terminal, positional)
        self._signing_key(node, func, positional)

    def _positional_password(self, node: cst.Call, func: str, terminal: str, positional: list[cst.Arg]) -> None:
        index: int | None = None
        if terminal == "login" and isinstance(node.func, cst.Attribute) and len(positional) == 2:
            index = 1  # smtplib / imaplib / ftplib .login(user, password)
        elif terminal in _POSITIONAL_SECRETS:
            index = _POSITIONAL_SECRETS[terminal][0]
        elif _POSITIONAL_CONNECT.search(func) and len(positional) >= 3:
            index = 2
        if index is None or index >= len(positional):
            return
        value = positional[index].value
        if index >= 1 and _same_as_user(positional[index - 1].value, value):
            return  # `PlainCredentials("guest", "guest")`: the well-known development default
        if _string_value(value) is not None:
            self.judge("password", value, value, "=", "positional")
        elif isinstance(value, cst.Name):
            self._use(value, "password")

    def _signing_key(self, node: cst.Call, func: str, positional: list[cst.Arg]) -> None:
        if not _ANY_SIGNER.search(func):
            return
        for pattern, index, keyword in _SIGNERS:
            if not pattern.search(func):
                continue
            key: cst.BaseExpression | None = None
            if 0 <= index < len(positional):
                key = positional[index].value
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == keyword:
                    key = arg.value
            if key is None:
                return
            if _string_value(key) is not None:
                self.judge(keyword if S.secret_kind(keyword) else "key", key, key, "=", "signer")
            elif isinstance(key, cst.Name):
                self._use(key, "signing key")
            elif isinstance(key, cst.Call) and _dotted(key.func).endswith(".encode") and isinstance(key.func, cst.Attribute):
                inner = key.func.value
                if _string_value(inner) is not None:  # "secret".encode()
                    self.judge("key", inner, inner, "=", "signer")
                elif isinstance(inner, cst.Name):
                    self._use(inner, "signing key")
            return

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = _string_value(node.key) if isinstance(node.key, (cst.SimpleString, cst.ConcatenatedString)) else None
        if key is None:
            return
        # UPPER_CASE keys are settings (`{"SECRET_KEY": ...}`, Django DATABASES' "PASSWORD")
        self.judge(key, node.value, node.value, ": ", "assign" if key.isupper() else "keyed")

    def visit_Param(self, node: cst.Param) -> None:
        if node.default is not None:
            self.judge(node.name.value, node.default, node.default, "=", "param")

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if len(node.comparisons) != 1 or not isinstance(node.comparisons[0].operator, (cst.Equal, cst.NotEqual)):
            return
        left, right = node.left, node.comparisons[0].comparator
        for a, b in ((left, right), (right, left)):
            name = _target_name(a) if isinstance(a, (cst.Name, cst.Attribute, cst.Subscript)) else _looked_up_name(a)
            if name and S.secret_kind(name) in ("password", "secret", "token", "API key"):
                self.judge(name, b, node, " == ", "compare")

    def finish(self) -> None:
        # module constants used as signing keys / passwords: report the literal once
        for const_name, _use, what in self.key_uses:
            const = self.constants.get(const_name)
            if const is None or id(const.node) in self.reported or self.off:
                continue
            if strict_placeholder(const.value) or S._URLISH.match(const.value):
                continue
            self.reported.add(id(const.node))
            self.report(
                const.node,
                confidence="low" if const.dev else ("high" if what == "signing key" else "medium"),
                what=what,
                name=const_name,
                masked=mask(const.value),
                evidence=masked_evidence(const_name, " = ", const.value),
            )
        self._production_inherits_fallbacks()

    def _production_inherits_fallbacks(self) -> None:
        """Raise env fallbacks / settings defaults of a base config class to high confidence when a
        production-named class inherits them without overriding (it runs with the literal)."""
        if not self.fallbacks:
            return
        prod = [c for c in self.class_bases if re.search(r"(?i)prod|live|release|deploy", c)]
        for pending in self.ctx.pending:
            if pending.check is not self or pending.extra.get("confidence") != "medium":
                continue
            for cls, attr, node, _value, _kind in self.fallbacks:
                if node is not pending.node:
                    continue
                if any(self._inherits(p, cls) and attr not in self._attrs_between(p, cls) for p in prod):
                    pending.extra["confidence"] = "high"
                    pending.severity = S.severity_for(self.severity, "high")

    def _inherits(self, child: str, base: str, depth: int = 0) -> bool:
        if depth > 10:
            return False
        return any(b == base or self._inherits(b, base, depth + 1) for b in self.class_bases.get(child, []))

    def _attrs_between(self, child: str, base: str) -> set[str]:
        """Attributes set by `child` or any class between it and `base`."""
        out = set(self.class_attrs.get(child, set()))
        for b in self.class_bases.get(child, []):
            if b != base and self._inherits(b, base):
                out |= self._attrs_between(b, base)
        return out


_FORMAT_PLACEHOLDER = lazy(r"(?i)example|xxxx|0000000000|1234567890|abcdef|\*\*\*|your|fake|dummy|sample")


class SecretInKnownFormat(S.SecurityRule, PythonCheck):
    """A string literal that is a credential by its format: cloud/API keys, tokens, private keys.

    Why it matters: these values are live credentials whatever the variable is called (AWS access
    keys, GitHub/Slack/Stripe/Google/OpenAI/SendGrid keys, signed JWTs, PEM private keys); scanners
    in the wild harvest them from public code within minutes. Revoke the key, then load it from the
    environment or a secret manager.
    Also: webhook URLs whose path is the credential (Slack `hooks.slack.com/services/T.../B.../...`,
    Discord `api/webhooks/<id>/<token>`, Microsoft Teams incoming webhooks).
    Known limits: only formats with a recognisable prefix are known (see `backend_gates.redact`);
    documented example values (`AKIAIOSFODNN7EXAMPLE`, `xxxx`) are ignored; docstrings are skipped;
    test files are checked for cloud/API key formats (unless `ignore_tests` is set) but not for
    PEM private keys, JWTs and test-mode keys (Stripe `sk_test_...`), which tests generate, sign
    with and call sandboxes with all the time.
    """

    code = "BG211"
    name = "secret-in-known-format"
    gate = "SEC-CRYPTO"
    severity = Severity.ERROR
    confidence = "high"
    external_ids = ("ruff:S105", "ruff:S106", "ruff:S107", "bandit:B105", "bandit:B106", "bandit:B107", "sonar:S6418", "sonar:S6290", "semgrep:detected-aws-access-key-id-value",
                    "semgrep:detected-private-key", "semgrep:detected-github-token", "semgrep:detected-stripe-api-key")
    message = "{what} literal in source ({masked}); revoke it and load it from the environment or a secret manager"
    fix = "revoke the credential, remove it from the code (and history), read it from the environment"
    options = {"ignore_tests": Option(bool, False, "Do not report key formats in test files (matching `test-paths`).")}
    # GitHub tokens by their prefixes (`gh` alone is in "high", "right", "though": most files)
    triggers = ("AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "sk_", "rk_", "AIza", "sk-", "eyJ", "SG.", "PRIVATE KEY", "hooks.slack", "discord", "webhook.office")
    references = ["https://cwe.mitre.org/data/definitions/798.html"]

    good = [
        'AWS_EXAMPLE = "AKIAIOSFODNN7EXAMPLE"\n',
        'PEM_HEADER = "-----BEGIN RSA PRIVATE KEY-----"\n',
        'import os\n\nGITHUB_TOKEN = os.environ["GITHUB_TOKEN"]\n',
        {"tests/test_billing.py": 'STRIPE_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dcQw8Zr"\n'},
    ]
    bad = [
        Bad('import boto3\n\ns3 = boto3.client("s3", aws_access_key_id="AKIAQYLPMN5HHHFPZAM2")\n', line=3),
        Bad('KEY = """-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq9xQ1n1vU5mYk3h2s8dP0fL6rT9wZcJ4gH2kN8mQ5vX1yB\n-----END RSA PRIVATE KEY-----"""\n', line=1),
        Bad('def client():\n    return Github("ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R")\n', line=2),
        Bad('STRIPE_KEY = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dcQw"\n', line=1),
        Bad('ALERTS = "https://hooks.slack.com/services/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"\n', line=1),
        Bad({"tests/test_billing.py": 'STRIPE_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dcQw8Zr"\n'}, line=1, path="tests/test_billing.py"),
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

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, cst.Add) and id(node) not in self.docstrings and _string_value(node) is not None:
            self.check(node)  # "sk_live_" + "4eC3...": a key split in two is still the key

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
        if self.ctx.is_test_file and (what in ("private key", "jwt") or re.match(r"[a-z]{2}_test_", secret)):
            return  # generated signing keys, sample tokens and test-mode keys (Stripe `sk_test_`) are everyday test fixtures
        shown = secret if what == "private key" else mask(secret)
        self.report(node, what=what, masked=shown, evidence=f"\"{shown}\"")
        # a concatenation is reported once, not once per piece
        if isinstance(node, (cst.ConcatenatedString, cst.BinaryOperation)):
            stack: list[cst.BaseExpression] = [node.left, node.right]
            while stack:
                part = stack.pop()
                self.docstrings.add(id(part))
                if isinstance(part, (cst.ConcatenatedString, cst.BinaryOperation)):
                    stack.extend((part.left, part.right))

    @staticmethod
    def classify(value: str) -> tuple[str, str] | None:
        m = PRIVATE_KEY.search(value)
        if m is not None:
            body = re.sub(r"-----[A-Z ]+-----|\s", "", value[m.start() : m.end()])
            if len(body) >= 40 and not _FORMAT_PLACEHOLDER.search(body[:64]) and "..." not in body:
                return "private key", "PEM block"
            return None
        for label, pattern in (*KEY_FORMATS, *_SECRET_URLS):
            hit = pattern.search(value)
            if hit is None:
                continue
            secret = hit.group(0)
            if _FORMAT_PLACEHOLDER.search(secret) or len(set(secret[4:])) <= 4:
                continue
            return label.replace("-", " "), secret
        return None


def _same_as_user(user: cst.BaseExpression, password: cst.BaseExpression) -> bool:
    """A password literal equal to the user name literal before it (`"guest", "guest"`)."""
    value = _string_value(password)
    return value is not None and value == _string_value(user)


_DSN_PLACEHOLDERS = frozenset({"password", "pass", "passwd", "pwd", "secret", "changeme", "xxx", "xxxx", "****", "***", "mypassword", "yourpassword"})


class PasswordInDsn(S.SecurityRule, PythonCheck):
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
    confidence = "high"
    external_ids = ("sonar:S2068", "sonar:S6437", "semgrep:detected-username-and-password-in-uri")
    message = "connection URL with an embedded password ({masked}); read the URL or the password from the environment"
    fix = "e.g. `DATABASE_URL = os.environ[\"DATABASE_URL\"]`"
    options = {"check_tests": Option(bool, False, "Also report DSN passwords in test files (matching `test-paths`).")}
    tests_option = "check_tests"
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


class CredentialInConfig(HardcodedSecret):
    """Configuration that carries a credential literal: the AP-HARDCODED-CONFIG view of BG210.

    Why it matters: a password, token or signing key written into settings is hardcoded
    configuration as much as a leaked secret: it cannot differ between environments and changing
    it needs a release. This rule reports the same places as `hardcoded-secret` (BG210) under the
    hardcoded-configuration gate, at info severity, so that gate shows them without failing twice
    for one line; BG210 carries the security verdict.
    Known limits: as BG210's.
    """

    code = "BG413"
    name = "credential-in-config"
    gate = "AP-HARDCODED-CONFIG"
    severity = Severity.INFO
    confidence = "low"
    # the same literal credential other tools report as a hardcoded password: a suppression
    # written for them (ruff S105-S107, bandit B105-B107) acknowledges this note too
    external_ids = ("ruff:S105", "ruff:S106", "ruff:S107", "bandit:B105", "bandit:B106", "bandit:B107")  # type: ignore[assignment]
    message = "{what} in `{name}` is configuration written into the code ({masked}); read it from the environment"
