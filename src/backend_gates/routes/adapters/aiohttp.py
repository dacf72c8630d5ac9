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
    from ..discover import Index, RouteView

# aiohttp-session / aiohttp-security: the caller's session and identity
IDENTITY_CALLS = frozenset({"get_session", "new_session", "authorized_userid", "check_authorized", "check_permission", "permits", "is_anonymous"})


class AiohttpAdapter(FrameworkAdapter):
    frameworks: ClassVar[tuple[str, ...]] = ("aiohttp",)

    def validators(self, view: "RouteView") -> list[str]:
        out = super().validators(view)
        for dec in view.decorators:
            if dec.short in ("request_schema", "json_schema", "docs", "querystring_schema", "match_info_schema"):
                out.append(dec.name)
        return out

    def caller_data(self, view: "RouteView", index: "Index") -> list[str]:
        """Also aiohttp-session/aiohttp-security calls (`await get_session(request)`,
        `await authorized_userid(request)`); `request["user"]` set by a middleware is a read."""
        out = super().caller_data(view, index)
        out += [c for c in view.body.calls if c.rsplit(".", 1)[-1] in IDENTITY_CALLS]
        return out
