"""SEC-CRYPTO: weak password hashing, disabled TLS verification, unverified JWTs, `random` tokens."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import libcst as cst

from ...model import Severity
from ..base import Bad, Option, PythonCheck
from . import _sensitive as S
from ._cst import children as _fast_children
from ...patterns import lazy

_HASHES = {
    "md5": "md5",
    "sha1": "sha1",
    "sha224": "sha224",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
    "sha3_256": "sha3_256",
    "sha3_512": "sha3_512",
    "blake2b": "blake2b",
    "blake2s": "blake2s",
}
_BROKEN = frozenset({"md5", "sha1"})
_PASSWORD_FUNC = lazy(r"(?i)(hash|encode|encrypt|digest|make|set|check|verify|store|save|create)_?pass(word|wd)?|pass(word|wd)?_?(hash|digest|encode|encrypt)")


def _names_in(node: cst.CSTNode) -> list[str]:
    """Names, attribute names and string subscript keys mentioned in an expression."""
    out: list[str] = []

    def visit(n: cst.CSTNode) -> None:
        if isinstance(n, cst.Name):
            out.append(n.value)
        elif isinstance(n, cst.Attribute):
            out.append(n.attr.value)
            visit(n.value)
            return
        elif isinstance(n, cst.Subscript):
            for element in n.slice:
                if isinstance(element.slice, cst.Index) and isinstance(element.slice.value, cst.SimpleString):
                    key = element.slice.value.evaluated_value
                    out.append(key if isinstance(key, str) else key.decode("utf-8", "replace"))
            visit(n.value)
            return
        elif isinstance(n, (cst.Lambda, cst.FunctionDef)):
            return
        for child in _fast_children(n):
            visit(child)

    visit(node)
    return out


def _is_password_name(name: str) -> bool:
    ws = S.words(name)
    return bool(ws) and any(w in S.PASSWORD_WORDS for w in ws) and S.secret_kind(name) == "password"


class WeakPasswordHash(S.SecurityRule, PythonCheck):
    """A password hashed with md5/sha1, or with a bare fast hash (sha256, sha512) and no salt.

    Why it matters: fast hashes are built to be computed billions of times per second, so a leaked
    table of md5/sha1/sha256 password hashes is cracked within hours (and unsalted ones with
    precomputed tables at once). Use a password hashing function: argon2, bcrypt, scrypt or
    `hashlib.pbkdf2_hmac`, or the framework's helpers (Django `make_password`, passlib, werkzeug
    `generate_password_hash`).
    A call counts as password hashing when its input mentions a password (`password`,
    `user.passwd`, `body["password"]`), its result is stored under a password name, or it sits in a
    function named like `hash_password`. md5/sha1 for checksums, ETags or cache keys is not reported.
    Also reported: a weak scheme chosen by name: Django `make_password(pw, hasher="md5")` (md5,
    unsalted_md5, sha1, unsalted_sha1, crypt), a `PASSWORD_HASHERS` setting whose first (preferred)
    hasher is one of those (not in development, test or benchmark settings), werkzeug
    `generate_password_hash(pw, method="plain"|"md5"|"sha256"...)`, passlib's fast or broken schemes
    (`md5_crypt.hash()`, `ldap_sha1`, `hex_md5`, `plaintext` ..., or first in a `CryptContext`), and
    `crypt.crypt(pw, "ab")` with a DES or MD5 salt.
    Known limits: sha256/sha512 with a `salt` among its inputs or the function's parameters counts as
    salted and is not reported (it is still a fast hash); hashing through a helper in another module is not followed.
    Test files (`test-paths`) are not checked unless `check_tests` is set: a test hashes fixture
    passwords (often with the weak scheme a migration replaces), it stores no user's password.
    """

    code = "BG220"
    name = "weak-password-hash"
    gate = "SEC-CRYPTO"
    severity = Severity.ERROR
    confidence = "high"
    external_ids: ClassVar[tuple[str, ...]] = ("ruff:S324", "bandit:B324", "ruff:S303", "bandit:B303", "sonar:S4790", "sonar:S5344",
                    "semgrep:md5-used-as-password", "semgrep:insecure-hash-algorithm-md5", "semgrep:insecure-hash-algorithm-sha1")
    message = "password hashed with {algo}{salted}; use argon2, bcrypt, scrypt or pbkdf2"
    fix = "e.g. `argon2.PasswordHasher().hash(password)`, `bcrypt.hashpw(pw, bcrypt.gensalt())` or Django's `make_password`"
    # "generate_password_hash" (werkzeug's method="plain"), "plaintext" (passlib): not "plain", which
    # every file serving text/plain holds
    options = {"check_tests": Option(bool, False, "Also check test files (matching `test-paths`).")}
    tests_option: ClassVar[str | None] = "check_tests"
    triggers = ("hashlib", "md5", "sha1", "sha2", "sha3", "sha5", "blake2", "crypt", "generate_password_hash", "plaintext", "hasher",
                "lmhash", "nthash", "mysql323", "mysql41", "oracle10", "msdcc")
    references = ["https://cwe.mitre.org/data/definitions/916.html", "https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html"]

    good = [
        'import hashlib\n\ndef etag(body):\n    return hashlib.md5(body).hexdigest()\n',
        'import bcrypt\n\ndef hash_password(password):\n    return bcrypt.hashpw(password.encode(), bcrypt.gensalt())\n',
        'import hashlib\n\ndef derive(password, salt):\n    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)\n',
        'from werkzeug.security import generate_password_hash\n\ndef store(user, raw):\n    user.pw = generate_password_hash(raw, method="scrypt")\n',
        'from passlib.context import CryptContext\n\npwd = CryptContext(schemes=["argon2", "md5_crypt"], deprecated="auto")\n',
        {"hc/bench_settings.py": 'PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]\n'},
        {"tests/test_legacy_login.py": 'import hashlib\n\ndef test_md5_password_is_upgraded(user):\n    user.password = hashlib.md5(b"secret").hexdigest()\n'},
        {"shop/settings.py": 'PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher", "django.contrib.auth.hashers.MD5PasswordHasher"]\n'},
    ]
    bad = [
        Bad('import hashlib\n\ndef create(body):\n    digest = hashlib.md5(body["password"].encode()).hexdigest()\n    return digest\n', line=4),
        Bad('from hashlib import sha256 as h\n\ndef hash_password(pw):\n    return h(pw.encode()).hexdigest()\n', line=4),
        Bad('import hashlib\n\nclass User:\n    def set(self, raw):\n        self.password_hash = hashlib.sha1(raw.encode()).hexdigest()\n', line=5),
        # a weak scheme chosen by name
        Bad('from django.contrib.auth.hashers import make_password\n\ndef store(user, raw):\n    user.password = make_password(raw, hasher="unsalted_md5")\n', line=4),
        Bad('from werkzeug.security import generate_password_hash\n\ndef store(user, raw):\n    user.pw = generate_password_hash(raw, method="plain")\n', line=4),
        Bad('from passlib.hash import md5_crypt\n\ndef store(user, raw):\n    user.pw = md5_crypt.hash(raw)\n', line=4),
        Bad('import crypt\n\ndef store(user, raw):\n    user.pw = crypt.crypt(raw, "ab")\n', line=4),
        Bad({"shop/settings.py": 'PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]\n'}, line=1, path="shop/settings.py"),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.names = S.QualifiedNames(ctx, ("hashlib",))
        self.functions: list[str] = []
        self.salted: list[bool] = []
        self.targets: list[list[str]] = []
        # per function: hash objects made empty (`h = hashlib.sha256()`), name -> [algo, salted]
        self.objects: list[dict[str, list[Any]]] = [{}]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node.name.value)
        params = [p.name.value for p in (*node.params.params, *node.params.kwonly_params, *node.params.posonly_params)]
        self.salted.append(any("salt" in p.lower() for p in params))
        self.objects.append({})

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.pop()
        self.salted.pop()
        self.objects.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        names = [n for t in node.targets for n in _target_names(t.target)]
        self.targets.append(names)
        if isinstance(node.value, cst.Call) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            algo = self.algorithm(node.value)
            if algo is not None and not any(a.keyword is None for a in node.value.args if not (isinstance(a.value, cst.SimpleString))):
                self.objects[-1][node.targets[0].target.value] = [algo, False]

    def leave_Assign(self, node: cst.Assign) -> None:
        self.targets.pop()

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.targets.append(_target_names(node.target))

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.targets.pop()

    def algorithm(self, node: cst.Call) -> str | None:
        func = node.func  # exact type tests: an isinstance miss against a libcst class goes through ABCMeta
        if type(func) is cst.Name:
            leaf = func.value
        elif type(func) is cst.Attribute:
            leaf = func.attr.value
        else:
            return None
        if leaf not in _HASHES and leaf != "new" and not (type(func) is cst.Name and self.names.enabled):
            return None
        for qname in self.names(node.func):
            module, _, fn = qname.rpartition(".")
            if module not in ("hashlib", "Crypto.Hash", "Cryptodome.Hash") and not module.endswith((".MD5", ".SHA1", ".SHA256")):
                continue
            if fn == "new" and module == "hashlib" and node.args:
                first = node.args[0].value
                if isinstance(first, cst.SimpleString):
                    algo = str(first.evaluated_value).lower().replace("-", "")
                    return _HASHES.get(algo)
                return None
            if fn in _HASHES:
                return _HASHES[fn]
            if fn == "new" and module.endswith((".MD5", ".SHA1", ".SHA256")):
                return module.rsplit(".", 1)[1].lower()
        return None

    def hash_update(self, node: cst.Call) -> None:
        """`h = hashlib.sha256(); h.update(salt); h.update(password.encode())`."""
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "update" and isinstance(func.value, cst.Name)):
            return
        state = self.objects[-1].get(func.value.value)
        if state is None or not node.args:
            return
        inputs = _names_in(node.args[0].value)
        if any("salt" in n.lower() for n in inputs):
            state[1] = True
            return
        if not any(_is_password_name(n) for n in inputs):
            return
        algo, salted = state
        salted = salted or bool(self.salted and self.salted[-1])
        if algo not in _BROKEN and salted:
            return
        self.password_hash(node, algo, salted)

    def visit_Call(self, node: cst.Call) -> None:
        if len(self.objects[-1]) and isinstance(node.func, cst.Attribute):
            self.hash_update(node)
        weak = _weak_scheme(node)
        if weak is not None:
            self.weak_scheme(node, weak)
            return
        algo = self.algorithm(node)
        if algo is None:
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "usedforsecurity":
                return
        if all(isinstance(a.value, cst.SimpleString) for a in node.args if a.keyword is None):
            return  # an empty hash object: judged where `.update(...)` feeds it
        inputs = [n for a in node.args for n in _names_in(a.value)]
        password = any(_is_password_name(n) for n in inputs)
        if not password and self.targets:
            password = any(_is_password_name(n) or "password" in n.lower() for n in self.targets[-1])
        if not password and self.functions:
            password = _PASSWORD_FUNC.search(self.functions[-1]) is not None
        if not password:
            self.other_use(node, algo)
            return
        salted = any("salt" in n.lower() for n in inputs) or bool(self.salted and self.salted[-1])
        if algo not in _BROKEN and salted:
            return
        self.password_hash(node, algo, salted)

    def password_hash(self, node: cst.Call, algo: str, salted: bool) -> None:
        self.report(node, algo=algo, salted="" if algo in _BROKEN else " without a salt")

    def weak_scheme(self, node: cst.CSTNode, what: str) -> None:
        """A password hasher chosen by name that is a fast or broken hash (`make_password(pw,
        hasher="unsalted_md5")`, `PASSWORD_HASHERS = ["...MD5PasswordHasher"]`, passlib `md5_crypt`)."""
        self.report(node, algo=what, salted="")

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        """Django `PASSWORD_HASHERS` whose first (preferred) hasher is a fast or broken hash."""
        for small in node.body:
            if not isinstance(small, cst.Assign) or len(small.targets) != 1:
                continue
            target = small.targets[0].target
            if not (isinstance(target, cst.Name) and target.value == "PASSWORD_HASHERS") or self.functions:
                continue
            if not isinstance(small.value, (cst.List, cst.Tuple)) or not small.value.elements:
                continue
            first = small.value.elements[0].value
            value = first.evaluated_value if isinstance(first, cst.SimpleString) else None
            leaf = (value if isinstance(value, str) else "").rsplit(".", 1)[-1]
            if leaf in _WEAK_DJANGO_HASHER_CLASSES and not S.dev_path(self.ctx.path) and not _BENCH.search(self.ctx.path):
                self.weak_scheme(small, f"Django's {leaf} (the first of PASSWORD_HASHERS)")

    def other_use(self, node: cst.Call, algo: str) -> None:
        """A hash call that is not password hashing (checksums, ETags, cache keys): not reported
        here; `hash_purpose.UnstatedHashPurpose` (BG226) asks for `usedforsecurity=False`."""


# password hashers chosen by name that are a fast or broken hash
_WEAK_DJANGO_HASHERS = frozenset({"md5", "unsalted_md5", "sha1", "unsalted_sha1", "crypt"})
_WEAK_DJANGO_HASHER_CLASSES = frozenset(
    {"MD5PasswordHasher", "UnsaltedMD5PasswordHasher", "SHA1PasswordHasher", "UnsaltedSHA1PasswordHasher", "CryptPasswordHasher"}
)
_WEAK_PASSLIB = frozenset(
    {"md5_crypt", "apr_md5_crypt", "des_crypt", "bsdi_crypt", "bigcrypt", "crypt16", "ldap_md5", "ldap_sha1",
     "ldap_salted_md5", "ldap_salted_sha1", "hex_md5", "hex_sha1", "hex_sha256", "hex_sha512", "plaintext",
     "ldap_plaintext", "lmhash", "nthash", "mysql323", "mysql41", "postgres_md5", "oracle10", "msdcc", "sun_md5_crypt"}
)
_BENCH = lazy(r"(?i)(^|[/_\-.])bench(mark)?s?([/_\-.]|$)")


def _literal(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else value.decode("utf-8", "replace")
    return None


_SCHEME_LEAVES = frozenset({"make_password", "generate_password_hash", "crypt", "hash", "encrypt", "using", "CryptContext"})


def _weak_scheme(node: cst.Call) -> str | None:
    """A password hashing call that picks a weak scheme by name, or None."""
    func = node.func
    leaf = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else ""
    if leaf not in _SCHEME_LEAVES:
        return None  # (each test below needs one of these names)
    keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
    positional = [a.value for a in node.args if a.keyword is None]
    if leaf == "make_password":  # Django make_password(password, salt=None, hasher="default")
        hasher = keywords.get("hasher", positional[2] if len(positional) > 2 else None)
        name = _literal(hasher) if hasher is not None else None
        return f"Django's {name} hasher" if name in _WEAK_DJANGO_HASHERS else None
    if leaf == "generate_password_hash":  # werkzeug: method="plain" / "md5" / "sha1" (one salted round)
        method = keywords.get("method", positional[1] if len(positional) > 1 else None)
        name = (_literal(method) or "") if method is not None else ""
        base = name.split(":", 1)[0].lower()
        return f"werkzeug's `{name}` method" if base in ("plain", "md5", "sha1", "sha224", "sha256", "sha384", "sha512") else None
    if leaf == "crypt" and isinstance(func, cst.Attribute) and (dotted_name := S.dotted_name(func)) == "crypt.crypt" and len(positional) > 1:
        salt = _literal(positional[1])
        if salt is not None and not salt.startswith(("$5$", "$6$", "$2", "$y$", "$7$")):
            return f"{dotted_name}() with a DES/MD5 salt"
        return None
    if leaf in ("hash", "encrypt", "using") and isinstance(func, cst.Attribute):
        scheme = S.dotted_name(func.value).rsplit(".", 1)[-1]
        if scheme in _WEAK_PASSLIB:
            return f"passlib's {scheme}"
    if leaf == "CryptContext":
        schemes = keywords.get("schemes")
        if isinstance(schemes, (cst.List, cst.Tuple)) and schemes.elements:
            first = _literal(schemes.elements[0].value)
            if first in _WEAK_PASSLIB:
                return f"passlib's {first} (the first scheme of the CryptContext)"
    return None


def _target_names(node: cst.BaseExpression) -> list[str]:
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, cst.Attribute):
        return [node.attr.value]
    if isinstance(node, cst.Subscript):
        return _names_in(node)
    if isinstance(node, (cst.Tuple, cst.List)):
        return [n for e in node.elements for n in _target_names(e.value)]
    return []


_HTTP_MODULES = ("requests", "httpx", "aiohttp", "urllib3")
_HTTP_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream", "Client", "AsyncClient",
     "Session", "ClientSession", "TCPConnector", "urlopen", "fetch", "ws_connect", "PoolManager", "build_client"}
)


def _is_false(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.Name) and node.value == "False") or (isinstance(node, cst.Integer) and node.value == "0")


class TlsVerificationDisabled(S.SecurityRule, PythonCheck):
    """TLS certificate verification turned off for an HTTP client (`verify=False`, `ssl=False`).

    Why it matters: without certificate checks anyone on the network path can impersonate the
    server and read or change the traffic, including credentials and tokens sent with it. Fix the
    trust store instead: pass `verify="/path/to/ca.pem"` or install the internal CA.
    Reports `verify=False` on requests/httpx calls, sessions and clients, `session.verify = False`,
    aiohttp `ssl=False`, and `ssl._create_unverified_context()`; and the SSH equivalent, paramiko's
    `set_missing_host_key_policy(AutoAddPolicy())` (or `WarningPolicy`), which accepts whatever host
    key a server presents.
    Not reported: a function that turns verification off to read the certificate the peer
    presents (`getpeercert()`, `get_peer_certificate()`) and sends no data over the connection:
    inspecting an unknown or self-signed certificate is what it is for.
    Known limits: test files are skipped; a value computed at runtime (`verify=settings.VERIFY`) is
    not judged.
    """

    code = "BG221"
    name = "tls-verify-disabled"
    gate = "SEC-CRYPTO"
    severity = Severity.ERROR
    confidence = "high"
    external_ids = ("ruff:S501", "bandit:B501", "ruff:S502", "bandit:B502", "ruff:S503", "bandit:B503", "ruff:S504", "bandit:B504",
                    "ruff:S323", "bandit:B323", "sonar:S4830", "sonar:S5527", "sonar:S4423",
                    "semgrep:disabled-cert-validation", "semgrep:unverified-ssl-context", "ruff:S507", "bandit:B507")
    message = "{what} verification disabled ({how}); traffic can be intercepted and altered"
    fix = "keep verification on; point `verify=` at a CA bundle for internal certificates"
    triggers = ("verify", "ssl", "_create_unverified_context", "CERT_NONE", "check_hostname", "SSL", "TLSv1", "host_key_policy")
    skip_tests = True
    references = ["https://cwe.mitre.org/data/definitions/295.html"]

    good = [
        'import requests\n\nrequests.get("https://api.example.com", timeout=5)\n',
        'import httpx\n\nclient = httpx.Client(verify="/etc/ssl/internal-ca.pem")\n',
        'def check(token, verify=False):\n    return validate(token, verify=verify)\n',
        'import requests\n\nrequests.get("http://127.0.0.1:8080/health", verify=False, timeout=1)\n',
        'import paramiko\n\ndef connect(host):\n    client = paramiko.SSHClient()\n    client.load_system_host_keys()\n'
        '    client.set_missing_host_key_policy(paramiko.RejectPolicy())\n    return client\n',
        # reading the certificate a host presents (self-signed included) needs verification off
        'import socket, ssl\n\ndef presented_certificate(host, port=443):\n    ctx = ssl.create_default_context()\n'
        '    ctx.check_hostname = False\n    ctx.verify_mode = ssl.CERT_NONE\n'
        '    with ctx.wrap_socket(socket.create_connection((host, port), 5), server_hostname=host) as sock:\n'
        '        return sock.getpeercert(True)\n',
    ]
    bad = [
        Bad('import requests\n\nrequests.post("https://payments.example.com/refund", json={}, verify=False, timeout=5)\n', line=3),
        Bad('import httpx\n\nasync def call():\n    async with httpx.AsyncClient(verify=False) as client:\n        return await client.get("https://x.example.com")\n', line=4),
        Bad('import requests\n\nsession = requests.Session()\nsession.verify = False\n', line=4),
        Bad('import requests\n\ndef fetch(host):\n    return requests.get("https://" + host + "/identity", verify=False, timeout=5)\n', line=4),
        Bad(
            'import socket, ssl\n\ndef fetch(host):\n    ctx = ssl.create_default_context()\n    ctx.check_hostname = False\n'
            '    ctx.verify_mode = ssl.CERT_NONE\n    sock = ctx.wrap_socket(socket.create_connection((host, 443), 5), server_hostname=host)\n'
            '    print(sock.getpeercert(True))\n    sock.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")\n',
            line=5,
        ),
        Bad('import paramiko\n\ndef connect(host):\n    client = paramiko.SSHClient()\n    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())\n'
            '    client.connect(host, username="deploy", key_filename="/keys/deploy")\n    return client\n', line=5),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.names = S.QualifiedNames(ctx, _HTTP_MODULES + ("ssl",))
        self.http = any(m in ctx.source for m in _HTTP_MODULES)
        self.functions: list[cst.FunctionDef] = []
        self.inspects = "peer_cert" in ctx.source or "getpeercert" in ctx.source

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.pop()

    def report(self, node: Any, **kwargs: Any) -> None:
        if self.inspects and self.functions and _reads_peer_certificate(self.ctx.module.code_for_node(self.functions[-1])):
            return  # turning verification off to look at whatever certificate the peer presents
        kwargs.setdefault("what", "TLS certificate")
        super().report(node, **kwargs)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        leaf = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if leaf == "_create_unverified_context":
            self.report(node, how="ssl._create_unverified_context()")
            return
        if leaf == "set_missing_host_key_policy" and node.args:
            policy = node.args[0].value
            name = S.dotted_name(policy.func if isinstance(policy, cst.Call) else policy).rsplit(".", 1)[-1]
            if name in ("AutoAddPolicy", "WarningPolicy"):
                self.report(node, what="SSH host key", how=f"paramiko `{name}` accepts any host key")
            return
        if any(_plain_or_loopback(a.value) for a in node.args):
            return  # `http://...` or a loopback address in the same call: no TLS to verify, or no network
        for arg in node.args:
            if arg.keyword is None:
                continue
            key = arg.keyword.value
            if key in ("cert_reqs", "ssl_cert_reqs", "verify_mode") and _cert_none(arg.value):
                self.report(node, how=f"`{key}` CERT_NONE on {leaf}()")
                return
            if key == "check_hostname" and _is_false(arg.value):
                self.report(node, how=f"`check_hostname=False` on {leaf}()")
                return
            if not _is_false(arg.value):
                continue
            if key in ("verify_certs", "ssl_verify", "verify_ssl", "tls_verify", "validate_certs", "ssl_check_hostname"):
                self.report(node, how=f"`{key}=False` on {leaf}()")
                return
            if key not in ("verify", "ssl"):
                continue
            qnames = self.names(func)
            http = any(q.split(".")[0] in _HTTP_MODULES + ("boto3", "botocore", "aioboto3", "hvac", "elasticsearch") for q in qnames)
            if http or (self.http and leaf in _HTTP_METHODS) or (key == "verify" and leaf in ("client", "resource", "Session", "Client")):
                self.report(node, how=f"`{key}=False` on {leaf}()")
                return

    def visit_Attribute(self, node: cst.Attribute) -> None:
        # weak protocol versions: ssl.PROTOCOL_TLSv1, SSL.SSLv3_METHOD, TLSVersion.TLSv1
        attr = node.attr.value
        if attr in _WEAK_PROTOCOLS and S.dotted_name(node.value).rsplit(".", 1)[-1] in ("ssl", "SSL", "TLSVersion"):
            self.report(node, how=f"weak protocol `{S.dotted_name(node)}` (use TLS 1.2 or later)")

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            t = target.target
            if not isinstance(t, cst.Attribute):
                continue
            attr = t.attr.value
            if attr == "verify" and self.http and _is_false(node.value):
                self.report(node, how=f"`{S.dotted_name(t) or 'session.verify'} = False`")
            elif attr == "check_hostname" and _is_false(node.value):
                self.report(node, how=f"`{S.dotted_name(t) or 'context.check_hostname'} = False`")
            elif attr == "verify_mode" and _cert_none(node.value):
                self.report(node, how=f"`{S.dotted_name(t) or 'context.verify_mode'} = CERT_NONE`")


def _plain_or_loopback(node: cst.BaseExpression) -> bool:
    """A literal URL without TLS (`http://`) or with a loopback host."""
    if not isinstance(node, cst.SimpleString):
        return False
    value = str(node.evaluated_value)
    return bool(re.match(r"(?i)(http|ws)://", value) or re.match(r"(?i)(https?|wss?)://(localhost|127\.0\.0\.1|\[::1\])(:|/|$)", value))


def _reads_peer_certificate(code: str) -> bool:
    """The function reads the peer's certificate and sends nothing over the connection."""
    return bool(re.search(r"getpeercert|get_peer_certificate|get_peer_cert_chain", code)) and not re.search(
        r"\.(send|sendall|write|request|urlopen|post|put|get)\(", code
    )


