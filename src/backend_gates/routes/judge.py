"""Shared judgement helpers for the route gates (pure Python over handler facts; no libcst).

Handler facts are typed (routes/facts.py: `HandlerFacts`, `Body`, `Param`, `Decorator`, `Return`,
`Load`), built once per route view from what checks/python/route_facts.py collected: `calls`
(dotted call names), `reads` (request attributes read), `auth` (identity checks in the body),
`returns` (status/error per return), `sql` (read/write statements seen), `loads` (calls that fetch
by an argument), `identity` (names that refer to the caller), counts (`stmts`, `branches`, `loops`).
"""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING, Any

from .facts import Body, Return

if TYPE_CHECKING:  # pragma: no cover
    from .discover import Index, RouteView

DB_ROOTS = frozenset(
    {
        "db",
        "session",
        "db_session",
        "dbsession",
        "sess",
        "cursor",
        "cur",
        "conn",
        "connection",
        "engine",
        "database",
        "async_session",
        "tx",
        "uow",
        "collection",
        "mongo",
        "redis_db",
        "sa_session",
    }
)
DB_TYPES = re.compile(r"^(Session|AsyncSession|Connection|AsyncConnection|Engine|Cursor|Database|SessionDep|DBSession|DbSession|DB)$")
DB_DEPS = re.compile(r"(get_db|get_session|get_async_session|db_session|get_conn|get_connection|get_cursor|database)", re.I)
WRITE_TAILS = frozenset(
    {
        "add",
        "add_all",
        "commit",
        "delete",
        "merge",
        "save",
        "create",
        "bulk_create",
        "bulk_update",
        "update",
        "update_or_create",
        "get_or_create",
        "insert",
        "insert_one",
        "insert_many",
        "update_one",
        "update_many",
        "delete_one",
        "delete_many",
        "replace_one",
        "destroy",
        "upsert",
        "acreate",
        "asave",
        "adelete",
        "aupdate",
    }
)
INSERT_TAILS = frozenset({"add", "add_all", "create", "bulk_create", "insert", "insert_one", "insert_many", "save", "acreate", "asave", "get_or_create", "update_or_create"})
READ_TAILS = frozenset({"query", "get", "all", "filter", "filter_by", "first", "one", "scalars", "scalar", "select", "fetchall", "fetchone", "find", "find_one", "exclude", "values", "execute", "exec", "aget", "count", "exists", "order_by"})
LOG_ROOT = re.compile(r"(^|\.|_)(log|logger|logging|LOG|LOGGER|_logger|structlog|audit)(\.|$|_)", re.I)
LOG_TAILS = frozenset({"info", "warning", "warn", "error", "exception", "critical", "debug", "log", "msg", "bind"})
VALIDATION = re.compile(
    r"(Serializer|Schema|Form\b|Form\(|form|validat|parse|\bload|loads\b|model_validate|parse_obj|is_valid|Validator|"
    r"clean|deserializ|from_dict|from_json|structure|TypeAdapter|(In|Create|Update|Payload|Request|Input|Body|Params)$)",
)
RESPONSE_CLASSES = frozenset({"Response", "JsonResponse", "JSONResponse", "HttpResponse", "HTTPException", "jsonify", "json_response"})
HTML_RETURNS = frozenset({"redirect", "HttpResponseRedirect", "RedirectResponse", "render", "render_template", "render_template_string", "TemplateResponse", "HTTPFound", "url_for", "HttpResponse", "HTMLResponse"})
AUTH_PATH = re.compile(
    r"(^|/)(login|logout|signin|sign-in|sign_in|signout|token|tokens|refresh|password|passwords|reset-password|reset_password|"
    r"password-reset|password_reset|forgot-password|forgot_password|forgot|register|signup|sign-up|otp|2fa|mfa|verify-email|"
    r"auth|oauth|session|sessions|access-token)(/|$|-|_)",
    re.I,
)
NATURE = re.compile(r"^/(health\w*|healthz|livez|readyz|ready|ping|status|metrics|docs|redoc|openapi[^/]*|swagger[^/]*|schema|static|favicon\.ico|robots\.txt|admin|media|__debug__)(/|$)")
PRIVATE_PAGE = re.compile(r"(^|/)(admin|dashboard|manage|management|settings|billing|internal|private|secret|staff|console|account|accounts/profile|me)(/|$)", re.I)
# path/query parameters that name a user's records: `/users/{user_id}/orders` serves one user's data
USER_KEY = re.compile(r"^(user|account|customer|member|owner|tenant|patient|employee|client|profile)_?(id|pk|uuid)$|^uid$", re.I)
REGISTRATION_PATH = re.compile(r"/(users|accounts|members|customers|register|registration|registrations|signup|sign-up|sign_up|join)/?$", re.I)
REGISTRATION_NAME = re.compile(r"^(register|registration|signup|sign_up|create_account|join)(_|$)", re.I)
BUILDS_ACCOUNT = re.compile(r"(^|\.)(User|Account|Member|Customer|create_user|create_account|register_user|register|signup|sign_up)$")
VERSION_SEG = re.compile(r"^v\d+(?:\.\d+)?$|^\d{4}-\d{2}-\d{2}$")


