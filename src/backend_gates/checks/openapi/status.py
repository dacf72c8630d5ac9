"""API-STATUS lint: error responses documented; creation answers 201."""

from __future__ import annotations

import re
from typing import Any

from ...model import Severity
from ..base import Bad
from . import OpenApiCheck
from ._util import codes, is_plural_collection
from ...patterns import lazy

_HEAD = 'openapi: "3.0.3"\ninfo:\n  title: Pets\n  version: "1.0.0"\npaths:\n'


class NoErrorResponse(OpenApiCheck):
    """An operation documents no 4xx response (and no `default` response).

    Why it matters: clients need to know how validation, auth and not-found errors look; an
    operation that documents only success promises something no server keeps.
    Known limits: a `default` response counts as documenting errors.
    """

    code = "BG603"
    name = "no-error-response"
    gate = "API-STATUS"
    severity = Severity.WARNING
    message = "{op} documents no 4xx response"
    fix = "document the client errors the operation returns (400, 401, 404, 422 ...)"
    good = [_HEAD + '  /pets:\n    get:\n      responses:\n        "200": {description: ok}\n        "404": {description: missing}\n',
            _HEAD + '  /pets:\n    get:\n      responses:\n        "200": {description: ok}\n        default: {description: error}\n']
    bad = [Bad(_HEAD + '  /pets:\n    get:\n      responses:\n        "200": {description: ok}\n', line=7)]

    def run(self) -> None:
        for op in self.spec.operations():
            found = codes(op.node)
            if not found:
                continue  # no responses at all: a validity problem (BG600)
            if any(c.startswith("4") or c == "DEFAULT" for c in found):
                continue
            self.report(op.json_path, op=op.label)


class CreateDocumentedAs200(OpenApiCheck):
    """A POST that creates a resource in a collection documents 200 instead of 201.

    Why it matters: 201 Created (with a Location or the new resource) tells clients and caches that
    something new exists; 200 hides the difference between creating and any other action.
    Known limits: "creation" is inferred: POST with a request body on a path whose last segment is
    a plural noun (`/pets`, `/users/{id}/orders`), not an action (`/search`, `/login`, `/batch`),
    whose operationId or summary (when it has one) says create/add/new/register.
    """

    code = "BG604"
    name = "create-documented-as-200"
    gate = "API-STATUS"
    severity = Severity.WARNING
    message = "{op} looks like a creation but documents 200, not 201"
    fix = "document 201 Created (or 202 Accepted for asynchronous creation)"
    good = [
        _HEAD + '  /pets:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {type: object}\n      responses:\n        "201": {description: created}\n',
        _HEAD + '  /pets/search:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {type: object}\n      responses:\n        "200": {description: results}\n',
    ]
    bad = [Bad(_HEAD + '  /pets:\n    post:\n      operationId: createPet\n      requestBody:\n        content:\n          application/json:\n            schema: {type: object}\n      responses:\n        "200": {description: ok}\n', line=7)]

    def run(self) -> None:
        from ...openapi.model import request_schema

        for op in self.spec.operations():
            if op.method != "post" or not is_plural_collection(op.path):
                continue
            found = codes(op.node)
            if "200" not in found or any(c in found for c in ("201", "202", "204", "303", "2XX")):
                continue
            schema, _required = request_schema(self.spec, op)
            if schema is None or not _says_create(op.node):
                continue
            self.report(op.json_path, op=op.label)


_CREATE = lazy(r"(?:^|[^a-z])(create|add|new|insert|register)(?:[^a-z]|$)")


def _says_create(node: dict[str, Any]) -> bool:
    """operationId or summary says the operation creates something (createPet, create_pet, 'Add a
    pet'); with neither, the path and body are all there is to go on, and they say creation."""
    texts = [node.get(key) for key in ("operationId", "summary") if isinstance(node.get(key), str) and node.get(key)]
    if not texts:
        return True
    return any(_CREATE.search(re.sub(r"([a-z])([A-Z])", r"\1 \2", str(text)).lower()) for text in texts)
