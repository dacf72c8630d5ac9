"""API-CONTRACT: the frontend's `frontend.api.request` events against the routes and the spec.

The judging lives in `protocol/contracts.py`; each class here reports one kind of unmet request.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ...model import Finding, Location, Severity
from ..base import Bad, ProjectCheck

CONFIG = '[tool.backend-gates.contracts]\nrequests = ["contracts/*.json"]\n'
APP = '''from fastapi import FastAPI

app = FastAPI()


@app.get("/api/items")
def list_items(limit: int = 20, offset: int = 0, category: str | None = None):
    return []
'''
SPEC = """openapi: 3.0.3
info: {title: shop, version: "1"}
paths:
  /api/items:
    get:
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: offset, in: query, schema: {type: integer}}
        - {name: category, in: query, schema: {type: string}}
      responses:
        "200": {description: the items}
"""


def _example(request: str, spec: bool = True) -> dict[str, str]:
    files = {"pyproject.toml": CONFIG, "app.py": APP, "contracts/web.json": request}
    if spec:
        files["openapi.yaml"] = SPEC
    return files


MET = _example('{"event": "frontend.api.request", "endpoint": "/api/items", "requirements": ["pagination", "filtering"]}')


class _ContractCheck(ProjectCheck):
    abstract = True
    gate: ClassVar[str | None] = "API-CONTRACT"
    facts_needed: ClassVar[tuple[str, ...]] = ("route-facts",)
    cacheable: ClassVar[bool] = False  # reads the request files, which are not analysed files
    example_path: ClassVar[str] = "contracts/web.json"
    kinds: ClassVar[tuple[str, ...]] = ()

    def not_evaluated(self, project: Any) -> str | None:
        if not project.config["contracts.requests"]:
            return "no contract requests configured ([tool.backend-gates.contracts] requests)"
        from ...protocol.contracts import judged

        loaded, _verdicts = judged(project)
        if not loaded.files:
            return "contracts.requests matched no file"
        return None

    def run(self, project: Any) -> list[Finding]:
        from ...protocol.contracts import judged

        _loaded, verdicts = judged(project)
        out: list[Finding] = []
        for request, unmet in verdicts.items():
            for item in unmet:
                if item.kind in self.kinds:
                    out.append(
                        self.make_finding(
                            Location(request.file, request.line, 1),
                            extra={"endpoint": request.label, "request": request.file, "requirement": item.requirement or None, "unmet": item.kind},
                            endpoint=request.label,
                            requirement=item.requirement,
                            detail=item.detail,
                        )
                    )
        return out


class ContractEndpointMissing(_ContractCheck):
    """A frontend.api.request names an endpoint no route implements.

    Why it matters: the frontend is waiting for this endpoint; until it exists the feature that
    asked for it cannot ship. The request stays open (and API-CONTRACT fails) until it is built.
    Known limits: routes are found statically (see `backend-gates routes`); a route registered
    dynamically is not seen. Paths match by shape (`/items/{id}` = `/items/{item_id}`).
    """

    code = "BG560"
    name = "contract-endpoint-missing"
    severity = Severity.ERROR
    message = "contract request {endpoint}: {detail}"
    fix = "implement the endpoint, or withdraw the request"
    kinds = ("route",)
    good = [MET]
    bad = [Bad(_example('{"event": "frontend.api.request", "endpoint": "/api/reports"}'), line=1, path="contracts/web.json")]


class ContractEndpointUndocumented(_ContractCheck):
    """A requested endpoint exists but the OpenAPI spec does not document it.

    Why it matters: the frontend builds against the spec; an endpoint the spec does not describe
    is not a contract anyone can rely on.
    Known limits: the spec's server URL paths are tried as prefixes; a spec generated at runtime
    is read only when `openapi.app` is configured.
    """

    code = "BG561"
    name = "contract-endpoint-undocumented"
    severity = Severity.WARNING
    message = "contract request {endpoint}: {detail}"
    fix = "document the operation in the OpenAPI spec"
    kinds = ("spec",)
    good = [MET]
    bad = [Bad(_example('{"event": "frontend.api.request", "endpoint": "/api/items"}', spec=False), line=1, path="contracts/web.json")]


class ContractRequirementUnmet(_ContractCheck):
    """A requirement of a contract request does not hold for the endpoint.

    Understood requirements: `pagination` (limit/offset, page/size or cursor parameters in the spec
    or the handler signature), `filtering` (query parameters beyond pagination and sorting),
    `sorting` (sort/order_by), `authentication` (a guard on the route or a spec security
    requirement), `rate-limit` (a limiter applies), `validation` (a request schema: typed body
    model, typed parameters, or spec requestBody/parameters).

    Why it matters: the frontend asked for this behaviour; an endpoint without it is not what was
    agreed, and the UI built on the request will not work.
    Known limits: parameters read inside the handler body (Flask `request.args`) count only when the
    spec documents them; a pagination dependency counts when its name says so (`Params`, `paginate`).
    """

    code = "BG562"
    name = "contract-requirement-unmet"
    severity = Severity.WARNING
    message = "contract request {endpoint}: requirement '{requirement}' not met: {detail}"
    fix = "add what the requirement needs to the handler and document it in the spec"
    kinds = ("requirement",)
    good = [MET]
    bad = [Bad(_example('{"event": "frontend.api.request", "endpoint": "/api/items", "requirements": ["sorting"]}'), line=1, path="contracts/web.json")]


class ContractRequirementNotUnderstood(_ContractCheck):
    """A contract request names a requirement backend-gates does not understand.

    Why it matters: an unknown requirement cannot be checked, so it is never silently passed: the
    request stays unmet until the requirement is spelled as one of pagination, filtering, sorting,
    authentication, rate-limit, validation, or checked by hand and removed.
    Known limits: synonyms such as `paging`, `ordering`, `auth` and `throttling` are understood.
    """

    code = "BG563"
    name = "contract-requirement-not-understood"
    severity = Severity.WARNING
    message = "contract request {endpoint}: requirement '{requirement}' is not understood ({detail})"
    fix = "use a requirement backend-gates understands, or check it by hand and drop it from the request"
    kinds = ("unknown",)
    good = [MET]
    bad = [Bad(_example('{"event": "frontend.api.request", "endpoint": "/api/items", "requirements": ["websockets"]}'), line=1, path="contracts/web.json")]


class ContractRequestUnreadable(_ContractCheck):
    """A contract request file (or one event in it) cannot be read.

    Why it matters: a request that cannot be read cannot be met; the file is named so it can be
    fixed. The other requests are still judged.
    Known limits: files larger than 1 MB are not read.
    """

    code = "BG565"
    name = "contract-request-unreadable"
    severity = Severity.ERROR
    message = "contract request file: {detail}"
    fix = "write each request as a JSON object with `endpoint` (and optional `method`, `requirements`)"
    good = [MET]
    bad = [Bad(_example('[{"event": "frontend.api.request", "requirements": ["pagination"]}]'), line=1, path="contracts/web.json")]

    def run(self, project: Any) -> list[Finding]:
        from ...protocol.contracts import judged

        loaded, _verdicts = judged(project)
        return [
            self.make_finding(Location(p.file, max(1, p.line), 1), extra={"request": p.file}, detail=p.message)
            for p in loaded.problems
        ]