def facts(view: RouteView) -> Body:
    return view.body


def calls(view: RouteView) -> list[str]:
    return list(view.body.calls)


_PUBLIC_CACHE: dict[tuple[str, tuple[str, ...]], bool] = {}


def is_public(view: RouteView, config: Any) -> bool:
    """Marked public inline / AllowAny, or on the configured public list (`routes.public` globs)."""
    if view.public:
        return True
    path = view.route.path
    patterns = tuple(config.public_routes)
    key = (path, patterns)
    cached = _PUBLIC_CACHE.get(key)
    if cached is None:
        trimmed = path.rstrip("/") or "/"
        cached = any(fnmatch.fnmatchcase(path, p) or fnmatch.fnmatchcase(trimmed, p) for p in patterns)
        if len(_PUBLIC_CACHE) > 50_000:
            _PUBLIC_CACHE.clear()
        _PUBLIC_CACHE[key] = cached
    return cached


def db_param_names(view: RouteView) -> set[str]:
    out: set[str] = set()
    for param in view.params:
        ann = param.ann.rsplit(".", 1)[-1]
        if DB_TYPES.match(ann) or DB_DEPS.search(param.dep) or DB_DEPS.search(param.ann):
            out.add(param.name)
    return out


def _root(name: str) -> str:
    parts = name.split(".")
    if parts[0] == "self" and len(parts) > 1:
        return parts[1]
    return parts[0]


WEB_MODULES = ("flask", "quart", "werkzeug", "starlette", "fastapi", "aiohttp", "django", "sanic")


def db_calls(view: RouteView, service_layers: list[str], imports: dict[str, Any] | None = None) -> list[str]:
    """Calls in the handler that use a DB session/cursor/engine/ORM manager directly."""
    params = db_param_names(view)
    layers = {s.lower() for s in service_layers}
    layer_locals = set(view.body.layer_locals)
    out = []
    for name in calls(view):
        root = _root(name).removesuffix("()")
        if root.lower() in layers or root in layer_locals:
            continue  # a configured service layer, or a local built by a repository/service factory
        source = (imports or {}).get(root)
        if source and str(source[0]).split(".")[0] in WEB_MODULES:
            continue  # flask.session (the cookie session), not a database session
        parts = name.split(".")
        if root in DB_ROOTS or root in params:
            if len(parts) > 1:
                out.append(name)
            continue
        if ".objects." in f".{name}." and len(parts) >= 3:
            out.append(name)
        elif len(parts) >= 3 and parts[1] == "query" and parts[0][:1].isupper():
            out.append(name)  # Flask-SQLAlchemy Model.query.filter(...)
        elif name in ("get_object_or_404", "get_list_or_404", "sqlite3.connect", "psycopg2.connect", "psycopg.connect", "connection.cursor"):
            out.append(name)
    return out


