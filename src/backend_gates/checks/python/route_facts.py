"""Route discovery, per file: records what a file declares about HTTP routes as facts.

This is a fact collector (no code, reports nothing): it runs in the shared walk of every Python
file that mentions a web framework and records one `route-facts` fact per file. Composition across
files (router prefixes, blueprints, Django `include()`, DRF routers) happens in
`backend_gates.routes.discover.build_table`, which reads only these facts (warm runs replay them).

What a file's fact holds (all JSON-safe):
  module      dotted module name derived from the project-relative path
  imports     local name -> [module, attr|None] (relative imports resolved)
  objects     app/router/blueprint/... creations: var, ctor, prefix, dependencies, options
  routes      route declarations: receiver, methods, path, handler, line, options
  calls       registration calls: include_router, register_blueprint, add_url_rule, register ...
  handlers    qualname -> body facts of functions that are or may be handlers
  classes     class facts (bases, attributes, methods) for class-based views and viewsets
  consts      module/class level string constants (for prefixes like settings.API_V1_STR)
  aliases     `X = Annotated[T, Depends(f)]` -> dependency
  urlpatterns Django url lists: var -> entries
  settings    REST_FRAMEWORK / MIDDLEWARE / ROOT_URLCONF values
"""

from __future__ import annotations

import copy
import re
from typing import Any

import libcst as cst

from ...sources.python import walk
from ..base import FactCollector
from ._cst import remember
from ...patterns import lazy

HTTP = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
ROUTE_ATTRS = frozenset(HTTP + ("route", "api_route", "view"))
VIEW_METHODS = frozenset(HTTP + ("list", "create", "retrieve", "update", "partial_update", "destroy"))
CTORS = frozenset(
    {
        "FastAPI",
        "APIRouter",
        "Starlette",
        "Router",
        "Flask",
        "Blueprint",
        "APIFlask",
        "APIBlueprint",
        "Quart",
        "Application",
        "RouteTableDef",
        "DefaultRouter",
        "SimpleRouter",
        "ExtendedSimpleRouter",
        "ExtendedDefaultRouter",
        "NestedSimpleRouter",
        "NestedDefaultRouter",
        "Limiter",
        "Api",
        "Namespace",
        "Sanic",
        "FlaskApp",
        "AsyncApp",
    }
)
CALL_ATTRS = frozenset(
    {
        "include_router",
        "register_blueprint",
        "add_url_rule",
        "add_api_route",
        "add_route",
        "add_get",
        "add_post",
        "add_put",
        "add_patch",
        "add_delete",
        "add_head",
        "add_view",
        "add_routes",
        "add_subapp",
        "register",
        "add_middleware",
        "middleware",
        "init_app",
        "before_request",
        "add_resource",
        "add_namespace",
        "mount",
        "add_api",
    }
)
FRAMEWORK_ROOTS = frozenset(
    {
        "fastapi",
        "starlette",
        "flask",
        "quart",
        "apiflask",
        "flask_restful",
        "flask_restx",
        "django",
        "rest_framework",
        "aiohttp",
        "slowapi",
        "fastapi_limiter",
        "flask_limiter",
        "ratelimit",
        "django_ratelimit",
        "flask_login",
        "flask_jwt_extended",
        "flask_httpauth",
        "connexion",
    }
)
REQUEST_NAMES = frozenset({"request", "req"})
BODY_READS = frozenset(
    {
        "json",
        "get_json",
        "form",
        "data",
        "values",
        "files",
        "body",
        "POST",
        "post",
        "text",
        "stream",
        "get_data",
        "multipart",
        "content",
    }
)
QUERY_READS = frozenset({"args", "GET", "query", "query_params", "rel_url", "match_info", "path_params", "cookies", "headers", "META"})
_STATUS_NAME = lazy(r"(?:HTTP_)?(\d{3})")
_SQL_WRITE = lazy(r"^\s*(insert|update|delete|merge|replace|upsert)\b", re.I)
_SQL_READ = lazy(r"^\s*(select|with)\b", re.I)


# ----------------------------------------------------------------------------- small helpers


def dotted(node: Any) -> str | None:
    """`a.b.c` for Name/Attribute chains (calls in the chain are written `f()`), else None."""
    parts: list[str] = []
    while True:
        cls = type(node)  # exact type tests: an isinstance miss against a libcst class goes through ABCMeta
        if cls is cst.Name:
            parts.append(node.value)
            break
        if cls is cst.Attribute:
            parts.append(node.attr.value)
            node = node.value
            continue
        if cls is cst.Call:
            inner = dotted(node.func)
            if inner is None:
                return None
            parts.append(inner + "()")
            break
        if cls is cst.Subscript:
            node = node.value
            continue
        if cls is cst.Await:
            node = node.expression
            continue
        return None
    return ".".join(reversed(parts))


