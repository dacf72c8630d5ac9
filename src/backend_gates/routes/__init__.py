"""The route table: every HTTP route a project declares, found statically (no import of user code).

Shared interface between route discovery (checks that fill facts of kind "routes" and compose
prefixes) and everything that consumes routes (route gates, OpenAPI drift, the runtime plugin).
"""

from __future__ import annotations

from typing import Any

from .model import METHODS, Route, normalize_path, shape

__all__ = ["METHODS", "Route", "normalize_path", "route_table", "shape"]


def route_table(project: Any) -> list[Route]:
    """Every route of the project, prefixes composed. Implemented by route discovery."""
    from .discover import build_table  # provided by the route-discovery feature

    return build_table(project)
