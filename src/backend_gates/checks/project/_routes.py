"""Base for the route gates: project checks over the route table (routes/discover.py).

Not a check module itself (the leading underscore keeps `load_all` from importing it as one).
"""

from __future__ import annotations

from typing import Any, ClassVar, Iterable

from ...model import Finding, Location
from ..base import ProjectCheck


class RouteCheck(ProjectCheck):
    abstract = True
    facts_needed: ClassVar[tuple[str, ...]] = ("route-facts",)
    per_handler: ClassVar[bool] = False  # one finding per handler (not per method) when True

    def views(self, project: Any) -> list[Any]:
        from ...routes.discover import analyze

        return analyze(project)

    def index(self, project: Any) -> Any:
        from ...routes.discover import index_of

        return index_of(project)

    def not_evaluated(self, project: Any) -> str | None:
        if not self.views(project):
            return "no HTTP routes found"
        return None

    def run(self, project: Any) -> list[Finding]:
        out: list[Finding] = []
        seen: set[tuple[str, int, str]] = set()
        methods_of: dict[tuple[str, str], set[str]] = {}
        for view in self.views(project):
            methods_of.setdefault((view.route.handler, view.route.path), set()).add(view.route.method)
        for view in self.views(project):
            for line, fmt in self.judge(view, project):
                key = (view.route.file, line, view.route.handler if self.per_handler else view.route.label)
                if key in seen:
                    continue
                seen.add(key)
                label = view.route.label
                if self.per_handler:
                    methods = sorted(methods_of[(view.route.handler, view.route.path)])
                    label = f"{'|'.join(methods)} {view.route.path}"
                out.append(
                    self.make_finding(
                        Location(view.route.file, line or view.route.line, 1),
                        extra={"route": label, "handler": view.route.handler},
                        route=label,
                        **fmt,
                    )
                )
        out.extend(self.project_findings(project))
        return out

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        return ()

    def project_findings(self, project: Any) -> list[Finding]:
        return []

    def imports(self, project: Any, view: Any) -> dict[str, Any]:
        """The handler module's imports (local name -> [module, attr])."""
        return self.index(project).mods.get(view.module, {}).get("imports", {})

    @staticmethod
    def handler_line(view: Any) -> int:
        return int(view.handler_line or view.route.line)