def writes(view: RouteView, service_layers: list[str], imports: dict[str, Any] | None = None) -> list[str]:
    out = [c for c in db_calls(view, service_layers, imports) if c.rsplit(".", 1)[-1] in WRITE_TAILS]
    for name in calls(view):
        tail = name.rsplit(".", 1)[-1]
        if tail in ("save", "asave") and "." in name and name not in out and not _root(name).lower().startswith(("cache", "file", "image", "img", "fs", "storage", "wb", "workbook", "pdf")):
            out.append(name)
        elif ".objects." in f".{name}." and tail in WRITE_TAILS and name not in out:
            out.append(name)
    if "write" in view.body.sql:
        out.append("SQL INSERT/UPDATE/DELETE")
    for name in view.body.module_state:  # an in-memory store outside the handler
        source = (imports or {}).get(name)
        if name in ("session", "g", "request", "response", "resp", "cache", "os") or (source and str(source[0]).split(".")[0] in WEB_MODULES):
            continue  # the framework's cookie session, `g`, the response headers: not application state
        out.append(f"{name}[...] = ...")
    return out


def inserts(view: RouteView, service_layers: list[str], imports: dict[str, Any] | None = None) -> list[str]:
    built = any(c[:1].isupper() and "." not in c and c not in RESPONSE_CLASSES and c not in HTML_RETURNS and not NOT_BUILT.search(c) for c in calls(view))
    out = [
        w
        for w in writes(view, service_layers, imports)
        if w.rsplit(".", 1)[-1] in INSERT_TAILS and not w.endswith(".commit") and (w.rsplit(".", 1)[-1] not in ("save", "asave") or built or ".objects." in f".{w}.")
    ]  # `obj.save()` creates only when the handler built the object (`Channel(...)`); else it updates
    if "insert" in view.body.sql:
        out.append("SQL INSERT")
    return out


def log_calls(view: RouteView, extra: list[str]) -> list[str]:
    extra_low = [e.lower() for e in extra]
    out = []
    for name in calls(view):
        low = name.lower()
        tail = low.rsplit(".", 1)[-1]
        if "audit" in low or any(e == low or e == tail or low.endswith("." + e) for e in extra_low):
            out.append(name)
        elif "." in name and tail in LOG_TAILS and LOG_ROOT.search(name.rsplit(".", 1)[0]):
            out.append(name)
        elif name in ("print",):
            continue
    return out


def service_calls(view: RouteView, service_layers: list[str], imports: dict[str, Any] | None = None) -> list[str]:
    """Calls into a service/repository layer: `crud.create_user(...)`, or `create(...)` imported from
    a module whose dotted name has a layer part (`from .service import create`)."""
    layers = {s.lower() for s in service_layers}
    out = []
    for name in calls(view):
        root = _root(name).removesuffix("()")
        low = root.lower()
        if low in layers or any(low.endswith("_" + s) or low.startswith(s + "_") for s in layers):
            out.append(name)
            continue
        source = (imports or {}).get(root)
        if source and isinstance(source, list) and source[0]:
            parts = {p.lower() for p in str(source[0]).split(".")}
            if parts & layers:
                out.append(name)
    return out


def delegates(view: RouteView, service_layers: list[str], imports: dict[str, Any] | None = None) -> bool:
    return bool(service_calls(view, service_layers, imports))


def body_reads(view: RouteView) -> list[str]:
    """Raw request-body reads, as the route's framework adapter sees them."""
    return view.adapter.body_reads(view)


def validates(view: RouteView) -> bool:
    return bool(view.adapter.validators(view))


MUTATING_CALL = re.compile(
    r"^(create|delete|remove|update|set|add|save|reset|revoke|grant|assign|unassign|destroy|insert|upsert|rename|move|merge|"
    r"archive|restore|enable|disable|activate|deactivate|approve|reject|cancel|pause|resume|transfer|invite|register|change|edit|"
    r"modify|purge|bulk|write|store|persist|mark|toggle|submit|publish|unpublish|lock|unlock|ban|unban|refund|charge|send)(_|$)"
)


