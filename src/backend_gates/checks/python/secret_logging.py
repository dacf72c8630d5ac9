"""SEC-AUDIT: logging or printing passwords, tokens and secrets."""

from __future__ import annotations

from typing import Any

import libcst as cst

from ...model import Severity
from ..base import Bad, PythonCheck
from . import _sensitive as S
from ._cst import descendants
from ...patterns import lazy

_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "msg"})
_LOGGER = lazy(r"(?i)(^|[._])(log|logger|logging|_log|_logger|structlog|audit_log|audit|syslog)$")
_SAFE_WRAPPERS = frozenset({"mask", "redact", "len", "bool", "type", "hash", "id", "isinstance", "mask_secret", "obfuscate", "sanitize", "scrub"})
_SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization", "x-auth-token"})


# a name bound to a logger whatever it is called (`slog = structlog.get_logger()`,
# `self.out = logging.getLogger("x")`, `from loguru import logger as L`)
_BOUND_LOGGER = lazy(
    r"(?m)^[ \t]*((?:self\.)?[A-Za-z_]\w*)[ \t]*(?::[^=\n]+)?=[ \t]*[\w.]*\b(?:getLogger|get_logger|getChild|get_task_logger)\("
    r"|^[ \t]*from[ \t]+loguru[ \t]+import[ \t]+logger[ \t]+as[ \t]+(\w+)"
)


def _bound_loggers(source: str) -> frozenset[str]:
    return frozenset(a or b for a, b in _BOUND_LOGGER.findall(source))


def _is_log_call(func: cst.BaseExpression, loggers: frozenset[str] = frozenset()) -> str | None:
    if isinstance(func, cst.Name):
        return "print" if func.value == "print" else None
    if isinstance(func, cst.Attribute) and func.attr.value in _LOG_METHODS:
        receiver = S.dotted_name(func.value)
        if receiver and (_LOGGER.search(receiver) or receiver in loggers):
            return f"{receiver}.{func.attr.value}"
        if isinstance(func.value, cst.Call):  # logging.getLogger(__name__).info(...)
            inner = S.dotted_name(func.value.func)
            if inner.endswith(("getLogger", "get_logger")):
                return f"{inner}().{func.attr.value}"
    return None


def _subscript_key(node: cst.Subscript) -> str | None:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    if isinstance(value, cst.SimpleString):
        key = value.evaluated_value
        return key if isinstance(key, str) else key.decode("utf-8", "replace")
    return None


def _sensitive_name(name: str) -> str | None:
    if S.words(name)[-2:] == ("session", "key"):
        return None  # an id of a session record (Plex, Django's session store): ambiguous, see Known limits
    kind = S.secret_kind(name)
    if kind is not None:
        return kind
    if name.lower() in _SENSITIVE_HEADERS:
        return "credential header"
    return None


def _confidence(call: str, kind: str) -> str:
    """Passwords and secrets written by a logger: high; tokens, keys and print(): medium."""
    if call == "print" or kind not in ("password", "secret", "private key", "credential"):
        return "medium"
    return "high"


