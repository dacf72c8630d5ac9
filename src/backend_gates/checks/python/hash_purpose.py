"""SEC-CRYPTO: md5/sha1 used for checksums, ETags or cache keys without saying so."""

from __future__ import annotations

from typing import Any, ClassVar

import libcst as cst

from ...model import Severity
from ..base import Bad, Option
from . import _sensitive as S
from .weak_crypto import _BROKEN, WeakPasswordHash, _names_in


def _keyed(names: list[str]) -> bool:
    return any("salt" in n.lower() or S.secret_kind(n) not in (None, "key") for n in names)


class UnstatedHashPurpose(WeakPasswordHash):
    """md5 or sha1 called for a non-password purpose without `usedforsecurity=False`.

    Why it matters: md5 and sha1 are fine for checksums, ETags and cache keys, but a reader (and
    bandit B324, ruff S324, Sonar S4790) cannot tell such a use from a security one; on FIPS-mode
    Python builds `hashlib.md5(data)` raises unless it says `usedforsecurity=False`. Stating it
    makes the intent reviewable and the code portable. `check --fix` adds the argument.
    Password hashing with md5/sha1 is BG220 (an error), not this rule; a hash over a secret or a
    salt (`sha1(email + SECRET_KEY)`) is a home-made MAC, where `usedforsecurity=False` would be
    wrong, and is not reported either.
    Off by default (opinionated): enable it with `extend-select = ["BG226"]` when your code runs on
    FIPS builds or your team wants bandit/ruff parity. Known limits: needs Python 3.9+
    (`usedforsecurity` is new in 3.9); `Crypto.Hash` objects have no such argument and are skipped.
    """

    code = "BG226"
    name = "hash-purpose-unstated"
    gate = "SEC-CRYPTO"
    severity = Severity.INFO
    confidence = "low"
    default_enabled = False
    external_ids: ClassVar[tuple[str, ...]] = ("ruff:S324", "bandit:B324", "sonar:S4790")
    message = "`{algo}` is called without `usedforsecurity=False`; if this is a checksum, ETag or cache key, say so"
    fix = "`hashlib.md5(data, usedforsecurity=False)` (Python 3.9+); for security uses pick sha256 or a password hash"
    references = ["https://docs.python.org/3/library/hashlib.html#hashlib.new"]
    options: ClassVar[dict[str, Option]] = {}
    tests_option = None  # parity with bandit B324 / ruff S324: test files too (BG220 skips them)

    good = [
        'import hashlib\n\ndef etag(body):\n    return hashlib.md5(body, usedforsecurity=False).hexdigest()\n',
        'import hashlib\n\ndef digest(body):\n    return hashlib.sha256(body).hexdigest()\n',
        'import hashlib\n\ndef create(body):\n    digest = hashlib.md5(body["password"].encode()).hexdigest()\n    return digest\n',  # BG220's
        'import hashlib\nfrom django.conf import settings\n\ndef bucket(email):\n    salted = (email + settings.SECRET_KEY).encode()\n    return hashlib.sha1(salted).hexdigest()\n',  # keyed: hmac's concern
        'import hashlib\n\ndef store(user, password):\n    h = hashlib.md5()\n    h.update(password.encode())\n    user.pw = h.hexdigest()\n',  # BG220's
    ]
    bad = [
        Bad('import hashlib\n\ndef etag(body):\n    return hashlib.md5(body).hexdigest()\n', line=4),
        Bad('from hashlib import sha1\n\ndef cache_key(url):\n    return sha1(url.encode()).hexdigest()\n', line=4),
        Bad('import hashlib\n\ndef checksum(blob):\n    return hashlib.new("md5", blob).hexdigest()\n', line=4),
        Bad('import hashlib\n\ndef file_md5(path):\n    h = hashlib.md5()\n    with open(path, "rb") as f:\n        h.update(f.read())\n    return h.hexdigest()\n', line=4),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        # per function: empty hash objects (`h = hashlib.md5()`), name -> constructor call; judged
        # when the function ends, unless `.update(...)` fed it a password (then it is BG220's)
        self.empty: list[dict[str, cst.Call]] = [{}]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        self.empty.append({})

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        for call in self.empty.pop().values():
            self.other_use(call, self.algorithm(call) or "")
        super().leave_FunctionDef(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        target = node.targets[0].target if len(node.targets) == 1 else None
        if isinstance(target, cst.Name) and isinstance(node.value, cst.Call) and target.value in self.objects[-1]:
            if len(self.empty) > 1:  # module-level hash objects are not followed
                self.empty[-1][target.value] = node.value

    def hash_update(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            self.feeding = func.value.value
            if node.args and _keyed(_names_in(node.args[0].value)):
                self.empty[-1].pop(self.feeding, None)  # a secret or salt goes in: a keyed hash
        super().hash_update(node)

    feeding = ""

    def password_hash(self, node: cst.Call, algo: str, salted: bool) -> None:
        self.empty[-1].pop(self.feeding, None)  # a password goes in: BG220 reports it, not this rule

    def weak_scheme(self, node: cst.CSTNode, what: str) -> None:
        """A weak password scheme chosen by name: BG220's."""

    def other_use(self, node: cst.Call, algo: str) -> None:
        if algo not in _BROKEN or not self._from_hashlib(node):
            return
        if any(a.keyword is not None and a.keyword.value == "usedforsecurity" for a in node.args):
            return
        if _keyed([n for a in node.args for n in _names_in(a.value)]):
            return  # a secret or salt among the inputs: a home-made MAC (use hmac), not a checksum
        self.report(node, algo=f"hashlib.{algo}")

    def _from_hashlib(self, node: cst.Call) -> bool:
        return any(q.rpartition(".")[0] == "hashlib" for q in self.names(node.func))
