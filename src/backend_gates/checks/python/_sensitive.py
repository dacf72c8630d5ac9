"""What counts as sensitive: secret-bearing names, placeholder values, entropy (shared helpers).

Used by the hardcoded-secret checks (BG210-BG212), the weak-crypto checks and the secrets-in-logs
check (BG230). Pure functions over strings; no libcst here.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache
from typing import Any, ClassVar

from ...model import Severity
from ...patterns import lazy

_SPLIT = lazy(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

# the last word says the value is *about* a secret, not the secret itself
META_SUFFIX = frozenset(
    {
        "url", "uri", "urls", "endpoint", "path", "file", "filename", "dir", "name", "names", "field", "fields",
        "header", "headers", "type", "types", "prefix", "suffix", "env", "var", "variable", "length", "len",
        "size", "ttl", "timeout", "expiry", "expires", "expire", "expiration", "age", "lifetime", "seconds",
        "minutes", "hours", "days", "min", "max", "regex", "pattern", "format", "template", "label", "message",
        "msg", "error", "errors", "id", "ids", "algorithm", "algorithms", "alg", "algo", "scheme", "mode", "backend",
        "backends", "validator", "validators", "policy", "hint", "placeholder", "column", "param", "params",
        "kind", "location", "description", "help", "hash", "hashed", "hasher", "hashers", "digest", "count",
        "attempts", "retries", "limit", "required", "enabled", "class", "cls", "model", "form", "view", "route",
        "key_name", "storage", "cookie", "parameter", "query", "version", "provider", "strategy", "method",
        "store", "cache", "source", "manager", "service", "client", "handler", "response", "request", "serializer",
        "schema", "rotation", "id_", "title", "text", "widget", "input", "mask", "display", "icon",
        "status", "state", "generator", "factory", "callback", "flow", "grant", "scope", "scopes", "audience",
        "issuer", "claim", "claims", "lookup", "user", "username", "login", "email", "tag",
        "changed", "reset", "verified", "set", "check", "rule", "rules", "file_path", "encoding", "charset",
        "index", "position", "pos", "subject", "body", "content", "html", "template_name", "description_text", "level", "exp", "iat", "nbf", "expires_at", "expired", "created", "updated", "at", "on", "length_min", "length_max", "ver", "redirect",
    }
)
_NOT_SECRET_TOKEN = frozenset({"csrf", "xsrf", "page", "pagination", "next", "continuation", "sync", "cancellation", "cancel", "lexer", "parse", "parser", "max", "num", "sentinel", "eof"})
_FLAG_PREFIX = frozenset({"has", "is", "no", "use", "uses", "require", "requires", "needs", "should", "can", "allow", "allows", "enable", "enabled", "show", "num", "count", "n", "with", "without", "validate", "get", "fetch", "load", "read", "on", "handle"})
PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "pass", "passwort", "pw"})

_PLACEHOLDER_PARTS = (
    "changeme", "change_me", "change-me", "changethis", "change_this", "your_", "your-", "yourkey", "yoursecret",
    "yourpassword", "example", "dummy", "placeholder", "replace", "sample", "xxxx", "****", "<", ">", "${", "{{",
    "%(", "%s", "todo", "fixme", "insert", "redacted", "notasecret", "not-a-secret", "not_a_secret", "fake", "test",
    "mock", "invalid", "wrong", "incorrect", "nonsecret", "non-secret", "..", "…", "\\n", "foobar", "some_", "some-",
    "secret-key-here", "here", "unset", "missing", "setme", "set_me", "set-me", "${{", "{", "}",
)
_PLACEHOLDER_VALUES = frozenset(
    {
        "", "none", "null", "nil", "undefined", "empty", "secret", "password", "passwd", "pass", "token", "key",
        "apikey", "api_key", "api-key", "default", "user", "username", "foo", "bar", "baz", "abc",
        "abcd", "xyz", "pwd", "true", "false", "yes", "no", "on", "off",
        "bearer", "basic", "jwt", "oauth", "oauth2", "access", "refresh", "hs256", "hs384", "hs512", "rs256",
        "es256", "sha256", "sha1", "md5", "bcrypt", "argon2", "pbkdf2", "plain", "plaintext", "text", "string",
        "str", "secretkey", "secret_key", "secret-key", "client_secret", "csrftoken", "sessionid",
    }
)
_URLISH = lazy(r"^(?:[a-z][a-z0-9+.\-]*://|/|\./|\.\./|~/|[A-Za-z]:\\)")
_FILEISH = lazy(r"\.(pem|key|crt|cer|der|p12|pfx|json|txt|env|ya?ml|toml|ini|cfg|conf|pub)$", re.I)
_ENV_NAME = lazy(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|^[A-Z]{3,}$")
_LABEL = lazy(r"^[A-Za-z][A-Za-z_\-\. :]*$")
_SECRET_WORD = lazy(r"(?i)pass|pwd|secret|token|key|auth|credential|session|csrf|jwt|bearer|api")


@lru_cache(maxsize=4096)
def words(name: str) -> tuple[str, ...]:
    """`clientSecret`, `CLIENT_SECRET`, `client-secret` -> ("client", "secret")."""
    return tuple(w.lower() for w in _SPLIT.split(name) if w)


@lru_cache(maxsize=4096)
def secret_kind(name: str) -> str | None:
    """What secret a variable/key/argument name holds ("password", "API key", ...), or None.

    Weak names (a plain `key`) return "key"; callers ask for stronger evidence from the value.
    """
    ws = words(name)
    if not ws:
        return None
    if ws[-1] in META_SUFFIX or "_".join(ws[-2:]) in META_SUFFIX or ws[0] in _FLAG_PREFIX:
        return None
    joined = "_".join(ws)
    if any(w in PASSWORD_WORDS for w in ws) or "password" in joined or "passwd" in joined:
        if ws[-1] in ("pass",) and len(ws) == 1:
            return "password"
        return "password"
    if "private" in ws and "key" in ws:
        return "private key"
    if "secret" in ws or joined.endswith("secret") or "secret" in ws[-1]:
        return "secret"
    if "apikey" in ws or re.search(r"(^|_)api_?key", joined) or "api_token" in joined:
        return "API key"
    if "token" in ws or ws[-1].endswith("token"):
        if any(w in _NOT_SECRET_TOKEN for w in ws):
            return None
        return "token"
    if "credential" in ws or "credentials" in ws or "creds" in ws:
        return "credential"
    if ws[-1] == "key" and len(ws) > 1 and ws[-2] in (
        "access", "signing", "encryption", "master", "auth", "hmac", "session", "app", "client", "fernet",
        "license", "account", "storage", "crypto", "cipher", "aes", "service", "webhook", "shared", "sign",
        "jwt", "jws", "jwe", "signer", "totp", "otp", "hmac", "fernet", "aes", "django", "flask", "wtf",
    ):
        return "key"
    if ws[-1] in ("dsn",):
        return None
    return None


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_random(value: str, min_entropy: float) -> bool:
    """A machine-made secret: long enough, mixed character classes, high entropy."""
    if len(value) < 12:
        return False
    if re.fullmatch(r"[a-z]+(?:[-_=.:/][a-z]+)*", value):
        return False  # lowercase words joined by separators: a label or passphrase, not machine-made
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"))
    return classes >= 2 and entropy(value) >= min_entropy


def is_placeholder(value: str, name: str = "") -> bool:
    """Obvious non-secrets: empty, placeholders, labels, env-var names, URLs, paths, messages."""
    v = value.strip()
    low = v.lower()
    if len(v) < 4 or low in _PLACEHOLDER_VALUES:
        return True
    if any(part in low for part in _PLACEHOLDER_PARTS):
        return True
    if len(set(low)) <= 2:  # "aaaaaa", "------"
        return True
    if " " in v or "\t" in v:
        return True  # a message or label, not a credential
    if _URLISH.match(v) or _FILEISH.search(v):
        return True
    if _ENV_NAME.match(v):
        return True
    if name:
        norm_v = re.sub(r"[^a-z0-9]", "", low)
        norm_n = re.sub(r"[^a-z0-9]", "", name.lower())
        if norm_v and (norm_v in norm_n or norm_n in norm_v and not any(c.isdigit() for c in v)):
            return True
    if _LABEL.match(v) and _SECRET_WORD.search(v) and not any(c.isdigit() for c in v):
        return True  # "x-api-key", "auth_token", "reset-password": a label naming a secret
    if re.fullmatch(r"[a-z]+(_[a-z]+)+", v):
        return True  # snake_case identifier used as a label/key
    return False


# ----------------------------------------------------------------------------- confidence

CONFIDENCES = ("high", "medium", "low")


def severity_for(ceiling: Severity, confidence: str) -> Severity:
    """The severity policy (docs/severity.md): error only for high confidence; medium is at most a
    warning, low is info. `ceiling` is the rule's declared severity."""
    cap = {"high": Severity.ERROR, "medium": Severity.WARNING}.get(confidence, Severity.INFO)
    return ceiling if ceiling.rank <= cap.rank else cap


