"""Compose the route table from per-file `route-facts` (see checks/python/route_facts.py).

Pure Python over facts: no libcst, no import of user code. Follows imports between files by
module names derived from project-relative paths, composes FastAPI `APIRouter(prefix=)` and
`include_router(prefix=)`, Flask blueprints and `url_prefix`, Django `include()` chains, DRF
routers and viewsets, Starlette `Mount`, aiohttp `RouteTableDef`/`router.add_*`/`add_subapp`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .facts import EMPTY_BODY, Body, Decorator, HandlerFacts, Param
from .model import Route, normalize_path

if TYPE_CHECKING:
    from .adapters import FrameworkAdapter

FACT = "route-facts"

AUTH_RE = re.compile(
    r"(auth|login|current\w*user|get_\w*user|user_required|passes_test|token|jwt|oauth|bearer|api_?key|permission|perm_|"
    r"has_perm|roles?_|role_required|scopes?_required|requires?_(login|user|role|perm|admin|scope|session|signin|account)|"
    r"verify_(token|api_?key|jwt|user|signature|credentials|session|hmac|key)|admin|superuser|staff|principal|credential|"
    r"signed_in|logged_in|protected|guard|security|access_|_access|basic_?auth|session_user|is_authenticated)",
    re.I,
)
NOT_AUTH = re.compile(r"^(require_(http_methods|GET|POST|safe)|csrf_|\w*csrf\w*$|cache|never_cache|vary_on|gzip|condition|etag|last_modified|xframe|sensitive_|transaction)", re.I)
LIMIT_RE = re.compile(r"(limit|throttl|slowapi)", re.I)
EMPTY_PERMISSIONS = "permission_classes:<none>"
BODY_LIMIT = re.compile(r"(token_?bucket|leaky_?bucket|throttl|rate_?limit|ratelimit|limiter\.(hit|test|limit|check))", re.I)
NOT_LIMIT = re.compile(r"(exempt|unlimited|limit_offset|LimitOffset|paginat)", re.I)

FASTAPI = {"FastAPI": "fastapi", "APIRouter": "fastapi", "Starlette": "starlette", "Router": "starlette"}
FLASK = {"Flask": "flask", "Blueprint": "flask", "APIFlask": "flask", "APIBlueprint": "flask", "Quart": "flask", "Api": "flask", "Namespace": "flask", "Sanic": "sanic"}
AIOHTTP = {"Application": "aiohttp", "RouteTableDef": "aiohttp"}
ROUTERS = {"DefaultRouter", "SimpleRouter", "ExtendedSimpleRouter", "ExtendedDefaultRouter", "NestedSimpleRouter", "NestedDefaultRouter"}


def is_drf_router(ctor: str) -> bool:
    """DRF routers, including project subclasses named like them (`NetBoxRouter`, `OptionalSlashRouter`)."""
    return ctor in ROUTERS or (ctor.endswith("Router") and ctor not in ("APIRouter", "Router"))

VIEWSET_ACTIONS = {
    "ModelViewSet": {"list", "create", "retrieve", "update", "partial_update", "destroy"},
    "ReadOnlyModelViewSet": {"list", "retrieve"},
    "ListModelMixin": {"list"},
    "CreateModelMixin": {"create"},
    "RetrieveModelMixin": {"retrieve"},
    "UpdateModelMixin": {"update", "partial_update"},
    "DestroyModelMixin": {"destroy"},
}
GENERIC_METHODS = {
    "ListAPIView": {"GET"},
    "CreateAPIView": {"POST"},
    "RetrieveAPIView": {"GET"},
    "DestroyAPIView": {"DELETE"},
    "UpdateAPIView": {"PUT", "PATCH"},
    "ListCreateAPIView": {"GET", "POST"},
    "RetrieveUpdateAPIView": {"GET", "PUT", "PATCH"},
    "RetrieveDestroyAPIView": {"GET", "DELETE"},
    "RetrieveUpdateDestroyAPIView": {"GET", "PUT", "PATCH", "DELETE"},
    "TemplateView": {"GET"},
    "ListView": {"GET"},
    "DetailView": {"GET"},
    "RedirectView": {"GET"},
    "ArchiveIndexView": {"GET"},
    "FormView": {"GET", "POST"},
    "CreateView": {"GET", "POST"},
    "UpdateView": {"GET", "POST"},
    "DeleteView": {"GET", "POST"},
    "LoginView": {"GET", "POST"},
    "LogoutView": {"POST"},
}
ACTION_METHOD = {"list": "GET", "create": "POST", "retrieve": "GET", "update": "PUT", "partial_update": "PATCH", "destroy": "DELETE"}
LIST_ACTIONS = ("list", "create")
DETAIL_ACTIONS = ("retrieve", "update", "partial_update", "destroy")
HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
DRF_BASES = {"APIView", "GenericAPIView", "ViewSet", "GenericViewSet", "ModelViewSet", "ReadOnlyModelViewSet", "ViewSetMixin"} | set(GENERIC_METHODS) - {"TemplateView", "ListView", "DetailView", "RedirectView", "ArchiveIndexView", "FormView", "CreateView", "UpdateView", "DeleteView", "LoginView", "LogoutView"}
# Django's own class-based views (django.views.View and django.views.generic): never DRF views
DJANGO_VIEW_BASES = frozenset({"View", "TemplateView", "RedirectView", "ListView", "DetailView", "FormView", "CreateView", "UpdateView", "DeleteView", "ArchiveIndexView", "YearArchiveView", "MonthArchiveView", "DayArchiveView", "DateDetailView"})
CAPABILITY_PARAM = re.compile(r"(<uuid:|\{\w+:uuid\}|[<{:](\w+_)?(token|signature|signed_\w+|secret|\w+_key|key|uuid|hash)(_id)?[>}:])")
HTTP_VERBS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"})
LOGIN_CALLS = frozenset({"authenticate", "login", "login_user", "auth_login", "create_access_token", "obtain_token", "check_credentials", "authenticate_user"})
AUTH_MIXINS = re.compile(r"(LoginRequired|PermissionRequired|UserPassesTest|AccessMixin|Authenticated|Permission|Staff|Superuser|Auth)", re.I)


@dataclass(frozen=True, slots=True)
class RouteView:
    """A route with what the rules need: the handler's facts and how it is guarded (read-only).

    `adapter` answers the framework-specific questions (schemas, audit trails, idioms).
    """

    route: Route
    module: str
    class_info: dict[str, Any] | None = None
    auth: tuple[str, ...] = ()
    limits: tuple[str, ...] = ()
    public: bool = False  # inline marker or explicit AllowAny
    allow_any: bool = False
    action: str = ""  # DRF viewset action
    inherited: bool = False  # handler body not in the project (DRF generic/viewset action)
    handler_line: int = 0
    class_key: tuple[str, str] | None = None  # (module, class) of a class-based view
    facts: HandlerFacts | None = None  # the handler's facts (params, decorators, body); None: not in the project

    @property
    def adapter(self) -> "FrameworkAdapter":
        from .adapters import adapter_for

        return adapter_for(self.route.framework)

    @property
    def body(self) -> Body:
        return self.facts.body if self.facts is not None else EMPTY_BODY

    @property
    def params(self) -> tuple[Param, ...]:
        return self.facts.params if self.facts is not None else ()

    @property
    def decorators(self) -> tuple[Decorator, ...]:
        return self.facts.decorators if self.facts is not None else ()

    def with_handler(self, facts: HandlerFacts) -> RouteView:
        """The same route judged with another handler's facts (one it hands its request to)."""
        return replace(self, facts=facts)


