"""SEC-CRYPTO lint: sensitive fields in response schemas."""

from __future__ import annotations

from ...model import Severity
from ..base import Bad
from . import OpenApiCheck, report_property
from ._util import is_auth_path, words

ALWAYS = {"password", "passwd", "pwd", "passphrase", "secret", "ssn", "cvv", "cvc", "cvv2", "pin"}
NOT_VALUES = {
    "at", "date", "time", "expires", "expiry", "expiration", "changed", "updated", "set", "required",
    "length", "policy", "reset", "type", "hint", "strength", "enabled", "id", "ids", "name", "count",
    "url", "uri", "status", "rotated", "version", "last4", "mask", "masked", "exists", "configured",
}


def sensitive(name: str, token_ok: bool) -> str:
    """The kind of sensitive value a property name holds, or ''."""
    parts = words(name)
    if not parts or parts[-1] in NOT_VALUES or parts[0] in ("has", "is", "needs", "requires"):
        return ""
    joined = "".join(parts)
    last = parts[-1]
    if last == "pin" and len(parts) == 1:
        return ""  # 'pin' alone is too ambiguous (pinned, map pin)
    if last == "hash" and ("password" in parts or "passwd" in parts):
        return "a password hash"
    if last in ALWAYS or "password" in parts or joined in ("clientsecret", "socialsecuritynumber"):
        return "a password or secret" if last not in ("ssn",) and "social" not in parts else "a social security number"
    if last == "key" and not token_ok and any(p in parts for p in ("private", "secret", "signing", "encryption")):
        return "a key"
    if joined == "privatekey" and not token_ok:
        return "a key"
    if ("card" in parts or "credit" in parts) and last in ("number", "num", "no", "pan", "card"):
        return "a card number"
    if joined in ("cardnumber", "creditcard", "ccnumber", "pan"):
        return "a card number"
    if last == "token" and not token_ok and len(parts) <= 3:
        return "a token"
    return ""


class SensitiveFieldInResponse(OpenApiCheck):
    """A response schema exposes a sensitive field: password, secret, private key, SSN, card number or token.

    Why it matters: what a response schema documents, the serializer usually returns; password
    hashes, secrets and card numbers in responses leak through logs, caches and browsers.
    Known limits: tokens and keys are expected in the responses of authentication and
    key-issuing operations (login, token, refresh, `/keys`) and are not reported there; API-key
    names (`apiKey`) are not reported, they often name identifiers; `writeOnly` properties are exempt; names are
    matched by words (`accessToken`, `password_hash`), not by content.
    """

    code = "BG613"
    name = "sensitive-field-in-response"
    gate = "SEC-CRYPTO"
    severity = Severity.WARNING
    message = "{op}: response field {field!r} looks like {what}"
    fix = "drop the field from the response model, or mark it writeOnly if it is input only"
    good = [
        'openapi: "3.0.3"\ninfo:\n  title: Users\n  version: "1.0.0"\npaths:\n  /users/{id}:\n    get:\n      parameters:\n        - {name: id, in: path, required: true, schema: {type: integer}}\n'
        "      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n"
        "                  name: {type: string}\n                  password: {type: string, writeOnly: true}\n                  password_changed_at: {type: string}\n",
        'openapi: "3.0.3"\ninfo:\n  title: Auth\n  version: "1.0.0"\npaths:\n  /auth/token:\n    post:\n'
        "      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n"
        "                  access_token: {type: string}\n                  token_type: {type: string}\n",
    ]
    bad = [Bad(
        'openapi: "3.0.3"\ninfo:\n  title: Users\n  version: "1.0.0"\npaths:\n  /users/{id}:\n    get:\n      parameters:\n        - {name: id, in: path, required: true, schema: {type: integer}}\n'
        "      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/User'\n"
        "components:\n  schemas:\n    User:\n      type: object\n      properties:\n        name: {type: string}\n        password_hash: {type: string}\n", line=23)]

    def run(self) -> None:
        from ...openapi.model import response_schemas, walk_properties

        done: set[tuple[int, str]] = set()
        walked: set[tuple[int, bool]] = set()
        for op in self.spec.operations():
            token_ok = is_auth_path(op.path) or "token" in op.path.lower() or "key" in op.path.lower()
            for code, schema in response_schemas(self.spec, op):
                if not code.startswith("2") or (id(schema), token_ok) in walked:
                    continue
                walked.add((id(schema), token_ok))
                for name, prop, _req, owner in walk_properties(self.spec, schema):
                    if isinstance(prop, dict) and prop.get("writeOnly"):
                        continue
                    leaf = name.rsplit(".", 1)[-1]
                    what = sensitive(leaf, token_ok)
                    key = (id(owner), leaf)
                    if not what or key in done:
                        continue
                    done.add(key)
                    report_property(self, owner, leaf, op.json_path, op=op.label, field=name, what=what)