_WEAK_PROTOCOLS = frozenset({"PROTOCOL_SSLv2", "PROTOCOL_SSLv3", "PROTOCOL_TLSv1", "PROTOCOL_TLSv1_1", "SSLv2_METHOD", "SSLv3_METHOD", "SSLv23_METHOD", "TLSv1_METHOD", "TLSv1_1_METHOD", "TLSv1", "TLSv1_1", "SSLv3"})


def _cert_none(node: cst.BaseExpression) -> bool:
    """`ssl.CERT_NONE`, `CERT_NONE`, `"CERT_NONE"`, `"none"` (redis' ssl_cert_reqs)."""
    if isinstance(node, cst.Attribute):
        return node.attr.value == "CERT_NONE"
    if isinstance(node, cst.Name):
        return node.value == "CERT_NONE"
    if isinstance(node, cst.SimpleString):
        return str(node.evaluated_value).lower() in ("cert_none", "none")
    return False


class JwtWithoutVerification(S.SecurityRule, PythonCheck):
    """A JWT decoded without checking its signature, or accepting the `none` algorithm.

    Why it matters: an unverified token is just JSON the client wrote: anyone can set `sub` to
    another user or `role` to admin. Decode with the key and an explicit algorithm list
    (`jwt.decode(token, key, algorithms=["HS256"])`).
    Reports PyJWT and python-jose `jwt.decode` with `options={"verify_signature": False}` (or
    `verify=False`), an `algorithms` list containing `none`, and `jwt.encode(..., algorithm="none")`.
    Known limits: options built in a variable elsewhere are not followed; reading only the header
    (`get_unverified_header`, to pick a key) is fine and not reported, and so is a decode whose
    token or result is named `unverified_...` (peeking at the issuer before verifying, on purpose).
    """

    code = "BG222"
    name = "jwt-without-verification"
    gate = "SEC-CRYPTO"
    severity = Severity.ERROR
    confidence = "high"
    external_ids = ("sonar:S5659", "semgrep:unverified-jwt-decode", "semgrep:jwt-python-none-alg", "semgrep:jwt-verification-disabled")
    message = "JWT {how}; the claims can be forged by anyone"
    fix = "verify the signature: `jwt.decode(token, key, algorithms=[\"HS256\"])`"
    triggers = ("jwt", "jose")
    references = ["https://cwe.mitre.org/data/definitions/347.html"]

    good = [
        'import jwt\n\ndef claims(token, key):\n    return jwt.decode(token, key, algorithms=["HS256"])\n',
        'from jose import jwt\n\ndef kid(token):\n    return jwt.get_unverified_header(token)["kid"]\n',
        # the unverified claims only route the token to the verifier that owns it
        'import jwt\n\ndef is_ours(token):\n    try:\n        claims = jwt.decode(token, options={"verify_signature": False})\n'
        '    except jwt.PyJWTError:\n        return False\n    return claims.get("iss") == "us"\n\n'
        'def verify(token, key):\n    return jwt.decode(token, key, algorithms=["HS256"])\n',
    ]
    bad = [
        Bad('import jwt\n\ndef claims(token):\n    return jwt.decode(token, options={"verify_signature": False})\n', line=4),
        Bad('from jose import jwt\n\ndef claims(token, key):\n    return jwt.decode(token, key, algorithms=["HS256", "none"])\n', line=4),
        Bad('import jwt as pyjwt\n\ndef claims(token):\n    return pyjwt.decode(token, verify=False)\n', line=4),
        Bad('from jwt import decode as jwt_decode\n\ndef claims(token, key):\n    return jwt_decode(token, key, algorithms=["HS256", "none"])\n', line=4),
        Bad('import jwt\n\ndef is_admin(token):\n    claims = jwt.decode(token, options={"verify_signature": False})\n    return claims["role"] == "admin"\n', line=4),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.names = S.QualifiedNames(ctx, ("jwt", "jose"))
        self.targets: list[str] = []
        # per function: unverified reads waiting for a verifying decode in the same function
        self.frames: list[tuple[list[tuple[cst.Call, str]], list[bool]]] = [([], [False])]
        self.functions: list[cst.FunctionDef | None] = [None]
        # another decode path in the module (`jwt.decode(t, key, ...)`, a project `jwt_decode(t)`)
        # besides the unverified reads: the unverified one may only route the token to it
        source = ctx.source
        unverified = len(re.findall(r"verify_signature[\"']\s*:\s*False|verify\s*=\s*False|get_unverified_claims\(", source))
        self.module_verifies = len(re.findall(r"(?<!def )\b\w*decode\w*\(", source)) > unverified

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.frames.append(([], [False]))
        self.functions.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.flush(self.frames.pop(), self.functions.pop())

    def finish(self) -> None:
        while self.frames:
            self.flush(self.frames.pop(), self.functions.pop() if self.functions else None)

    def flush(self, frame: tuple[list[tuple[cst.Call, str]], list[bool]], fn: cst.FunctionDef | None) -> None:
        pending, verified = frame
        if verified[0]:
            return  # peek (issuer, kid) then verify: the idiom for picking the key
        if pending and fn is not None and self.module_verifies and _predicate(fn):
            # `def is_our_token(t)`: the unverified claims only pick which verifier handles the
            # token (routing); they never leave the function
            return
        for call, how in pending:
            # a verifying decode elsewhere in the module: likely a peek that another function
            # follows with verification (warning, not error)
            confidence = "medium" if self.module_verifies and fn is not None else "high"
            self.report(call, how=how, confidence=confidence)

    def visit_Assign(self, node: cst.Assign) -> None:
        self.targets.append(" ".join(S.dotted_name(t.target) for t in node.targets))

    def leave_Assign(self, node: cst.Assign) -> None:
        self.targets.pop()

    def deliberate(self, node: cst.Call) -> bool:
        """Peeking at claims on purpose: the token or the result is named `unverified_...`."""
        first = node.args[0].value if node.args else None
        names = [S.dotted_name(first) if first is not None else "", self.targets[-1] if self.targets else ""]
        return any(_DELIBERATE.search(n) for n in names if n)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, (cst.Attribute, cst.Name)):
            return
        leaf = func.attr.value if isinstance(func, cst.Attribute) else func.value
        if leaf not in _JWT_CALLS:
            if not isinstance(func, cst.Name) or not self.names.enabled:
                return
            # `from jwt import decode as jwt_decode`: the call's own name is the alias
            leaf = next((q.rpartition(".")[2] for q in self.names(func) if q.rpartition(".")[2] in _JWT_CALLS), leaf)
            if leaf not in _JWT_CALLS:
                return
        if not any(re.match(r"^(jwt|jose|jws|authlib\.jose)(\.|$)", q) and q.endswith(leaf) for q in self.names(func)):
            return
        if leaf == "get_unverified_claims":
            self.frames[-1][0].append((node, "claims read with get_unverified_claims() and never verified"))
            return
        unverified = None
        for arg in node.args:
            key = arg.keyword.value if arg.keyword else None
            value = arg.value
            if key == "verify" and _is_false(value):
                unverified = "decoded with verify=False"
            if key == "options" and isinstance(value, cst.Dict):
                for element in value.elements:
                    if (
                        isinstance(element, cst.DictElement)
                        and isinstance(element.key, cst.SimpleString)
                        and element.key.evaluated_value in ("verify_signature", "verify_exp_signature")
                        and _is_false(element.value)
                    ):
                        unverified = "decoded without signature verification"
            if key in ("algorithms", "algorithm") or (leaf == "encode" and key is None and arg is node.args[-1] and len(node.args) >= 3):
                if _mentions_none(value):
                    self.report(node, how="accepts the `none` algorithm" if leaf != "encode" else "signed with the `none` algorithm")
                    return
        if unverified is not None:
            if not self.deliberate(node):
                self.frames[-1][0].append((node, unverified))
        elif leaf in ("decode", "decode_complete", "verify") and len([a for a in node.args if a.keyword is None]) + len([a for a in node.args if a.keyword and a.keyword.value == "key"]) >= 2:
            self.frames[-1][1][0] = True  # a verifying decode (token and key) in this function


