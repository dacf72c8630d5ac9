"""Project-level OpenAPI helpers shared by drift, breaking-change checks and the runtime plugin.

Specs come from the `openapi` facts of the spec files (never reloaded), or, when `openapi.app`
names a FastAPI app and no spec file exists, from the app's generated spec: that imports user
code (in a subprocess) and is announced with a finding saying so.
Import-light: no libcst/sqlglot; YAML only inside functions.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FACT = "openapi"
APP_SPEC_FILE = "app-openapi.json"

_DUMP = r"""
import importlib, json, sys
module_name, _, attr = sys.argv[1].partition(":")
sys.path[:0] = [p for p in sys.argv[3:]]
module = importlib.import_module(module_name)
app = module
for part in (attr or "app").split("."):
    app = getattr(app, part)
if callable(app) and not hasattr(app, "openapi"):
    app = app()
with open(sys.argv[2], "w", encoding="utf-8") as handle:
    json.dump(app.openapi(), handle, indent=1)
"""


def spec_facts(project: Any) -> list[tuple[str, dict[str, Any]]]:
    """(spec path, summary) for every spec of the project: files first, else the app's spec."""
    found = [(p, d) for p, d in project.facts(FACT) if isinstance(d, dict)]
    if found:
        return found
    app = app_spec(project)
    return [(app["summary"]["spec"], app["summary"])] if app and app.get("summary") else []


def operations(project: Any) -> list[dict[str, Any]]:
    """Every documented operation: {method, path (normalised), template, operation_id, security,
    responses, params, line, spec}. For the runtime plugin (spec coverage, conformance)."""
    out = []
    for path, summary in spec_facts(project):
        for op in summary.get("operations", ()):
            out.append({**op, "spec": summary.get("spec", path)})
    return out


def app_spec(project: Any) -> dict[str, Any] | None:
    """Generate, load and lint the spec of `openapi.app` once per run (None when not configured
    or when spec files exist). Returns {"summary", "findings", "errors", "file", "target"}."""
    cache = project.__dict__.setdefault("_openapi_app_spec", {})
    if "value" in cache:
        found: dict[str, Any] | None = cache["value"]
        return found
    target = str(project.config["openapi.app"] or "").strip()
    value: dict[str, Any] | None = None
    if target and not project.facts(FACT):
        value = _generate(project, target)
    cache["value"] = value
    return value


def _generate(project: Any, target: str) -> dict[str, Any]:
    root = Path(project.root)
    out_dir = root / str(project.config["cache-dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    out_file = out_dir / APP_SPEC_FILE
    rel = out_file.relative_to(root).as_posix() if out_file.is_relative_to(root) else out_file.as_posix()
    paths = [str(root), str(root / "src")]
    value: dict[str, Any] = {"summary": None, "findings": [], "errors": [], "file": rel, "target": target}
    log.warning("openapi.app is set: importing user code (%s) to generate its OpenAPI spec", target)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _DUMP, target, str(out_file), *paths],
            cwd=root, capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        value["errors"].append(f"cannot generate the spec of {target}: {exc}")
        return value
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        value["errors"].append(f"importing {target} to generate its OpenAPI spec failed: {tail[:300]}")
        return value
    from ..config import Config
    from ..selection import selected
    from ..sources.openapi import analyze

    config: Config = project.config
    checks = selected(config, ("openapi",))
    text = out_file.read_text(encoding="utf-8")
    result = analyze(rel, str(out_file), text, checks, config)
    value["findings"] = result.findings
    value["errors"] = [e.message for e in result.errors]
    facts = result.facts.get(FACT) or []
    value["summary"] = facts[0] if facts else None
    return value


def git_show(root: Path, ref: str, path: str) -> tuple[str | None, str]:
    """(text of `path` at git `ref`, '' ) or (None, why not). `path` is project-relative."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "show", f"{ref}:./{path}"], capture_output=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"cannot run git: {exc}"
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return None, (err[-1] if err else f"git show {ref}:{path} failed")
    return proc.stdout.decode("utf-8", "replace"), ""


def summary_of_text(path: str, abs_path: str, text: str, allow_remote: bool = False) -> dict[str, Any]:
    """Load a spec from text (e.g. an old version) and summarise it. Raises SpecParseError."""
    from .model import summarize
    from .spec import load_spec

    return summarize(load_spec(path, abs_path, text, allow_remote))


def dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True)