@dataclass
class Edge:
    parent: tuple[str, str]
    prefix: str | None
    deps: list[str]
    overrides: bool


class Index:
    def __init__(self, facts: list[tuple[str, dict[str, Any]]], config: Any, specs: dict[str, dict[str, Any]] | None = None) -> None:
        self.specs: dict[str, dict[str, Any]] = dict(specs or {})  # OpenAPI summaries by path (spec-driven routers)
        self.files: dict[str, str] = {}
        self.mods: dict[str, dict[str, Any]] = {}
        for path, data in facts:
            mod = data.get("module", "")
            self.mods[mod] = data
            self.files[mod] = path
        self.config = config
        self.extra_auth = [x.lower() for x in (config["routes.auth-guards"] if config else [])]
        self.extra_limit = [x.lower() for x in (config["routes.rate-limiters"] if config else [])]
        self._suffix: dict[str, list[str]] = {}
        for mod in self.mods:
            parts = mod.split(".")
            for i in range(len(parts)):
                self._suffix.setdefault(".".join(parts[i:]), []).append(mod)
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        for mod, data in self.mods.items():
            for obj in data.get("objects", ()):
                self.objects[(mod, obj["var"])] = obj
        self.parents: dict[tuple[str, str], list[Edge]] = {}
        self.obj_guards: dict[tuple[str, str], list[str]] = {}
        self.global_limits: list[str] = []
        self.drf: dict[str, Any] = {}
        self.middleware: list[str] = []
        self.root_urlconfs: list[str] = []  # every settings module's ROOT_URLCONF (a repo may hold several sites)
        self.guard_decorators: set[str] = set()
        self.changelog: list[dict[str, str]] = []
        self.limiters: set[str] = set()  # project classes/functions that apply a rate limit
        self.model_bases: dict[str, list[str]] = {}
        self.consts_by_tail: dict[str, set[str]] = {}
        for _mod, data in self.mods.items():
            for key, value in data.get("consts", {}).items():
                self.consts_by_tail.setdefault(key.rsplit(".", 1)[-1], set()).add(value)
            settings = data.get("settings", {})
            if "REST_FRAMEWORK" in settings:
                self.drf = settings["REST_FRAMEWORK"]
            self.middleware.extend(settings.get("MIDDLEWARE", []))
            if settings.get("ROOT_URLCONF"):
                self.root_urlconfs.append(str(settings["ROOT_URLCONF"]))
            self.guard_decorators.update(data.get("guard_decorators", ()))
            self.changelog.extend(data.get("changelog", ()))
            self.limiters.update(data.get("limiters", ()))
            self.model_bases.update(data.get("model_bases", {}))
        self.views: list[RouteView] = []
        self.unresolved: list[str] = []

    def root_location(self, views: list[RouteView]) -> tuple[str, int]:
        """Where project-level route findings point: the app object, else settings, else a route."""
        for ctor in ("FastAPI", "Flask", "APIFlask", "Quart", "Starlette", "Application", "Sanic"):
            for (mod, _var), obj in sorted(self.objects.items()):
                if obj.get("ctor") == ctor and not self.parents.get((mod, _var)):
                    return self.files[mod], obj.get("line", 1) or 1
        for mod, data in sorted(self.mods.items()):
            if "REST_FRAMEWORK" in data.get("settings", {}) or "ROOT_URLCONF" in data.get("settings", {}):
                return self.files[mod], 1
        first = min(views, key=lambda v: (v.route.file, v.route.line))
        return first.route.file, first.route.line

    def changelogged_models(self) -> dict[str, str]:
        """Model class name -> how its changes are recorded (direct, or through a change-logged base)."""
        cached: dict[str, str] | None = self.__dict__.get("_changelogged")
        if cached is not None:
            return cached
        out = {t["model"]: t["how"] for t in self.changelog if t["kind"] == "model" and t["model"]}
        for _ in range(6):  # a few levels of base classes
            grew = False
            for name, bases in self.model_bases.items():
                if name not in out:
                    via = next((b for b in bases if b in out), None)
                    if via is not None:
                        out[name] = out[via]
                        grew = True
            if not grew:
                break
        self.__dict__["_changelogged"] = out
        return out

    # ------------------------------------------------------------------ modules and names
    def find_module(self, name: str, near: str = "") -> str | None:
        if name in self.mods:
            return name
        found = self._suffix.get(name)
        if found:
            if near and len(found) > 1:
                def shared(m: str) -> int:
                    a, b = m.split("."), near.split(".")
                    n = 0
                    while n < min(len(a), len(b)) and a[n] == b[n]:
                        n += 1
                    return n
                return max(found, key=lambda m: (shared(m), -len(m)))
            return min(found, key=len)
        return None

    def resolve(self, mod: str, name: str, depth: int = 0) -> tuple[str, str] | None:
        """(module, local dotted name) that `name` refers to from module `mod`; ('m', '') = module."""
        if depth > 8 or mod not in self.mods:
            return None
        data = self.mods[mod]
        head, _, rest = name.partition(".")
        if (
            (mod, head) in self.objects
            or head in data.get("handlers", {})
            or head in data.get("classes", {})
            or head in data.get("urlpatterns", {})
            or head in data.get("consts", {})
            or head in data.get("aliases", {})
            or head in data.get("class_bases", {})
            or head in data.get("checkers", ())
            or head in data.get("router_classes", {})
            or any(k.startswith(head + ".") for k in data.get("handlers", {}))
        ):
            return mod, name
        imp = data.get("imports", {}).get(head)
        if imp is not None:
            target, attr = imp
            if attr is None:
                full = target + ("." + rest if rest else "")
                return self.resolve_path(full, depth)
            sub = self.find_module(f"{target}.{attr}") if target else self.find_module(attr)
            if sub is not None:
                if not rest:
                    return sub, ""
                return self.resolve(sub, rest, depth + 1)
            base = self.find_module(target)
            if base is not None:
                return self.resolve(base, attr + ("." + rest if rest else ""), depth + 1)
            return None
        for star in data.get("imports", {}).get("*", []):
            base = self.find_module(star)
            if base is not None and base != mod:
                found = self.resolve(base, name, depth + 1)
                if found is not None:
                    return found
        if rest:  # a submodule of this package reached by attribute (`views.admin.email_config.preview`)
            parts = name.split(".")
            for i in range(len(parts) - 1, 0, -1):
                sub = self.find_module(f"{mod}.{'.'.join(parts[:i])}")
                if sub is not None and sub != mod:
                    return self.resolve(sub, ".".join(parts[i:]), depth + 1)
        return None

    def resolve_path(self, full: str, depth: int) -> tuple[str, str] | None:
        parts = full.split(".")
        for i in range(len(parts), 0, -1):
            m = self.find_module(".".join(parts[:i]))
            if m is not None:
                rest = ".".join(parts[i:])
                return (m, "") if not rest else self.resolve(m, rest, depth + 1)
        return None

    def obj_key(self, mod: str, name: str) -> tuple[str, str] | None:
        found = self.resolve(mod, name)
        if found is None:
            return None
        m, local = found
        while local:
            if (m, local) in self.objects:
                return m, local
            if "." not in local:
                break
            local = local.rsplit(".", 1)[0]  # app.router -> app
        return None

    def text(self, mod: str, value: Any) -> tuple[str, bool]:
        """Resolve a path value (arg_value form or raw strexpr) to text; (text, fully_resolved)."""
        if value is None:
            return "", True
        if isinstance(value, str):
            return value, True
        if isinstance(value, dict):
            if "str" in value:
                return value["str"], True
            if "parts" in value:
                return self.text(mod, value["parts"])
            if "ref" in value:
                return self.const(mod, value["ref"])
            return "", False
        if isinstance(value, list):
            out, ok = [], True
            for part in value:
                if isinstance(part, str):
                    out.append(part)
                else:
                    t, good = self.const(mod, part.get("ref", "?"))
                    out.append(t)
                    ok = ok and good
            return "".join(out), ok
        return "", False

    def const(self, mod: str, ref: str) -> tuple[str, bool]:
        found = self.resolve(mod, ref)
        if found is not None:
            m, local = found
            consts = self.mods.get(m, {}).get("consts", {})
            if local in consts:
                return consts[local], True
        tail = ref.rsplit(".", 1)[-1]
        values = self.consts_by_tail.get(tail, set())
        if len(values) == 1:
            return next(iter(values)), True
        return "", False  # dynamic (settings from the environment): left out, route marked unresolved

    # ------------------------------------------------------------------ guard classification
    def is_auth(self, name: str) -> bool:
        low = name.lower()
        short = low.rsplit(".", 1)[-1]
        if any(x == low or x == short or x in low for x in self.extra_auth):
            return True
        bare = name.rsplit(".", 1)[-1]
        if NOT_AUTH.search(bare):
            return False
        if bare in self.guard_decorators:
            return True
        if bare.endswith("Mixin") and AUTH_MIXINS.search(bare):
            return True
        if name.startswith("Security("):
            return True
        return bool(AUTH_RE.search(name)) and not LIMIT_RE.search(bare)

    def is_limit(self, name: str) -> bool:
        low = name.lower()
        if any(x == low or x in low for x in self.extra_limit):
            return True
        return bool(LIMIT_RE.search(name)) and not NOT_LIMIT.search(name)

    def classify(self, names: list[str]) -> tuple[list[str], list[str]]:
        auth, limits = [], []
        for name in names:
            if self.is_limit(name):
                limits.append(name)
            elif self.is_auth(name):
                auth.append(name)
        return auth, limits

    # ------------------------------------------------------------------ composition
    def build(self) -> list[RouteView]:
        self.edges()
        for mod, data in self.mods.items():
            for route in data.get("routes", ()):
                self.decorated(mod, route)
            for call in data.get("calls", ()):
                self.registration(mod, call)
            for obj in data.get("objects", ()):
                if obj.get("routes"):
                    key = (mod, obj["var"])
                    for prefix, guards, root in self.mounts(key, ()):
                        self.entries(mod, obj["routes"], prefix, guards, self.framework_of(root, mod))
        self.django()
        from .adapters import ADAPTERS, load_adapters

        load_adapters()
        for adapter in dict.fromkeys(ADAPTERS.values()):
            adapter.discover(self)
        out: dict[tuple[str, str, str, int], RouteView] = {}
        for view in self.views:
            vkey = (view.route.method, view.route.path, view.route.handler, view.route.line)
            out.setdefault(vkey, view)
        return sorted(out.values(), key=lambda v: (v.route.path, v.route.method, v.route.handler))

    def edges(self) -> None:
        for mod, data in self.mods.items():
            for obj in data.get("objects", ()):
                key = (mod, obj["var"])
                if obj.get("parent") and obj["ctor"] in ("Api",):
                    parent = self.obj_key(mod, obj["parent"])
                    if parent:
                        self.parents.setdefault(key, []).append(Edge(parent, None, [], False))
                if obj["ctor"] == "Limiter" and obj.get("default_limits"):
                    self.global_limits.append(f"{obj['var']}(default_limits)")
                if obj.get("decorators") or obj.get("default_decorators"):
                    self.obj_guards.setdefault(key, []).extend(obj.get("decorators", []) + obj.get("default_decorators", []))
                if obj.get("middleware"):
                    for mw in obj["middleware"]:
                        if self.is_limit(mw):
                            self.global_limits.append(mw)
                        elif self.is_auth(mw):
                            self.obj_guards.setdefault(key, []).append(mw)
            for call in data.get("calls", ()):
                attr = call["attr"]
                args, kwargs = call.get("args", []), call.get("kwargs", {})
                parent = self.obj_key(mod, call["recv"])
                if attr in ("include_router", "register_blueprint", "add_namespace") and args:
                    child = self.obj_key(mod, args[0].get("ref", "")) if "ref" in args[0] else None
                    if child and parent:
                        given = kwargs.get("prefix") or kwargs.get("url_prefix") or kwargs.get("path")
                        prefix = self.text(mod, given)[0] if given is not None else None
                        deps = list(kwargs.get("dependencies", []))
                        self.parents.setdefault(child, []).append(Edge(parent, prefix, deps, attr != "include_router"))
                    elif not child:
                        self.unresolved.append(f"{self.files[mod]}:{call['line']}: {attr}({args[0]})")
                elif attr in ("mount", "add_subapp") and len(args) >= 2 and "ref" in args[1]:
                    child = self.obj_key(mod, args[1]["ref"])
                    if child and parent:
                        self.parents.setdefault(child, []).append(Edge(parent, self.text(mod, args[0])[0], [], False))
                elif attr == "add_routes" and args and "ref" in args[0]:
                    child = self.obj_key(mod, args[0]["ref"])
                    if child and parent and child != parent:
                        self.parents.setdefault(child, []).append(Edge(parent, "", [], False))
                elif attr == "before_request" and args and parent:
                    ref = args[0].get("ref", "")
                    found = self.resolve(mod, ref)
                    facts = self.handler(found) if found else None
                    if (facts and facts["body"].get("auth")) or self.is_auth(ref):
                        self.obj_guards.setdefault(parent, []).append(f"before_request:{ref.rsplit('.', 1)[-1]}")
                elif attr == "add_middleware" and args:
                    name = args[0].get("ref") or args[0].get("call") or ""
                    if self.is_limit(name):
                        self.global_limits.append(name)
                    elif self.is_auth(name) and parent:
                        self.obj_guards.setdefault(parent, []).append(name)
                elif attr == "middleware" and args:
                    name = args[0].get("ref") or args[0].get("call") or ""
                    if self.is_limit(name):
                        self.global_limits.append(name)
                elif attr == "init_app" and args:
                    pass
        for mw in self.middleware:
            if self.is_limit(mw):
                self.global_limits.append(mw.rsplit(".", 1)[-1])
        for setting in ("DEFAULT_THROTTLE_CLASSES",):
            if self.drf.get(setting):
                self.global_limits.append("DEFAULT_THROTTLE_CLASSES")

    def own_prefix(self, key: tuple[str, str]) -> str:
        obj = self.objects.get(key, {})
        for name in ("prefix", "url_prefix"):
            if name in obj:
                return self.text(key[0], obj[name])[0]
        if obj.get("ctor") == "Namespace":
            if "path" in obj:
                return self.text(key[0], obj["path"])[0]
            return "/" + (obj.get("name") or "")
        return ""

    def mounts(self, key: tuple[str, str], seen: tuple[tuple[str, str], ...]) -> list[tuple[str, list[str], tuple[str, str]]]:
        own = self.own_prefix(key)
        obj = self.objects.get(key, {})
        guards = list(obj.get("deps", [])) + self.router_class_deps(key) + self.obj_guards.get(key, [])
        edges = self.parents.get(key) if key not in seen else None
        if not edges:
            return [(own, guards, key)]
        out = []
        for edge in edges:
            if edge.overrides and edge.prefix is not None:
                local = edge.prefix
            else:
                local = (edge.prefix or "") + own
            for prefix, pguards, root in self.mounts(edge.parent, seen + (key,)):
                out.append((prefix + local, pguards + edge.deps + guards, root))
        return out

    def framework_of(self, root: tuple[str, str] | None, mod: str) -> str:
        if root is not None:
            ctor = self.objects.get(root, {}).get("ctor", "")
            for table in (FASTAPI, FLASK, AIOHTTP):
                if ctor in table:
                    return table[ctor]
        frameworks = self.mods.get(mod, {}).get("frameworks", [])
        for name, fw in (("fastapi", "fastapi"), ("flask", "flask"), ("quart", "flask"), ("aiohttp", "aiohttp"), ("starlette", "starlette"), ("rest_framework", "drf"), ("django", "django")):
            if name in frameworks:
                return fw
        return "unknown"

    def handler(self, found: tuple[str, str] | None) -> dict[str, Any] | None:
        if found is None:
            return None
        m, local = found
        facts: dict[str, Any] | None = self.mods.get(m, {}).get("handlers", {}).get(local)
        return facts

    def decorated(self, mod: str, route: dict[str, Any]) -> None:
        key = self.obj_key(mod, route["recv"])
        mounts: list[tuple[str, list[str], tuple[str, str] | None]] = list(self.mounts(key, ())) if key else [("", [], None)]
        if key is None and not self.mods[mod].get("frameworks"):
            return  # `@something.get("/x")` in a file that imports no web framework
        path, ok = self.text(mod, route["path"])
        if route.get("class"):
            info = self.mods[mod].get("classes", {}).get(route["handler"], {})
            methods = self.class_methods(mod, route["handler"], info)
            for prefix, guards, root in mounts:
                fw = self.framework_of(root, mod)
                for method in methods:
                    self.add_class_route(mod, route["handler"], info, method, prefix + path, fw, guards, route["line"], ok)
            return
        facts = self.mods[mod].get("handlers", {}).get(route["handler"])
        owner = self.controller_deps(mod, route["handler"])
        for prefix, guards, root in mounts:
            fw = self.framework_of(root, mod)
            deps = list(route.get("kw", {}).get("dependencies", [])) + owner
            for method in route["methods"]:
                self.add(mod, route["handler"], facts, method, prefix + path, fw, guards + deps, route["line"], ok)

    def controller_deps(self, mod: str, handler: str) -> list[str]:
        """Dependencies a class-based controller gives each of its routes (`Cls.method`): its class
        attributes `user: User = Depends(get_current_user)`, the nearest class in the project chain
        winning (an admin base overriding `user` with `Depends(get_admin_user)`)."""
        if "." not in handler:
            return []
        found: dict[str, str] = {}
        for _m, _n, info in self.class_chain(mod, handler.rsplit(".", 1)[0]):
            for attr, dep in info.get("deps", {}).items():
                found.setdefault(attr, dep)
        return list(found.values())

    def router_class_deps(self, key: tuple[str, str]) -> list[str]:
        """Dependencies a project router class adds in its `__init__` (`UserAPIRouter(...)`)."""
        ctor = self.objects.get(key, {}).get("ctor", "")
        if not ctor or ctor in FASTAPI or ctor in FLASK or ctor in AIOHTTP:
            return []
        found = self.resolve(key[0], ctor)
        if found is None:
            return []
        deps: list[str] = self.mods.get(found[0], {}).get("router_classes", {}).get(found[1], [])
        return list(deps)

    def registration(self, mod: str, call: dict[str, Any]) -> None:
        attr = call["attr"]
        args, kwargs = call.get("args", []), call.get("kwargs", {})
        if attr not in ("add_url_rule", "add_api_route", "add_route", "add_get", "add_post", "add_put", "add_patch", "add_delete", "add_head", "add_view", "add_resource", "add_routes"):
            return
        key = self.obj_key(mod, call["recv"])
        mounts: list[tuple[str, list[str], tuple[str, str] | None]] = list(self.mounts(key, ())) if key else [("", [], None)]
        if key is None and not self.mods[mod].get("frameworks"):
            return
        for prefix, guards, root in mounts:
            fw = self.framework_of(root, mod)
            if attr == "add_routes" and call.get("list"):
                self.entries(mod, call["list"], prefix, guards, fw)
                continue
            if attr == "add_resource" and args:
                cls = args[0].get("ref")
                for value in args[1:]:
                    path, ok = self.text(mod, value)
                    self.ref_route(mod, cls, None, prefix + path, fw, guards, call["line"], ok)
                continue
            if attr == "add_route" and fw == "aiohttp" and len(args) >= 3:
                method = self.text(mod, args[0])[0].upper() or "GET"
                path, ok = self.text(mod, args[1])
                self.ref_route(mod, args[2].get("ref"), [method] if method != "*" else None, prefix + path, fw, guards, call["line"], ok)
                continue
            if not args:
                continue
            path, ok = self.text(mod, args[0])
            if attr.startswith("add_") and attr[4:] in HTTP_METHODS:
                target = args[1] if len(args) > 1 else kwargs.get("handler")
                self.ref_route(mod, (target or {}).get("ref"), [attr[4:].upper()], prefix + path, fw, guards, call["line"], ok)
                continue
            if attr == "add_view":
                target = args[1] if len(args) > 1 else kwargs.get("handler")
                self.ref_route(mod, (target or {}).get("ref"), None, prefix + path, fw, guards, call["line"], ok)
                continue
            if attr == "add_url_rule":
                target = kwargs.get("view_func") or (args[2] if len(args) > 2 else None)
            else:
                target = kwargs.get("endpoint") or (args[1] if len(args) > 1 else None)
            if not target:
                continue
            methods = kwargs.get("methods") or None
            deps = list(kwargs.get("dependencies", []))
            if "cbv" in target:
                self.ref_route(mod, target["cbv"], methods, prefix + path, fw, guards + deps, call["line"], ok, cbv=True)
            else:
                ref = target.get("ref") or (target.get("call") if "call" in target else None)
                self.ref_route(mod, ref, methods or (["GET"] if attr != "add_route" else None), prefix + path, fw, guards + deps, call["line"], ok)

    def entries(self, mod: str, entries: list[dict[str, Any]], prefix: str, guards: list[str], fw: str) -> None:
        """Starlette Route/Mount lists and aiohttp web.get(...) lists."""
        for entry in entries:
            if entry["kind"] == "ref":  # a list variable: routes = [Route(...)] defined elsewhere
                found = self.resolve(mod, entry["ref"])
                if found is not None and found[1] in self.mods.get(found[0], {}).get("urlpatterns", {}):
                    self.entries(found[0], self.mods[found[0]]["urlpatterns"][found[1]], prefix, guards, fw)
                continue
            path, ok = self.text(mod, entry.get("route"))
            if entry["kind"] == "mount":
                if "include_list" in entry:
                    self.entries(mod, entry["include_list"], prefix + path, guards, fw)
                elif "include_ref" in entry:
                    child = self.obj_key(mod, entry["include_ref"])
                    if child:
                        self.parents.setdefault(child, [])
                        sub = self.objects[child]
                        for route in self.mods[child[0]].get("routes", ()):
                            if self.obj_key(child[0], route["recv"]) == child:
                                facts = self.mods[child[0]].get("handlers", {}).get(route["handler"])
                                p, good = self.text(child[0], route["path"])
                                for method in route["methods"] or ["GET"]:
                                    self.add(child[0], route["handler"], facts, method, prefix + path + self.own_prefix(child) + p, self.framework_of(child, child[0]), guards + list(sub.get("deps", [])), route["line"], good)
                        if sub.get("routes"):
                            self.entries(child[0], sub["routes"], prefix + path, guards, fw)
                continue
            if entry["kind"] in ("starlette", "aiohttp"):
                self.ref_route(mod, entry.get("view"), entry.get("methods"), prefix + path, fw, guards, entry.get("line", 0), ok)

    def ref_route(self, mod: str, ref: str | None, methods: list[str] | None, path: str, fw: str, guards: list[str], line: int, ok: bool, cbv: bool = False) -> None:
        if not ref:
            return
        found = self.resolve(mod, ref)
        if found is not None:
            m, local = found
            data = self.mods.get(m, {})
            if local in data.get("classes", {}):
                info = data["classes"][local]
                for method in methods or self.class_methods(m, local, info):
                    self.add_class_route(m, local, info, method, path, fw, guards, line if m == mod else info["line"], ok, registered_in=(mod, line))
                return
            facts = data.get("handlers", {}).get(local)
            if facts is not None:
                for method in methods or ["GET"]:
                    self.add(m, local, facts, method, path, fw, guards, facts["line"], ok)
                return
        for method in methods or ["GET"]:
            self.add(mod, ref, None, method, path, fw, guards, line, ok)

    # ------------------------------------------------------------------ classes
    def delegate_facts(self, mod: str, name: str) -> HandlerFacts | None:
        """The facts of the project handler a handler hands its request to (`create_check`,
        `OtherView.get`), or None when it is not a project handler."""
        found = self.handler(self.resolve(mod, name))
        return HandlerFacts.from_dict(found) if found is not None else None

    def scoped_attr(self, mod: str, cls: str, attr: str) -> bool:
        """`self.<attr>` of a class-based view is scoped to the caller: the property or helper that
        provides it (nearest in the project class chain) builds it with the caller's tenant/owner
        (`AllRepositories(self.session, group_id=self.group_id)`), directly or through other
        `self.` attributes (`repo` -> `self.repos.recipes`). An admin base that rebuilds it with
        `group_id=None` is not scoped."""
        chain = self.class_chain(mod, cls)
        todo: list[str] = [attr]
        seen: set[str] = set()
        while todo and len(seen) < 12:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for _m, _n, info in chain:
                if name in info.get("methods", []):
                    if name in info.get("scoped", []):
                        return True
                    todo.extend(info.get("self_refs", {}).get(name, []))
                    break
        return False

    def checks_access(self, mod: str, ref: str, method: str = "") -> str:
        """What checks access when the handler calls `ref` (a project function) or `method` on an
        instance of project class `ref` (`forms.ListForm(...).save(request)`), following the
        class's project bases: the checking function's name, or '' when nothing checks."""
        found = self.resolve(mod, ref)
        todo: list[tuple[str, str]] = [found] if found and found[1] else []
        seen: set[tuple[str, str]] = set()
        while todo and len(seen) < 12:
            m, name = todo.pop(0)
            if (m, name) in seen:
                continue
            seen.add((m, name))
            data = self.mods.get(m, {})
            target = f"{name}.{method}" if method else name
            if target in data.get("checkers", []):
                return f"{m}.{target}"
            if not method:
                continue
            bases = data.get("class_bases", {}).get(name) or data.get("classes", {}).get(name, {}).get("bases", [])
            for base in bases:
                nxt = self.resolve(m, base)
                if nxt and nxt[1]:
                    todo.append(nxt)
        return ""

    def class_chain(self, mod: str, name: str, depth: int = 0) -> list[tuple[str, str, dict[str, Any]]]:
        """The class and its project base classes, nearest first: [(module, name, info)]."""
        info = self.mods.get(mod, {}).get("classes", {}).get(name)
        if info is None or depth > 10:
            return []
        out = [(mod, name, info)]
        for base in info.get("bases", []):
            found = self.resolve(mod, base)
            if found and found[1] in self.mods.get(found[0], {}).get("classes", {}):
                out.extend(self.class_chain(found[0], found[1], depth + 1))
        return out

    def base_names(self, mod: str, name: str) -> set[str]:
        out: set[str] = set()
        for _m, _n, info in self.class_chain(mod, name):
            out.update(b.rsplit(".", 1)[-1] for b in info.get("bases", []))
        return out

    def class_attr(self, mod: str, name: str, attr: str) -> Any:
        for _m, _n, info in self.class_chain(mod, name):
            if attr in info.get("attrs", {}):
                return info["attrs"][attr]
        return None

    def class_methods(self, mod: str, name: str, info: dict[str, Any]) -> list[str]:
        methods: set[str] = set()
        chain = self.class_chain(mod, name) or [(mod, name, info)]
        for _m, _n, cinfo in chain:
            methods.update(x.upper() for x in cinfo.get("methods", []) if x in HTTP_METHODS)
        bases = self.base_names(mod, name) | {b.rsplit(".", 1)[-1] for b in info.get("bases", [])}
        for base in bases:
            methods.update(GENERIC_METHODS.get(base, ()))
        allowed = self.class_attr(mod, name, "http_method_names")
        if allowed:
            methods &= {m.upper() for m in allowed}
        methods.discard("OPTIONS")
        methods.discard("HEAD")
        return sorted(methods) or ["GET"]

    def viewset_actions(self, mod: str, name: str) -> set[str]:
        actions: set[str] = set()
        for _m, _n, info in self.class_chain(mod, name):
            actions.update(x for x in info.get("methods", []) if x in ACTION_METHOD)
        for base in self.base_names(mod, name):
            actions.update(VIEWSET_ACTIONS.get(base, ()))
        return actions

    def method_facts(self, mod: str, name: str, method: str) -> tuple[str, str, dict[str, Any]] | None:
        for m, n, info in self.class_chain(mod, name):
            if method in info.get("methods", []):
                facts = self.mods[m].get("handlers", {}).get(f"{n}.{method}")
                if facts is not None:
                    return m, f"{n}.{method}", facts
        return None

    def add_class_route(self, mod: str, name: str, info: dict[str, Any], method: str, path: str, fw: str, guards: list[str], line: int, ok: bool, action: str = "", registered_in: tuple[str, int] | None = None) -> None:
        target = action or method.lower()
        found = self.method_facts(mod, name, target)
        fw = self.class_framework(mod, name, fw)
        class_guards = self.class_guards(mod, name, info, fw)
        if found is not None:
            m, qual, facts = found
            self.add(m, qual, facts, method, path, fw, guards + class_guards, facts["line"], ok, class_info=info, class_key=(mod, name), action=action)
        else:
            self.add(mod, f"{name}.{target}" if action else name, None, method, path, fw, guards + class_guards, info.get("first", line) or line, ok, class_info=info, class_key=(mod, name), action=action, inherited=True)

    def class_framework(self, mod: str, name: str, fw: str) -> str:
        bases = self.base_names(mod, name)
        if bases & (DRF_BASES | set(VIEWSET_ACTIONS)):
            return "drf"
        if bases & DJANGO_VIEW_BASES:
            return fw  # a Django class-based view in a module that also holds DRF views is not one of them
        if "rest_framework" in self.mods.get(mod, {}).get("frameworks", []) and fw in ("django", "unknown"):
            return "drf"
        return fw

    def class_guards(self, mod: str, name: str, info: dict[str, Any], fw: str) -> list[str]:
        guards: list[str] = []
        perms = self.class_attr(mod, name, "permission_classes")
        if perms is not None:
            guards.extend(f"permission_classes:{p.rsplit('.', 1)[-1]}" for p in perms)
            if not perms and isinstance(perms, list):
                guards.append(EMPTY_PERMISSIONS)  # `permission_classes = []`: public by declaration, like AllowAny
        elif fw == "drf":
            defaults = self.drf.get("DEFAULT_PERMISSION_CLASSES")
            if isinstance(defaults, list):
                guards.extend(f"DEFAULT_PERMISSION_CLASSES:{p.rsplit('.', 1)[-1]}" for p in defaults)
        auth = self.class_attr(mod, name, "authentication_classes")
        if auth:
            guards.extend(f"authentication_classes:{p.rsplit('.', 1)[-1]}" for p in auth)
        throttles = self.class_attr(mod, name, "throttle_classes")
        if throttles:
            guards.extend(f"throttle_classes:{p.rsplit('.', 1)[-1]}" for p in throttles)
        if self.class_attr(mod, name, "throttle_scope"):
            guards.append("throttle_scope")
        for base in self.base_names(mod, name):
            if AUTH_MIXINS.search(base) and base not in DRF_BASES:
                guards.append(base)
        for key in ("decorators", "method_decorators"):
            for dec in self.class_attr(mod, name, key) or []:
                guards.append(dec)
        for _m, _n, cinfo in self.class_chain(mod, name):
            for dec in cinfo.get("decorators", []):
                label = dec["name"]
                if label.endswith("method_decorator") and dec.get("args"):
                    first = dec["args"][0]
                    label = first.get("ref") or first.get("call") or label
                guards.append(label)
        return guards

    # ------------------------------------------------------------------ route objects
    def add(
        self,
        mod: str,
        qual: str,
        facts: dict[str, Any] | None,
        method: str,
        path: str,
        fw: str,
        guards: list[str],
        line: int,
        ok: bool,
        class_info: dict[str, Any] | None = None,
        class_key: tuple[str, str] | None = None,
        action: str = "",
        inherited: bool = False,
        flags: tuple[str, ...] = (),
    ) -> None:
        names = list(guards)
        public = bool(class_info and class_info.get("public"))
        if facts is not None:
            for param in facts.get("params", []):
                dep = param.get("dep") or self.alias_dep(mod, param.get("ann"))
                if dep:
                    names.append(dep)
                    if not self.is_auth(dep) and AUTH_RE.search(param["name"]) and param["name"] not in ("db", "session"):
                        names.append(f"{dep}->{param['name']}")
            for dec in facts.get("decorators", []):
                short = dec["name"].rsplit(".", 1)[-1]
                if short in ("get", "post", "put", "patch", "delete", "route", "api_route", "head", "options", "action", "api_view"):
                    continue
                if short == "permission_classes" and dec.get("args"):
                    for item in dec["args"][0].get("list", []):
                        names.append(f"permission_classes:{(item.get('ref') or '?').rsplit('.', 1)[-1]}")
                    continue
                if short == "throttle_classes":
                    names.append("throttle_classes")
                    continue
                if short == "method_decorator" and dec.get("args"):  # `@method_decorator(login_required)` on a view method
                    first = dec["args"][0]
                    names.append(str(first.get("ref") or first.get("call") or dec["name"]))
                    continue
                names.append(dec["name"])
            names.extend(self.body_guards(mod, facts))
            names.extend(self.body_limits(facts))
            public = public or bool(facts.get("public"))
            if fw in ("django", "unknown") and any(d["name"].rsplit(".", 1)[-1] in ("api_view",) for d in facts.get("decorators", [])):
                fw = "drf"
            if fw == "drf" and class_info is None and not any(n.startswith("permission_classes:") for n in names):
                defaults = self.drf.get("DEFAULT_PERMISSION_CLASSES")
                if isinstance(defaults, list):
                    names.extend(f"DEFAULT_PERMISSION_CLASSES:{p.rsplit('.', 1)[-1]}" for p in defaults)
        allow_any = False
        auth, limits = [], []
        for name in dict.fromkeys(names):
            if name == EMPTY_PERMISSIONS:
                public = True
                continue
            if name.endswith(":AllowAny") or name.endswith(":permissions.AllowAny"):
                allow_any = True
                continue
            if name.startswith(("permission_classes:", "DEFAULT_PERMISSION_CLASSES:", "authentication_classes:", "openapi-security:", "delegates:", "spoofable-header:")):
                auth.append(name)
            elif name.startswith(("throttle_classes", "throttle_scope", "limited-by:")):
                limits.append(name)
            elif name.startswith("in-body:") or name.startswith("before_request:"):
                auth.append(name)
            elif self.is_limit(name):
                limits.append(name)
            elif self.is_auth(name):
                auth.append(name)
        # an explicit AllowAny overrides defaults: public by declaration
        if allow_any:
            auth = [a for a in auth if not a.startswith(("DEFAULT_PERMISSION_CLASSES:", "permission_classes:"))]
        from .adapters import adapter_for

        if fw == "django":
            auth.extend(adapter_for(fw).settings_guards(self, names, class_info is not None))
        handler_name = f"{mod}.{qual}" if mod else qual
        norm = normalize_path(path)
        extra: dict[str, Any] = {}
        if not ok:
            extra["unresolved"] = True
        if action:
            extra["action"] = action
        for flag in flags:
            extra[flag] = True
        if CAPABILITY_PARAM.search(path):
            extra["capability"] = True  # an unguessable id in the URL is the credential (ping/badge/unsubscribe links)
        route = Route(
            method=method.upper(),
            path=norm,
            handler=handler_name,
            file=self.files.get(mod, ""),
            line=line or (facts or {}).get("line", 0),
            framework=fw,
            guards=tuple(dict.fromkeys(auth + limits)),
            extra=extra,
        )
        self.views.append(
            RouteView(
                route,
                mod,
                class_info,
                tuple(auth),
                tuple(limits),
                public or allow_any,
                allow_any,
                action,
                inherited,
                (facts or {}).get("line", line) or line,
                class_key,
                self.handler_facts(mod, facts) if facts is not None else None,
            )
        )

    def handler_facts(self, mod: str, facts: dict[str, Any]) -> HandlerFacts:
        """The handler's typed facts, with each parameter annotated by a dependency alias
        (`user: CurrentUser` where `CurrentUser = Annotated[User, Depends(get_current_user)]`)
        carrying that dependency, as `user: User = Depends(get_current_user)` would: the caller,
        a session, never the request body."""
        typed = HandlerFacts.from_dict(facts)
        if not any(not p.dep and p.ann for p in typed.params):
            return typed
        params = tuple(p if p.dep or not p.ann else replace(p, dep=self.alias_dep(mod, p.ann) or "") for p in typed.params)
        return replace(typed, params=params)

    def add_external(self, handler: str, file: str, line: int, method: str, path: str, fw: str, guards: list[str]) -> None:
        """A route whose handler is not in the analysed Python files (located where it is declared)."""
        auth = [g for g in guards if g.startswith("openapi-security:") or self.is_auth(g)]
        route = Route(method=method.upper(), path=normalize_path(path), handler=handler, file=file, line=line, framework=fw, guards=tuple(auth))
        self.views.append(RouteView(route, "", None, tuple(auth), (), False, False, "", True, line))

    def body_limits(self, facts: dict[str, Any]) -> list[str]:
        """Custom limiters used in the handler: a project limiter class or function (by shape: a
        token bucket, a throttle), or a form/helper that applies one, or a name in routes.rate-limiters."""
        out = []
        for call in facts.get("body", {}).get("calls", []):
            parts = [p.removesuffix("()") for p in call.split(".")]
            low = call.lower()
            # a limiter class or function by name (`TokenBucket.authorize(...)`, `throttled(...)`,
            # `forms.LoginForm(...)`), never a lower-case receiver that shares a name (`project.save`)
            named = any(p in self.limiters and (p[:1].isupper() or i == len(parts) - 1) for i, p in enumerate(parts))
            if named or BODY_LIMIT.search(call) or any(x in low for x in self.extra_limit):
                out.append(f"limited-by:{call.removesuffix('()')}")
        for dec in facts.get("decorators", []):
            if dec["name"].rsplit(".", 1)[-1] in self.limiters:
                out.append(f"limited-by:{dec['name']}")
        return out

    def body_guards(self, mod: str, facts: dict[str, Any]) -> list[str]:
        """Guards found in the handler body: identity checks and denials that end the request before
        any state-changing work, a spoofable header standing in for identity, and one level of
        delegation to project functions that are guarded themselves."""
        body = facts.get("body", {})
        found = list(body.get("auth", []))
        if found and 0 <= body.get("work_at", -1) < body.get("auth_at", 0):
            found = []  # the check comes after the work: it does not guard it
        if any(c.rsplit(".", 1)[-1] in LOGIN_CALLS for c in body.get("calls", [])):
            found = [a for a in found if not a.startswith("deny:")]  # a login handler refusing bad credentials
        spoof = body.get("spoof", [])
        if found and spoof and not body.get("credential_headers") and not any(_identity_check(a) for a in found):
            return [f"spoofable-header:{spoof[0]}"]
        if found:
            return [f"in-body:{a}" for a in found]
        delegates = body.get("delegates", [])
        returns = body.get("returns", [])
        if delegates and returns and all(r.get("delegates") for r in returns):  # a pure dispatcher
            guarded = []
            for name in delegates:
                target = self.handler(self.resolve(mod, name))
                if target is None:
                    continue
                names = [d["name"] for d in target.get("decorators", [])] + [f"in-body:{a}" for a in target.get("body", {}).get("auth", [])]
                if not any(n.startswith("in-body:") or self.is_auth(n) for n in names):
                    return []  # one unguarded delegate: the dispatcher is not guarded as a whole
                guarded.append(name)
            if guarded:
                return [f"delegates:{','.join(guarded)}"]
        return []

    def alias_dep(self, mod: str, ann: str | None) -> str | None:
        if not ann:
            return None
        found = self.resolve(mod, ann)
        if found is None:
            return None
        m, local = found
        alias: str | None = self.mods.get(m, {}).get("aliases", {}).get(local)
        return alias

    # ------------------------------------------------------------------ django
    def django(self) -> None:
        urlconfs = [m for m, d in self.mods.items() if "urlpatterns" in d.get("urlpatterns", {})]
        if not urlconfs:
            return
        included: set[str] = set()
        for mod in urlconfs:
            for entries in self.mods[mod]["urlpatterns"].values():
                self._collect_includes(mod, entries, included)
        roots: list[str] = []
        for conf in dict.fromkeys(self.root_urlconfs):
            root = self.find_module(conf)
            if root is not None and root not in roots:
                roots.append(root)
        if not roots:
            roots = [m for m in urlconfs if m not in included]
        for root in roots:
            self.expand(root, "urlpatterns", "", [], (root,))

    def _collect_includes(self, mod: str, entries: list[dict[str, Any]], out: set[str]) -> None:
        for entry in entries:
            if "include_module" in entry:
                found = self.find_module(entry["include_module"])
                if found:
                    out.add(found)
            elif "include_ref" in entry:
                ref_found = self.resolve(mod, entry["include_ref"])
                if ref_found and ref_found[1] in ("", "urlpatterns"):
                    out.add(ref_found[0])
            elif "include_list" in entry:
                self._collect_includes(mod, entry["include_list"], out)

    def expand(self, mod: str, var: str, prefix: str, wrappers: list[str], seen: tuple[str, ...]) -> None:
        entries = self.mods.get(mod, {}).get("urlpatterns", {}).get(var)
        if entries is None:
            return
        self.expand_entries(mod, entries, prefix, wrappers, seen)

    def expand_entries(self, mod: str, entries: list[dict[str, Any]], prefix: str, wrappers: list[str], seen: tuple[str, ...]) -> None:
        for entry in entries:
            kind = entry["kind"]
            if kind == "ref":
                self.expand_ref(mod, entry["ref"], prefix, wrappers, seen)
                continue
            if kind not in ("path", "regex"):
                continue
            route, _ok = self.text(mod, entry.get("route"))
            piece = _django_piece(route, kind == "regex")
            here = prefix + piece
            wraps = wrappers + list(entry.get("wrappers", []))
            if "include_module" in entry:
                found = self.find_module(entry["include_module"])
                if found and found not in seen:
                    self.expand(found, "urlpatterns", here, wraps, seen + (found,))
                continue
            if "include_list" in entry:
                self.expand_entries(mod, entry["include_list"], here, wraps, seen)
                continue
            if "include_ref" in entry:
                self.expand_ref(mod, entry["include_ref"], here, wraps, seen)
                continue
            ref = entry.get("view")
            if entry.get("view_string"):
                text = entry["view_string"]
                found_mod = self.find_module(text.rsplit(".", 1)[0]) if "." in text else None
                if found_mod:
                    self.django_view(found_mod, text.rsplit(".", 1)[1], here, wraps, entry, mod)
                continue
            if not ref:
                continue
            self.django_view(mod, ref, here, wraps, entry, mod)

    def expand_ref(self, mod: str, ref: str, prefix: str, wrappers: list[str], seen: tuple[str, ...]) -> None:
        target = ref[: -len(".urls")] if ref.endswith(".urls") else ref
        key = self.obj_key(mod, target)
        if key is not None and is_drf_router(self.objects[key]["ctor"]):
            self.drf_router(key, prefix, wrappers)
            return
        found = self.resolve(mod, ref)
        if found is None and ref.endswith(".urls"):
            found = self.resolve(mod, target)
            if found and found[1] == "":
                found = (found[0], "")
        if found is None:
            self.unresolved.append(f"{self.files.get(mod, mod)}: include({ref})")
            return
        m, local = found
        if local in ("", "urls", "urlpatterns"):
            if m not in seen:
                self.expand(m, "urlpatterns", prefix, wrappers, seen + (m,))
            return
        if local in self.mods.get(m, {}).get("urlpatterns", {}):
            self.expand(m, local, prefix, wrappers, seen)

    def django_view(self, mod: str, ref: str, path: str, wrappers: list[str], entry: dict[str, Any], url_mod: str) -> None:
        fw = "drf" if "rest_framework" in self.mods.get(mod, {}).get("frameworks", []) else "django"
        found = self.resolve(mod, ref)
        line = entry.get("line", 0)
        if found is not None:
            m, local = found
            data = self.mods.get(m, {})
            if local in data.get("classes", {}):
                info = data["classes"][local]
                fw = self.class_framework(m, local, "django")
                if entry.get("actions"):
                    for method, action in entry["actions"].items():
                        self.add_class_route(m, local, info, method, path, fw, wrappers, info["line"], True, action=action)
                    return
                for method in self.class_methods(m, local, info):
                    self.add_class_route(m, local, info, method, path, fw, wrappers, info["line"], True)
                return
            facts = data.get("handlers", {}).get(local)
            if facts is not None:
                # a function view is DRF's only through `@api_view` (add() sees it): a urlconf that
                # also mounts a DRF router does not make the plain views beside it DRF views
                for method in self.function_methods(facts):
                    self.add(m, local, facts, method, path, "django", wrappers, facts["line"], True)
                return
            if local.endswith(".as_view"):
                local = local[: -len(".as_view")]
        if ref.endswith("site.urls"):
            return
        from .adapters.django import EXTERNAL_VIEWS

        known = EXTERNAL_VIEWS.get(ref.rsplit(".", 1)[-1].removesuffix(".as_view"))
        methods, flags = known if known else (("GET",), ())
        for method in methods:
            self.add(url_mod, ref, None, method, path, "drf" if "drf" in flags else fw, wrappers, line, True, flags=flags)

    def function_methods(self, facts: dict[str, Any]) -> list[str]:
        for dec in facts.get("decorators", []):
            short = dec["name"].rsplit(".", 1)[-1]
            listed = [a.get("str", "") for a in dec.get("args") or []]
            if listed and all(m.upper() in HTTP_VERBS for m in listed):
                methods = sorted({m.upper() for m in listed} - {"OPTIONS", "HEAD"})
                if methods:
                    return methods  # a project decorator naming the methods it lets through: @cors("GET", "POST")
            if short in ("api_view", "require_http_methods"):
                args = dec.get("args") or []
                if args and "list" in args[0]:
                    return [a.get("str", "GET").upper() for a in args[0]["list"]]
                return ["GET"]
            if short in ("require_GET", "require_safe"):
                return ["GET"]
            if short == "require_POST":
                return ["POST"]
        body = facts.get("body", {})
        compared = [m for m in body.get("methods", []) if m in ("POST", "PUT", "PATCH", "DELETE", "GET")]
        if not compared and (set(body.get("reads", [])) & {"POST", "body", "FILES", "data", "json"} or "persistence" in body.get("concerns", [])):
            return ["GET", "POST"]  # a Django view answers every method: one that reads a body or writes serves POST (forms, webhooks)
        return sorted({"GET", *compared})

    def drf_router(self, key: tuple[str, str], prefix: str, wrappers: list[str]) -> None:
        mod = key[0]
        router = self.objects[key]
        trailing = "/"
        if "trailing_slash" in router:
            value = router["trailing_slash"]
            trailing = value if isinstance(value, str) else ("/" if value else "")
        for call in self.mods[mod].get("calls", ()):
            if call["attr"] != "register" or self.obj_key(mod, call["recv"]) != key:
                continue
            args = call.get("args", [])
            if len(args) < 2:
                continue
            reg_prefix = self.text(mod, args[0])[0].strip("^$").strip("/")
            found = self.resolve(mod, args[1].get("ref", ""))
            if found is None or found[1] not in self.mods.get(found[0], {}).get("classes", {}):
                self.unresolved.append(f"{self.files[mod]}:{call['line']}: router.register({args[1]})")
                continue
            m, name = found
            info = self.mods[m]["classes"][name]
            lookup = self.class_attr(m, name, "lookup_url_kwarg") or self.class_attr(m, name, "lookup_field") or "pk"
            actions = self.viewset_actions(m, name)
            base = prefix + reg_prefix
            for action in LIST_ACTIONS:
                if action in actions:
                    self.add_class_route(m, name, info, ACTION_METHOD[action], base + trailing, "drf", wrappers, info["line"], True, action=action)
            for action in DETAIL_ACTIONS:
                if action in actions:
                    self.add_class_route(m, name, info, ACTION_METHOD[action], f"{base}/{{{lookup}}}{trailing}", "drf", wrappers, info["line"], True, action=action)
            for _m2, _n2, cinfo in self.class_chain(m, name):
                for extra in cinfo.get("actions", []):
                    url = f"{base}/{{{lookup}}}/{extra['url_path']}{trailing}" if extra["detail"] else f"{base}/{extra['url_path']}{trailing}"
                    for method in extra["methods"]:
                        self.add_class_route(m, name, info, method.upper(), url, "drf", wrappers, info["line"], True, action=extra["name"])
        if router["ctor"] in ("DefaultRouter", "ExtendedDefaultRouter"):
            self.add(mod, f"{router['var']}.APIRootView", None, "GET", prefix or "/", "drf", wrappers + self._drf_default_guards(), router.get("line", 0), True)

    def _drf_default_guards(self) -> list[str]:
        defaults = self.drf.get("DEFAULT_PERMISSION_CLASSES")
        if isinstance(defaults, list):
            return [f"DEFAULT_PERMISSION_CLASSES:{p.rsplit('.', 1)[-1]}" for p in defaults]
        return []


