"""Contract requests: `frontend.api.request` events read from the project, judged against the code.

A request names an endpoint, an optional method (GET) and requirements:

    {"event": "frontend.api.request", "endpoint": "/api/items", "method": "GET",
     "requirements": ["pagination", "filtering"]}

The files come from `[tool.backend-gates.contracts] requests = ["<glob>", ...]` (relative to the
project root, never outside it); each holds one event, a list of events, or one event per line.
For each request: the route exists, the spec documents it, and every requirement holds. Unknown
requirements are reported as not understood, never passed. Tests exercising the endpoint are
judged by the pytest plugin (`outcomes.py`).
"""

from __future__ import annotations

import glob
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .dependencies import dependency_query

REQUEST_EVENT = "frontend.api.request"
MAX_FILE_BYTES = 1_000_000
MAX_REQUESTS = 2_000

KNOWN = ("pagination", "filtering", "sorting", "authentication", "rate-limit", "validation")
SYNONYMS = {
    "pagination": "pagination", "paginated": "pagination", "paginate": "pagination", "paging": "pagination",
    "filtering": "filtering", "filter": "filtering", "filters": "filtering", "filterable": "filtering",
    "sorting": "sorting", "sort": "sorting", "sortable": "sorting", "ordering": "sorting", "order": "sorting",
    "authentication": "authentication", "auth": "authentication", "authn": "authentication",
    "authenticated": "authentication", "login-required": "authentication",
    "rate-limit": "rate-limit", "rate-limiting": "rate-limit", "ratelimit": "rate-limit",
    "rate-limited": "rate-limit", "throttling": "rate-limit", "throttle": "rate-limit",
    "validation": "validation", "input-validation": "validation", "request-validation": "validation",
    "validated": "validation", "schema": "validation",
}

PAGINATION = frozenset({
    "limit", "offset", "page", "page_size", "pagesize", "per_page", "perpage", "size", "cursor",
    "after", "before", "starting_after", "ending_before", "page_token", "pagetoken", "next_token",
    "continuation_token", "skip", "take", "first", "last", "page_number", "page_num", "max_results",
})
# one of these alone makes a paginated endpoint (size/first/last alone do not)
PAGINATION_KEYS = frozenset({
    "limit", "offset", "page", "page_size", "pagesize", "per_page", "perpage", "cursor", "after",
    "starting_after", "page_token", "pagetoken", "next_token", "continuation_token", "skip",
    "page_number", "page_num", "max_results",
})
SORTING = frozenset({
    "sort", "sort_by", "sortby", "order", "order_by", "orderby", "ordering", "sort_order",
    "sort_dir", "sort_direction", "direction", "dir", "sort_field", "order_dir",
})
NOT_FILTERS = PAGINATION | SORTING | frozenset({"fields", "include", "expand", "format", "callback", "lang", "locale"})
# handler parameters that are framework plumbing, not query parameters
PLUMBING = frozenset({
    "request", "req", "response", "resp", "self", "cls", "db", "session", "db_session", "background_tasks",
    "settings", "current_user", "user", "token", "credentials", "conn", "connection", "context", "ctx",
})
PARAM_DEFAULTS = frozenset({"Query", "Path", "Header", "Cookie"})


