"""API-VERSION lint: the spec carries a version in its server URL, base path or paths."""

from __future__ import annotations

import re

from ...model import Severity
from ..base import Bad
from . import OpenApiCheck
from ...patterns import lazy

VERSION_RE = lazy(r"(?:^|/)(?:v\d+(?:\.\d+)*|\d+\.\d+|\d{4}-\d{2}-\d{2})(?:/|$)", re.IGNORECASE)
VERSION_PARAMS = {"api-version", "x-api-version", "accept-version", "version", "api_version"}

_HEAD = 'openapi: "3.0.3"\ninfo:\n  title: Pets\n  version: "1.0.0"\n'
_PATHS = "paths:\n  /pets:\n    get:\n      responses:\n        '200': {description: ok}\n"


class UnversionedSpec(OpenApiCheck):
    """The spec has no versioned server URL, base path or path prefix (`/v1`, `/api/v2`, a date).

    Why it matters: without a version in the contract, a breaking change has nowhere to go but
    onto existing clients. Header or query versioning (`api-version`, `Accept-Version`
    parameters) counts too.
    Known limits: media-type versioning (`application/vnd.x.v2+json`) is recognised only in
    response or request content types.
    """

    code = "BG606"
    name = "unversioned-spec"
    gate = "API-VERSION"
    severity = Severity.WARNING
    message = "the spec has no versioned server URL, base path or path prefix"
    fix = "serve the API under a version prefix (servers: [{url: https://api.example.com/v1}] or /v1/... paths)"
    good = [
        _HEAD + "servers:\n  - url: https://api.example.com/v1\n" + _PATHS,
        _HEAD + "paths:\n  /api/v2/pets:\n    get:\n      responses:\n        '200': {description: ok}\n",
    ]
    bad = [Bad(_HEAD + "servers:\n  - url: https://api.example.com\n" + _PATHS, line=5)]

    def run(self) -> None:
        from ...openapi.model import parameters, server_prefixes

        if any(VERSION_RE.search(p) for p in server_prefixes(self.spec)):
            return
        ops = list(self.spec.operations())
        if not ops:
            return
        if any(VERSION_RE.search(op.path) for op in ops):
            return  # a version scheme exists; paths outside it are a route-level concern
        for op in ops:
            for param in parameters(self.spec, op):
                if str(param.get("name", "")).lower() in VERSION_PARAMS and param.get("in") in ("header", "query"):
                    return
            text = str(op.node.get("responses", ""))[:4000] + str(op.node.get("requestBody", ""))[:2000]
            if re.search(r"vnd\.[^\s'\"]*v\d", text):
                return
        data = self.spec.data
        where = ("servers",) if "servers" in data else ("basePath",) if "basePath" in data else ("paths",)
        self.report(where)