class SecurityRule:
    """Mixin for security rules: every finding carries `extra["confidence"]` and its severity follows
    from it (`severity_for`). `confidence` is the rule's usual confidence; `report(...,
    confidence="medium")` lowers one finding. Put it before PythonCheck in the bases."""

    confidence: ClassVar[str] = "high"
    external_ids: ClassVar[tuple[str, ...]] = ()
    # robustness rules (error handling, timeouts, blocking): in development code (tools, docs,
    # examples, seed scripts: `dev_path`) a finding is context, not a defect to act on: info
    dev_code_is_info: ClassVar[bool] = False

    def report(self, node: Any, *, confidence: str | None = None, **kwargs: Any) -> None:
        level = confidence or self.confidence
        if self.dev_code_is_info and dev_path(getattr(getattr(self, "ctx", None), "path", "") or ""):
            level = "low"
        extra = dict(kwargs.pop("extra", None) or {})
        extra["confidence"] = level
        if kwargs.get("severity") is None:
            kwargs["severity"] = severity_for(self.severity, level)  # type: ignore[attr-defined]
        super().report(node, extra=extra, **kwargs)  # type: ignore[misc]


_DEV_PART = lazy(
    r"(?i)(?:^|[_\-.])(dev|devel|develop|development|local|locals|test|tests|testing|example|examples|sample|samples|"
    r"demo|demos|docs?|fixtures?|mock|mocks|sandbox|ci|debug|tutorial|playground|e2e|smoke|smoketest|loadtest|populate|seed|seeds|seeding|"
    r"faker|fake|sample_data|demo_data|fixtures)(?:[_\-.]|$)"
)
_DEV_CLASS = lazy(r"(?:Dev|Devel|Development|Local|Test|Testing|Debug|Example|Demo|Sample|CI|Mock)(?:[A-Z_]|$)|^(?:dev|test|local)")


