"""API-RATE lint: 429 documented where rate limits apply."""

from __future__ import annotations

from typing import Any

from ...model import Severity
from ..base import Bad
from . import OpenApiCheck
from ._util import codes, is_auth_path, responses

_HEAD = 'openapi: "3.0.3"\ninfo:\n  title: Auth\n  version: "1.0.0"\npaths:\n'


def _limit_headers(spec: Any, op_node: dict[str, Any]) -> bool:
    for resp in responses(op_node).values():
        resp = spec.deref(resp)
        headers = resp.get("headers") if isinstance(resp, dict) else None
        if isinstance(headers, dict) and any("ratelimit" in str(h).lower().replace("-", "") for h in headers):
            return True
    return False


class RateLimitUndocumented(OpenApiCheck):
    """An operation that is (or must be) rate limited documents no 429 response.

    Why it matters: clients need to know they can be throttled and how to back off. Limits apply
    to authentication operations (login, token, password reset: they must be limited) and to
    operations that declare rate-limit headers or an `x-ratelimit`/`x-rate-limit` extension.
    Known limits: limits enforced only by a gateway and not described in the spec are invisible.
    """

    code = "BG612"
    name = "rate-limit-undocumented"
    gate = "API-RATE"
    severity = Severity.WARNING
    message = "{op} {why} but documents no 429 response"
    fix = "document 429 Too Many Requests (with Retry-After) on rate-limited operations"
    good = [_HEAD + "  /login:\n    post:\n      responses:\n        '200': {description: ok}\n        '429': {description: slow down}\n"]
    bad = [Bad(_HEAD + "  /auth/login:\n    post:\n      responses:\n        '200': {description: ok}\n        '401': {description: no}\n", line=7),
           Bad(_HEAD + "  /pets:\n    get:\n      x-rate-limit: {per-minute: 60}\n      responses:\n        '200': {description: ok}\n", line=7)]

    def run(self) -> None:
        for op in self.spec.operations():
            found = codes(op.node)
            if not found or "429" in found or "4XX" in found:
                continue
            if any(str(k).lower().replace("-", "").startswith("xratelimit") for k in op.node):
                why = "declares a rate limit"
            elif _limit_headers(self.spec, op.node):
                why = "returns rate-limit headers"
            elif is_auth_path(op.path) and op.method in ("post", "put", "patch"):
                why = "is an authentication operation (must be rate limited)"
            else:
                continue
            self.report(op.json_path, op=op.label, why=why)
