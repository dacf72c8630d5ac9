"""List operations without pagination parameters."""

from __future__ import annotations

from ...model import Severity
from ..base import Bad
from . import OpenApiCheck
from ._util import is_plural_collection

PAGING = {
    "limit", "offset", "page", "per_page", "perpage", "page_size", "pagesize", "size", "cursor", "after",
    "before", "next", "page_token", "pagetoken", "next_token", "continuation", "top", "skip", "first",
    "last", "max", "max_results", "maxresults", "count", "start", "take", "marker", "since",
}

_HEAD = 'openapi: "3.0.3"\ninfo:\n  title: Pets\n  version: "1.0.0"\npaths:\n  /pets:\n    get:\n'
_ARRAY = "      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: array\n                items: {type: string}\n"


class ListWithoutPagination(OpenApiCheck):
    """A GET on a collection returns an unbounded array and takes no pagination parameter.

    Why it matters: a list endpoint without `limit`/`page`/`cursor` returns every row it has; it
    gets slower and heavier as data grows, and one call can exhaust the server (OWASP API4).
    Known limits: only responses whose schema is an array without `maxItems` count as lists
    (wrapped `{items: [...], next: ...}` envelopes are assumed paginated).
    """

    code = "BG611"
    name = "list-without-pagination"
    gate = "API-REST"
    severity = Severity.WARNING
    message = "{op} returns a list but takes no pagination parameter (limit, page, cursor ...)"
    fix = "add limit/offset, page/per_page or cursor parameters and cap the page size"
    good = [_HEAD + "      parameters:\n        - {name: limit, in: query, schema: {type: integer, maximum: 100}}\n" + _ARRAY]
    bad = [Bad(_HEAD + _ARRAY, line=7)]

    def run(self) -> None:
        from ...openapi.model import parameters, response_schemas

        for op in self.spec.operations():
            if op.method != "get" or not is_plural_collection(op.path):
                continue
            array = False
            for code, schema in response_schemas(self.spec, op):
                if code in ("200", "206") and isinstance(schema, dict) and schema.get("type") == "array" and "maxItems" not in schema:
                    array = True
            if not array:
                continue
            names = {str(p.get("name", "")).lower().replace("-", "_") for p in parameters(self.spec, op)}
            if names & PAGING or any("page" in n or "cursor" in n or "limit" in n for n in names):
                continue
            self.report(op.json_path, op=op.label)
