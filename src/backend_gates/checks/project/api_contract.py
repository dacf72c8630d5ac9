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


def _dependency(handler: str, deps: str, requirements: str) -> dict[str, str]:
    """An endpoint whose query parameters come from a FastAPI dependency defined in app/deps.py."""
    app = (
        "from typing import Annotated\n\nfrom fastapi import Depends, FastAPI, Query\n\n"
        "from .deps import *  # noqa: F403\nfrom . import deps\n\napp = FastAPI()\n\n\n"
        f'@app.get("/api/items")\n{handler}\n    return []\n'
    )
    request = '{"event": "frontend.api.request", "endpoint": "/api/items", "requirements": [%s]}' % requirements
    return {"pyproject.toml": CONFIG, "app/__init__.py": "", "app/main.py": app, "app/deps.py": deps, "contracts/web.json": request}


DEPS_HEAD = "from dataclasses import dataclass\nfrom typing import Annotated\n\nfrom fastapi import Depends, Header, Query, Request\nfrom pydantic import BaseModel\n\n\n"
PAGE_FUNCTION = DEPS_HEAD + "def pagination_params(skip: int = 0, limit: Annotated[int, Query(le=500)] = 100) -> dict[str, int]:\n    return {'skip': skip, 'limit': limit}\n"
PAGE_CLASS = DEPS_HEAD + "class Page:\n    def __init__(self, page: int = Query(1, ge=1), size: int = 20) -> None:\n        self.page, self.size = page, size\n"
LISTING = DEPS_HEAD + (
    "@dataclass\nclass Listing:\n    cursor: str | None = None\n    sort_by: str = 'id'\n    status: str | None = None\n\n\n"
    "ListingDep = Annotated[Listing, Depends()]\n"
)
QUERY_MODEL = DEPS_HEAD + "class FilterParams(BaseModel):\n    limit: int = 100\n    order_by: str = 'created_at'\n    tags: list[str] = []\n"
NESTED = PAGE_FUNCTION + "\n\ndef common(page: Annotated[dict[str, int], Depends(pagination_params)], q: str | None = None) -> dict[str, object]:\n    return {'q': q, **page}\n"
CALLABLE = DEPS_HEAD + "class Paginator:\n    def __init__(self, max_size: int) -> None:\n        self.max_size = max_size\n\n    def __call__(self, cursor: str | None = None, page_size: int = 50) -> tuple[str | None, int]:\n        return cursor, min(page_size, self.max_size)\n"
MODEL_FACTORY = DEPS_HEAD + (
    "class AppModel(BaseModel):\n    pass\n\n\nclass PaginationQuery(AppModel):\n    page: int = 1\n    per_page: int = 50\n"
    "    order_by: str | None = None\n\n\ndef make_dependable(cls):\n    return cls\n"
)
REPOSITORY = DEPS_HEAD + (
    "class ItemsRepository:\n    table: str = 'items'\n\n    def __init__(self, conn: object) -> None:\n        self.conn = conn\n\n\n"
    "def get_repository(repo_type):\n    def build(request: Request):\n        return repo_type(request.state.db)\n    return build\n"
)
NAMED_ONLY = DEPS_HEAD + "def pagination_params(request: Request) -> dict[str, int]:\n    return {'limit': 10}  # named for paging, binds nothing from the query string\n"
HEADER_ONLY = DEPS_HEAD + "class Paging:\n    def __init__(self, x_page: str | None = Header(None), x_per_page: str | None = Header(None)) -> None:\n        self.page = x_page\n"


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
    Parameters count wherever FastAPI binds them from: the handler's signature, its dependencies'
    signatures (functions, classes, `Annotated` aliases, `dependencies=[...]`, nested ones), and a
    pydantic model declared as `Query()`.
    Known limits: parameters read inside the handler body (Flask `request.args`) count only when the
    spec documents them; a dependency defined outside the project (a library's `Params`) counts
    when its name says so (`Params`, `paginate`).
    """

    code = "BG562"
    name = "contract-requirement-unmet"
    severity = Severity.WARNING
    message = "contract request {endpoint}: requirement '{requirement}' not met: {detail}"
    fix = "add what the requirement needs to the handler and document it in the spec"
    kinds = ("requirement",)
    good = [
        MET,
        _dependency("def list_items(page: Annotated[dict, Depends(pagination_params)]):", PAGE_FUNCTION, '"pagination"'),
        _dependency("def list_items(page: deps.Page = Depends()):", PAGE_CLASS, '"pagination"'),
        _dependency("def list_items(listing: ListingDep):", LISTING, '"pagination", "sorting", "filtering"'),
        _dependency("def list_items(filters: Annotated[FilterParams, Query()]):", QUERY_MODEL, '"pagination", "sorting", "filtering"'),
        _dependency("def list_items(params: dict = Depends(common)):", NESTED, '"pagination", "filtering"'),
        _dependency("async def list_items(page=Depends(Paginator(max_size=100))):", CALLABLE, '"paging"'),
        _dependency("def list_items(q: PaginationQuery = Depends(make_dependable(PaginationQuery))):", MODEL_FACTORY, '"pagination", "sorting"'),
    ]
    bad = [
        Bad(_example('{"event": "frontend.api.request", "endpoint": "/api/items", "requirements": ["sorting"]}'), line=1, path="contracts/web.json"),
        Bad(_dependency("def list_items(page: dict = Depends(pagination_params)):", NAMED_ONLY, '"pagination"'), line=1, path="contracts/web.json"),
        Bad(_dependency("def list_items(page: Annotated[Paging, Depends()]):", HEADER_ONLY, '"pagination"'), line=1, path="contracts/web.json"),
        Bad(_dependency("def list_items(page: Annotated[dict, Depends(pagination_params)]):", PAGE_FUNCTION, '"sorting"'), line=1, path="contracts/web.json"),
        Bad(_dependency("def list_items(repo=Depends(get_repository(ItemsRepository)), limit: int = 20):", REPOSITORY, '"filtering"'), line=1, path="contracts/web.json"),
    ]


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