_DELIBERATE = lazy(r"(?i)unverified|untrusted|insecure|peek")
_JWT_CALLS = frozenset({"decode", "encode", "decode_complete", "get_unverified_claims", "verify", "decode_token"})


def _predicate(fn: cst.FunctionDef) -> bool:
    """Every `return` of the function gives a boolean (a literal, a comparison, `not`, `bool()`)."""
    from ._cst import descendants

    returns = list(descendants(fn, cst.Return, prune=cst.FunctionDef))
    if not returns:
        return False
    for ret in returns:
        value = ret.value
        if isinstance(value, cst.Name) and value.value in ("True", "False"):
            continue
        if isinstance(value, (cst.Comparison, cst.UnaryOperation)) and (
            not isinstance(value, cst.UnaryOperation) or isinstance(value.operator, cst.Not)
        ):
            continue
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in ("bool", "isinstance"):
            continue
        return False
    return True


def _mentions_none(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.SimpleString):
        return str(node.evaluated_value).lower() == "none"
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return any(_mentions_none(e.value) for e in node.elements)
    return False


_RANDOM_FUNCS = frozenset({"random", "randint", "randrange", "choice", "choices", "sample", "getrandbits", "shuffle", "uniform", "randbytes"})
_TOKEN_WORDS = frozenset({"otp", "nonce", "salt", "pin", "csrf", "verification", "activation", "invite", "invitation", "confirmation", "sessionid", "apikey", "passcode", "mfa", "totp", "2fa"})