def const_str(node: Any) -> str | None:
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:  # pragma: no cover - odd literal
            return None
        return value if isinstance(value, str) else value.decode("latin-1")
    if isinstance(node, cst.ConcatenatedString):
        left, right = const_str(node.left), const_str(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def strexpr(node: Any) -> Any:
    """A path expression: a str, or a list of parts (str literals and {"ref": dotted}), or None."""
    value = const_str(node)
    if value is not None:
        return value
    parts: list[Any] = []
    if isinstance(node, cst.FormattedString):
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
            elif isinstance(part, cst.FormattedStringExpression):
                name = dotted(part.expression)
                if name is None:
                    return None
                parts.append({"ref": name})
        return parts
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left, right = strexpr(node.left), strexpr(node.right)
        if left is None or right is None:
            return None
        return (left if isinstance(left, list) else [left]) + (right if isinstance(right, list) else [right])
    name = dotted(node)
    if name is not None and not name.endswith("()"):
        return [{"ref": name}]
    return None


def str_list(node: Any) -> list[str] | None:
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        out = []
        for el in node.elements:
            value = const_str(el.value)
            if value is None:
                name = dotted(el.value)
                if name is None:
                    return None
                value = name
            out.append(value)
        return out
    value = const_str(node)
    return [value] if value is not None else None


def call_names(node: Any) -> list[str]:
    """Names of what a list of dependencies/classes holds: [Depends(a), b] -> ['Depends(a)', 'b']."""
    out: list[str] = []
    elements = node.elements if isinstance(node, (cst.List, cst.Tuple, cst.Set)) else [None]
    for el in elements:
        value = el.value if el is not None else node
        out.append(dep_name(value) or "?")
    return out


def dep_name(node: Any) -> str | None:
    """`Depends(get_user)` -> 'Depends(get_user)'; `Security(x, scopes=..)` -> 'Security(x)'; names as is."""
    if isinstance(node, cst.Call):
        fname = dotted(node.func)
        if fname is None:
            return None
        short = fname.rsplit(".", 1)[-1]
        if short in ("Depends", "Security") and node.args:
            inner = node.args[0].value
            inner_name = dotted(inner)
            if inner_name is None and isinstance(inner, cst.Call):
                inner_name = dotted(inner.func)
                if inner_name:
                    inner_name += "()"
            return f"{short}({inner_name or '?'})"
        if short in ("Depends", "Security"):
            return f"{short}()"
        return fname + "()"
    return dotted(node)


def kwarg(call: cst.Call, name: str) -> Any:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def positional(call: cst.Call, index: int) -> Any:
    i = 0
    for arg in call.args:
        if arg.keyword is None and not arg.star:
            if i == index:
                return arg.value
            i += 1
    return None


def status_of(node: Any) -> int | None:
    if isinstance(node, cst.Integer):
        try:
            return int(node.value)
        except ValueError:
            return None
    name = dotted(node)
    if name:
        match = _STATUS_NAME.search(name.rsplit(".", 1)[-1])
        if match:
            return int(match.group(1))
        tail = name.rsplit(".", 1)[-1].upper()
        named = {"OK": 200, "CREATED": 201, "ACCEPTED": 202, "NO_CONTENT": 204}
        if tail in named:
            return named[tail]
    return None


def module_name(path: str) -> str:
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


# ----------------------------------------------------------------------------- handler bodies

_LOG_RECEIVER = lazy(r"(^|_)(log|logger|logging|audit|structlog|_log|LOG|LOGGER)", re.I)
_LOG_METHODS = frozenset({"info", "warning", "warn", "error", "exception", "critical", "debug", "log", "msg", "audit"})


class BodyFacts:
    """Facts of one handler body, gathered with one walk of the function."""

    def __init__(self, fn: cst.FunctionDef, params: list[str]) -> None:
        self.params = params
        self.calls: dict[str, int] = {}
        self.reads: list[str] = []
        self.auth: list[str] = []
        self.returns: list[dict[str, Any]] = []
        self.sql: list[str] = []
        self.loads: list[list[Any]] = []
        self.kwnames: set[str] = set()
        self.names: set[str] = set()
        self.stmts = 0
        self.branches = 0
        self.loops = 0
        self.methods_compared: set[str] = set()
        self.delegates: list[str] = []
        self.spoof: list[str] = []
        self.credential_headers: list[str] = []
        self.query: list[str] = []  # request.args/GET reads used raw ("page"), or "*" when unnamed
        self.concerns: set[str] = set()
        self.auth_at = -1  # top-level statement index of the first identity check / denial
        self.work_at = -1  # ... of the first state-changing call
        self.top = 0
        self.ownership = False
        self.takes_password = False
        self.sensitive: set[str] = set()
        self.subscripts: set[str] = set()
        self.caller_data: set[str] = set()
        self._caller_reads: dict[str, int] = {}  # caller attribute -> reads anywhere
        self._viewer_reads: dict[str, int] = {}  # ... reads under a test of whether someone is signed in
        self._spoof_names: set[str] = set()  # locals assigned from a spoofable header
        self.local_ctors: dict[str, str] = {}  # `form = forms.ListForm(...)`: local -> project class called
        self.layer_locals: set[str] = set()  # locals built by a repository/service factory
        self._lookup_locals: dict[str, str] = {}  # `thumb = Thumbnail.objects.filter(...).first()`: local -> model
        self.served_lookups: set[str] = set()  # models looked up in a test whose branch returns (`if thumb: return ...`)
        self.object_calls: set[tuple[str, str]] = set()  # (class, method) called on such a local: `form.save(request)`
        self.local_names: set[str] = set(params)
        self.stored_items: set[str] = set()  # containers written by item (`store[k] = v`, `del store[k]`)  # the caller's own records read (`request.user.invoices`, `current_user.orders`)  # subscripted names (`session["user_id"]`: the adapter decides which session)  # secret/personal field names the handler reads or builds (`user.email`, {"token": ...})
        self._converted: set[int] = set()
        request_params = [p for p in params if p in REQUEST_NAMES]
        self.request_param = request_params[0] if request_params else (params[0] if params and params[0] not in ("self", "cls") else "request")
        visit: dict[type, list[Any]] = {
            cst.Call: [self.call],
            cst.Attribute: [self.attribute],
            cst.SimpleStatementLine: [self.simple],
            cst.If: [self.branch, self.if_],
            cst.IfExp: [self.if_],
            cst.Try: [self.compound],
            cst.ExceptHandler: [self.branch, self.except_],
            cst.MatchCase: [self.branch],
            cst.For: [self.loop],
            cst.While: [self.loop],
            cst.With: [self.compound],
            cst.Return: [self.ret],
            cst.Raise: [self.raise_],
            cst.Comparison: [self.compare],
            cst.Subscript: [self.subscript],
            cst.Assign: [self.assign],
            cst.Dict: [self.dict_keys],
            cst.Del: [self.delete],
            cst.CompFor: [self.bind_target],
            cst.AsName: [self.bind_name],
            cst.NamedExpr: [self.bind_target],
            cst.AnnAssign: [self.bind_target],
            cst.AugAssign: [self.aug_assign],
        }
        body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else [fn.body]
        for index, stmt in enumerate(body):
            self.top = index
            walk(stmt, visit, {})

    def _auth(self, label: str) -> None:
        self.auth.append(label)
        if self.auth_at < 0:
            self.auth_at = self.top

    def _header(self, node: Any) -> None:
        """A header name read from the request: spoofable identity headers vs credentials."""
        text = const_str(node)
        if not text:
            return
        low = text.lower()
        if low.startswith("http_"):
            low = low[5:]
        low = low.replace("_", "-")
        if _SPOOF_HEADER.match(low):
            return  # counted only where a denial depends on it (see `if_`)
        if _CRED_HEADER.search(low):
            self.credential_headers.append(text)

    def subscript(self, node: cst.Subscript) -> None:
        if len(node.slice) == 1 and const_str(getattr(node.slice[0].slice, "value", None)) in _PASSWORD_KEYS:
            self.takes_password = True
        base = dotted(node.value)
        if base is None or len(node.slice) != 1:
            return
        index = getattr(node.slice[0].slice, "value", None)
        if len(self.subscripts) < 20:
            self.subscripts.add(base)
        if base in REQUEST_NAMES and const_str(index) in ("user", "session", "identity", "claims", "auth"):
            self.reads.append(str(const_str(index)))  # aiohttp: `request["user"]` set by an auth middleware
        root, _, attr = base.rpartition(".")
        if attr in ("headers", "META", "environ") and root.split(".")[-1] in REQUEST_NAMES:
            self._header(index)
        elif attr in ("args", "GET", "query_params", "query") and root.split(".")[-1] in REQUEST_NAMES:
            self.query.append((const_str(index) or "*") + "[]")  # a missing key is a 500, not a 400

    def dict_keys(self, node: cst.Dict) -> None:
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = const_str(element.key)
                if key and _SENSITIVE_FIELD.match(key) and not _published(element.value) and len(self.sensitive) < 20:
                    self.sensitive.add(key)

    def store(self, target: cst.BaseExpression) -> None:
        """Where an assignment or `del` writes: a local name, or an item of a container that is
        not local (`pets[pet_id] = pet` on a module-level store)."""
        if isinstance(target, cst.Name):
            self.local_names.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.store(element.value)
        elif isinstance(target, cst.Subscript):
            base = dotted(target.value)
            if base and "." not in base and len(self.stored_items) < 20:
                self.stored_items.add(base)

    def bind_target(self, node: Any) -> None:
        target = node.target
        if isinstance(target, (cst.Name, cst.Tuple, cst.List)):
            self.store(target)

    def bind_name(self, node: cst.AsName) -> None:
        if isinstance(node.name, (cst.Name, cst.Tuple, cst.List)):
            self.store(node.name)

    def delete(self, node: cst.Del) -> None:
        self.store(node.target)

    def aug_assign(self, node: cst.AugAssign) -> None:
        self.store(node.target)

    def assign(self, node: cst.Assign) -> None:
        spoofed = bool(self._spoof_headers_in(node.value))
        if isinstance(node.value, cst.Call) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            ctor = dotted(node.value.func) or ""
            model = _looked_up_model(ctor)
            if model:
                self._lookup_locals[node.targets[0].target.value] = model
            if _LAYER_FACTORY.search(ctor.rsplit(".", 1)[-1]) and len(self.layer_locals) < 10:
                self.layer_locals.add(node.targets[0].target.value)  # `db = get_repositories(session)`: a repository, not a session
            if ctor[:1].isupper() or ("." in ctor and ctor.rsplit(".", 1)[-1][:1].isupper() and "()" not in ctor):
                self.local_ctors[node.targets[0].target.value] = ctor
        for target in node.targets:
            if spoofed and isinstance(target.target, cst.Name):
                self._spoof_names.add(target.target.value)
            self.store(target.target)
            name = dotted(target.target)
            if name and "." in name and _AUTHZ_ATTR.search(name.rsplit(".", 1)[-1]):
                self.concerns.add("authorization")

    def _spoof_headers_in(self, node: Any) -> list[str]:
        """Spoofable header names read in an expression (`request.headers.get("X-Role")`,
        `request.META["HTTP_X_FORWARDED_FOR"]`), or locals assigned from one."""
        found: list[str] = []

        def header_name(value: Any) -> None:
            text = const_str(value)
            if text:
                low = text.lower().removeprefix("http_").replace("_", "-")
                if _SPOOF_HEADER.match(low):
                    found.append(text)

        def from_request(receiver: str) -> bool:
            root, _, attr = receiver.rpartition(".")
            return attr in ("headers", "META", "environ") and root.split(".")[-1] in REQUEST_NAMES

        def call(n: cst.Call) -> None:
            name = dotted(n.func) or ""
            receiver, _, short = name.rpartition(".")
            if short == "get" and from_request(receiver) and n.args:
                header_name(n.args[0].value)

        def subscript(n: cst.Subscript) -> None:
            base = dotted(n.value)
            if base and from_request(base) and len(n.slice) == 1:
                header_name(getattr(n.slice[0].slice, "value", None))

        def name(n: cst.Name) -> None:
            if n.value in self._spoof_names:
                found.append(n.value)

        walk(node, {cst.Call: [call], cst.Subscript: [subscript], cst.Name: [name]}, {})
        return found

    def _lookups_in(self, test: Any) -> set[str]:
        """Models looked up in a test: `Thumbnail.objects.filter(...).first()` (also through a walrus
        or a local assigned from such a lookup)."""
        found: set[str] = set()

        def call(n: cst.Call) -> None:
            model = _looked_up_model(dotted(n.func) or "")
            if model:
                found.add(model)

        def name(n: cst.Name) -> None:
            if n.value in self._lookup_locals:
                found.add(self._lookup_locals[n.value])

        walk(test, {cst.Call: [call], cst.Name: [name]}, {})
        return found

    def if_(self, node: Any) -> None:
        """Tests that decide something about the caller: a spoofable header a denial depends on
        (`if request.headers.get("X-Forwarded-For") not in TRUSTED: abort(403)`), and whether anyone
        is signed in (`blocked = request.user.blocked_books.all() if request.user else []`): what
        the handler reads of the caller under such a test serves anonymous callers too, by design."""
        test = node.test
        arms = [node.body, node.orelse] if node.orelse is not None else [node.body]
        if isinstance(node, cst.If):
            served = self._lookups_in(test)
            if served and any(isinstance(s, cst.SimpleStatementLine) and any(isinstance(x, cst.Return) for x in s.body) for s in getattr(node.body, "body", ())):
                self.served_lookups.update(served)  # `if thumb := Thumbnail.objects...first(): return redirect(thumb.url)`
            spoofed = self._spoof_headers_in(test)
            if spoofed and any(_denies(arm) for arm in arms):
                self.spoof.extend(spoofed)
        if not _signed_in_test(test):
            return
        anonymous = _anonymous_arm(node)
        if anonymous is not None and _ends_request(anonymous):
            self._auth("signed-in test: anonymous callers leave")  # `if not request.user.is_authenticated: return redirect(...)`

        def attribute(n: cst.Attribute) -> None:
            base = dotted(n.value)
            if base in _CALLER_OBJECTS and n.attr.value not in _VIEWER_ATTRS:
                key = f"{base}.{n.attr.value}"
                self._viewer_reads[key] = self._viewer_reads.get(key, 0) + 1

        for arm in arms:
            walk(arm, {cst.Attribute: [attribute]}, {})

    # counters
    def simple(self, node: cst.SimpleStatementLine) -> None:
        self.stmts += len(node.body)

    def compound(self, node: Any) -> None:
        self.stmts += 1

    def branch(self, node: Any) -> None:
        self.branches += 1
        self.stmts += 1 if isinstance(node, cst.If) else 0

    def loop(self, node: Any) -> None:
        if isinstance(node, cst.For):
            self.bind_target(node)
        self.loops += 1
        self.stmts += 1

    def name(self, node: cst.Name) -> None:
        if len(self.names) < 300:
            self.names.add(node.value)

    def attribute(self, node: cst.Attribute) -> None:
        attr = node.attr.value
        base = dotted(node.value)
        if base is None:
            return
        root = base.split(".", 1)[0]
        if attr in ("has_perm", "has_perms") or (attr in ("is_authenticated", "is_anonymous") and base not in _CALLER_OBJECTS):
            self._auth(f"{base}.{attr}")  # the caller's own sign-in test is judged where it decides (`if_`)
        elif attr in ("is_staff", "is_superuser", "is_admin") and _CALLER.search(base):
            self._auth(f"{base}.{attr}")
        if base in _CALLER_OBJECTS and attr not in _VIEWER_ATTRS and len(self._caller_reads) < 20:
            key = f"{base}.{attr}"
            self._caller_reads[key] = self._caller_reads.get(key, 0) + 1
        if _SENSITIVE_FIELD.match(attr) and root not in _INPUT_ROOTS and not base.endswith(("request", "form", "data", "cleaned_data")) and len(self.sensitive) < 20:
            self.sensitive.add(attr)
        if root in REQUEST_NAMES and base in REQUEST_NAMES | {"self.request"}:
            self.reads.append(attr)
        elif base == "self.request":
            self.reads.append(attr)
        if len(self.names) < 300:
            self.names.add(f"{base}.{attr}")

    def call(self, node: cst.Call) -> None:
        name = dotted(node.func)
        if name is None:
            return
        if name not in self.calls and len(self.calls) < 200:
            self.calls[name] = 1
        short = name.rsplit(".", 1)[-1]
        root = name.split(".", 1)[0]
        positional_args = [a for a in node.args if a.keyword is None]
        if positional_args and isinstance(positional_args[0].value, cst.Name) and positional_args[0].value.value == self.request_param:
            handed = _handoff(name)
            if handed:
                self.delegates.append(handed)  # `return create_check(request)`, `OtherView().get(request, code)`: one level of delegation
        receiver = name.rsplit(".", 1)[0] if "." in name else ""
        if receiver in self.local_ctors and len(self.object_calls) < 20:
            self.object_calls.add((self.local_ctors[receiver], short))  # `form.save(request)`: followed by the rules
        if short == "get" and receiver.rsplit(".", 1)[-1] in ("headers", "META", "environ") and receiver.split(".")[-2:-1] and receiver.split(".")[-2] in REQUEST_NAMES and positional_args:
            self._header(positional_args[0].value)
        if short in ("get", "getlist") and receiver.rsplit(".", 1)[-1] in ("args", "GET", "query_params", "query") and "." in receiver and receiver.split(".")[-2] in REQUEST_NAMES:
            typed = id(node) in self._converted or any(a.keyword is not None and a.keyword.value == "type" for a in node.args)
            if not typed:
                self.query.append((const_str(positional_args[0].value) if positional_args else None) or "*")
        if short in _CRYPTO_CALLS or root in _CRYPTO_ROOTS:
            self.concerns.add("crypto")
        if short in _WRITE_CALLS and "." in name and root not in REQUEST_NAMES and root not in ("response", "resp", "self", "cache", "dict", "list", "set", "data", "payload", "kwargs", "os", "json", "form"):
            self.concerns.add("persistence")
            if self.work_at < 0:
                self.work_at = self.top
        if short in _NOTIFY_CALLS:
            self.concerns.add("notification")
        if root in ("requests", "httpx", "urllib", "aiohttp") and short in ("get", "post", "put", "patch", "delete", "request", "urlopen"):
            self.concerns.add("outbound-http")
        if short in ("int", "float", "UUID", "uuid.UUID", "bool") and positional_args:
            inner = positional_args[0].value
            if isinstance(inner, cst.Call):
                inner_name = dotted(inner.func) or ""
                if inner_name.rsplit(".", 1)[-1] == "get" and inner_name.rsplit(".", 2)[-2:-1] and inner_name.rsplit(".", 2)[-2] in ("args", "GET", "query_params"):
                    self._converted.add(id(inner))
        if positional_args and short in ("get", "pop") and const_str(positional_args[0].value) in _PASSWORD_KEYS:
            self.takes_password = True
        for arg in node.args:
            if arg.keyword is not None:
                self.kwnames.add(arg.keyword.value)
                if _SENSITIVE_FIELD.match(arg.keyword.value) and short[:1].isupper() and len(self.sensitive) < 20:
                    self.sensitive.add(arg.keyword.value)  # a response object built with it: `UserOut(email=...)`
                if arg.keyword.value in _PASSWORD_KEYS:
                    self.takes_password = True
            if isinstance(arg.value, cst.Name) and len(self.names) < 300:
                self.names.add(arg.value.value)
        if _AUTH_CALL.match(short) or _SIGNATURE_CALL.search(name):
            self._auth(f"{name}()")
        if short in ("abort", "HTTPException", "HTTPUnauthorized", "HTTPForbidden") or short.endswith("abort"):
            code = positional(node, 0)
            code = code if code is not None else kwarg(node, "status_code") or kwarg(node, "code")
            status = status_of(code) if code is not None else None
            if status in (401, 403):
                self._auth(f"{short}({status})")
        if short in ("execute", "executemany", "raw", "text", "exec_driver_sql", "executescript"):
            first = positional(node, 0)
            text = const_str(first) if first is not None else None
            if text is None and isinstance(first, cst.FormattedString):
                text = "".join(p.value for p in first.parts if isinstance(p, cst.FormattedStringText))
            if text is not None:
                if _SQL_WRITE.search(text):
                    self.sql.append("write")
                    if re.match(r"\s*insert\b", text, re.I):
                        self.sql.append("insert")
                    if self.work_at < 0:
                        self.work_at = self.top
                elif _SQL_READ.search(text):
                    self.sql.append("read")
        # object loads: x.get(M, id), get_object_or_404(M, pk=id), M.objects.get(pk=id), .filter_by(id=id)
        delegating = bool(positional_args) and isinstance(positional_args[0].value, cst.Name) and positional_args[0].value.value == self.request_param
        if not delegating and (short in ("get", "get_or_404", "get_object_or_404", "first_or_404", "filter_by", "filter", "one_or_none", "aget", "get_object", "find_one", "find_by_id", "get_by_id", "one") or short.startswith("get_")):
            args: list[str] = []
            for arg in node.args:
                value = arg.value
                if isinstance(value, cst.Name):
                    args.append(value.value)
                elif isinstance(value, cst.Comparison):
                    for sub in (value.left, *[c.comparator for c in value.comparisons]):
                        if isinstance(sub, cst.Name):
                            args.append(sub.value)
                elif isinstance(value, cst.Attribute):
                    d = dotted(value)
                    if d:
                        args.append(d)
            if args and len(self.loads) < 50:
                self.loads.append([name, args, [a.keyword.value for a in node.args if a.keyword is not None]])

    def ret(self, node: cst.Return) -> None:
        value = node.value
        if isinstance(value, cst.IfExp):  # `return x if ok else {"error": ...}`: judge both arms
            for arm in (value.body, value.orelse):
                self.ret(cst.Return(value=arm))
            return
        status: int | None = None
        error = False
        kind = ""
        if isinstance(value, cst.Tuple) and len(value.elements) >= 2:
            status = status_of(value.elements[1].value)
            if status is None:
                status = -1  # computed at run time: unknown
            value = value.elements[0].value
            kind = "tuple"
        if isinstance(value, cst.Call):
            fname = dotted(value.func) or ""
            kind = kind or fname.rsplit(".", 1)[-1]
            for key in ("status", "status_code"):
                given = kwarg(value, key)
                if given is not None and status is None:
                    status = status_of(given) or -1
            if status is None and kind in ("Response", "JSONResponse", "JsonResponse", "make_response", "HttpResponse") and len(value.args) > 1:
                second = positional(value, 1)
                if second is not None:
                    status = status_of(second)
            first = positional(value, 0)
            if isinstance(first, cst.Dict):
                error = _is_error_dict(first)
            elif first is None and value.args and any(a.keyword and a.keyword.value in ("error", "errors") for a in value.args):
                error = True
        elif isinstance(value, cst.Dict):
            error = _is_error_dict(value)
            kind = kind or "dict"
        record: dict[str, Any] = {"status": status, "error": error, "kind": kind}
        if isinstance(value, cst.Call) and _handoff(dotted(value.func) or ""):
            first_arg = positional(value, 0)
            if isinstance(first_arg, cst.Name) and first_arg.value == self.request_param:
                record["delegates"] = True  # `return create_check(request)`, `return OtherView().get(request, code)`
        self.returns.append(record)
        # a return that ends the request as unauthenticated/forbidden counts as an in-body guard
        if status in (401, 403) or kind in _DENY_KINDS:
            self._auth(f"deny:{status if status in (401, 403) else kind}")
        elif kind in ("redirect", "HttpResponseRedirect", "RedirectResponse", "redirect_to_login", "HTTPFound") and isinstance(value, cst.Call):
            text = cst.Module([]).code_for_node(value).lower()
            if "login" in text or "signin" in text or "sign_in" in text or kind == "redirect_to_login":
                self._auth("deny:redirect-to-login")

    def except_(self, node: cst.ExceptHandler) -> None:
        """`except BadSignature:` after `unsign(...)`/`jwt.decode(...)`: the body verified a signature or token."""
        types = node.type.elements if isinstance(node.type, cst.Tuple) else [node.type] if node.type is not None else []
        for item in types:
            value = item.value if isinstance(item, cst.Element) else item
            name = dotted(value) if isinstance(value, cst.BaseExpression) else None
            if name and _SIGNATURE_ERROR.match(name.rsplit(".", 1)[-1]):
                self._auth(f"except:{name.rsplit('.', 1)[-1]}")
                return

    def raise_(self, node: cst.Raise) -> None:
        exc = node.exc
        name = dotted(exc.func) if isinstance(exc, cst.Call) else dotted(exc) if exc is not None else None
        if name:
            short = name.rsplit(".", 1)[-1]
            if short in ("PermissionDenied", "NotAuthenticated", "AuthenticationFailed", "Unauthorized", "Forbidden", "HTTPUnauthorized", "HTTPForbidden", "AccessDenied"):
                self._auth(short)

    def compare(self, node: cst.Comparison) -> None:
        for side in (node.left, *(c.comparator for c in node.comparisons)):
            if isinstance(side, cst.Name) and len(self.names) < 300:
                self.names.add(side.value)
            side_name = dotted(side)
            if side_name and _AUTHZ_ATTR.search(side_name.rsplit(".", 1)[-1]):
                self.concerns.add("authorization")
            if side_name and _OWNER_ATTR.search(side_name) and any(isinstance(c.operator, (cst.Equal, cst.NotEqual, cst.In, cst.NotIn)) for c in node.comparisons):
                self.ownership = True  # `obj.project_id != request.project.id`, `note.owner == user`
            if side_name and _SECRET_NAME.search(side_name.rsplit(".", 1)[-1]) and any(isinstance(c.operator, (cst.Equal, cst.NotEqual)) for c in node.comparisons):
                self._auth(f"compare:{side_name.rsplit('.', 1)[-1]}")  # a token/signature/API key compared
        left = dotted(node.left)
        if left and left.endswith(".method"):
            for c in node.comparisons:
                value = const_str(c.comparator)
                if value:
                    self.methods_compared.add(value.upper())
                else:
                    values = str_list(c.comparator)
                    for v in values or ():
                        self.methods_compared.add(v.upper())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "calls": list(self.calls),
            "stmts": self.stmts,
            "branches": self.branches,
            "loops": self.loops,
        }
        if self.reads:
            out["reads"] = sorted(set(self.reads))
        if self.auth:
            out["auth"] = sorted(set(self.auth))
        if self.returns:
            out["returns"] = self.returns[:30]
        if self.sql:
            out["sql"] = sorted(set(self.sql))
        if self.loads:
            out["loads"] = self.loads
        if self.methods_compared:
            out["methods"] = sorted(self.methods_compared)
        if self.delegates:
            out["delegates"] = sorted(set(self.delegates))[:20]
        if self.ownership:
            out["ownership"] = True
        if self.takes_password:
            out["password"] = True
        if self.sensitive:
            out["sensitive"] = sorted(self.sensitive)
        if self.subscripts:
            out["subscripts"] = sorted(self.subscripts)
        caller_data = self.caller_data | {k for k, n in self._caller_reads.items() if n > self._viewer_reads.get(k, 0)}
        if caller_data:
            out["caller_data"] = sorted(caller_data)
        if self.layer_locals:
            out["layer_locals"] = sorted(self.layer_locals)
        if self.served_lookups:
            out["served_lookups"] = sorted(self.served_lookups)[:10]
        if self.object_calls:
            out["object_calls"] = sorted(list(c) for c in self.object_calls)[:20]
        module_state = sorted(self.stored_items - self.local_names)
        if module_state:
            out["module_state"] = module_state  # containers outside the function changed: in-memory state
        if self.spoof:
            out["spoof"] = sorted(set(self.spoof))
        if self.credential_headers:
            out["credential_headers"] = sorted(set(self.credential_headers))
        if self.query:
            out["query"] = sorted(set(self.query))[:20]
        if self.concerns:
            out["concerns"] = sorted(self.concerns)
        if self.auth_at >= 0:
            out["auth_at"] = self.auth_at
        if self.work_at >= 0:
            out["work_at"] = self.work_at
        idents = sorted(n for n in self.names if _IDENTITY.search(n))
        if idents:
            out["identity"] = idents[:40]
        kws = sorted(k for k in self.kwnames if _IDENTITY.search(k))
        if kws:
            out["identity_kw"] = kws
        return out