class SecretLogged(S.SecurityRule, PythonCheck):
    """A logging or print call that writes a password, token or secret into the logs.

    Why it matters: logs are copied to many places (aggregators, tickets, backups) that are read by
    far more people than the secret store, and kept for months. A password or token there is a
    leaked credential. Log an identifier (user id, token prefix via a masking helper) instead.
    Reports values passed to `logging`/logger methods (a receiver named like a logger, or any name
    the file binds to `getLogger(...)`/`get_logger(...)`, such as `slog = structlog.get_logger()`)
    and `print()` whose name says they hold a secret: variables (`password`), attributes (`user.api_key`), dict/header lookups
    (`body["password"]`, `headers["Authorization"]`, `headers.get("X-Auth-Token")`), inside f-strings, `%`/`.format()` arguments,
    `+` concatenations and keyword arguments (`log.info("login", password=pw)`). A mention in the
    constant message text ("password changed") is not a finding. A local bound in the same
    function to a freshly made secret (`key = secrets.token_urlsafe(32)`, `tok =
    create_access_token(user)`, `Fernet.generate_key()`) counts whatever it is called (medium);
    so does the whole request body or form (`request.get_json()`, `request.form`, `request.POST`,
    or a local bound to it) logged in a function that reads a password from it (medium).
    Known limits: values renamed before logging (`x = password`) and whole objects that contain a
    secret (`log.info(request.json)`) are not followed; wrapped values (`mask(token)`, `len(pw)`)
    and slices (`token[:6]`) count as safe; a bare `.token` attribute is reported only on objects
    named like credentials, sessions, clients or settings (`checkout.token` is often a public id);
    a `token` logged in a function that writes a DNS TXT record (`record_type="TXT"`, `txtdata=`,
    `_acme-challenge.`) is the ACME DNS-01 validation value it publishes, and is not reported;
    a `session_key` is reported only as the session store's own key (`request.session.session_key`,
    the cookie value a client presents); other `session_key` names are often the id of a session
    record (Plex playback sessions, a hash of address and user agent) and are not reported; test
    files are skipped.
    """

    code = "BG230"
    name = "secret-in-log"
    gate = "SEC-AUDIT"
    severity = Severity.ERROR
    confidence = "high"
    external_ids = ("semgrep:python-logger-credential-disclosure", "sonar:S5145")
    message = "{call}() writes {what} `{expr}` to the logs; log an identifier or a masked form"
    fix = "remove the value from the log call, or log a masked form (first characters only)"
    triggers = ("log", "print", "LOG")
    skip_tests = True
    references = ["https://cwe.mitre.org/data/definitions/532.html"]

    good = [
        'import logging\n\nlog = logging.getLogger(__name__)\n\ndef change(user):\n    log.info("password changed for user %s", user.id)\n',
        'def show(token):\n    print(f"token length: {len(token)}")\n',
        'import logging\n\nlog = logging.getLogger(__name__)\n\ndef paid(order):\n    log.info("order %s paid", order.token)\n',
        'import logging\n\ndef login(user):\n    logging.warning("invalid password for %s", user.email)\n',
        'import logging\n\nlogger = logging.getLogger(__name__)\n\nclass Handler:\n    def paused(self):\n'
        '        logger.debug("session %s paused", self.session_key)\n',
        'import logging\n\nlog = logging.getLogger(__name__)\n\ndef create_txt_record(zone, name, token):\n'
        '    zone.add_record(name, record_type="TXT", txtdata=f\'"{token}"\')\n'
        '    log.debug("TXT record created: %s, token: %s", name, token)\n',
        'import logging\nimport secrets\n\nlog = logging.getLogger(__name__)\n\ndef issue(user):\n    key = secrets.token_urlsafe(32)\n'
        '    key = key[:6]\n    log.info("issued %s... to %s", key, user.id)\n',
        'import logging\nfrom flask import request\n\nlog = logging.getLogger(__name__)\n\ndef search():\n    log.info("search %s", request.get_json())\n',
        'import logging\n\ndef call(request):\n    logging.debug("token type %s", request.args.get("token_type"))\n',
    ]
    bad = [
        Bad('import logging\n\nlog = logging.getLogger(__name__)\n\ndef create(body, password):\n    log.info("creating user %s with password %s", body["email"], password)\n', line=6),
        Bad('def connect(settings):\n    print(f"connecting with {settings.api_key}")\n', line=2),
        Bad('import logging\n\nlog = logging.getLogger(__name__)\n\ndef refresh(credentials):\n    log.debug("new token %s", credentials.token)\n', line=6),
        Bad('import logging\n\nlogger = logging.getLogger(__name__)\n\ndef call(request):\n    logger.debug("auth header: " + request.headers["Authorization"])\n', line=6),
        Bad('import structlog\n\nlog = structlog.get_logger()\n\ndef login(username, pw):\n    log.info("login", user=username, password=pw)\n', line=6),
        Bad('import logging\n\ndef call(request):\n    logging.debug("token: " + request.headers.get("X-Auth-Token"))\n', line=4),
        Bad('import structlog\n\nslog = structlog.get_logger()\n\ndef login(username, pw):\n    slog.info("login", user=username, password=pw)\n', line=6),
        Bad('import logging\n\nlogger = logging.getLogger(__name__)\n\ndef login(request):\n'
            '    logger.info("logged in, session %s", request.session.session_key)\n', line=6),
        Bad('import logging\n\nlog = logging.getLogger(__name__)\n\ndef create_record(zone, name, token):\n'
            '    zone.add_record(name, record_type="A", address="10.0.0.1", auth=token)\n'
            '    log.debug("record created: %s, token: %s", name, token)\n', line=7),
        Bad('import logging\nfrom flask import request\n\nlog = logging.getLogger(__name__)\n\ndef login():\n    data = request.get_json()\n'
            '    log.info("login attempt %s", data)\n    return check(data["email"], data["password"])\n', line=8),
        Bad('import logging\nimport secrets\n\nlog = logging.getLogger(__name__)\n\ndef issue(user):\n    key = secrets.token_urlsafe(32)\n'
            '    log.info("issued %s to %s", key, user.id)\n    return key\n', line=8),
        Bad('import logging\n\nlog = logging.getLogger(__name__)\n\ndef create_txt_record(zone, name, token, password):\n'
            '    zone.add_record(name, record_type="TXT", txtdata=token)\n'
            '    log.debug("TXT record %s: token %s, account password %s", name, token, password)\n', line=7),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.functions: list[cst.FunctionDef] = []
        self._published: dict[int, bool] = {}
        self.generated: list[dict[str, str]] = []  # per function: local name -> the secret a call made for it
        self._password_fns: dict[int, bool] = {}
        self.loggers = _bound_loggers(ctx.source)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)
        self.generated.append({})

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.pop()
        self.generated.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        """`key = secrets.token_urlsafe(32)`, `tok = create_access_token(user)`: whatever the local
        is called, it holds a secret made here; `data = request.get_json()`: the request body."""
        if not self.generated:
            return
        kind = _generated_secret(node.value) if isinstance(node.value, cst.Call) else None
        if kind is None and _request_body(node.value):
            kind = _BODY
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                if kind is not None:
                    self.generated[-1][target.target.value] = kind
                else:
                    self.generated[-1].pop(target.target.value, None)

    def _reads_password(self) -> bool:
        """The function reads a password from the request (`data["password"]`, `form.get("passwd")`,
        a `password` parameter): a whole body or form it logs carries it."""
        if not self.functions:
            return False
        fn = self.functions[-1]
        known = self._password_fns.get(id(fn))
        if known is None:
            params = [p.name.value for p in (*fn.params.params, *fn.params.kwonly_params)]
            keys = [v for n in descendants(fn.body, cst.SimpleString, prune=(cst.FunctionDef, cst.ClassDef))
                    if isinstance(v := n.evaluated_value, str)]
            known = any(S.secret_kind(x) == "password" for x in (*params, *keys) if len(x) < 40)
            self._password_fns[id(fn)] = known
        return known

    def _published_token(self, name: str) -> bool:
        """A `token` logged in a function that writes a DNS TXT record (`record_type="TXT"`,
        `txtdata=`, `_acme-challenge.`): the ACME DNS-01 value it publishes, readable by anyone."""
        if name.lower() != "token" or not self.functions:
            return False
        fn = self.functions[-1]
        known = self._published.get(id(fn))
        if known is None:
            found = descendants(fn.body, (cst.SimpleString, cst.Arg), prune=(cst.FunctionDef, cst.ClassDef))
            known = any(_marks_dns_txt(item) for item in found)
            self._published[id(fn)] = known
        return known

    def visit_Call(self, node: cst.Call) -> None:
        call = _is_log_call(node.func, self.loggers)
        if call is None:
            return
        for arg in node.args:
            if arg.keyword is not None:
                kind = _sensitive_name(arg.keyword.value)
                if kind is not None and arg.keyword.value not in ("exc_info", "stack_info", "extra", "file", "sep", "end", "flush"):
                    if not _constant(arg.value):
                        self.report(node, confidence=_confidence(call, kind), call=call, what=_a(kind), expr=f"{arg.keyword.value}=")
                        return
                if arg.keyword.value == "extra" and isinstance(arg.value, cst.Dict):
                    hit = self.in_dict(arg.value)
                    if hit:
                        self.report(node, confidence=_confidence(call, hit[0]), call=call, what=_a(hit[0]), expr=hit[1])
                        return
                continue
            hit = self.find(arg.value)
            if hit is not None:
                self.report(node, confidence=_confidence(call, hit[0]), call=call, what=_a(hit[0]), expr=hit[1])
                return

    def in_dict(self, node: cst.Dict) -> tuple[str, str] | None:
        for element in node.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
                raw = element.key.evaluated_value
                key = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
                kind = _sensitive_name(key)
                if kind and not _constant(element.value):
                    return kind, key
        return None

    def find(self, node: cst.BaseExpression) -> tuple[str, str] | None:
        """The first sensitive value that flows as-is into the logged text."""
        if isinstance(node, cst.Name):
            kind = _sensitive_name(node.value)
            if kind and self._published_token(node.value):
                return None
            if kind is None and self.generated:
                kind = self.generated[-1].get(node.value)
            if kind == _BODY:
                return (_BODY, node.value) if self._reads_password() else None
            return (kind, node.value) if kind else None
        if _request_body(node):
            return (_BODY, S.dotted_name(node) or "request body") if self._reads_password() else None
        if isinstance(node, cst.Attribute):
            if _session_cookie(node):
                return "session id", S.dotted_name(node) or "session.session_key"
            kind = _sensitive_name(node.attr.value)
            if kind and node.attr.value.lower() == "token" and (not _credential_owner(node.value) or self._published_token("token")):
                return None  # `order.token`, `checkout.token`: often a public identifier
            return (kind, S.dotted_name(node) or node.attr.value) if kind else None
        if isinstance(node, cst.Subscript):
            key = _subscript_key(node)
            if key is None:
                return None  # a slice or computed index: partial values are fine
            kind = _sensitive_name(key)
            return (kind, f'{S.dotted_name(node.value) or "…"}["{key}"]') if kind else None
        if isinstance(node, cst.FormattedString):
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    hit = self.find(part.expression)
                    if hit:
                        return hit
            return None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Modulo)):
            return self.find(node.left) or self.find(node.right)
        if isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                hit = self.find(element.value)
                if hit:
                    return hit
            return None
        if isinstance(node, cst.Dict):
            return self.in_dict(node)
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "format":
                for arg in node.args:
                    if arg.keyword is not None and _sensitive_name(arg.keyword.value) and not _constant(arg.value):
                        return _sensitive_name(arg.keyword.value) or "secret", f"{arg.keyword.value}="
                    hit = self.find(arg.value)
                    if hit:
                        return hit
                return None
            leaf = S.dotted_name(func).rsplit(".", 1)[-1]
            if leaf in ("str", "repr", "format") and node.args:
                return self.find(node.args[0].value)
            if isinstance(func, cst.Attribute) and leaf in _LOOKUPS and node.args and node.args[0].keyword is None:
                # `headers.get("Authorization")`, `data.get("password", "")`: a lookup by key, as `x["key"]`
                key = _literal_key(node.args[0].value)
                kind = _sensitive_name(key) if key else None
                return (kind, f'{S.dotted_name(func.value) or "…"}.{leaf}("{key}")') if kind else None
            return None
        return None


