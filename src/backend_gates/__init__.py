"""backend-gates: API, database and security checklists as checks that fail the build."""

from __future__ import annotations

__version__ = "0.1.0"

from .model import Finding, GateResult, GateStatus, Location, Report, RuleInfo, Severity  # noqa: E402

__all__ = [
    "__version__",
    "Finding",
    "GateResult",
    "GateStatus",
    "Location",
    "Report",
    "RuleInfo",
    "Severity",
    "check_paths",
]


def check_paths(paths: list[str], **overrides: object) -> Report:
    """Run the static checks on `paths` with the configuration found from the current directory."""
    from .config import load_config
    from .engine import check

    config = load_config(overrides={k.replace("_", "-"): v for k, v in overrides.items()})
    return check(paths, config)