# locals that hold the answer being built, not application state
RESPONSE_LOCAL = re.compile(r"(^|_)(response|resp|result|results|pagination|paginated|page|output|out|payload|context|ctx|headers|answer)$", re.I)


def mutations(view: RouteView, service_layers: list[str], imports: dict[str, Any] | None = None) -> list[str]:
    """What in the handler changes state: ORM/SQL writes, or calls named like a change
    (`service.delete_order(...)`, `check.rename_and_delete()`). A handler that only reads and renders
    (a preview) changes nothing."""
    out = writes(view, service_layers, imports)
    for name in calls(view):
        short = name.rsplit(".", 1)[-1]
        root = _root(name)
        if root in ("requests", "httpx") and short in ("post", "put", "patch", "delete"):
            out.append(name)  # a write to another service (payments, webhooks)
            continue
        if name.startswith("self.perform_") and short in ("perform_create", "perform_update", "perform_destroy"):
            out.append(name)  # DRF: the view's own create/update/destroy hook
            continue
        if root in ("request", "req", "response", "resp", "log", "logger", "logging", "messages", "self", "cache", "json") or short in INERT_CALLS or name in BUILTINS:
            continue
        if short in ("add_task", "add_done_callback") or (short.startswith("set_") and RESPONSE_LOCAL.search(root)):
            continue  # scheduling a task; filling in the response being built (`page.set_pagination_guides(...)`)
        if MUTATING_CALL.match(short) and name not in out and short not in ("set_cookie", "set_header", "send_file", "send_from_directory", "setdefault"):
            out.append(name)
    return out


def returns(view: RouteView) -> list[Return]:
    return list(view.body.returns)


def declared_status(view: RouteView) -> int | None:
    for dec in view.decorators:
        kw = dec.kw
        for key in ("status_code", "status"):
            if isinstance(kw.get(key), int):
                return int(kw[key])
    return None


def segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s]


def static_segments(path: str) -> list[str]:
    return [s for s in segments(path) if not s.startswith("{") and not VERSION_SEG.match(s)]


def path_params(path: str) -> list[str]:
    return re.findall(r"\{([^}]*)\}", path)


