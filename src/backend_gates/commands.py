"""Subcommands of `backend-gates`: one registry, and what every command shares.

A command is registered once, by the module that implements it:

    register(Command("routes", "list every HTTP route ...", configure, run))

`cli.py` registers the built-in commands (check, rules, explain, config, docs); feature modules
(the language server, merge, routes, ...) register theirs when imported. `cli` imports feature
modules by name from `FEATURES` only when a feature command is asked for, so neither imports the
other: both import this module.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


REGISTRY: dict[str, Command] = {}

# modules that register a command when imported (optional dependencies may be missing)
FEATURES: tuple[str, ...] = (
    "backend_gates.lsp",
    "backend_gates.report_cmd",
    "backend_gates.routes.command",
    "backend_gates.openapi.cli",
    "backend_gates.sql.inventory",
    "backend_gates.migrations.cli",
    "backend_gates.merge_cmd",
    "backend_gates.protocol.registry",  # team protocol (docs/protocol.md)
    "backend_gates.protocol.changes",
)


def register(command: Command) -> Command:
    other = REGISTRY.get(command.name)
    if other is not None and other.run is not command.run:
        raise RuntimeError(f"two commands named {command.name!r}")
    REGISTRY[command.name] = command
    return command


def load_features() -> None:
    """Import the feature modules so they register their commands."""
    for module in FEATURES:
        try:
            importlib.import_module(module)
        except ImportError as exc:  # an optional dependency missing must not break `check`
            sys.stderr.write(f"backend-gates: {module} unavailable: {exc}\n")


def add_config_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="read settings from FILE instead of pyproject.toml")
    p.add_argument("--select", metavar="RULES", help="comma-separated rule codes/names, gate ids or checklists to enable")
    p.add_argument("--extend-select", metavar="RULES", help="enable these on top of the configured selection")
    p.add_argument("--ignore", metavar="RULES", help="comma-separated rule codes/names, gate ids or checklists to disable")
    p.add_argument("--fail-on", choices=("info", "warning", "error"), help="lowest severity that fails (default: warning)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    p.add_argument("--jobs", "-j", type=int, metavar="N", help="worker processes (default: CPU count)")
    p.add_argument("--no-respect-gitignore", action="store_true", help="check files .gitignore ignores too")
    p.add_argument("--no-skip-vendored", action="store_true", help="check vendored third-party directories too")
    p.add_argument("--force-exclude", action="store_true", help="apply exclude and skip-vendored to named paths too (pre-commit)")


FIX_PREVIEW = "\0fix-preview"  # `check --diff` without a REF: preview of --fix


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr, key in (("select", "select"), ("extend_select", "extend-select"), ("ignore", "ignore")):
        value = getattr(args, attr, None)
        if value is not None:
            out[key] = value
    if getattr(args, "fail_on", None):
        out["fail-on"] = args.fail_on
    if getattr(args, "no_cache", False):
        out["cache"] = False
    if getattr(args, "jobs", None) is not None:
        if args.jobs < 0:
            raise UsageError("--jobs must be 0 or more")
        out["jobs"] = args.jobs
    if getattr(args, "no_respect_gitignore", False):
        out["respect-gitignore"] = False
    if getattr(args, "no_skip_vendored", False):
        out["skip-vendored"] = False
    if getattr(args, "force_exclude", False):
        out["force-exclude"] = True
    if getattr(args, "format", None):
        out["format"] = args.format
    if getattr(args, "baseline", None) is not None:
        out["baseline"] = args.baseline
    if getattr(args, "diff", None) is not None and args.diff != FIX_PREVIEW:
        out["diff"] = args.diff
    if getattr(args, "new_code", None) is not None:
        out["new-code"] = args.new_code
    if getattr(args, "write_baseline", None):
        out["baseline"] = ""  # record every current finding, not only the new ones
        out["diff"] = ""
    if getattr(args, "spec_base", None):
        out["openapi.spec-base"] = args.spec_base
    if getattr(args, "semgrep", False):
        out["semgrep.enabled"] = True
    return out


def load(args: argparse.Namespace, start: Path | None = None) -> Any:
    from .config import load_config

    config_file = Path(args.config) if getattr(args, "config", None) else None
    if start is None and config_file is None:
        start = _start_of(getattr(args, "paths", None) or [])
    return load_config(start, config_file=config_file, overrides=overrides_from(args))


def _start_of(paths: list[str]) -> Path | None:
    """Where to look for the configuration: the deepest directory holding every given path, so
    `backend-gates check services/api` from a monorepo's root uses services/api/pyproject.toml
    (as ruff and black do). None (the working directory) when no path, or one does not exist."""
    dirs = []
    for raw in paths:
        if raw == "-":
            continue
        path = Path(raw).resolve()
        if not path.exists():
            return None
        dirs.append(path if path.is_dir() else path.parent)
    if not dirs:
        return None
    from .config import find_project_root

    common = Path(os.path.commonpath([str(d) for d in dirs]))
    root, file = find_project_root(common)
    if file is not None:
        return common
    # no configuration there: the working directory's project decides when the paths are part of
    # it; paths in another tree (`check ../other-project`) are that project's, with the defaults,
    # never the working directory's settings (its `ignore`, dialect hints, paths)
    cwd = Path.cwd().resolve()
    cwd_root, _file = find_project_root(cwd)
    inside = common == cwd_root or cwd_root in common.parents
    return None if inside else common