def _is_route_decorator(expr: Any) -> bool:
    """`@router.get("/x")`, `@app.route("/x", methods=[...])`: a call of a route attribute with a path."""
    if not isinstance(expr, cst.Call) or not expr.args:
        return False
    name = dotted(expr.func) or ""
    return "." in name and name.rsplit(".", 1)[1] in ROUTE_ATTRS - {"view"}


# factories of a repository or service layer (`get_repositories(session)`, `AllRepositories(...)`, `OrderService(db)`)
_LAYER_FACTORY = lazy(r"(repositor|(^|_)repos?($|_)|Repo$|Service$|(^|_)service($|_)|(^|_)dao($|_)|DAO$|UnitOfWork$|(^|_)uow($|_))", re.I)

# keyword arguments that scope a query or a repository to the caller or their tenant
_TENANT_KW = lazy(r"^(group_id|household_id|tenant_id|tenant|org_id|organization_id|organization|owner|owner_id|user|user_id|account_id|team_id|workspace_id|project_id|company_id|customer_id)$")


def _scoping(body: Any, routed: list[Any]) -> tuple[list[str], dict[str, list[str]]]:
    """For a class's helper methods and properties (not its routes): which build something scoped
    to the caller (`AllRepositories(self.session, group_id=self.group_id)`), and which `self.<attr>`
    each refers to (`repo` -> `self.repos.recipes`), so a load through `self.repo` can be traced to
    its scope."""
    scoped: list[str] = []
    refs: dict[str, list[str]] = {}
    for stmt in body:
        if not isinstance(stmt, cst.FunctionDef) or len(refs) > 40:
            continue
        hit, seen = _method_scoping(stmt)
        if hit:
            scoped.append(stmt.name.value)
        if seen:
            refs[stmt.name.value] = sorted(seen)
    return scoped, refs