def words(segment: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", segment)
    return [w.lower() for w in re.split(r"[-_.\s]+", spaced) if w]


# constructors that build a response or an error, not a record (`HttpResponseForbidden()`, `ValueError(...)`)
NOT_BUILT = re.compile(r"^Http|Response$|Error$|Exception$|Denied$|Redirect$")
# builtins called bare (`set(...)`, `sorted(...)`): never a change (`obj.tags.set(...)` is one)
BUILTINS = frozenset({"set", "frozenset", "tuple", "sorted", "sum", "min", "max", "enumerate", "zip", "range", "isinstance", "getattr", "hasattr", "any", "all", "reversed", "map", "filter"})
INERT_CALLS = frozenset(
    {"jsonify", "Response", "JSONResponse", "JsonResponse", "HttpResponse", "json_response", "make_response", "str", "int", "dict", "list", "len", "float", "bool", "Depends", "HTTPException", "abort", "redirect", "url_for", "render", "render_template", "print",
    }
)


def does_something(view: RouteView) -> bool:
    """The handler calls something beyond building a response (a stub cannot change data)."""
    for name in calls(view):
        if name.rsplit(".", 1)[-1] not in INERT_CALLS:
            return True
    return False


def is_html(view: RouteView) -> bool:
    return any(r.kind in HTML_RETURNS and r.kind != "HttpResponse" for r in returns(view))


def registration(view: RouteView) -> bool:
    """`POST /users` (or `/register`, `/signup`) that creates an account for an anonymous caller:
    public by nature. Not when the path says it is private or administrative."""
    route = view.route
    if route.method != "POST" or PRIVATE_PAGE.search(route.path) or not REGISTRATION_PATH.search(route.path):
        return False
    short = route.handler.rsplit(".", 1)[-1]
    return bool(REGISTRATION_NAME.match(short)) or any(BUILDS_ACCOUNT.search(c) for c in calls(view))


def handed_off_mutations(view: RouteView, index: Index, service_layers: list[str]) -> list[str]:
    """What the project handlers this one hands its request to change (`return
    ConfirmEmailCode().get(request, code)`): one level of delegation."""

    out: list[str] = []
    for name in view.body.delegates:
        target = index.delegate_facts(view.module, name)
        if target is not None and target != view.facts:
            out += mutations(view.with_handler(target), service_layers, index.mods.get(view.module, {}).get("imports", {}))
    return out


# an anonymous submission by nature: a contact or feedback form, a request for an invite or access, a waitlist
SUBMISSION_PATH = re.compile(
    r"/(contact|contact-us|contact_us|feedback|invite-request|invite_request|invite-requests|request-invite|request_invite|"
    r"request-access|request_access|access-request|waitlist|wait-list|waiting-list|newsletter|subscribe|report-abuse)/?$",
    re.I,
)


def anonymous_submission(view: RouteView, index: Index, service_layers: list[str]) -> bool:
    """An unguarded POST that validates a submitted form and records it, with nothing of the caller
    and no existing object in the URL, answered with a page or on a contact/feedback/invite-request
    path: a public form by nature, asked to be confirmed. Webhooks (raw JSON or bytes, answered with
    a plain response) are not forms."""
    route = view.route
    if route.method != "POST" or view.facts is None or path_params(route.path) or PRIVATE_PAGE.search(route.path):
        return False
    if not (SUBMISSION_PATH.search(route.path) or is_html(view)):
        return False  # answered with a rendered page or a redirect (a webhook answering `HttpResponse("OK")` is not a form)
    adapter = view.adapter
    reads = set(adapter.body_reads(view))
    if not reads & {"POST", "form", "values"} or reads & {"body", "json", "get_json", "data", "stream", "get_data"}:
        return False  # a submitted form, not a raw JSON/bytes payload
    if not adapter.validators(view) or adapter.caller_data(view, index) or adapter.sensitive_output(view, index):
        return False
    body = view.body
    if set(body.concerns) & {"outbound-http", "authorization", "crypto"} or "write" in body.sql:
        return False
    return bool(mutations(view, service_layers, index.mods.get(view.module, {}).get("imports", {})))


def public_by_choice(view: RouteView, index: Index, service_layers: list[str], imports: dict[str, Any] | None = None) -> list[str]:
    """Why an unguarded route looks public on purpose ([] when it does not): it reads none of the
    caller's own data (the session, cookies, a caller parameter, the caller's relations such as
    `request.user.invoices`; asking who the viewer is for a privacy filter is fine), changes no
    state, touches no secret or personal field and serves no user-keyed record (`{user_id}`).
    Such a route serves anonymous callers a public answer (a catalogue, tags, a validator, a
    preview, a privacy-filtered feed); whether it should is a product decision, so it is reported
    at info. What counts as the caller's data and as sensitive output is asked of the framework
    adapter."""
    if view.facts is None or view.inherited or PRIVATE_PAGE.search(view.route.path):
        return []
    body = view.body
    if view.route.method not in ("GET", "HEAD"):
        # a POST that only computes (a preview, a validator): nothing persisted, sent or delegated
        delegated = [d for d in body.delegates if d not in HTML_RETURNS and d not in INERT_CALLS and d != "render_to_response"]
        if set(body.concerns) & {"persistence", "notification", "outbound-http"} or delegated or body.sql:
            return []
    if mutations(view, service_layers, imports) or handed_off_mutations(view, index, service_layers):
        return []
    adapter = view.adapter
    if adapter.caller_data(view, index) or adapter.sensitive_output(view, index):
        return []
    params = path_params(view.route.path) + adapter.query_params(view)
    if any(USER_KEY.match(p) for p in params):
        return []
    reasons = ["none of the caller's data", "no state change", "no sensitive field"]
    return reasons