@dataclass(frozen=True, slots=True)
class ContractRequest:
    """One `frontend.api.request` event, where it was written."""

    method: str  # upper case; GET when the event names none
    endpoint: str  # normalised template: "/api/items/{id}"
    requirements: tuple[str, ...]  # as written
    file: str  # project-relative, '/'-separated
    line: int

    @property
    def label(self) -> str:
        return f"{self.method} {self.endpoint}"


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A request file (or one event in it) that could not be read; the run goes on."""

    file: str
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class Loaded:
    requests: tuple[ContractRequest, ...]
    problems: tuple[Unreadable, ...]
    files: int  # request files matched by the globs


def canonical(requirement: str) -> str | None:
    """'Rate limiting' -> 'rate-limit'; None when the requirement is not understood."""
    key = re.sub(r"[\s_]+", "-", requirement.strip().lower())
    return SYNONYMS.get(key)


# ----------------------------------------------------------------------------- reading


def request_files(root: Path, globs: list[str]) -> list[Path]:
    """Files matched by the globs, inside the project root only (symlinks out are skipped)."""
    base = root.resolve()
    out: dict[str, Path] = {}
    for pattern in globs:
        if os.path.isabs(pattern) or ".." in Path(pattern).parts:
            continue
        for name in sorted(glob.glob(pattern, root_dir=base, recursive=True)):
            path = (base / name).resolve()
            try:
                path.relative_to(base)
            except ValueError:
                continue
            if path.is_file():
                out[path.as_posix()] = path
    return [out[k] for k in sorted(out)]


def load(root: Path, globs: list[str]) -> Loaded:
    requests: list[ContractRequest] = []
    problems: list[Unreadable] = []
    files = request_files(root, globs)
    base = root.resolve()
    for path in files:
        rel = path.relative_to(base).as_posix()
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                problems.append(Unreadable(rel, 1, f"larger than {MAX_FILE_BYTES} bytes; not read"))
                continue
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Unreadable(rel, 1, f"cannot read: {getattr(exc, 'strerror', None) or exc}"))
            continue
        found, bad = parse(rel, text)
        requests.extend(found)
        problems.extend(bad)
        if len(requests) > MAX_REQUESTS:
            problems.append(Unreadable(rel, 1, f"more than {MAX_REQUESTS} contract requests; the rest were not read"))
            requests = requests[:MAX_REQUESTS]
            break
    return Loaded(tuple(requests), tuple(problems), len(files))


def parse(rel: str, text: str) -> tuple[list[ContractRequest], list[Unreadable]]:
    """The request events of one file: a JSON object, a JSON list, or JSON lines."""
    events: list[tuple[Any, int]] = []
    problems: list[Unreadable] = []
    try:
        data = json.loads(text)
    except ValueError as exc:
        rows = [(n, row) for n, row in enumerate(text.splitlines(), 1) if row.strip()]
        if len(rows) < 2:
            return [], [Unreadable(rel, getattr(exc, "lineno", 1), f"not JSON: {getattr(exc, 'msg', exc)}")]
        for number, row in rows:  # JSON lines
            try:
                events.append((json.loads(row), number))
            except ValueError as line_exc:
                problems.append(Unreadable(rel, number, f"not JSON: {getattr(line_exc, 'msg', line_exc)}"))
    else:
        items = data if isinstance(data, list) else [data]
        starts = _object_lines(text)
        for index, item in enumerate(items):
            line = starts[index] if isinstance(data, list) and index < len(starts) else 1
            events.append((item, line))
    out: list[ContractRequest] = []
    for item, line in events:
        if not isinstance(item, dict):
            problems.append(Unreadable(rel, line, "an event must be a JSON object"))
            continue
        if item.get("event", REQUEST_EVENT) != REQUEST_EVENT:
            continue  # other events may share the file
        request, problem = _request(item, rel, line)
        if request is not None:
            out.append(request)
        if problem is not None:
            problems.append(problem)
    return out, problems


def _object_lines(text: str) -> list[int]:
    """Line of each top-level object of a JSON list (by brace depth; strings skipped)."""
    lines: list[int] = []
    depth = 0
    line = 1
    in_string = escaped = False
    for char in text:
        if char == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            if depth == 1 and char == "{":
                lines.append(line)
            depth += 1
        elif char in "]}":
            depth -= 1
    return lines


def _request(item: dict[str, Any], rel: str, line: int) -> tuple[ContractRequest | None, Unreadable | None]:
    from ..routes import normalize_path

    endpoint = item.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint.strip():
        return None, Unreadable(rel, line, "a frontend.api.request needs an `endpoint` (the path)")
    method = item.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
        return None, Unreadable(rel, line, f"`method` must be an HTTP method, got {method!r}")
    requirements = item.get("requirements", [])
    if isinstance(requirements, str):
        requirements = [requirements]
    if not isinstance(requirements, list) or not all(isinstance(r, str) for r in requirements):
        return None, Unreadable(rel, line, "`requirements` must be a list of strings")
    path = endpoint.strip().split("?", 1)[0]
    return ContractRequest(method.upper(), normalize_path(path), tuple(r.strip() for r in requirements if r.strip()), rel, line), None


# ----------------------------------------------------------------------------- judging


@dataclass(frozen=True, slots=True)
class Unmet:
    """What keeps a request from being met. kind: route | spec | requirement | unknown."""

    request: ContractRequest
    kind: str
    requirement: str = ""
    detail: str = ""


@dataclass
class EndpointFacts:
    """What the code and the spec say about one endpoint (for the requirements)."""

    routes: list[Any] = field(default_factory=list)  # RouteView
    operation: dict[str, Any] | None = None  # spec contract operation
    spec: str = ""
    query: set[str] = field(default_factory=set)  # query parameter names (spec + handler)
    deps: list[str] = field(default_factory=list)  # names of dependencies that could not be read (judged by name)
    read: list[str] = field(default_factory=list)  # dependencies read for their parameters ("app/deps.py:3 page")
    body_model: bool = False  # the handler takes a typed request model
    typed_params: bool = False  # handler scalar parameters carry types a framework validates


def _same(a: str, b: str) -> bool:
    from ..routes import shape

    return shape(a) == shape(b)


def endpoint_facts(request: ContractRequest, project: Any) -> EndpointFacts:
    from ..routes.discover import analyze

    facts = EndpointFacts()
    views = analyze(project)
    facts.routes = [v for v in views if v.route.method == request.method and _same(v.route.path, request.endpoint)]
    facts.operation, facts.spec = _spec_operation(request, project)
    if facts.operation is not None:
        for key in facts.operation.get("params", {}):
            where, _, name = str(key).partition(":")
            if where == "query":
                facts.query.add(name.lower())
        body = facts.operation.get("body")
        if isinstance(body, dict) and body.get("type") not in (None, "", "any"):
            facts.body_model = True
    for view in facts.routes:
        adapter = view.adapter  # framework questions go to the route's adapter
        facts.query.update(name.lower() for name in adapter.query_params(view))
        if adapter.validators(view):
            facts.body_model = True
        bound = dependency_query(view, project)  # what its dependencies bind from the query string
        facts.query -= bound.models  # `filters: Annotated[FilterParams, Query()]`: its fields, not `filters`
        facts.query.update(bound.params)
        facts.read.extend(bound.read)
        facts.deps.extend(bound.unread)
        for param in view.params:
            dep = param.dep
            default = param.default
            if dep and bound.found:
                continue  # judged by the parameters it binds (or by its name when it cannot be read)
            if dep or (default and default not in PARAM_DEFAULTS and default not in ("Body", "Form", "File")):
                facts.deps.append(f"{param.name} {dep} {param.ann} {default}")
            elif param.ann and param.name.lower() in facts.query:
                facts.typed_params = True
    return facts


def _spec_operation(request: ContractRequest, project: Any) -> tuple[dict[str, Any] | None, str]:
    from ..openapi.project import spec_facts

    for spec_path, summary in spec_facts(project):
        contract = summary.get("contract") or {}
        prefixes = [p for p in (contract.get("prefixes") or summary.get("prefixes") or [""]) if isinstance(p, str)]
        for key, op in (contract.get("operations") or {}).items():
            method, _, path = str(key).partition(" ")
            if method != request.method:
                continue
            for prefix in dict.fromkeys(["", *prefixes]):
                if _same(prefix + path, request.endpoint):
                    return op, str(summary.get("spec", spec_path))
    return None, ""


def has_spec(project: Any) -> bool:
    from ..openapi.project import spec_facts

    return bool(spec_facts(project))


def judge(request: ContractRequest, project: Any) -> list[Unmet]:
    """Every reason `request` is not met by the code and the spec (empty: met)."""
    facts = endpoint_facts(request, project)
    if not facts.routes:
        return [Unmet(request, "route", detail="no route implements it")]
    out: list[Unmet] = []
    if facts.operation is None:
        why = "the OpenAPI spec does not document it" if has_spec(project) else "no OpenAPI spec documents it"
        out.append(Unmet(request, "spec", detail=why))
    for written in request.requirements:
        name = canonical(written)
        if name is None:
            out.append(Unmet(request, "unknown", written, f"understood: {', '.join(KNOWN)}"))
            continue
        missing = _requirement(name, facts)
        if missing:
            out.append(Unmet(request, "requirement", written, missing))
    return out


def _requirement(name: str, facts: EndpointFacts) -> str:
    """'' when the requirement holds, else what is missing."""
    deps = " ".join(facts.deps).lower()  # dependencies outside the project count by their names
    read = f" (dependencies read: {', '.join(facts.read)})" if facts.read else ""
    if name == "pagination":
        if facts.query & PAGINATION_KEYS or "paginat" in deps or re.search(r"\bpage\w*", deps):
            return ""
        return "no limit/offset, page/size or cursor parameter in the spec, the handler signature or its dependencies" + read
    if name == "sorting":
        if facts.query & SORTING or re.search(r"sort|order", deps):
            return ""
        return "no sort/order_by parameter in the spec, the handler signature or its dependencies" + read
    if name == "filtering":
        if facts.query - NOT_FILTERS or "filter" in deps:
            return ""
        return "no query parameter beyond pagination and sorting to filter by" + read
    if name == "authentication":
        secured = facts.operation is not None and bool(facts.operation.get("security"))
        if secured or all(v.auth for v in facts.routes):
            return ""
        return "the route has no authentication guard and the spec declares no security requirement"
    if name == "rate-limit":
        if all(v.limits for v in facts.routes):
            return ""
        return "no rate limiter applies to the route"
    if name == "validation":
        if facts.body_model or facts.typed_params:
            return ""
        if facts.operation is not None and facts.operation.get("params"):
            return ""
        return "no request schema (typed body model, typed parameters, or spec requestBody/parameters)"
    return ""  # pragma: no cover - KNOWN is closed


def judged(project: Any) -> tuple[Loaded, dict[ContractRequest, list[Unmet]]]:
    """The configured requests and their verdicts, computed once per project."""
    cached = project.__dict__.get("_contracts")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    config = project.config
    loaded = load(Path(project.root), list(config["contracts.requests"]))
    verdicts = {request: judge(request, project) for request in loaded.requests}
    project.__dict__["_contracts"] = (loaded, verdicts)
    return loaded, verdicts
