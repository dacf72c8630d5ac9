"""FastAPI and Starlette.

Guards are dependencies (`Depends`/`Security`) on the parameter, the route, the router, the
`include_router` call and the app (composed in discovery). Bodies are validated from the signature:
a parameter typed with a model class is the schema. Header versioning (`X-API-Version` header
parameters) counts as a version scheme.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from .base import FrameworkAdapter

if TYPE_CHECKING:
    from ..discover import Index, RouteView

NOT_MODELS = frozenset({"Request", "Response", "Session", "AsyncSession", "BackgroundTasks", "WebSocket", "HTTPConnection", "UploadFile", "SecurityScopes"})
SCALAR_TYPES = frozenset({"UUID", "Decimal", "Literal", "Optional", "List", "Union", "EmailStr", "AnyUrl", "HttpUrl", "StrictInt", "StrictStr", "PositiveInt", "NonNegativeInt"})
CREDENTIAL_PARAM = re.compile(r"(authorization|api_?key|token|session|x_api_key|x_auth)", re.I)
VERSION_HEADER = re.compile(r"^(x_)?(api_)?(version|api_version|accept_version)$", re.I)


class FastAPIAdapter(FrameworkAdapter):
    frameworks: ClassVar[tuple[str, ...]] = ("fastapi", "starlette")

    def validators(self, view: "RouteView") -> list[str]:
        out = super().validators(view)
        for param in view.params:
            ann = param.ann.rsplit(".", 1)[-1]
            if ann[:1].isupper() and ann not in NOT_MODELS and not param.dep:
                out.append(f"{param.name}: {ann}")
        return out

    def query_params(self, view: "RouteView") -> list[str]:
        """Scalar signature parameters that are not path parameters, dependencies, bodies,
        headers or cookies are query parameters (FastAPI binds them from the query string)."""
        out = set(super().query_params(view))
        path_params = set(re.findall(r"\{([^}:]+)", view.route.path))
        for param in view.params:
            name = param.name
            ann = param.ann.rsplit(".", 1)[-1]
            default = param.default
            if not name or name in path_params or name in ("self", "cls") or param.dep:
                continue
            if default in ("Header", "Cookie", "Body", "Path", "Form", "File", "Depends", "Security"):
                continue
            if ann in NOT_MODELS or (ann[:1].isupper() and ann not in SCALAR_TYPES and default != "Query"):
                continue  # a model (the body), the request, a session ...
            out.add(name)
        return sorted(out)

    def header_versioned(self, view: "RouteView") -> bool:
        for param in view.params:
            if param.default == "Header" and VERSION_HEADER.match(param.name):
                return True
        return False

    def caller_data(self, view: "RouteView", index: "Index") -> list[str]:
        """Also cookies and credential headers bound from the signature (`session: str = Cookie()`,
        `authorization: str = Header()`) and `Security(...)` parameters."""
        out = super().caller_data(view, index)
        for param in view.params:
            default = param.default
            name = param.name
            if default in ("Cookie", "Security") or (default == "Header" and CREDENTIAL_PARAM.search(name)):
                out.append(f"parameter {name}")
        return out

    def sensitive_output(self, view: "RouteView", index: "Index") -> list[str]:
        """Also the fields of the response model (`response_model=UserOut`, or the return
        annotation) when the project declares it: `email`, `hashed_password`, `api_key` ..."""
        from ...checks.python import route_facts

        out = super().sensitive_output(view, index)
        names = [view.facts.returns_ann if view.facts is not None else ""]
        for dec in view.decorators:
            model = dec.kw.get("response_model")
            if isinstance(model, dict) and (model.get("item") or model.get("ref")):
                names.append(str(model.get("item") or model["ref"]))
        for name in names:
            model_name = re.sub(r"^(list|List|Sequence|Optional)\[(.*)\]$", r"\2", name).rsplit(".", 1)[-1]
            if not model_name:
                continue
            for data in index.mods.values():
                info = data.get("models", {}).get(model_name)
                if info:
                    out += [f"{model_name}.{f}" for f in info.get("fields", []) if route_facts.sensitive_field(f)]
                    break
        return out
