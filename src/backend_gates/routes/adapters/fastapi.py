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
    from ..discover import RouteView

NOT_MODELS = frozenset({"Request", "Response", "Session", "AsyncSession", "BackgroundTasks", "WebSocket", "HTTPConnection", "UploadFile", "SecurityScopes"})
SCALAR_TYPES = frozenset({"UUID", "Decimal", "Literal", "Optional", "List", "Union", "EmailStr", "AnyUrl", "HttpUrl", "StrictInt", "StrictStr", "PositiveInt", "NonNegativeInt"})
VERSION_HEADER = re.compile(r"^(x_)?(api_)?(version|api_version|accept_version)$", re.I)


class FastAPIAdapter(FrameworkAdapter):
    frameworks: ClassVar[tuple[str, ...]] = ("fastapi", "starlette")

    def validators(self, view: "RouteView") -> list[str]:
        out = super().validators(view)
        for param in (view.handler_facts or {}).get("params", []):
            ann = (param.get("ann") or "").rsplit(".", 1)[-1]
            if ann[:1].isupper() and ann not in NOT_MODELS and not param.get("dep"):
                out.append(f"{param['name']}: {ann}")
        return out

    def query_params(self, view: "RouteView") -> list[str]:
        """Scalar signature parameters that are not path parameters, dependencies, bodies,
        headers or cookies are query parameters (FastAPI binds them from the query string)."""
        out = set(super().query_params(view))
        path_params = set(re.findall(r"\{([^}:]+)", view.route.path))
        for param in (view.handler_facts or {}).get("params", []):
            name = str(param.get("name", ""))
            ann = (param.get("ann") or "").rsplit(".", 1)[-1]
            default = param.get("default") or ""
            if not name or name in path_params or name in ("self", "cls") or param.get("dep"):
                continue
            if default in ("Header", "Cookie", "Body", "Path", "Form", "File", "Depends", "Security"):
                continue
            if ann in NOT_MODELS or (ann[:1].isupper() and ann not in SCALAR_TYPES and default != "Query"):
                continue  # a model (the body), the request, a session ...
            out.add(name)
        return sorted(out)

    def header_versioned(self, view: "RouteView") -> bool:
        for param in (view.handler_facts or {}).get("params", []):
            if param.get("default") == "Header" and VERSION_HEADER.match(param["name"]):
                return True
        return False
