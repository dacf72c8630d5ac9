"""Connexion and other spec-driven routers: the OpenAPI document is the route table.

`app.add_api("openapi.yaml", base_path=..., resolver=...)` on a `connexion.FlaskApp`/`AsyncApp`/
`App` registers one route per operation: the path is the spec's base path (the `base_path`
argument, else the first server URL's path or swagger `basePath`) plus the template; the handler is
`operationId`, prefixed by `x-openapi-router-controller` when present; `RestyResolver("pkg")`
derives it from the path (`GET /pets` -> `pkg.pets.search`, `GET /pets/{id}` -> `pkg.pets.get`).
Guards are the operation's security requirements; request bodies are validated against the spec.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any, ClassVar

from .base import FrameworkAdapter

if TYPE_CHECKING:
    from ..discover import Index, RouteView

APP_CTORS = frozenset({"FlaskApp", "AsyncApp", "App"})


class ConnexionAdapter(FrameworkAdapter):
    frameworks: ClassVar[tuple[str, ...]] = ("connexion",)
    typed_bodies = True

    def discover(self, index: "Index") -> None:
        for mod, data in list(index.mods.items()):
            if "connexion" not in data.get("frameworks", []):
                continue
            for call in data.get("calls", ()):
                if call["attr"] != "add_api" or not call.get("args"):
                    continue
                key = index.obj_key(mod, call["recv"])
                obj = index.objects.get(key) if key else None
                if obj is None or obj.get("ctor") not in APP_CTORS:
                    continue
                name, _ok = index.text(mod, call["args"][0])
                spec_dir, _ok = index.text(mod, obj.get("specification_dir"))
                here = posixpath.dirname(index.files.get(mod, ""))
                spec_path = posixpath.normpath(posixpath.join(here, spec_dir or "", name))
                summary = index.specs.get(spec_path)
                if summary is None:
                    index.unresolved.append(f"{index.files.get(mod, mod)}:{call['line']}: add_api({name}): spec not found")
                    continue
                kwargs = call.get("kwargs", {})
                base = index.text(mod, kwargs["base_path"])[0] if kwargs.get("base_path") else (summary.get("prefixes") or [""])[0]
                resolver = kwargs.get("resolver") or {}
                resty = resolver.get("call", "").rsplit(".", 1)[-1] == "RestyResolver"
                resty_pkg = index.text(mod, (resolver.get("args") or [None])[0])[0] if resty else ""
                for op in summary.get("operations", ()):
                    self._route(index, mod, spec_path, base, op, resty_pkg if resty else None)

    def _route(self, index: "Index", app_mod: str, spec_path: str, base: str, op: dict[str, Any], resty: str | None) -> None:
        target = op.get("operation_id") or ""
        if op.get("controller") and target:
            target = f"{op['controller']}.{target}"
        if not target and resty is not None:
            target = _resty_target(resty, op["template"], op["method"])
        guards = [f"openapi-security:{name}" for name in op.get("security") or []]
        found = _find_function(index, app_mod, target) if target else None
        if found is not None:
            mod, qual, facts = found
            index.add(mod, qual, facts, op["method"], base + op["path"], "connexion", guards, (facts or {}).get("line", 0) or op.get("line", 0), True)
        else:
            index.add_external(target or f"{op['method']} {op['path']}", spec_path, op.get("line", 0), op["method"], base + op["path"], "connexion", guards)

    def validators(self, view: "RouteView") -> list[str]:
        return ["the OpenAPI spec"]  # connexion validates parameters and bodies against the spec


def _resty_target(package: str, template: str, method: str) -> str:
    parts = [p for p in template.strip("/").split("/") if p]
    names = [p for p in parts if not p.startswith("{")]
    collection = not parts or not parts[-1].startswith("{")
    action = {"GET": "search" if collection else "get", "POST": "post", "PUT": "put", "PATCH": "patch", "DELETE": "delete"}.get(method, method.lower())
    return ".".join([package, *[n.replace("-", "_") for n in names], action])


def _find_function(index: "Index", app_mod: str, target: str) -> tuple[str, str, dict[str, Any] | None] | None:
    """(module, function, its facts) for a dotted `pkg.module.function` target, nearest the app first."""
    if "." not in target:
        return None
    module, _, func = target.rpartition(".")
    app_pkg = app_mod.rsplit(".", 1)[0] if "." in app_mod else ""
    candidates = [f"{app_pkg}.{module}" if app_pkg else module, module]
    for name in candidates:
        found = index.find_module(name, near=app_mod)
        if found is not None:
            data = index.mods.get(found, {})
            facts = data.get("handlers", {}).get(func)
            if facts is not None or func in data.get("functions", {}):
                return found, func, facts
    return None