def _method_scoping(fn: cst.FunctionDef) -> tuple[bool, set[str]]:
    """(builds something with the caller's tenant/owner, the `self.<attr>` names it refers to)."""
    seen: set[str] = set()
    hit: list[bool] = []

    def call(n: cst.Call) -> None:
        for arg in n.args:
            if arg.keyword is not None and _TENANT_KW.match(arg.keyword.value):
                value = dotted(arg.value) or ""
                if value.startswith("self.") or _CALLER.search(value):
                    hit.append(True)

    def attribute(n: cst.Attribute) -> None:
        if isinstance(n.value, cst.Name) and n.value.value == "self" and len(seen) < 10:
            seen.add(n.attr.value)

    walk(fn.body, {cst.Call: [call], cst.Attribute: [attribute]}, {})
    return bool(hit), seen


def _looked_up_model(name: str) -> str:
    """`Thumbnail.objects.using().filter().first` / `Note.query.filter_by().first` -> the model name."""
    head = name.split(".", 1)[0]
    if head[:1].isupper() and (".objects." in f".{name}." or ".query." in f".{name}."):
        return head
    return ""


_VIEW_INSTANCE = lazy(r"^([A-Z]\w*)\(\)\.([a-z_]\w*)$")


def _handoff(name: str) -> str:
    """The project handler a call hands the request to: `create_check` (a function) or
    `OtherView().get` (another view's method, written `OtherView.get`); '' for anything else."""
    if "." not in name:
        return name
    found = _VIEW_INSTANCE.match(name)
    return f"{found.group(1)}.{found.group(2)}" if found else ""


_DENY_RAISES = frozenset({"PermissionDenied", "NotAuthenticated", "AuthenticationFailed", "Unauthorized", "Forbidden", "HTTPUnauthorized", "HTTPForbidden", "AccessDenied"})


def _denies(block: Any) -> bool:
    """The block ends the request as unauthenticated/forbidden: `raise PermissionDenied`,
    `abort(403)`, `return HttpResponseForbidden()`, `return ..., 401`, a redirect to the login page."""
    found: list[bool] = []

    def status_call(call: cst.Call) -> int | None:
        code = positional(call, 0)
        code = code if code is not None else kwarg(call, "status_code") or kwarg(call, "code") or kwarg(call, "status")
        return status_of(code) if code is not None else None

    def call(n: cst.Call) -> None:
        short = (dotted(n.func) or "").rsplit(".", 1)[-1]
        if short in _DENY_KINDS or short in _DENY_RAISES:
            found.append(True)
        elif (short in ("abort", "HTTPException", "Response", "JsonResponse", "JSONResponse", "HttpResponse", "make_response") or short.endswith("abort")) and status_call(n) in (401, 403):
            found.append(True)
        elif short in ("redirect", "redirect_to_login", "HttpResponseRedirect", "RedirectResponse") and "login" in cst.Module([]).code_for_node(n).lower():
            found.append(True)

    def raise_(n: cst.Raise) -> None:
        exc = n.exc
        name = dotted(exc.func) if isinstance(exc, cst.Call) else dotted(exc) if exc is not None else None
        if name and name.rsplit(".", 1)[-1] in _DENY_RAISES:
            found.append(True)

    def ret(n: cst.Return) -> None:
        if isinstance(n.value, cst.Tuple) and len(n.value.elements) >= 2 and status_of(n.value.elements[1].value) in (401, 403):
            found.append(True)

    walk(block, {cst.Call: [call], cst.Raise: [raise_], cst.Return: [ret]}, {})
    return bool(found)


def _signed_in_test(test: Any) -> bool:
    """`request.user.is_authenticated`, `current_user.is_anonymous`, `if request.user`, `not g.user`:
    the handler branches on whether anyone is signed in."""
    found: list[bool] = []

    def attribute(n: cst.Attribute) -> None:
        if n.attr.value in ("is_authenticated", "is_anonymous") and dotted(n.value) in _CALLER_OBJECTS:
            found.append(True)

    if dotted(test) in _CALLER_OBJECTS or (isinstance(test, cst.UnaryOperation) and dotted(test.expression) in _CALLER_OBJECTS):
        return True
    walk(test, {cst.Attribute: [attribute]}, {})
    return bool(found)



# calls that check access by name: `obj.raise_not_editable(user)`, `check_object_permissions(...)`,
# `ensure_can_edit(...)`, `has_perm(...)`
_CHECK_CALL = lazy(
    r"(raise_(not|if|unless)_\w+|check_\w*(perm|access|owner|edit|permission)\w*|has_(object_)?perms?\b|has_\w+_permission|"
    r"ensure_\w*(perm|access|owner|edit|can)\w*|assert_\w*(perm|access|owner|can)\w*|require_\w*(perm|owner|access)\w*|"
    r"can_(edit|change|delete|view|manage|access|modify|update)\w*|is_owner|authorize\w*|raise_for_permission\w*)"
)


def _checks_access(fn: cst.FunctionDef) -> bool:
    """The function checks access: it denies (`raise PermissionDenied`, `abort(403)`) or calls a
    check by name (`self.instance.raise_not_editable(request.user)`)."""
    if _denies(fn.body):
        return True
    found: list[bool] = []

    def call(n: cst.Call) -> None:
        if not found and _CHECK_CALL.fullmatch((dotted(n.func) or "").rsplit(".", 1)[-1]):
            found.append(True)

    walk(fn.body, {cst.Call: [call]}, {})
    return bool(found)

def _anonymous_arm(node: Any) -> Any:
    """The branch of a sign-in test that anonymous callers take: the body of `if not
    request.user.is_authenticated:` / `if current_user.is_anonymous:`, the `else` of `if
    request.user.is_authenticated:` (None when there is none)."""
    test = node.test
    negated = False
    while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        negated = not negated
        test = test.expression
    if isinstance(test, cst.Attribute) and test.attr.value == "is_anonymous":
        negated = not negated
    return node.body if negated else node.orelse


def _ends_request(arm: Any) -> bool:
    """The branch ends the request: it returns or raises (at its top level)."""
    if isinstance(arm, cst.BaseExpression):
        return False  # `x if request.user.is_authenticated else y`: a value for either caller, not a guard
    block = arm if isinstance(arm, cst.IndentedBlock) else getattr(arm, "body", None)  # an `if` body, or an `else`/`elif`
    for stmt in block.body if isinstance(block, cst.IndentedBlock) else ():
        if isinstance(stmt, cst.SimpleStatementLine) and any(isinstance(x, (cst.Return, cst.Raise)) for x in stmt.body):
            return True
    return False


# an address published on purpose: the instance's contact, support or sender address
_PUBLISHED = lazy(r"(^|_)(admin|contact|support|help|abuse|sender|from|noreply|no_reply|default_from|server|site|webmaster|postmaster|security|public|press|sales|info)_?(email|mail|address|phone)(_|$)", re.I)


def _published(value: Any) -> bool:
    """A dict value that is a constant or a published contact address (`site.admin_email`,
    `settings.SUPPORT_EMAIL`), not a record's personal field."""
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.Integer)):
        return True
    name = dotted(value)
    return bool(name and _PUBLISHED.search(name.rsplit(".", 1)[-1]))

_AUTH_CALL = lazy(
    r"^(is_admin|is_authed|authed|is_logged_in|logged_in|is_authenticated|user_is_authenticated|verify_jwt_in_request|"
    r"has_perms?|has_permissions?|check_permissions?|check_object_permissions|check_perm\w*|require_\w*(auth|login|user|admin|perm)\w*|"
    r"ensure_\w*(auth|login|admin|perm)\w*|authenticate_request|get_jwt_identity|login_required|permission_required)$"
)
_MODEL_BASES = frozenset({"BaseModel", "SQLModel", "Schema", "ModelSchema", "RootModel", "GenericModel"})
_LIMIT_SHAPE = lazy(r"(token_?bucket|leaky_?bucket|throttl|rate_?limit|ratelimit|limiter)", re.I)


def _limit_shape(source: str) -> bool:
    """`_LIMIT_SHAPE` occurs in the text. Every alternative holds "bucket", "throttl" or "limit"
    (without case), which ASCII text is first checked for: the scan costs ~3 ms on a long module."""
    if source.isascii():
        lowered = source.lower()
        if "limit" not in lowered and "bucket" not in lowered and "throttl" not in lowered:
            return False
    return _LIMIT_SHAPE.search(source) is not None


