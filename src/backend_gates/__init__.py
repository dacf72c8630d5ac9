"""backend-gates: API, database and security checklists as checks that fail the build."""

from __future__ import annotations

from .model import Finding, GateResult, GateStatus, Location, Report, RuleInfo, Severity
from .version import __version__

__all__ = [
    "__version__",
    "Finding",
    "GateResult",
    "GateStatus",
    "Location",
    "Report",
    "RuleInfo",
    "Severity",
    "allow_n_plus_one",
    "check_paths",
    "query_budget",
]


def check_paths(paths: list[str], **overrides: object) -> Report:
    """Run the static checks on `paths` with the configuration found from the current directory."""
    from .config import load_config
    from .engine import check

    config = load_config(overrides={k.replace("_", "-"): v for k, v in overrides.items()})
    return check(paths, config)


def allow_n_plus_one(reason: str) -> object:
    """Context manager: allow a known N+1 inside the block, with a reason (see runtime/sql.py)."""
    from .runtime.sql import allow_n_plus_one as _allow

    return _allow(reason)


def query_budget(max_queries: int) -> object:
    """Context manager: fail when the block runs more than `max_queries` SQL statements."""
    from .runtime.sql import query_budget as _budget

    return _budget(max_queries)