def _identity_check(label: str) -> bool:
    """An in-body guard that looks at the caller's identity (not only a denial after some test)."""
    return label.endswith("()") or any(k in label for k in ("is_authenticated", "is_anonymous", "has_perm", "is_staff", "is_superuser", "is_admin"))


_UNNAMED_GROUP = re.compile(r"\((?!\?P<)[^)]*\)")


def _django_piece(route: str, regex: bool) -> str:
    if not regex:
        return route
    piece = route.lstrip("^").rstrip("$")
    piece = re.sub(r"\(\?P<([a-zA-Z_]\w*)>[^)]*\)", r"<\1>", piece)
    piece = _UNNAMED_GROUP.sub("<arg>", piece)
    piece = piece.replace("\\.", ".").replace("/?", "/").replace("\\", "")
    return piece


def analyze(project: Any) -> list[RouteView]:
    """Every route with its handler facts and guards (computed once per project)."""
    cached: list[RouteView] | None = project.__dict__.get("_route_views")
    if cached is not None:
        return cached
    facts = [(p, d) for p, d in project.facts(FACT)]
    specs: dict[str, dict[str, Any]] = {}
    if any("connexion" in d.get("frameworks", ()) for _p, d in facts):  # spec-driven routers read the specs
        specs = {p: d for p, d in project.facts("openapi") if isinstance(d, dict)}
    index = Index(facts, getattr(project, "config", None), specs)
    views = index.build()
    project.__dict__["_route_views"] = views
    project.__dict__["_route_index"] = index
    return views


def index_of(project: Any) -> Index:
    analyze(project)
    index: Index = project.__dict__["_route_index"]
    return index


def build_table(project: Any) -> list[Route]:
    return [view.route for view in analyze(project)]
