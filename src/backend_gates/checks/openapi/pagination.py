"""List operations without pagination parameters."""

from __future__ import annotations

from typing import Any

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


ENVELOPE_LISTS = {"data", "items", "results", "records", "entries", "values", "content"}
ENVELOPE_PAGING = {"next", "next_cursor", "nextcursor", "cursor", "page", "pages", "total", "total_count", "totalcount",
                   "count", "offset", "limit", "links", "_links", "has_more", "hasmore", "next_page", "nextpage", "meta", "pagination", "page_info", "pageinfo"}


def _unbounded_list(spec: Any, schema: Any) -> bool:
    """An array without maxItems, or an envelope ({data: [...]}) with no paging fields beside it."""
    if not isinstance(schema, dict):
        return False
    if schema.get("type") == "array":
        return "maxItems" not in schema
    props = schema.get("properties")
    if not isinstance(props, dict) or not props:
        return False
    names = {str(k).lower() for k in props}
    if names & ENVELOPE_PAGING:
        return False
    lists = [k for k in props if str(k).lower() in ENVELOPE_LISTS]
    if len(lists) != 1 or len(props) > 2:
        return False
    inner = spec.deref(props[lists[0]])
    return isinstance(inner, dict) and inner.get("type") == "array" and "maxItems" not in inner


class ListWithoutPagination(OpenApiCheck):
    """A GET on a collection returns an unbounded array and takes no pagination parameter.

    Why it matters: a list endpoint without `limit`/`page`/`cursor` returns every row it has; it
    gets slower and heavier as data grows, and one call can exhaust the server (OWASP API4).
    Known limits: lists are responses whose schema is an array without `maxItems`, or an
    envelope (`{data: [...]}`) with no paging field (`next`, `total`, `links`, `page` ...) beside it.
    """

    code = "BG611"
    name = "list-without-pagination"
    gate = "API-REST"
    severity = Severity.WARNING
    message = "{op} returns a list but takes no pagination parameter (limit, page, cursor ...)"
    fix = "add limit/offset, page/per_page or cursor parameters and cap the page size"
    good = [
        _HEAD + "      parameters:\n        - {name: limit, in: query, schema: {type: integer, maximum: 100}}\n" + _ARRAY,
        _HEAD + "      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n"
        "                type: object\n                properties:\n                  data: {type: array, items: {type: string}}\n                  next: {type: string}\n",
    ]
    bad = [
        Bad(_HEAD + _ARRAY, line=7),
        Bad(_HEAD + "      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n"
            "                type: object\n                properties:\n                  data: {type: array, items: {type: string}}\n", line=7),
    ]

    def run(self) -> None:
        from ...openapi.model import parameters, response_schemas

        for op in self.spec.operations():
            if op.method != "get" or not is_plural_collection(op.path):
                continue
            array = False
            for code, schema in response_schemas(self.spec, op):
                if code in ("200", "206") and _unbounded_list(self.spec, schema):
                    array = True
            if not array:
                continue
            names = {str(p.get("name", "")).lower().replace("-", "_") for p in parameters(self.spec, op)}
            if names & PAGING or any("page" in n or "cursor" in n or "limit" in n for n in names):
                continue
            self.report(op.json_path, op=op.label)
