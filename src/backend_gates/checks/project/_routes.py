"""Base for the route rules: project checks over typed route views (routes/discover.py).

A route rule implements `judge(view, project)` and yields `Verdict`s; the base turns them into
findings, one per route (or per handler with `per_handler`), and reports a finding anchored on a
handler shared by several routes (a project base class, a dispatcher) once, with the number of
routes it covers. Framework-specific questions go to `view.adapter` (routes/adapters/).

Not a check module itself (the leading underscore keeps `load_all` from importing it as one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from ...model import Finding, Location, Severity
from ..base import ProjectCheck

if TYPE_CHECKING:
    from ...routes.discover import Index, RouteView


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a route rule says about one route: where, the message placeholders, and optionally a
    lower/higher severity or a different message for this finding."""

    line: int
    fmt: dict[str, Any] = field(default_factory=dict)
    severity: Severity | None = None
    message: str | None = None


class RouteCheck(ProjectCheck):
    abstract = True
    per_handler: ClassVar[bool] = False  # one finding per handler (not per method) when True

    def views(self, project: Any) -> list["RouteView"]:
        from ...routes.discover import analyze

        return analyze(project)

    def index(self, project: Any) -> "Index":
        from ...routes.discover import index_of

        return index_of(project)

    def not_evaluated(self, project: Any) -> str | None:
        if not self.views(project):
            return "no HTTP routes found"
        return None

    def run(self, project: Any) -> list[Finding]:
        groups: dict[tuple[str, int], list[tuple["RouteView", Verdict, str]]] = {}
        seen: set[tuple[str, int, str]] = set()
        methods_of: dict[tuple[str, str], set[str]] = {}
        views = self.views(project)
        for view in views:
            methods_of.setdefault((view.route.handler, view.route.path), set()).add(view.route.method)
        for view in views:
            for verdict in self.judge(view, project):
                if not isinstance(verdict, Verdict):
                    line, fmt = verdict
                    verdict = Verdict(line, fmt)
                line = verdict.line or view.route.line
                label = view.route.label
                if self.per_handler:
                    methods = sorted(methods_of[(view.route.handler, view.route.path)])
                    label = f"{'|'.join(methods)} {view.route.path}"
                key = (view.route.file, line, f"{view.route.handler} {view.route.path}" if self.per_handler else label)
                if key in seen:
                    continue
                seen.add(key)
                groups.setdefault((view.route.file, line), []).append((view, verdict, label))
        out: list[Finding] = []
        for (file, line), items in groups.items():
            view, verdict, label = items[0]
            labels = list(dict.fromkeys(lbl for _v, _vd, lbl in items))
            extra: dict[str, Any] = {"route": label, "handler": view.route.handler}
            route_text = label
            paths = list(dict.fromkeys(lbl.split(" ", 1)[1] for lbl in labels))
            if len(labels) > 1 and len(paths) == 1:  # one path, several methods
                methods = sorted({m for lbl in labels for m in lbl.split(" ", 1)[0].split("|")})
                route_text = f"{'|'.join(methods)} {paths[0]}"
            elif len(labels) > 1:  # one handler (a shared base class, a dispatcher) behind many routes
                route_text = f"{label} (and {len(labels) - 1} more route(s) served by {view.route.handler.rsplit('.', 1)[-1] or 'this handler'})"
                extra["routes"] = len(labels)
                extra["route_list"] = labels[:50]
            message = verdict.message.format(route=route_text, **verdict.fmt) if verdict.message else None
            out.append(
                self.make_finding(
                    Location(file, line, 1),
                    extra=extra,
                    severity=verdict.severity,
                    message=message,
                    route=route_text,
                    **verdict.fmt,
                )
            )
        out.extend(self.project_findings(project))
        return out

    def judge(self, view: "RouteView", project: Any) -> Iterable[Verdict | tuple[int, dict[str, Any]]]:
        return ()

    def project_findings(self, project: Any) -> list[Finding]:
        return []

    def imports(self, project: Any, view: "RouteView") -> dict[str, Any]:
        """The handler module's imports (local name -> [module, attr])."""
        imports: dict[str, Any] = self.index(project).mods.get(view.module, {}).get("imports", {})
        return imports

    @staticmethod
    def handler_line(view: "RouteView") -> int:
        return int(view.handler_line or view.route.line)