def _tokenish(name: str) -> bool:
    if S.secret_kind(name) is not None:
        return True
    ws = S.words(name)
    if not ws or ws[-1] in S.META_SUFFIX - {"key"}:
        return False
    return any(w in _TOKEN_WORDS for w in ws) or (ws[-1] in ("key", "code") and any(w in _TOKEN_WORDS | {"api", "secret", "access", "reset", "auth"} for w in ws))


class InsecureRandomToken(S.SecurityRule, PythonCheck):
    """A token, password, OTP, nonce or salt made with the `random` module.

    Why it matters: `random` is a Mersenne Twister: after 624 outputs its whole future is
    predictable, and it is often seeded from the time. Tokens made with it can be guessed. Use
    `secrets` (`secrets.token_urlsafe()`, `secrets.choice`) or `random.SystemRandom`.
    A value counts as a token when it is stored under, passed as, or returned from a function with a
    name like `token`, `password`, `api_key`, `otp`, `nonce`, `salt`, `reset_code`.
    Known limits: a generic helper (`random_string()`) whose result is later used as a token is
    not followed; test files are skipped.
    """

    code = "BG223"
    name = "insecure-random-token"
    gate = "SEC-CRYPTO"
    severity = Severity.ERROR
    confidence = "high"
    external_ids = ("ruff:S311", "bandit:B311", "sonar:S2245")
    message = "`{func}()` from the `random` module makes `{name}`; it is predictable, use the `secrets` module"
    fix = "e.g. `secrets.token_urlsafe(32)` or `''.join(secrets.choice(alphabet) for _ in range(n))`"
    triggers = ("random",)
    skip_tests = True
    references = ["https://cwe.mitre.org/data/definitions/338.html"]

    good = [
        'import secrets\n\ndef new_token():\n    return secrets.token_urlsafe(32)\n',
        'import random\n\ndef pick_server(servers):\n    server = random.choice(servers)\n    return server\n',
        'import random\n\nrng = random.SystemRandom()\nreset_token = "".join(rng.choice("abcdef0123456789") for _ in range(32))\n',
    ]
    bad = [
        Bad('import random\nimport string\n\ndef make():\n    token = "".join(random.choices(string.ascii_letters, k=32))\n    return token\n', line=5),
        Bad('from random import randint\n\ndef generate_otp():\n    return str(randint(100000, 999999))\n', line=4),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.names = S.QualifiedNames(ctx, ("random",))
        self.functions: list[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node.name.value)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.pop()

    def random_call(self, node: cst.CSTNode) -> str | None:
        found: list[str] = []

        def visit(n: cst.CSTNode) -> None:
            if found or isinstance(n, (cst.Lambda, cst.FunctionDef)):
                return
            if isinstance(n, cst.Call) and isinstance(n.func, (cst.Name, cst.Attribute)):
                leaf = n.func.value if isinstance(n.func, cst.Name) else n.func.attr.value
                if leaf in _RANDOM_FUNCS and any(q == f"random.{leaf}" for q in self.names(n.func)):
                    found.append(f"random.{leaf}")
                    return
            for child in _fast_children(n):
                visit(child)

        visit(node)
        return found[0] if found else None

    def judge(self, name: str | None, value: cst.CSTNode | None, node: cst.CSTNode) -> None:
        if not name or value is None or not _tokenish(name):
            return
        func = self.random_call(value)
        if func:
            self.report(node, func=func, name=name)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            for name in _target_names(target.target)[:1]:
                self.judge(name, node.value, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        names = _target_names(node.target)
        if names:
            self.judge(names[0], node.value, node)

    def visit_Return(self, node: cst.Return) -> None:
        if self.functions:
            name = re.sub(r"^(_*)(generate|gen|make|create|new|build|random|get|issue)_?", "", self.functions[-1])
            name = re.sub(r"_?v?\d+$", "", name)  # `reset_token2`, `make_otp_v2`: versions of the same function
            self.judge(name, node.value, node)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.judge(node.keyword.value, node.value, node)


_WEAK_CIPHERS = {
    "DES": "DES", "DES3": "3DES", "TripleDES": "3DES", "ARC4": "RC4", "ARC2": "RC2", "Blowfish": "Blowfish",
    "CAST": "CAST5", "CAST5": "CAST5", "IDEA": "IDEA", "SEED": "SEED", "XOR": "XOR",
}
_CIPHER_MODULES = ("Crypto.Cipher", "Cryptodome.Cipher", "cryptography.hazmat.primitives.ciphers.algorithms", "algorithms")


class WeakCipher(S.SecurityRule, PythonCheck):
    """Encryption with a broken cipher (DES, 3DES, RC4, Blowfish ...), ECB mode, or an RSA/DSA key under 2048 bits.

    Why it matters: DES keys are brute-forced in hours, RC4 and 64-bit block ciphers leak plaintext
    (Sweet32, RC4 biases), ECB encrypts equal blocks to equal ciphertext (patterns show through),
    and 1024-bit RSA keys are within reach of well-funded attackers. Use AES-GCM or ChaCha20-Poly1305
    (`cryptography`'s `AESGCM`, or `Fernet`), and RSA keys of at least 2048 bits (3072 for new keys).
    Reports PyCryptodome/PyCrypto `DES.new`, `DES3.new`, `ARC4.new`, `Blowfish.new` ...,
    `cryptography` `algorithms.TripleDES/ARC4/Blowfish/IDEA/SEED/CAST5`, `modes.ECB()` and
    `MODE_ECB`, and `rsa.generate_private_key(key_size=...)` / `RSA.generate(bits)` /
    `dsa.generate_private_key` below 2048.
    Known limits: key sizes computed at runtime are not judged; decrypting legacy data with a weak
    cipher is reported too (suppress it with the reason).
    """

    code = "BG225"
    name = "weak-cipher"
    gate = "SEC-CRYPTO"
    severity = Severity.ERROR
    confidence = "high"
    external_ids = ("bandit:B304", "bandit:B305", "ruff:S304", "ruff:S305", "bandit:B505", "ruff:S505", "bandit:B413", "ruff:S413",
                    "sonar:S5547", "sonar:S5542", "sonar:S4426", "semgrep:insecure-cipher-algorithm-des", "semgrep:insecure-cipher-mode-ecb")
    message = "{what}; use AES-GCM or ChaCha20-Poly1305 (or Fernet), and RSA keys of at least 2048 bits"
    fix = "e.g. `AESGCM(AESGCM.generate_key(bit_length=256)).encrypt(nonce, data, None)` or `Fernet(key).encrypt(data)`"
    triggers = ("DES", "ARC4", "ARC2", "Blowfish", "CAST", "IDEA", "SEED", "ECB", "generate_private_key", "RSA.generate", "DSA.generate")
    references = ["https://cwe.mitre.org/data/definitions/327.html", "https://cwe.mitre.org/data/definitions/326.html"]

    good = [
        'from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n\ndef seal(key, nonce, data):\n    return AESGCM(key).encrypt(nonce, data, None)\n',
        'from cryptography.hazmat.primitives.asymmetric import rsa\n\nkey = rsa.generate_private_key(public_exponent=65537, key_size=3072)\n',
        'from Crypto.Cipher import AES\n\ndef seal(key, data):\n    return AES.new(key, AES.MODE_GCM).encrypt_and_digest(data)\n',
    ]
    bad = [
        Bad('from Crypto.Cipher import DES\n\ndef seal(key, data):\n    return DES.new(key, DES.MODE_CBC).encrypt(data)\n', line=4),
        Bad('from Crypto.Cipher import AES\n\ndef seal(key, data):\n    return AES.new(key, AES.MODE_ECB).encrypt(data)\n', line=4),
        Bad('from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes\n\ndef rc4(key):\n    return Cipher(algorithms.ARC4(key), mode=None)\n', line=4),
        Bad('from cryptography.hazmat.primitives.asymmetric import rsa\n\nkey = rsa.generate_private_key(public_exponent=65537, key_size=1024)\n', line=3),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.reported: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        dotted = S.dotted_name(func)
        parts = dotted.split(".")
        leaf = parts[-1] if parts else ""
        if leaf == "new" and len(parts) >= 2 and parts[-2] in _WEAK_CIPHERS:
            self.report(node, what=f"{_WEAK_CIPHERS[parts[-2]]} encryption (`{dotted}`)")
            return
        if len(parts) >= 2 and parts[-2] == "algorithms" and leaf in _WEAK_CIPHERS:
            self.report(node, what=f"{_WEAK_CIPHERS[leaf]} encryption (`{dotted}`)")
            return
        if leaf == "ECB" and (len(parts) == 1 or parts[-2] == "modes"):
            self.report(node, what="ECB mode (`modes.ECB()`): equal blocks encrypt to equal ciphertext")
            return
        if leaf in ("generate_private_key", "generate") and len(parts) >= 2 and parts[-2] in ("rsa", "dsa", "RSA", "DSA"):
            size: cst.BaseExpression | None = None
            for i, arg in enumerate(node.args):
                if arg.keyword is not None and arg.keyword.value in ("key_size", "bits"):
                    size = arg.value
                elif arg.keyword is None and ((leaf == "generate" and i == 0) or (leaf == "generate_private_key" and parts[-2] == "dsa" and i == 0) or (leaf == "generate_private_key" and i == 1)):
                    size = arg.value
            if isinstance(size, cst.Integer) and int(size.value.replace("_", ""), 0) < 2048:
                self.report(node, what=f"a {size.value}-bit {parts[-2].upper()} key")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "MODE_ECB":
            self.report(node, what=f"ECB mode (`{S.dotted_name(node)}`): equal blocks encrypt to equal ciphertext")
