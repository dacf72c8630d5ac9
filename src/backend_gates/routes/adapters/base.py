"""The adapter protocol: one small class per web framework (see the package docstring)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ..discover import Index, RouteView

ADAPTERS: dict[str, "FrameworkAdapter"] = {}

VALIDATION = re.compile(
    r"(Serializer|Schema|Form\b|Form\(|form|validat|parse|\bload|loads\b|model_validate|parse_obj|is_valid|Validator|"
    r"clean|deserializ|from_dict|from_json|structure|TypeAdapter|(In|Create|Update|Payload|Request|Input|Body|Params)$)",
)
RESPONSE_CLASSES = frozenset({"Response", "JsonResponse", "JSONResponse", "HttpResponse", "HTTPException", "jsonify", "json_response"})
BODY_ATTRS = frozenset({"json", "get_json", "form", "data", "values", "files", "body", "POST", "text", "stream", "get_data", "content", "multipart"})
BODY_CALLS = frozenset({"request.post", "request.json", "request.form", "request.body", "request.text", "request.get_json", "req.json", "req.get_json", "req.media"})
QUERY_ATTRS = frozenset({"args", "GET", "query_params", "query", "rel_url"})
SCHEMA_DECORATOR = re.compile(r"(validat|use_args|use_kwargs|^input$|^expect$|^arguments$|schema|marshal_with|parse_args|^body$)", re.I)
# request attributes that carry the caller: the session user, the session, cookies, credentials
IDENTITY_REQUEST_ATTRS = frozenset({"user", "session", "cookies", "COOKIES", "auth", "authorization", "identity", "principal", "claims", "token", "state"})
SESSION_REQUEST_ATTRS = frozenset({"session", "cookies", "COOKIES", "auth", "authorization", "claims", "token"})
# handler parameters that receive the caller (`current_user`, `user: User = Depends(...)`)
CALLER_PARAM = re.compile(r"(current_?user|CurrentUser|principal|identity|^user$|^me$|get_user|auth_user|authenticated|token_data|claims)", re.I)
# query fields whose raw string value is a type error waiting to happen (numbers, ids, bounds)
TYPED_FIELD = re.compile(r"^(page|per_page|page_size|pagesize|limit|offset|size|count|id|\w+_id|\w+Id|start|end|since|until|max|min|days|hours|minutes|year|month|n|top|skip|first|last)$")


class FrameworkAdapter:
    """Answers, for the routes of one framework: guards beyond the generic ones, limiters, schemas,
    audit trails and whether data access in a handler is the framework's idiom.

    Subclasses set `frameworks` (the `Route.framework` values they answer for) and override what
    differs; the defaults describe a framework with nothing special.
    """

    frameworks: ClassVar[tuple[str, ...]] = ()
    #: handlers get a validated body from their signature (FastAPI models, spec-driven routers)
    typed_bodies: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        instance = cls()
        for name in cls.frameworks:
            ADAPTERS[name] = instance

    # ------------------------------------------------------------------ discovery
    def discover(self, index: "Index") -> None:
        """Add routes that only this framework knows how to find (spec-driven routers)."""

    def settings_guards(self, index: "Index", view_names: list[str], class_based: bool) -> list[str]:
        """Guards that apply through project settings (middleware, default permission classes)."""
        return []

    # ------------------------------------------------------------------ judgement
    def is_page(self, view: "RouteView") -> bool:
        """An HTML page rather than an API resource (REST naming and versioning do not apply)."""
        from .. import judge

        return judge.is_html(view)

    def body_reads(self, view: "RouteView") -> list[str]:
        """Raw request-body reads in the handler (`request.json`, `await request.post()` ...)."""
        body = view.body
        found = set(body.reads) & BODY_ATTRS
        for name in body.calls:
            if name in BODY_CALLS:
                found.add(name.split(".", 1)[1])
        return sorted(found)

    def query_reads(self, view: "RouteView") -> list[str]:
        """Query-string fields read raw where that is a bug: subscripts (`request.GET["x"]`: a
        missing key is a 500) and numeric/id fields not converted (`type=int`, `int(...)`).
        Free-text fields (`q`, `search`) are strings by nature and not reported."""
        out = []
        for name in view.body.query:
            if name.endswith("[]") or TYPED_FIELD.match(name):
                out.append(name)
        return out

    def query_params(self, view: "RouteView") -> list[str]:
        """Query-string fields the handler accepts: here, the ones its body reads
        (`request.args.get("page")`); frameworks that bind them from the signature add those."""
        return sorted({n.removesuffix("[]") for n in view.body.query})

    def validators(self, view: "RouteView") -> list[str]:
        """Calls in the handler that validate input (schemas, serializers, forms, parsers)."""
        out = []
        for name in view.body.calls:
            short = name.rsplit(".", 1)[-1]
            root = name.split(".", 1)[0]
            if short in RESPONSE_CLASSES or root in ("json", "ujson", "orjson", "simplejson", "request", "req", "self"):
                continue
            if VALIDATION.search(name):
                out.append(name)
        for dec in view.decorators:
            if SCHEMA_DECORATOR.search(dec.short):
                out.append(f"@{dec.name}")
        return out

    def identity_reads(self, view: "RouteView", index: "Index") -> list[str]:
        """Everything in the handler that refers to the caller or to a record's owner: identity
        names (`current_user`, `request.user`, an owner/tenant id) and the caller's data."""
        body = view.body
        out = list(body.identity + body.identity_kw)
        out += [f"request.{r}" for r in body.reads if r in IDENTITY_REQUEST_ATTRS]
        return out + self.caller_data(view, index)

    def caller_data(self, view: "RouteView", index: "Index") -> list[str]:
        """The caller's own records or credentials the handler reads: the caller object's relations
        (`request.user.invoices`, `current_user.orders`), the session and cookies, a parameter that
        receives the caller. Reading only who the viewer is (`request.user.is_authenticated`,
        passing `request.user` to a privacy filter) serves anonymous callers by design."""
        body = view.body
        out = list(body.caller_data)
        out += [f"request.{r}" for r in body.reads if r in SESSION_REQUEST_ATTRS]
        for param in view.params:
            if any(CALLER_PARAM.search(value) for value in (param.name, param.dep, param.ann)):
                out.append(f"parameter {param.name}")
        return out

    def sensitive_output(self, view: "RouteView", index: "Index") -> list[str]:
        """Secret or personal fields the handler reads or builds (`user.email`, `{"token": ...}`,
        `UserOut(password_hash=...)`): a route that returns them is not serving public data."""
        return list(view.body.sensitive)

    def idiomatic_data_access(self, call: str) -> bool:
        """Data access the framework puts in views by design (reported as info, not a warning)."""
        return False

    def audit_trail(self, view: "RouteView", index: "Index") -> str:
        """What records changes for this route outside its handler ('' when nothing is seen)."""
        return ""


class GenericAdapter(FrameworkAdapter):
    frameworks = ("unknown", "sanic")


_LOADED: list[bool] = []


def load_adapters() -> None:
    """Import every adapter module of this package once (subclassing registers them)."""
    if _LOADED:
        return
    package = __name__.rpartition(".")[0]
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if not info.name.startswith("_") and info.name != "base":
            importlib.import_module(f"{package}.{info.name}")
    _LOADED.append(True)


def adapter_for(framework: str) -> FrameworkAdapter:
    load_adapters()
    return ADAPTERS.get(framework) or ADAPTERS["unknown"]
