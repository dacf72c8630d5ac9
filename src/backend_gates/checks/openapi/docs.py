"""API-DOCS lint: operations carry an id, a summary and a response schema."""

from __future__ import annotations

from ...model import Severity
from ..base import Bad
from . import OpenApiCheck

_HEAD = 'openapi: "3.0.3"\ninfo:\n  title: Pets\n  version: "1.0.0"\nservers:\n  - url: /v1\npaths:\n'


class UndocumentedOperation(OpenApiCheck):
    """An operation has no `operationId`, no summary/description, or a GET 200 response without a schema.

    Why it matters: operation ids name generated client methods and link documentation; a missing
    summary leaves readers guessing; a GET whose success response has no schema documents nothing
    about what comes back.
    Known limits: only `200` responses of GET operations are checked for a schema; 204 and other
    bodiless responses are fine.
    """

    code = "BG602"
    name = "undocumented-operation"
    gate = "API-DOCS"
    severity = Severity.WARNING
    message = "{op} has no {missing}"
    fix = "add operationId, a summary, and a response schema for the success response"
    good = [
        _HEAD + '  /pets:\n    get:\n      operationId: listPets\n      summary: List pets\n      responses:\n'
        '        "200":\n          description: ok\n          content:\n            application/json:\n'
        '              schema:\n                type: array\n                maxItems: 50\n                items: {type: string, maxLength: 20}\n'
    ]
    bad = [
        Bad(_HEAD + '  /pets:\n    get:\n      responses:\n        "200":\n          description: ok\n', line=9),
    ]

    def run(self) -> None:
        swagger = self.spec.is_swagger
        for op in self.spec.operations():
            missing = []
            if not op.node.get("operationId"):
                missing.append("operationId")
            if not (op.node.get("summary") or op.node.get("description")):
                missing.append("summary or description")
            if op.method == "get":
                resp = self.spec.deref(op.node.get("responses", {}).get("200") if isinstance(op.node.get("responses"), dict) else None)
                if isinstance(resp, dict) and not (resp.get("schema") if swagger else resp.get("content")):
                    missing.append("response schema for 200")
            if missing:
                self.report(op.json_path, op=op.label, missing=", ".join(missing))
