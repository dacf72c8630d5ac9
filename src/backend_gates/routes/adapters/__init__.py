"""One adapter per web framework: what counts as a route, a guard, a limiter, a schema, an audit
trail and a service layer there.

Route discovery (`routes/discover.py`) composes the framework-neutral facts; each adapter module
in this package adds what only its framework knows, and the route rules ask the adapter of a
route (`view.adapter`) instead of testing `route.framework`. Adding a framework is one new module
here (a `FrameworkAdapter` subclass registers itself) plus its fixtures.
"""

from __future__ import annotations

from .base import ADAPTERS, FrameworkAdapter, adapter_for, load_adapters

__all__ = ["ADAPTERS", "FrameworkAdapter", "adapter_for", "load_adapters"]
