"""The route model shared by discovery, the adapters and every consumer of routes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


@dataclass(frozen=True, slots=True)
class Route:
    method: str  # upper case, one per route object
    path: str  # normalised template: "/users/{id}" (see normalize_path)
    handler: str  # qualified name, e.g. "app.routes.users.get_user"
    file: str  # project-relative path
    line: int  # handler (or decorator) line
    framework: str  # fastapi | starlette | flask | django | drf | aiohttp
    guards: tuple[str, ...] = ()  # names of what authenticates/authorises/limits it
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "handler": self.handler,
            "file": self.file,
            "line": self.line,
            "framework": self.framework,
            "guards": list(self.guards),
            **({"extra": self.extra} if self.extra else {}),
        }

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


_FLASK = re.compile(r"<(?:[a-zA-Z_][\w]*(?:\([^)]*\))?:)?([a-zA-Z_]\w*)>")
_REGEX_GROUP = re.compile(r"\(\?P<([a-zA-Z_]\w*)>[^)]*\)")
_COLON = re.compile(r"(?<=/):([a-zA-Z_]\w*)")
_BRACE_TYPED = re.compile(r"\{([a-zA-Z_]\w*)(?::[^}]*)?\}")


def normalize_path(path: str) -> str:
    """One form for path templates: `/users/{id}`.

    Accepts FastAPI/Starlette `{id}` and `{id:int}`, Flask/Werkzeug `<int:id>` and `<id>`, Django
    `<int:pk>` and regex groups `(?P<pk>[0-9]+)`, aiohttp `{id}` / `{id:\\d+}`, Express-style `:id`.
    Leading `^`/trailing `$` are dropped, duplicate slashes collapsed, a leading slash added.
    """
    p = path.strip()
    p = p.lstrip("^").rstrip("$")
    p = _REGEX_GROUP.sub(lambda m: "{" + m.group(1) + "}", p)
    p = _FLASK.sub(lambda m: "{" + m.group(1) + "}", p)
    p = _BRACE_TYPED.sub(lambda m: "{" + m.group(1) + "}", p)
    p = _COLON.sub(lambda m: "{" + m.group(1) + "}", p)
    p = re.sub(r"/{2,}", "/", "/" + p.lstrip("/"))
    return p


def shape(path: str) -> str:
    """The path with parameter names erased (`/users/{}`), for comparing across naming styles."""
    return re.sub(r"\{[^}]*\}", "{}", normalize_path(path))
