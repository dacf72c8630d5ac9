"""SEC-AUTHN lint: operations declare a security requirement unless they are public."""

from __future__ import annotations

from ...model import Severity
from ..base import Bad
from . import OpenApiCheck, is_public_path
from ._util import is_auth_path

_HEAD = 'openapi: "3.0.3"\ninfo:\n  title: Pets\n  version: "1.0.0"\n'
_SCHEMES = "components:\n  securitySchemes:\n    bearer: {type: http, scheme: bearer}\n"


class OperationWithoutSecurity(OpenApiCheck):
    """A non-public operation has no security requirement (neither its own nor a global one).

    Why it matters: the spec is the contract gateways, generated clients and reviewers read; an
    operation without `security` is documented as open to anyone. `security: []` marks an
    operation as deliberately public; paths on `routes.public` (health, login, docs) and
    authentication operations (login, token, refresh, password reset) are exempt.
    Known limits: when the spec declares no security at all, one finding is reported for the
    whole spec rather than one per operation.
    """

    code = "BG605"
    name = "operation-without-security"
    gate = "SEC-AUTHN"
    severity = Severity.WARNING
    message = "{what} has no security requirement"
    fix = "add a global `security` requirement (or one per operation); mark public operations with `security: []`"
    good = [
        _HEAD + "security:\n  - bearer: []\npaths:\n  /pets:\n    get:\n      responses:\n        '200': {description: ok}\n"
        "  /health:\n    get:\n      responses:\n        '200': {description: ok}\n" + _SCHEMES,
        _HEAD + "paths:\n  /pets:\n    get:\n      security: []\n      responses:\n        '200': {description: ok}\n"
        "    post:\n      security:\n        - bearer: []\n      responses:\n        '201': {description: ok}\n" + _SCHEMES,
    ]
    bad = [
        Bad(_HEAD + "paths:\n  /pets:\n    get:\n      security:\n        - bearer: []\n      responses:\n        '200': {description: ok}\n"
            "    delete:\n      responses:\n        '204': {description: gone}\n" + _SCHEMES, line=12),
        Bad(_HEAD + "paths:\n  /pets:\n    get:\n      responses:\n        '200': {description: ok}\n", line=5),
    ]

    def run(self) -> None:
        from ...openapi.model import effective_security, server_prefixes

        prefixes = server_prefixes(self.spec)
        ops = list(self.spec.operations())
        data = self.spec.data
        anywhere = "security" in data or any("security" in op.node for op in ops) or bool(self.spec.security_schemes())
        unsecured = []
        for op in ops:
            if effective_security(self.spec, op) is not None:
                continue
            if any(is_public_path(prefix + op.path, self.config) or is_public_path(op.path, self.config) for prefix in prefixes):
                continue
            if is_auth_path(op.path):
                continue  # login, token, refresh, password reset: how credentials are obtained
            unsecured.append(op)
        if not unsecured:
            return
        if not anywhere:
            self.report(("paths",), message=f"the spec declares no security requirement for any of its {len(unsecured)} non-public operation(s) (e.g. {unsecured[0].label})")
            return
        for op in unsecured:
            self.report(op.json_path, what=op.label)