_LOOKUPS = frozenset({"get", "getlist", "pop", "getenv"})


def _literal_key(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        raw = node.evaluated_value
        return raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
    return None


_BODY = "request body that carries a password"
_BODY_ATTRS = frozenset({"form", "json", "data", "values", "POST", "body"})
_BODY_CALLS = frozenset({"get_json", "json", "form"})


def _request_body(node: cst.BaseExpression) -> bool:
    """The whole request body or form: `request.form`, `request.json`, `request.get_json()`,
    `request.POST`, `request.data`, `await request.json()`, `request.form.to_dict()`."""
    if isinstance(node, cst.Await):
        node = node.expression
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        if node.func.attr.value in ("to_dict", "dict", "copy") and not node.args:
            return _request_body(node.func.value)
        if node.func.attr.value in _BODY_CALLS:
            return S.dotted_name(node.func.value).rsplit(".", 1)[-1] in ("request", "req")
        return False
    if isinstance(node, cst.Attribute) and node.attr.value in _BODY_ATTRS:
        return S.dotted_name(node.value).rsplit(".", 1)[-1] in ("request", "req")
    return False


_SECRET_MAKERS = lazy(r"(^|\.)(secrets\.token_(urlsafe|hex|bytes)|Fernet\.generate_key|generate_private_key|token_urlsafe|token_hex)$")
_MAKER_PREFIX = lazy(r"^_*(create|generate|gen|make|new|issue|mint|sign)_(.+)$")


def _generated_secret(call: cst.Call) -> str | None:
    """What secret a call makes: `secrets.token_urlsafe()` (a token), `create_access_token()` (a
    token), `generate_api_key()` (an API key); None for anything else."""
    func = S.dotted_name(call.func)
    if not func:
        return None
    if _SECRET_MAKERS.search(func):
        return "private key" if func.endswith("generate_private_key") else "generated secret"
    m = _MAKER_PREFIX.match(func.rsplit(".", 1)[-1])
    return S.secret_kind(m.group(2)) if m else None


_TOKEN_OWNERS = frozenset(
    {"self", "auth", "credential", "credentials", "creds", "session", "oauth", "client", "api", "access",
     "refresh", "bot", "jwt", "request", "settings", "config", "conf", "secrets", "identity", "login", "sso"}
)


def _marks_dns_txt(node: cst.CSTNode) -> bool:
    """A DNS TXT record being written: the record type "TXT", a `txt...=` keyword, an ACME name."""
    if isinstance(node, cst.Arg):
        return node.keyword is not None and "txt" in node.keyword.value.lower()
    if isinstance(node, cst.SimpleString):
        text = node.evaluated_value
        text = text if isinstance(text, str) else text.decode("utf-8", "replace")
        return text.strip() == "TXT" or "_acme-challenge" in text
    return False


def _session_cookie(node: cst.Attribute) -> bool:
    """`request.session.session_key`: the key of the session store, which is the cookie value a
    client presents (Django); unlike a bare `session_key` name, ambiguous elsewhere."""
    if node.attr.value != "session_key":
        return False
    owner = S.dotted_name(node.value).rsplit(".", 1)[-1]
    return owner.lower() in ("session", "request_session", "session_store", "store")


def _credential_owner(node: cst.BaseExpression) -> bool:
    """The object a bare `.token` is read from is about authentication."""
    name = S.dotted_name(node).rsplit(".", 1)[-1]
    return bool(set(S.words(name)) & _TOKEN_OWNERS) if name else True


def _a(kind: str) -> str:
    return f"{'an' if kind[:1].lower() in 'aeiou' or kind.startswith('API') else 'a'} {kind}"


def _constant(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)) or (
        isinstance(node, cst.Name) and node.value in ("None", "True", "False")
    )
