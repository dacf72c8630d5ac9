"""API-DOCS drift: the route table against the documented operations (facts only, no reparse)."""

from __future__ import annotations

from typing import Any

from ...model import Finding, Location, Severity
from ..base import Bad, ProjectCheck

_SPEC = """\
openapi: "3.0.3"
info:
  title: Items
  version: "1.0.0"
paths:
  /items:
    get:
      responses:
        "200":
          description: the items
  /items/{item_id}:
    get:
      parameters:
        - {name: item_id, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: one item
"""
_APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/items")
def list_items():
    return []


@app.get("/items/{item_id}")
def get_item(item_id: int):
    return {}
"""


def _drift(project: Any) -> list[Any]:
    cache = project.__dict__.setdefault("_openapi_drift", {})
    if "value" not in cache:
        from ...openapi.drift import compare, spec_ops
        from ...openapi.project import spec_facts
        from ...routes import route_table

        cache["value"] = compare(route_table(project), spec_ops(spec_facts(project)))
    found: list[Any] = cache["value"]
    return found


def _why_not(project: Any) -> str | None:
    from ...openapi.project import spec_facts

    if not spec_facts(project):
        configured = list(project.config["openapi.spec"])
        if configured:
            return f"openapi.spec = {configured} matched no readable OpenAPI spec"
        return "no OpenAPI spec found (name it openapi.yaml/json or set openapi.spec)"
    try:
        from ...routes import route_table

        routes = route_table(project)
    except ImportError as exc:
        return f"route discovery is not available ({exc})"
    if not routes:
        return "no routes found in the code"
    return None


class _Drift(ProjectCheck):
    abstract = True
    drift_kind = ""

    def not_evaluated(self, project: Any) -> str | None:
        return _why_not(project)

    def run(self, project: Any) -> list[Finding]:
        return [self.finding(d) for d in _drift(project) if d.kind == self.drift_kind]

    def finding(self, drift: Any) -> Finding:  # pragma: no cover - interface
        raise NotImplementedError


class RouteNotInSpec(_Drift):
    """A route implemented in code is not documented in the OpenAPI spec (or not for this method).

    Why it matters: an undocumented route is invisible to clients, gateways and security review;
    a method missing from the spec means the documentation lags the code.
    Known limits: routes come from static route discovery (FastAPI, Flask, Django, ...); routes
    excluded from the schema (`include_in_schema=False`) are skipped; HEAD/OPTIONS are implicit.
    """

    code = "BG615"
    name = "route-not-in-spec"
    gate = "API-DOCS"
    severity = Severity.WARNING
    message = "{route} is implemented but not documented in the spec{detail}"
    fix = "document the operation in the spec (or regenerate the spec from the app)"
    drift_kind = "undocumented"
    good = [{"openapi.yaml": _SPEC, "app/main.py": _APP}]
    bad = [Bad({"openapi.yaml": _SPEC, "app/main.py": _APP + '\n\n@app.delete("/items/{item_id}")\ndef delete_item(item_id: int):\n    return None\n'}, line=16, path="app/main.py")]

    def finding(self, drift: Any) -> Finding:
        route = drift.route
        detail = f" (the spec documents {', '.join(drift.others)} on this path)" if drift.others else ""
        return self.make_finding(
            Location(route.file, route.line), route=route.label, detail=detail,
            extra={"method": route.method, "path": route.path, "handler": route.handler},
        )


class SpecOperationNotImplemented(_Drift):
    """An operation documented in the OpenAPI spec has no route in the code (or not for this method).

    Why it matters: clients generated from the spec call an endpoint that answers 404/405; the
    documentation promises something the service does not do.
    Known limits: routes registered dynamically (loops, plugins, generic views the discovery does
    not understand) look missing; a documented path matches with or without its server prefix.
    """

    code = "BG616"
    name = "spec-operation-not-implemented"
    gate = "API-DOCS"
    severity = Severity.WARNING
    message = "{op} is documented in the spec but not implemented{detail}"
    fix = "implement the operation, or remove it from the spec"
    drift_kind = "unimplemented"
    good = [{"openapi.yaml": _SPEC, "app/main.py": _APP}]
    bad = [Bad({"openapi.yaml": _SPEC + "  /orders:\n    get:\n      responses:\n        \"200\":\n          description: orders\n", "app/main.py": _APP}, line=19, path="openapi.yaml")]

    def finding(self, drift: Any) -> Finding:
        op = drift.op
        detail = f" (the code implements {', '.join(drift.others)} on this path)" if drift.others else ""
        return self.make_finding(
            Location(op.spec, op.line), op=op.label, detail=detail, extra={"method": op.method, "path": op.template},
        )


class PathParameterNameMismatch(_Drift):
    """A route and its documented operation name the same path parameter differently.

    Why it matters: generated clients and docs use the spec's name; validation, error messages and
    handlers use the code's. `/items/{id}` documented as `/items/{item_id}` drifts silently.
    Known limits: compared by position in the path; converters (`<int:id>`) are ignored.
    """

    code = "BG617"
    name = "path-parameter-name-mismatch"
    gate = "API-DOCS"
    severity = Severity.WARNING
    message = "{route}: path parameters differ from the spec ({detail})"
    fix = "use the same parameter names in code and spec"
    drift_kind = "param-names"
    good = [{"openapi.yaml": _SPEC, "app/main.py": _APP}]
    bad = [Bad({"openapi.yaml": _SPEC, "app/main.py": _APP.replace("{item_id}\")\ndef get_item(item_id", "{id}\")\ndef get_item(id")}, line=11, path="app/main.py")]

    def finding(self, drift: Any) -> Finding:
        route = drift.route
        return self.make_finding(
            Location(route.file, route.line), route=route.label, detail=f"{drift.detail}; documented at {drift.op.spec}:{drift.op.line}",
        )
