"""aiohttp.

Guards: middlewares passed to `web.Application(middlewares=[...])` or appended to
`app.middlewares` whose names say they authenticate (composed in discovery). Bodies are read with
`await request.json()` / `request.post()`; query strings through `request.query` and
`request.rel_url.query`; aiohttp-pydantic / aiohttp-apispec decorators validate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .base import FrameworkAdapter

if TYPE_CHECKING:
    from ..discover import RouteView


class AiohttpAdapter(FrameworkAdapter):
    frameworks: ClassVar[tuple[str, ...]] = ("aiohttp",)

    def validators(self, view: "RouteView") -> list[str]:
        out = super().validators(view)
        for dec in (view.handler_facts or {}).get("decorators", []):
            if dec["name"].rsplit(".", 1)[-1] in ("request_schema", "json_schema", "docs", "querystring_schema", "match_info_schema"):
                out.append(dec["name"])
        return out