_MODEL_SIGNALS = frozenset({"post_save", "pre_save", "post_delete", "pre_delete", "m2m_changed"})
_SIGNAL_CANDIDATE = lazy(r"(handle|log|audit|record|track|change|history|on_)", re.I)
_CHANGE_RECORD = lazy(r"(change|audit|histor|journal|log\b|log_|\.log$|logger|logging|LogEntry|ActivityLog|Event\.objects\.create)", re.I)
_CHANGELOG_BASE = lazy(r"(ChangeLogg|ChangeLogged|Auditable|AuditMixin|AuditedModel|HistoricalModel|HistoryMixin|TrackedModel|VersionedModel)")
_DENY_KINDS = frozenset({"HttpResponseForbidden", "HTTPForbidden", "HTTPUnauthorized", "HttpResponseUnauthorized", "Forbidden", "Unauthorized", "PermissionDenied"})
_SPOOF_HEADER = lazy(
    r"^(x-forwarded-for|x-real-ip|x-client-ip|true-client-ip|x-cluster-client-ip|x-originating-ip|x-remote-addr|x-remote-ip|"
    r"remote-user|x-remote-user|x-forwarded-user|x-auth-user|x-user|x-user-id|x-userid|x-username|x-user-name|x-email|x-user-email|"
    r"x-role|x-roles|x-user-role|x-admin|x-is-admin|x-internal|x-internal-request|x-original-user|x-forwarded-host|referer|origin|user-agent)$"
)
_CRED_HEADER = lazy(r"(authorization|api-?key|apikey|token|signature|secret|hmac|x-hub-signature|cookie)")
_CRYPTO_CALLS = frozenset(
    {"generate_password_hash", "check_password_hash", "hashpw", "gensalt", "checkpw", "make_password", "check_password", "set_password",
     "hash_password", "verify_password", "pbkdf2_hmac", "sha256", "sha1", "md5", "sha512", "scrypt", "encrypt", "decrypt", "token_urlsafe", "token_hex"}
)
_CRYPTO_ROOTS = frozenset({"hashlib", "bcrypt", "jwt", "hmac", "argon2", "passlib", "pwd_context", "Fernet", "fernet", "nacl"})
_WRITE_CALLS = frozenset(
    {"add", "add_all", "commit", "save", "delete", "create", "bulk_create", "bulk_update", "update", "insert", "insert_one", "insert_many",
     "update_one", "update_many", "delete_one", "delete_many", "merge", "flush", "executemany", "get_or_create", "update_or_create", "acreate", "asave", "adelete"}
)
_NOTIFY_CALLS = frozenset({"send_mail", "send_email", "send_mass_mail", "send_message", "send_sms", "send_notification", "send_verification_email"})
_AUTHZ_ATTR = lazy(r"^(role|roles|is_admin|is_superuser|is_staff|admin|permissions?|groups|scopes?|is_owner|access_level|privileges?)$")
_SIGNATURE_CALL = lazy(
    r"(^|\.)(compare_digest|constant_time_compare|unsign\w*|(verify|check|validate)_\w*(signature|sig|hmac|token|webhook)\w*|"
    r"(verify|check|validate)_(signature|sig|hmac|token)|signing\.loads|construct_event|verify_webhook)$"
)
# exceptions a signature/token check raises: catching one means the body verified it
_SIGNATURE_ERROR = lazy(
    r"^(BadSignature|BadTimeSignature|SignatureExpired|BadData|BadPayload|InvalidSignature|InvalidSignatureError|SignatureVerificationError|"
    r"InvalidToken|InvalidTokenError|ExpiredSignatureError|DecodeError|JWTError|JWSError|InvalidHash)$"
)
# fields whose value is a secret or personal data: a route returning them is not public data
_SENSITIVE_FIELD = lazy(
    r"^(password|passwd|hashed_password|password_hash|pw_hash|secret|client_secret|\w+_secret|api_?key|\w+_api_key|apikey|"
    r"access_token|refresh_token|auth_token|api_token|private_key|otp_secret|totp_secret|ssn|social_security_number|credit_card|"
    r"card_number|cvv|iban|email|email_address|phone|phone_number|mobile|date_of_birth|birth_date|birthdate|dob|salary)$",
    re.I,
)


def sensitive_field(name: str) -> bool:
    """A field whose value is a secret or personal data (`email`, `hashed_password`, `api_key`)."""
    return bool(_SENSITIVE_FIELD.match(name))


# the object the framework gives for the caller (an anonymous user when nobody signed in)
_CALLER_OBJECTS = frozenset({"request.user", "self.request.user", "current_user", "g.user", "request.state.user", "flask_login.current_user", "request.identity"})
# what a page reads of its viewer to render for them, not their records
_VIEWER_ATTRS = frozenset(
    {"is_authenticated", "is_anonymous", "is_active", "id", "pk", "username", "localname", "display_name", "name", "is_staff",
     "is_superuser", "is_admin", "has_perm", "has_perms", "get_username", "timezone", "preferred_timezone", "preferred_language",
     "language", "locale", "theme", "remote_id", "local_path", "get_full_name"}
)
_INPUT_ROOTS = frozenset({"request", "req", "form", "settings", "config", "conf", "app", "os", "current_app", "cleaned_data", "data", "payload", "body", "args", "kwargs", "cls"})
_PASSWORD_KEYS = frozenset({"password", "password1", "new_password", "raw_password", "plain_password"})
_OWNER_ATTR = lazy(r"\.(owner|owner_id|user|user_id|author|author_id|created_by|project|project_id|team|team_id|account|account_id|organization|organization_id|org_id|tenant|tenant_id|workspace_id)$")
_SECRET_NAME = lazy(r"^(token|\w+_token|signature|\w+_signature|signed_\w+|secret|\w+_secret|api_?key|\w+_api_key|hmac|digest)$", re.I)
_CALLER = lazy(r"(current_user|request\.user|g\.user|self\.request\.user|principal|identity|auth)", re.I)
_IDENTITY = lazy(
    r"(current_user|request\.user|self\.request\.user|g\.user|\bowner|tenant|account_id|organization|org_id|"
    r"author|created_by|user_id|\buser\b|principal|identity|session\.user|auth\.user|claims|member)",
    re.I,
)


_DEF = lazy(r"^(\s*)(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)")
_AUTH_TOKENS = ("401", "403", "is_authenticated", "PermissionDenied", "Unauthorized", "Forbidden", "NotAuthenticated", "is_anonymous")
_PREFIX_NAME = lazy(r"(prefix|path|url|version|api|route|root)", re.I)


def _PREFIX_CONST(name: str, value: str) -> bool:
    """String constants worth recording: they may be route prefixes (`API_V1_STR = "/api/v1"`)."""
    return len(value) < 120 and (value.startswith("/") or bool(_PREFIX_NAME.search(name)) and "/" in value or name == "ROOT_URLCONF")


# what a limiter is asked: `TokenBucket.authorize_login(...)`, `limiter.hit(...)`, `bucket.consume()`
_LIMIT_RECEIVER = lazy(r"(bucket|throttl|rate_?limit|ratelimit|limiter|quota)", re.I)
_NOT_LIMITER = lazy(r"(Error|Exception|Failure|Exceeded|Notice|Warning)$")
_LIMIT_ASK = lazy(r"^(authorize\w*|allow\w*|is_allowed|consume|hit|acquire|take|test|check_rate\w*|limit|over_limit|is_rate_limited|is_limited)$")


def _applies_limit(node: cst.CSTNode) -> bool:
    """The function or class asks a limiter in a condition (`if not TokenBucket.authorize_x(...)`,
    `if limiter.hit(key): abort(429)`): it refuses when over the limit. Mentioning a limiter (a
    model that sends a "rate limited" notice, a view that only reports quotas) is not applying one."""
    found: list[bool] = []

    def test(call: cst.Call) -> None:
        name = dotted(call.func) or ""
        receiver, _, method = name.rpartition(".")
        if receiver and _LIMIT_ASK.match(method) and _LIMIT_RECEIVER.search(receiver):
            found.append(True)

    def branch(node: cst.If) -> None:
        if not found:
            walk(node.test, {cst.Call: [test]}, {})

    walk(node, {cst.If: [branch]}, {})
    return bool(found)


def _is_decorator(fn: cst.FunctionDef) -> bool:
    """`def throttled(view): def wrapper(...): ...; return wrapper`."""
    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else []
    return any(isinstance(stmt, cst.FunctionDef) for stmt in body)


def _is_error_dict(node: cst.Dict) -> bool:
    for el in node.elements:
        if isinstance(el, cst.DictElement):
            key = const_str(el.key)
            if key in ("error", "errors"):
                return True
    return False


# ----------------------------------------------------------------------------- the collector


