"""Compare the route table with the documented operations (pure: plain data in, drift out).

Paths are compared in one normalised form (`routes.normalize_path`), by shape (`/users/{}`), so
`<int:id>`, `{id}`, `(?P<id>...)` and `:id` agree; parameter names are compared afterwards.
A documented path matches a route with or without a server/basePath prefix (`/api/v1`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..routes import Route, normalize_path, shape

IMPLICIT = ("HEAD", "OPTIONS")
DOCS_ROUTES = ("/docs", "/redoc", "/openapi", "/swagger", "/apidocs", "/api/docs", "/schema", "/static/", "/favicon.ico")


def _is_docs_route(path: str) -> bool:
    """Routes that serve the documentation itself (or static files) are not API operations."""
    low = path.lower()
    return any(low == p or low.startswith(p + "/") or low.startswith(p + ".") or (p.endswith("/") and low.startswith(p)) for p in DOCS_ROUTES)


@dataclass(frozen=True)
class SpecOp:
    spec: str  # spec file (project-relative)
    line: int
    method: str
    template: str  # as documented (without prefix)
    candidates: tuple[str, ...]  # normalised full paths it may be served at

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"


@dataclass
class Drift:
    kind: str  # undocumented | unimplemented | param-names
    route: Route | None = None
    op: SpecOp | None = None
    detail: str = ""
    others: list[str] = field(default_factory=list)  # methods on the same path elsewhere


def spec_ops(facts: list[tuple[str, Any]]) -> list[SpecOp]:
    out: list[SpecOp] = []
    for path, summary in facts:
        prefixes = summary.get("prefixes") or [""]
        for op in summary.get("operations", ()):
            template = op.get("template") or op.get("path", "")
            candidates = tuple(dict.fromkeys([normalize_path(p + template) for p in prefixes] + [normalize_path(template)]))
            out.append(SpecOp(summary.get("spec", path), int(op.get("line", 1)), str(op.get("method", "")).upper(), template, candidates))
    return out


def _params(path: str) -> list[str]:
    import re

    return re.findall(r"\{([^}/]+)\}", normalize_path(path))


def _key(path: str) -> str:
    """Shape without a trailing slash (Django and DRF end paths with '/', specs often do not)."""
    return shape(path).rstrip("/") or "/"


def compare(routes: list[Route], ops: list[SpecOp]) -> list[Drift]:
    by_shape: dict[str, list[SpecOp]] = {}
    for op in ops:
        for cand in op.candidates:
            lst = by_shape.setdefault(_key(cand), [])
            if op not in lst:
                lst.append(op)
    route_shapes: dict[str, list[Route]] = {}
    for r in routes:
        route_shapes.setdefault(_key(r.path), []).append(r)

    matched: set[SpecOp] = set()
    out: list[Drift] = []
    for route in routes:
        if route.extra.get("include_in_schema") is False or _is_docs_route(route.path):
            continue
        method = route.method.upper()
        documented = by_shape.get(_key(route.path), [])
        same = [op for op in documented if op.method == method]
        if same:
            have = _params(route.path)
            exact = [op for op in same if _params(op.template) == have]
            matched.update(exact or same)
            if exact:
                continue
            op = same[0]
            want = _params(op.template)
            if len(have) == len(want):
                out.append(Drift("param-names", route, op, f"code names {', '.join(have)}; spec names {', '.join(want)}"))
            continue
        if method in IMPLICIT:
            continue
        if route.extra.get("unresolved"):
            # the discovery could not compose this route's prefix: match by path suffix, never report
            tail = _key(route.path)
            for op in ops:
                if op.method == method and any(_key(c).endswith(tail) for c in op.candidates):
                    matched.add(op)
            continue
        others = sorted({op.method for op in documented})
        out.append(Drift("undocumented", route, None, others=others))
    for op in ops:
        if op in matched:
            continue
        implemented: set[str] = set()
        for cand in op.candidates:
            implemented.update(r.method.upper() for r in route_shapes.get(_key(cand), []))
        if op.method in IMPLICIT and implemented:
            continue
        out.append(Drift("unimplemented", None, op, others=sorted(implemented)))
    return out