_DEV_DIR = lazy(r"(?i)^(tests?|testing|docs?|examples?|fixtures?|dev|development|local|conftest)$")


def dev_path(path: str) -> bool:
    """A module that is for development, tests, examples or docs by its path: the file's name
    (`settings_dev.py`, `local_settings.py`, `config/testing.py`) or a directory named exactly so
    (`tests/`, `docs/`, `examples/`). Directories named for demos or samples are not enough: whole
    applications live there."""
    parts = path.replace("\\", "/").split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    return bool(_DEV_PART.search(stem)) or any(_DEV_DIR.match(p) for p in parts[:-1])


def dev_class(name: str) -> bool:
    return bool(_DEV_CLASS.search(name))


# ----------------------------------------------------------------------------- qualified names


class QualifiedNames:
    """Qualified names of call targets, resolved with libcst metadata only when the file's text
    mentions one of `modules` (cheap pre-check); otherwise (and as a fallback) the dotted source
    name is used (`hashlib.md5`, `session.get`)."""

    def __init__(self, ctx: object, modules: tuple[str, ...]) -> None:
        self.ctx = ctx
        source = getattr(ctx, "source", "")
        # A plain `import hashlib` makes the dotted source name the qualified name already; only
        # a renaming import (`from hashlib import md5`, `import hashlib as h`) needs scope analysis,
        # which costs several parses of the file.
        self.enabled = any(m in source for m in modules) and _renamed_import(source, modules)
        self._names: object = None

    def __call__(self, node: object) -> set[str]:
        import libcst as cst

        out: set[str] = set()
        if self.enabled:
            if self._names is None:
                from libcst.metadata import QualifiedNameProvider

                try:
                    self._names = self.ctx.metadata(QualifiedNameProvider)  # type: ignore[attr-defined]
                except Exception:
                    self._names = {}
            found = self._names.get(node) if self._names else None  # type: ignore[attr-defined]
            if found is not None:
                if callable(found):
                    found = found()
                out = {q.name for q in found}
        if not out and isinstance(node, (cst.Name, cst.Attribute)):
            dotted = dotted_name(node)
            if dotted:
                out = {dotted}
        return out


def _renamed_import(source: str, modules: tuple[str, ...]) -> bool:
    """Does `source` bind a name from one of `modules` under another name (from-import or as)?"""
    names = "|".join(re.escape(m) for m in modules)
    pattern = rf"(?m)^[ \t]*(?:from[ \t]+(?:{names})\b|import[ \t][^\n#]*\b(?:{names})\b[^\n#]*\bas\b)"
    return re.search(pattern, source) is not None


def dotted_name(node: object) -> str:
    import libcst as cst

    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = dotted_name(node.value)
        return f"{inner}.{node.attr.value}" if inner else ""
    return ""
