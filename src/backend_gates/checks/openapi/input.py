"""SEC-INPUT lint: request bodies have schemas, and request strings/arrays are bounded."""

from __future__ import annotations

import re
from typing import Any

from ...model import Severity
from ..base import Bad
from . import OpenApiCheck, report_property

_HEAD = 'openapi: "3.0.3"\ninfo:\n  title: Pets\n  version: "1.0.0"\npaths:\n  /pets:\n    post:\n'
_RESP = "      responses:\n        '201': {description: created}\n"
BINARY_MEDIA = ("application/octet-stream", "*/*", "image/", "audio/", "video/", "text/plain", "application/pdf")
BOUNDED_FORMATS = {"date", "date-time", "time", "uuid", "byte", "binary", "ipv4", "ipv6", "int32", "int64", "duration"}


def _bounded_pattern(pattern: Any) -> bool:
    """An anchored pattern without unbounded repetition (`^[A-Z0-9]{8}$`) bounds the length."""
    if not isinstance(pattern, str) or not (pattern.startswith("^") and pattern.endswith("$")):
        return False
    body = pattern.replace("\\\\", "")
    return not re.search(r"(?<!\\)[*+]|\{\d+,\}", body)


class RequestBodyWithoutSchema(OpenApiCheck):
    """A request body (JSON or form) has no schema, or an empty one.

    Why it matters: without a schema neither the server framework nor a gateway can validate the
    input, and clients cannot know what to send.
    Known limits: binary and plain-text media types (uploads) are exempt.
    """

    code = "BG609"
    name = "request-body-without-schema"
    gate = "SEC-INPUT"
    severity = Severity.WARNING
    message = "{op}: request body {media} has no schema"
    fix = "describe the request body with a schema (properties, required, types)"
    good = [_HEAD + "      requestBody:\n        content:\n          application/json:\n            schema:\n              type: object\n              properties:\n                name: {type: string, maxLength: 50}\n" + _RESP,
            _HEAD + "      requestBody:\n        content:\n          application/octet-stream: {}\n" + _RESP]
    bad = [Bad(_HEAD + "      requestBody:\n        content:\n          application/json: {}\n" + _RESP, line=10)]

    def run(self) -> None:
        if self.spec.is_swagger:
            return  # a Swagger body parameter must carry a schema: the validator reports it
        for op in self.spec.operations():
            raw = op.node.get("requestBody")
            body = self.spec.deref(raw)
            if not isinstance(body, dict) or not isinstance(body.get("content"), dict):
                continue
            for media, item in body["content"].items():
                if str(media).lower().startswith(BINARY_MEDIA):
                    continue
                item = self.spec.deref(item)
                schema = self.spec.deref(item.get("schema")) if isinstance(item, dict) else None
                if isinstance(schema, dict) and schema:
                    continue
                if isinstance(raw, dict) and "$ref" not in raw:
                    where = op.json_path + ("requestBody", "content", media)
                else:
                    where = op.json_path + ("requestBody",)
                self.report(where, op=op.label, media=media)


class UnboundedRequestField(OpenApiCheck):
    """A request field is unbounded: a string without `maxLength`, an array without `maxItems`.

    Why it matters: unbounded input lets one request carry megabytes into parsing, validation,
    storage and logs (resource exhaustion, OWASP API4). A bound in the schema is enforced by most
    frameworks and gateways for free.
    Known limits: strings with `enum`, `const`, a bounded `format` (date, uuid, ...) or an
    anchored `pattern` without unbounded repetition (`^[A-Z]{3}$`) count as bounded; each field is reported once where it is defined, for the first
    operation that uses it.
    """

    code = "BG610"
    name = "unbounded-request-field"
    gate = "SEC-INPUT"
    severity = Severity.WARNING
    message = "{op}: request field {field!r} is {what}"
    fix = "add maxLength to strings and maxItems to arrays in request schemas"
    good = [_HEAD + "      requestBody:\n        content:\n          application/json:\n            schema:\n              type: object\n              properties:\n"
            "                name: {type: string, maxLength: 50}\n                born: {type: string, format: date}\n"
            "                tags:\n                  type: array\n                  maxItems: 10\n                  items: {type: string, enum: [a, b]}\n" + _RESP]
    bad = [Bad(_HEAD + "      requestBody:\n        content:\n          application/json:\n            schema:\n              type: object\n              properties:\n"
               "                name: {type: string}\n" + _RESP, line=14),
           Bad(_HEAD + "      requestBody:\n        content:\n          application/json:\n            schema:\n              $ref: '#/components/schemas/Pet'\n" + _RESP
               + "components:\n  schemas:\n    Pet:\n      type: object\n      properties:\n        tags:\n          type: array\n          items: {type: integer}\n", line=20)]

    def run(self) -> None:
        from ...openapi.model import parameters, request_schema, walk_properties

        done: set[tuple[int, str]] = set()
        walked: set[int] = set()
        for op in self.spec.operations():
            schema, _required = request_schema(self.spec, op)
            if schema is not None and id(schema) not in walked:
                walked.add(id(schema))
                top = self._problem(schema)
                if top and (id(schema), "") not in done:
                    done.add((id(schema), ""))
                    self.report(op.json_path + ("requestBody",), op=op.label, field="(body)", what=top)
                for name, prop, _req, owner in walk_properties(self.spec, schema):
                    if isinstance(prop, dict) and prop.get("readOnly"):
                        continue
                    what = self._problem(prop)
                    key = (id(owner), name.rsplit(".", 1)[-1])
                    if not what or key in done:
                        continue
                    done.add(key)
                    report_property(self, owner, name.rsplit(".", 1)[-1], op.json_path + ("requestBody",), op=op.label, field=name, what=what)
            for param in parameters(self.spec, op):
                if param.get("in") not in ("query", "header", "formData", "cookie"):
                    continue
                target = self.spec.deref(param.get("schema")) if "schema" in param else param
                what = self._problem(target)
                if what and (id(param), "") not in done:
                    done.add((id(param), ""))
                    where = self.spec.path_of(param) or op.json_path
                    self.report(where, op=op.label, field=f"{param.get('in')} parameter {param.get('name')}", what=what)

    @staticmethod
    def _problem(schema: Any) -> str:
        if not isinstance(schema, dict):
            return ""
        t = schema.get("type")
        types = {x for x in t if isinstance(x, str)} if isinstance(t, list) else {t} if isinstance(t, str) else set()
        if "string" in types and "maxLength" not in schema:
            if "enum" in schema or "const" in schema or _bounded_pattern(schema.get("pattern")):
                return ""
            if str(schema.get("format", "")) in BOUNDED_FORMATS:
                return ""
            return "a string without maxLength"
        if "array" in types and "maxItems" not in schema:
            return "an array without maxItems"
        return ""