class FileRoutes:
    def __init__(self, path: str, source: str, lines: list[str]) -> None:
        self.path = path
        self.module = module_name(path)
        self.is_pkg = path.endswith("__init__.py")
        self.lines = lines
        self.imports: dict[str, list[Any]] = {}
        self.objects: list[dict[str, Any]] = []
        self.routes: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.handlers: dict[str, dict[str, Any]] = {}
        self.classes: dict[str, dict[str, Any]] = {}
        self.consts: dict[str, Any] = {}
        self.aliases: dict[str, str] = {}
        self.urlpatterns: dict[str, list[Any]] = {}
        self.settings: dict[str, Any] = {}
        self.frameworks: set[str] = set()
        self.guard_decorators: list[str] = []
        self.changelog: list[dict[str, str]] = []  # change-log trails: signal receivers, history fields, registries
        self.model_bases: dict[str, list[str]] = {}  # every top-level class -> its bases (change-logged mixins)
        self._logging_functions: set[str] = set()
        self._def_seen: dict[str, int] = {}
        self._line_cursor = 0
        self._cursors: dict[str, int] = {}
        self._defs: dict[str, list[tuple[int, int]]] | None = None
        self.auth_file = any(token in source for token in _AUTH_TOKENS)
        self.limit_file = _limit_shape(source)
        self.models_file = "pydantic" in source or "sqlmodel" in source or "ninja" in source
        self.models: dict[str, dict[str, Any]] = {}  # pydantic/SQLModel payload models
        self.limiters: list[str] = []  # project classes/functions that apply a rate limit (custom limiters)
        self.check_file = self.auth_file or bool(_CHECK_CALL.search(source))
        self.checkers: list[str] = []  # functions/methods ("Form.save") that check access: deny, or call a check
        self.class_bases: dict[str, list[str]] = {}  # every top-level class -> its bases as written (for following calls)
        self.router_classes: dict[str, list[str]] = {}  # project router subclasses -> the dependencies their __init__ adds

    # -------------------------------------------------------------- lines without metadata
    def def_line(self, name: str) -> tuple[int, int]:
        """(first decorator line, def line) of the next `def name` / `class name` in source order."""
        if self._defs is None:
            self._defs = {}
            for index, text in enumerate(self.lines):
                match = _DEF.match(text)
                if match:
                    self._defs.setdefault(match.group(2), []).append((index, len(match.group(1))))
        found = self._defs.get(name, [])
        seen = self._def_seen.get(name, 0)
        if seen >= len(found):
            return 0, 0
        self._def_seen[name] = seen + 1
        index, indent = found[seen]
        first = index
        j = index - 1
        while j >= 0:
            line = self.lines[j]
            stripped = line.strip()
            here = len(line) - len(line.lstrip())
            if stripped.startswith("@") and here == indent:
                first = j
            elif not stripped:
                break
            elif here > indent or stripped.startswith((")", "]", "}", "#")):
                pass
            else:
                break
            j -= 1
        return first + 1, index + 1

    def find_line(self, needle: str) -> int:
        """The next line (after the previous match of this needle) containing `needle`."""
        start = self._cursors.get(needle, 0)
        for index in range(start, len(self.lines)):
            if needle in self.lines[index]:
                self._cursors[needle] = index + 1
                return index + 1
        for index in range(0, min(start, len(self.lines))):
            if needle in self.lines[index]:
                return index + 1
        return 0

    def marked_public(self, first: int, last: int) -> bool:
        start = first
        while start > 1 and self.lines[start - 2].strip().startswith("#"):
            start -= 1
        for number in range(max(start, 1), last + 1):
            text = self.lines[number - 1] if number - 1 < len(self.lines) else ""
            if "backend-gates: public" in text or "backend-gates:public" in text:
                return True
        return False

    # -------------------------------------------------------------- imports
    def resolve_relative(self, level: int, module: str | None) -> str:
        base = self.module.split(".") if self.module else []
        if not self.is_pkg:
            base = base[:-1]
        if level > 1:
            base = base[: len(base) - (level - 1)] if level - 1 <= len(base) else []
        if module:
            base = base + module.split(".")
        return ".".join(base)

    def import_(self, node: cst.Import) -> None:
        for alias in node.names:
            name = dotted(alias.name)
            if not name:
                continue
            self.frameworks.update({name.split(".")[0]} & FRAMEWORK_ROOTS)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.imports[alias.asname.name.value] = [name, None]
            else:
                self.imports[name.split(".")[0]] = [name.split(".")[0], None]

    def import_from(self, node: cst.ImportFrom) -> None:
        level = len(node.relative)
        module = dotted(node.module) if node.module is not None else None
        if level:
            target = self.resolve_relative(level, module)
        else:
            target = module or ""
            self.frameworks.update({target.split(".")[0]} & FRAMEWORK_ROOTS)
        if isinstance(node.names, cst.ImportStar):
            self.imports.setdefault("*", []).append(target)
            return
        for alias in node.names:
            name = dotted(alias.name)
            if not name:
                continue
            local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
            self.imports[local] = [target, name]

    # -------------------------------------------------------------- statements
    def run(self, module: cst.Module) -> None:
        self.block(module.body, scope="", cls=None)

    def block(self, body: Any, scope: str, cls: str | None) -> None:
        for stmt in body:
            self.statement(stmt, scope, cls)

    def statement(self, stmt: Any, scope: str, cls: str | None) -> None:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import):
                    self.import_(small)
                elif isinstance(small, cst.ImportFrom):
                    self.import_from(small)
                elif isinstance(small, cst.Assign):
                    for target in small.targets:
                        self.assign(target.target, small.value, scope, cls, augment=False)
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    self.assign(small.target, small.value, scope, cls, augment=False, annotation=small.annotation.annotation)
                elif isinstance(small, cst.AugAssign) and isinstance(small.operator, cst.AddAssign):
                    self.assign(small.target, small.value, scope, cls, augment=True)
                elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                    self.call_stmt(small.value, scope)
            return
        if isinstance(stmt, cst.FunctionDef):
            self.function(stmt, scope, cls)
            return
        if isinstance(stmt, cst.ClassDef):
            if cls is None and not scope:
                self.class_(stmt)
            return
        if isinstance(stmt, cst.If):
            self.block(stmt.body.body, scope, cls)
            orelse = stmt.orelse
            while orelse is not None:
                if isinstance(orelse, cst.If):
                    self.block(orelse.body.body, scope, cls)
                    orelse = orelse.orelse
                else:
                    self.block(orelse.body.body, scope, cls)
                    orelse = None
            return
        if isinstance(stmt, (cst.Try, cst.With)):
            self.block(stmt.body.body, scope, cls)
            for handler in getattr(stmt, "handlers", ()):
                self.block(handler.body.body, scope, cls)
            return

    def assign(self, target: Any, value: Any, scope: str, cls: str | None, *, augment: bool, annotation: Any = None) -> None:
        name = dotted(target)
        if name is None:
            return
        # string constants (prefixes, settings attributes)
        text = const_str(value)
        if text is not None and "." not in name:
            key = f"{cls}.{name}" if cls else name
            if _PREFIX_CONST(name, text):
                self.consts[key] = text
            if name == "ROOT_URLCONF":
                self.settings["ROOT_URLCONF"] = text
            return
        if isinstance(value, cst.Subscript) and dotted(value.value) in ("Annotated", "typing.Annotated", "typing_extensions.Annotated"):
            for sub in value.slice[1:]:
                dep = dep_name(getattr(sub.slice, "value", None))
                if dep and dep.startswith(("Depends(", "Security(")):
                    self.aliases[name] = dep
            return
        if name in ("REST_FRAMEWORK",) and isinstance(value, cst.Dict):
            conf: dict[str, Any] = {}
            for el in value.elements:
                if isinstance(el, cst.DictElement):
                    setting = const_str(el.key)
                    if setting:
                        listed = str_list(el.value)
                        conf[setting] = listed if listed is not None else (const_str(el.value) or dotted(el.value) or "?")
            self.settings["REST_FRAMEWORK"] = conf
            return
        if name == "MIDDLEWARE" or name == "MIDDLEWARE_CLASSES":
            listed = str_list(value) or []
            self.settings.setdefault("MIDDLEWARE", []).extend(listed)
            return
        if isinstance(value, cst.Call):
            fname = dotted(value.func) or ""
            short = fname.rsplit(".", 1)[-1]
            if short in CTORS or fname in ("web.Application", "web.RouteTableDef", "aiohttp.web.Application", "connexion.App") or (short.endswith("Router") and short[:1].isupper()):
                self.object_(name, short, value)
                return
            if short == "as_view" or short in ("include",):
                return
            # `urlpatterns = format_suffix_patterns([...])`, `x = router.urls`
            if short in ("format_suffix_patterns", "i18n_patterns") and value.args:
                self.assign(target, value.args[0].value, scope, cls, augment=augment)
            return
        if isinstance(value, (cst.List, cst.Tuple)) or (isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add)):
            entries = self.url_list(value)
            if entries:
                key = name
                if augment:
                    self.urlpatterns.setdefault(key, []).extend(entries)
                else:
                    self.urlpatterns[key] = entries
            return
        ref = dotted(value)
        if ref and (augment or name.endswith("urlpatterns") or ref.endswith(".urls")):
            if augment:
                self.urlpatterns.setdefault(name, []).append({"kind": "ref", "ref": ref})
            else:
                self.urlpatterns[name] = [{"kind": "ref", "ref": ref}]

    # -------------------------------------------------------------- django / starlette url lists
    def url_list(self, value: Any) -> list[dict[str, Any]]:
        if isinstance(value, cst.BinaryOperation):
            return self.url_list(value.left) + self.url_list(value.right)
        if not isinstance(value, (cst.List, cst.Tuple)):
            ref = dotted(value)
            return [{"kind": "ref", "ref": ref}] if ref else []
        out: list[dict[str, Any]] = []
        for el in value.elements:
            item = el.value
            if isinstance(item, cst.Call):
                entry = self.url_entry(item)
                if entry:
                    out.append(entry)
            elif isinstance(el, cst.StarredElement):
                ref = dotted(item)
                if ref:
                    out.append({"kind": "ref", "ref": ref})
        return out

    def url_entry(self, call: cst.Call) -> dict[str, Any] | None:
        fname = dotted(call.func) or ""
        short = fname.rsplit(".", 1)[-1]
        line = self.find_line_of_call(call, short)
        if short in ("path", "re_path", "url"):
            route = strexpr(positional(call, 0) if positional(call, 0) is not None else kwarg(call, "route"))
            view = positional(call, 1) if positional(call, 1) is not None else kwarg(call, "view")
            if route is None or view is None:
                return None
            entry: dict[str, Any] = {"kind": "regex" if short != "path" else "path", "route": route, "line": line}
            entry.update(self.view_ref(view))
            return entry
        if short in ("Route", "WebSocketRoute", "Mount", "Host"):
            route = strexpr(positional(call, 0) if positional(call, 0) is not None else kwarg(call, "path"))
            if route is None or short in ("WebSocketRoute", "Host"):
                return None
            if short == "Mount":
                routes = kwarg(call, "routes")
                app = kwarg(call, "app") if kwarg(call, "app") is not None else positional(call, 1)
                entry = {"kind": "mount", "route": route, "line": line}
                if routes is not None:
                    entry["include_list"] = self.url_list(routes)
                elif app is not None and dotted(app):
                    entry["include_ref"] = dotted(app)
                else:
                    return None
                return entry
            endpoint = positional(call, 1) if positional(call, 1) is not None else kwarg(call, "endpoint")
            methods = kwarg(call, "methods")
            entry = {"kind": "starlette", "route": route, "line": line, "view": dotted(endpoint) if endpoint is not None else None}
            if methods is not None:
                entry["methods"] = [m.upper() for m in (str_list(methods) or [])]
            return entry if entry["view"] else None
        if short in ("get", "post", "put", "patch", "delete", "head", "view", "route") and fname.startswith("web."):
            # aiohttp web.get("/p", handler) inside add_routes([...])
            if short == "route":
                method = const_str(positional(call, 0)) or "GET"
                route = strexpr(positional(call, 1))
                handler = positional(call, 2)
            else:
                method = short.upper()
                route = strexpr(positional(call, 0))
                handler = positional(call, 1)
            if route is None or handler is None:
                return None
            return {"kind": "aiohttp", "route": route, "line": line, "view": dotted(handler), "methods": [method.upper()]}
        return None

    def view_ref(self, view: Any) -> dict[str, Any]:
        """What a Django path()'s view argument refers to."""
        wrappers: list[str] = []
        while isinstance(view, cst.Call):
            fname = dotted(view.func) or ""
            short = fname.rsplit(".", 1)[-1]
            if short == "include":
                arg = positional(view, 0)
                if isinstance(arg, cst.Tuple) and arg.elements:
                    arg = arg.elements[0].value
                text = const_str(arg) if arg is not None else None
                if text is not None:
                    return {"include_module": text, "wrappers": wrappers}
                if isinstance(arg, (cst.List, cst.Tuple)):
                    return {"include_list": self.url_list(arg), "wrappers": wrappers}
                ref = dotted(arg) if arg is not None else None
                return {"include_ref": ref or "?", "wrappers": wrappers}
            if short == "as_view":
                mapping: dict[str, str] = {}
                first = positional(view, 0)
                if isinstance(first, cst.Dict):
                    for el in first.elements:
                        if isinstance(el, cst.DictElement):
                            k, v = const_str(el.key), const_str(el.value)
                            if k and v:
                                mapping[k.upper()] = v
                out: dict[str, Any] = {"view": fname[: -len(".as_view")] if fname.endswith(".as_view") else fname, "cbv": True, "wrappers": wrappers}
                if mapping:
                    out["actions"] = mapping
                return out
            # wrapper call: login_required(views.x), csrf_exempt(...), cache_page(60)(view)
            wrappers.append(fname)
            inner = positional(view, 0)
            if isinstance(view.func, cst.Call):  # decorator factory applied: cache_page(60)(view)
                inner = positional(view, 0)
            if inner is None:
                return {"view": None, "wrappers": wrappers}
            view = inner
        ref = dotted(view)
        if ref and ref.endswith(".urls"):
            return {"include_ref": ref, "wrappers": wrappers}
        text = const_str(view)
        if text is not None:  # old-style 'app.views.index'
            return {"view_string": text, "wrappers": wrappers}
        return {"view": ref, "wrappers": wrappers}

    def find_line_of_call(self, call: cst.Call, short: str) -> int:
        first = positional(call, 0)
        text = const_str(first) if first is not None else None
        if text:
            for quote in ('"', "'"):
                needle = f"{quote}{text}{quote}"
                for index in range(self._line_cursor, len(self.lines)):
                    if needle in self.lines[index]:
                        self._line_cursor = index
                        return index + 1
        return self.find_line(short + "(")

    # -------------------------------------------------------------- objects and calls
    def object_(self, var: str, ctor: str, call: cst.Call) -> None:
        obj: dict[str, Any] = {"var": var, "ctor": ctor, "line": self.find_line(f"{var.rsplit('.', 1)[-1]} =") or self.find_line(ctor + "(")}
        for key in ("prefix", "url_prefix", "path", "root_path", "specification_dir"):
            value = kwarg(call, key)
            if value is not None:
                obj[key] = strexpr(value)
        deps = kwarg(call, "dependencies")
        if deps is not None:
            obj["deps"] = call_names(deps)
        for key in ("default_limits", "application_limits", "decorators", "middleware", "default_decorators"):
            value = kwarg(call, key)
            if value is not None:
                obj[key] = call_names(value) if key != "default_limits" else True
        trailing = kwarg(call, "trailing_slash")
        if trailing is not None:
            obj["trailing_slash"] = const_str(trailing) if const_str(trailing) is not None else (dotted(trailing) != "False")
        if ctor in ("Api", "Limiter", "Namespace", "Blueprint", "APIBlueprint"):
            first = positional(call, 0)
            if first is not None and ctor in ("Api", "Limiter") and dotted(first):
                obj["parent"] = dotted(first)
            app = kwarg(call, "app")
            if app is not None and dotted(app):
                obj["parent"] = dotted(app)
        if ctor == "Namespace":
            first = positional(call, 0)
            obj["name"] = const_str(first) if first is not None else None
        routes = kwarg(call, "routes")
        if routes is not None:
            obj["routes"] = self.url_list(routes)
        self.objects.append(obj)

    def call_stmt(self, call: cst.Call, scope: str) -> None:
        fname = dotted(call.func)
        if fname is None or "." not in fname:
            return
        receiver, attr = fname.rsplit(".", 1)
        if attr == "connect" and receiver.rsplit(".", 1)[-1] in _MODEL_SIGNALS and call.args:
            handler = dotted(call.args[0].value) or ""
            sender = kwarg(call, "sender")
            if handler in self._logging_functions:
                self.changelog.append({"kind": "model" if sender is not None else "global", "model": (dotted(sender) or "").rsplit(".", 1)[-1] if sender is not None else "", "how": f"signal receiver {handler}()"})
            return
        if attr == "register" and receiver.rsplit(".", 1)[-1] in ("auditlog", "reversion", "simple_history") and call.args:
            model = (dotted(call.args[0].value) or "").rsplit(".", 1)[-1]
            if model:
                self.changelog.append({"kind": "model", "model": model, "how": f"{receiver}.register"})
            return
        if attr not in CALL_ATTRS:
            return
        item: dict[str, Any] = {"recv": receiver, "attr": attr, "line": self.find_line(f".{attr}(")}
        args = []
        for arg in call.args:
            if arg.keyword is None and not arg.star:
                args.append(self.arg_value(arg.value))
        item["args"] = args
        kwargs: dict[str, Any] = {}
        for arg in call.args:
            if arg.keyword is not None:
                key = arg.keyword.value
                if key in ("dependencies",):
                    kwargs[key] = call_names(arg.value)
                elif key == "methods":
                    kwargs[key] = [m.upper() for m in (str_list(arg.value) or [])]
                elif key == "view_func":
                    kwargs[key] = self.arg_value(arg.value)
                else:
                    kwargs[key] = self.arg_value(arg.value)
        item["kwargs"] = kwargs
        if attr == "add_routes" and call.args:
            value = call.args[0].value
            if isinstance(value, (cst.List, cst.Tuple)):
                item["list"] = self.url_list(value)
        self.calls.append(item)

    def arg_value(self, value: Any) -> Any:
        text = strexpr(value)
        if isinstance(text, str):
            return {"str": text}
        if isinstance(value, cst.Call):
            fname = dotted(value.func) or ""
            if fname.endswith(".as_view"):
                return {"cbv": fname[: -len(".as_view")]}
            if fname.rsplit(".", 1)[-1] in ("Depends", "Security"):
                return {"dep": dep_name(value)}
            return {"call": fname, "args": [self.arg_value(a.value) for a in value.args if a.keyword is None][:3]}
        if isinstance(value, (cst.List, cst.Tuple)):
            return {"list": [self.arg_value(e.value) for e in value.elements][:20]}
        if isinstance(value, cst.Name) and value.value in ("True", "False", "None"):
            return {"const": value.value}
        if isinstance(value, cst.Integer):
            return {"int": int(value.value)}
        if isinstance(value, cst.Subscript) and len(value.slice) == 1 and isinstance(value.slice[0].slice, cst.Index):
            inner = dotted(value.slice[0].slice.value)
            if inner is not None:  # `response_model=list[UserOut]`: the item model
                return {"ref": dotted(value.value) or "?", "item": inner}
        name = dotted(value)
        if name is not None:
            return {"ref": name}
        if isinstance(text, list):
            return {"parts": text}
        return {"?": type(value).__name__}

    # -------------------------------------------------------------- functions and classes
    def params_of(self, fn: cst.FunctionDef) -> list[dict[str, Any]]:
        out = []
        params = fn.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            item: dict[str, Any] = {"name": param.name.value}
            ann = param.annotation.annotation if param.annotation is not None else None
            if ann is not None:
                if isinstance(ann, cst.Subscript) and dotted(ann.value) in ("Annotated", "typing.Annotated"):
                    elements = ann.slice
                    first = elements[0].slice
                    item["ann"] = dotted(getattr(first, "value", None)) or "?"
                    for el in elements[1:]:
                        inner = getattr(el.slice, "value", None)
                        dep = dep_name(inner)
                        if dep and dep.startswith(("Depends(", "Security(")):
                            item["dep"] = dep
                        elif isinstance(inner, cst.Call):
                            item["default"] = (dotted(inner.func) or "").rsplit(".", 1)[-1]
                else:
                    item["ann"] = dotted(ann) or ("?" if not isinstance(ann, cst.BinaryOperation) else "union")
            if param.default is not None:
                dep = dep_name(param.default)
                if dep and dep.startswith(("Depends(", "Security(")):
                    item["dep"] = dep
                elif isinstance(param.default, cst.Call):
                    item["default"] = (dotted(param.default.func) or "").rsplit(".", 1)[-1]
                else:
                    item["has_default"] = True
            out.append(item)
        return out

    def decorators_of(self, fn: Any) -> list[dict[str, Any]]:
        out = []
        for dec in fn.decorators:
            expr = dec.decorator
            if isinstance(expr, cst.Call):
                name = dotted(expr.func) or "?"
                item: dict[str, Any] = {"name": name, "call": True}
                args = [self.arg_value(a.value) for a in expr.args if a.keyword is None][:4]
                if args:
                    item["args"] = args
                kws: dict[str, Any] = {}
                for a in expr.args:
                    if a.keyword is None:
                        continue
                    key = a.keyword.value
                    if key == "dependencies":
                        kws[key] = call_names(a.value)
                    elif key == "methods":
                        kws[key] = [m.upper() for m in (str_list(a.value) or [])]
                    elif key in ("status_code", "status"):
                        kws[key] = status_of(a.value)
                    elif key in ("path", "rule", "url_path", "detail", "url_name", "include_in_schema", "response_model", "sender"):
                        kws[key] = self.arg_value(a.value)
                if kws:
                    item["kw"] = kws
                out.append(item)
            else:
                out.append({"name": dotted(expr) or "?"})
        return out

    def function(self, fn: cst.FunctionDef, scope: str, cls: str | None) -> None:
        name = fn.name.value
        qual = f"{cls}.{name}" if cls else name
        decorators = self.decorators_of(fn) if fn.decorators else []
        if not cls and not scope and "django" in self.frameworks:
            self._signal_receiver(fn, name, decorators)
        params = self.params_of(fn)
        route_decs = [d for d in decorators if d.get("call") and "." in d["name"] and d["name"].rsplit(".", 1)[1] in ROUTE_ATTRS and (d.get("args") or "path" in d.get("kw", {}) or "rule" in d.get("kw", {}))]
        route_decs = [d for d in route_decs if not (d["name"].rsplit(".", 1)[1] == "view")]
        first_param = params[0]["name"] if params else ""
        if cls is not None and first_param in ("self", "cls"):
            first_param = params[1]["name"] if len(params) > 1 else ""
        before = [d for d in decorators if d["name"].rsplit(".", 1)[-1] in ("before_request", "before_app_request")]
        is_candidate = bool(route_decs) or bool(before) or first_param in REQUEST_NAMES or (first_param in ("_", "_request") and not cls and not scope) or (not cls and not scope and "connexion" in self.frameworks) or (cls is not None and (name in VIEW_METHODS or any(d["name"].rsplit(".", 1)[-1] == "action" for d in decorators)))
        if not cls and not scope and not is_candidate and self.limit_file and (_applies_limit(fn) or (_LIMIT_SHAPE.search(name) and _is_decorator(fn))):
            self.limiters.append(name)  # a project limiter: a throttle decorator, a helper that refuses when over the limit
        if not cls and not scope and self.check_file and len(self.checkers) < 200 and _checks_access(fn):
            self.checkers.append(name)
        if not cls and not scope and not route_decs and self.auth_file:
            if self._looks_like_guard_decorator(fn) or (not is_candidate and BodyFacts(fn, []).to_dict().get("auth")):
                self.guard_decorators.append(name)
        if is_candidate:
            first, def_line = self.def_line(name)
            names = [p["name"] for p in params]  # read from `fn` itself: the body facts depend on it alone
            facts = copy.deepcopy(remember(fn, "handler-body", lambda: BodyFacts(fn, names).to_dict()))
            handler: dict[str, Any] = {
                "line": def_line,
                "first": first or def_line,
                "async": fn.asynchronous is not None,
                "params": params,
                "decorators": decorators,
                "body": facts,
            }
            returns_ann = dotted(fn.returns.annotation) if fn.returns is not None else None
            if returns_ann is None and fn.returns is not None and isinstance(fn.returns.annotation, cst.Subscript):
                inner = fn.returns.annotation.slice[0].slice if len(fn.returns.annotation.slice) == 1 else None
                returns_ann = dotted(inner.value) if isinstance(inner, cst.Index) else None
            if returns_ann:
                handler["returns_ann"] = returns_ann
            if self.marked_public(first or def_line, def_line):
                handler["public"] = True
            self.handlers[qual] = handler
            for dec in route_decs:
                recv, attr = dec["name"].rsplit(".", 1)
                args = dec.get("args") or []
                path = args[0] if args else dec.get("kw", {}).get("path") or dec.get("kw", {}).get("rule")
                kw = dec.get("kw", {})
                if attr in ("route", "api_route"):
                    methods = kw.get("methods") or ["GET"]
                else:
                    methods = [attr.upper()]
                line = self._decorator_line(dec["name"], first or def_line, def_line)
                self.routes.append(
                    {"recv": recv, "methods": methods, "path": path, "handler": qual, "line": line, "kw": kw}
                )
            for dec in before:
                if "." in dec["name"]:
                    self.calls.append({"recv": dec["name"].rsplit(".", 1)[0], "attr": "before_request", "line": def_line, "args": [{"ref": qual}], "kwargs": {}})
        # nested functions: app factories, routes declared inside create_app()
        if not cls and isinstance(fn.body, cst.IndentedBlock) and not route_decs:
            self.block(fn.body.body, scope=qual, cls=None)

    def _signal_receiver(self, fn: cst.FunctionDef, name: str, decorators: list[dict[str, Any]]) -> None:
        """Django signal receivers that record changes (ObjectChange, history, audit rows)."""
        receivers = [d for d in decorators if d["name"].rsplit(".", 1)[-1] == "receiver" and d.get("args")]
        if not receivers and not _SIGNAL_CANDIDATE.search(name):
            return
        calls = BodyFacts(fn, []).calls
        logs = any(_CHANGE_RECORD.search(c) for c in calls)
        if logs:
            self._logging_functions.add(name)
        for dec in receivers:
            first = dec["args"][0]
            signals = [x.get("ref", "") for x in first.get("list", [])] if "list" in first else [first.get("ref", "")]
            if not any(sig.rsplit(".", 1)[-1] in _MODEL_SIGNALS for sig in signals) or not logs:
                continue
            sender = next((d for d in decorators if d is dec), {}).get("kw", {}).get("sender")
            self.changelog.append({"kind": "model" if sender else "global", "model": str((sender or {}).get("ref", "")).rsplit(".", 1)[-1], "how": f"signal receiver {name}()"})

    def _decorator_line(self, name: str, first: int, last: int) -> int:
        for number in range(first, last + 1):
            if f"@{name}(" in self.lines[number - 1].replace(" ", ""):
                return number
        return first or last

    def _looks_like_guard_decorator(self, fn: cst.FunctionDef) -> bool:
        """`def login_required(view):` wrapping an inner function that checks identity and aborts."""
        params = fn.params.params
        if len(params) != 1 or not isinstance(fn.body, cst.IndentedBlock):
            return False
        inner = [s for s in fn.body.body if isinstance(s, cst.FunctionDef)]
        if not inner:
            return False
        facts = BodyFacts(inner[0], []).to_dict()
        return bool(facts.get("auth"))

    def class_(self, node: cst.ClassDef) -> None:
        name = node.name.value
        bases = [dotted(b.value) or "?" for b in node.bases]
        attrs: dict[str, Any] = {}
        methods: list[str] = []
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else []
        interesting = any(re.search(r"View|Mixin|Resource|Handler|Endpoint|API|Api|Controller", b) for b in bases)
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef):
                methods.append(stmt.name.value)
                if self.check_file and len(self.checkers) < 200 and _checks_access(stmt):
                    self.checkers.append(f"{name}.{stmt.name.value}")
        if bases and len(self.class_bases) < 300:
            self.class_bases[name] = bases[:6]
        if set(methods) & VIEW_METHODS:
            interesting = True
        # class-based FastAPI controllers (fastapi-utils `@cbv(router)`, mealie's `@controller(router)`):
        # methods decorated `@router.get(...)` are routes; class attributes `user: User = Depends(...)`
        # are dependencies of every one of them
        routed = [stmt for stmt in body if isinstance(stmt, cst.FunctionDef) and stmt.decorators and any(_is_route_decorator(d.decorator) for d in stmt.decorators)]
        deps: dict[str, str] = {}
        if routed:
            interesting = True
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__init__" and any(b.rsplit(".", 1)[-1] in ("APIRouter", "Blueprint", "APIBlueprint") for b in bases):
                self._router_class(name, stmt)
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    target = value = None
                    if isinstance(small, cst.Assign) and len(small.targets) == 1:
                        target, value = small.targets[0].target, small.value
                    elif isinstance(small, cst.AnnAssign) and small.value is not None:
                        target, value = small.target, small.value
                    if not isinstance(target, cst.Name) or value is None:
                        continue
                    key = target.value
                    dep = dep_name(value) if isinstance(small, cst.AnnAssign) and isinstance(value, cst.Call) else None
                    if dep and dep.startswith(("Depends(", "Security(")) and not key.startswith("_"):
                        deps[key] = dep
                        interesting = True
                    text = const_str(value)
                    if text is not None and _PREFIX_CONST(key, text):
                        self.consts[f"{name}.{key}"] = text
                    if key in ("permission_classes", "authentication_classes", "throttle_classes", "decorators", "method_decorators", "http_method_names", "permission_required"):
                        attrs[key] = call_names(value) if not isinstance(value, cst.SimpleString) else [text or "?"]
                        interesting = True
                    elif key in ("lookup_field", "lookup_url_kwarg", "throttle_scope"):
                        attrs[key] = text
                        interesting = True
                    elif key in ("queryset", "serializer_class", "model", "form_class", "parser_classes"):
                        attrs[key] = dotted(value) or ("all" if isinstance(value, cst.Call) else "?")
                        interesting = True
        if "django" in self.frameworks:
            self._changelogged_class(node, name, bases, body, methods)
        if self.models_file and any(b.rsplit(".", 1)[-1] in _MODEL_BASES or b in self.models for b in bases):
            self._payload_model(name, body)
        if self.limit_file and not _NOT_LIMITER.search(name) and (_LIMIT_SHAPE.search(name) or _applies_limit(node)):
            self.limiters.append(name)  # a limiter class, or one (a form) whose method refuses when a limiter says no
        if not interesting:
            return
        scoping = _scoping(body, routed)
        first, line = self.def_line(name)
        info: dict[str, Any] = {"bases": bases, "attrs": attrs, "methods": methods, "line": line, "first": first or line}
        if deps:
            info["deps"] = deps
        scoped, self_refs = scoping
        if scoped:
            info["scoped"] = scoped
        if self_refs:
            info["self_refs"] = self_refs
        decorators = self.decorators_of(node) if node.decorators else []
        if decorators:
            info["decorators"] = decorators
        if self.marked_public(first or line, line):
            info["public"] = True
        actions: list[dict[str, Any]] = []
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef):
                decs = self.decorators_of(stmt) if stmt.decorators else []
                action = next((d for d in decs if d["name"].rsplit(".", 1)[-1] == "action"), None)
                if stmt in routed:
                    self.function(stmt, scope="", cls=name)
                elif stmt.name.value in VIEW_METHODS or action is not None or stmt.name.value in ("get_queryset", "get_object", "perform_create", "perform_update", "perform_destroy", "dispatch", "has_permission", "check_permissions"):
                    self.function(stmt, scope="", cls=name)
                if action is not None:
                    kw = action.get("kw", {})
                    detail = kw.get("detail", {}).get("const") == "True"
                    url_path = kw.get("url_path", {}).get("str") if isinstance(kw.get("url_path"), dict) else None
                    actions.append({"name": stmt.name.value, "detail": detail, "methods": kw.get("methods") or ["GET"], "url_path": url_path or stmt.name.value})
        if actions:
            info["actions"] = actions
        # class-decorated routes: flask-restx @ns.route("/x"), aiohttp @routes.view("/x")
        for dec in decorators:
            if dec.get("call") and "." in dec["name"] and dec["name"].rsplit(".", 1)[1] in ("route", "view") and dec.get("args"):
                self.routes.append({"recv": dec["name"].rsplit(".", 1)[0], "methods": None, "path": dec["args"][0], "handler": name, "line": self._decorator_line(dec["name"], first or line, line), "kw": dec.get("kw", {}), "class": True})
        self.classes[name] = info

    def _router_class(self, name: str, init: cst.FunctionDef) -> None:
        """A project router class (`class UserAPIRouter(APIRouter)`) whose `__init__` passes
        `dependencies=[Depends(get_current_user)]` to `super().__init__`: every router built from it
        carries them."""
        found: list[str] = []

        def call(n: cst.Call) -> None:
            if (dotted(n.func) or "").endswith("__init__"):
                deps = kwarg(n, "dependencies")
                if deps is not None:
                    found.extend(call_names(deps))

        walk(init.body, {cst.Call: [call]}, {})
        self.router_classes[name] = found

    def _payload_model(self, name: str, body: Any) -> None:
        """Field names of a pydantic/SQLModel model (the API's payload names unless aliased)."""
        fields: list[str] = []
        aliased = False
        for stmt in body:
            if isinstance(stmt, cst.ClassDef) and stmt.name.value == "Config":
                aliased = aliased or "alias_generator" in cst.Module([]).code_for_node(stmt)
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                target = small.target if isinstance(small, cst.AnnAssign) else small.targets[0].target if isinstance(small, cst.Assign) and len(small.targets) == 1 else None
                if not isinstance(target, cst.Name):
                    continue
                if target.value == "model_config":
                    aliased = aliased or "alias_generator" in cst.Module([]).code_for_node(small)
                    continue
                value = getattr(small, "value", None)
                if isinstance(value, cst.Call) and kwarg(value, "alias") is not None:
                    continue  # the wire name is the alias
                if isinstance(small, cst.AnnAssign) and not target.value.startswith("_"):
                    fields.append(target.value)
        line = self.find_line(f"class {name}(") or self.find_line(f"class {name}:")
        self.models[name] = {"line": line, "fields": fields[:60], **({"aliased": True} if aliased else {})}

    def _changelogged_class(self, node: cst.ClassDef, name: str, bases: list[str], body: Any, methods: list[str]) -> None:
        self.model_bases[name] = [b.rsplit(".", 1)[-1] for b in bases][:6]
        how = ""
        if _CHANGELOG_BASE.search(name) or any(_CHANGELOG_BASE.search(b.rsplit(".", 1)[-1]) for b in bases):
            how = "change-logging base class"
        for dec in node.decorators:
            dname = dotted(dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator) or ""
            if dname.endswith(("auditlog.register", "reversion.register", "register_history")):
                how = dname
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, (cst.Assign, cst.AnnAssign)) and isinstance(small.value, cst.Call):
                        if (dotted(small.value.func) or "").rsplit(".", 1)[-1] in ("HistoricalRecords", "AuditlogHistoryField"):
                            how = "django-simple-history" if "Historical" in (dotted(small.value.func) or "") else "django-auditlog"
            elif isinstance(stmt, cst.FunctionDef) and stmt.name.value in ("save", "delete") and any(_CHANGE_RECORD.search(c) for c in BodyFacts(stmt, []).calls):
                how = f"{stmt.name.value}() records the change"
        if how:
            self.changelog.append({"kind": "model", "model": name, "how": how})

    def to_dict(self) -> dict[str, Any] | None:
        if not (self.objects or self.routes or self.calls or self.handlers or self.classes or self.urlpatterns or self.settings or self.aliases or self.guard_decorators or self.changelog or self.model_bases or self.limiters or self.models or self.checkers or self.class_bases or self.router_classes):
            if not (self.consts or (self.imports and self.is_pkg)):
                return None
        out: dict[str, Any] = {"module": self.module}
        for key in ("imports", "objects", "routes", "calls", "handlers", "classes", "consts", "aliases", "urlpatterns", "settings"):
            value = getattr(self, key)
            if value:
                out[key] = value
        if self.frameworks:
            out["frameworks"] = sorted(self.frameworks)
        if self.guard_decorators:
            out["guard_decorators"] = self.guard_decorators
        if self.limiters:
            out["limiters"] = self.limiters
        if self.models:
            out["models"] = self.models
        if self.changelog:
            out["changelog"] = self.changelog
        if self.model_bases:
            out["model_bases"] = self.model_bases
        if self.checkers:
            out["checkers"] = self.checkers
        if self.class_bases:
            out["class_bases"] = self.class_bases
        if self.router_classes:
            out["router_classes"] = self.router_classes
        return out


class RouteFacts(FactCollector):
    """Collects route declarations and handler facts for route discovery (reports nothing)."""

    skip_tests = True  # apps built inside tests are not the project's routes
    triggers = (
        "fastapi",
        "starlette",
        "flask",
        "Flask",
        "Blueprint",
        "django",
        "rest_framework",
        "urlpatterns",
        "aiohttp",
        "include_router",
        "register_blueprint",
        "APIRouter",
        "quart",
        "REST_FRAMEWORK",
        "Depends(",
        "_required",
        "request",
        "MIDDLEWARE",
        "limiter",
        "Limiter",
        "settings",
        "router",
        "connexion",
        "pydantic",
        "sqlmodel",
    )

    @classmethod
    def wants(cls, ctx: Any) -> bool:
        # package __init__ files re-export routers, blueprints and view base classes (not those of
        # test packages: skip_tests holds for them too)
        if ctx.path.endswith("__init__.py") and not ctx.is_test_file:
            return True
        return super().wants(ctx)

    def visit_Module(self, node: cst.Module) -> None:
        collector = FileRoutes(self.ctx.path, self.ctx.source, self.ctx.lines)
        collector.run(node)
        data = collector.to_dict()
        if data is not None:
            self.fact("route-facts", data)
