"""`backend-gates registry [PATHS] --out DIR`: the API registry and the data-model registry.

`DIR/endpoints.json`: every route of the route table (method, path, handler and its file:line,
framework, guards, public, documented in the spec); with `--report FILE` (a report written by
`pytest --backend-gates`) also the tests that called each endpoint and its p95 latency.
`DIR/models.json`: every table of the static schema model (ORM models, `Table(...)`, DDL,
migrations): columns with types and nullability, primary key, foreign keys, indexes, and each
definition's source file:line.

Both documents are deterministic (no timestamps) so they can be committed and diffed; their JSON
Schemas ship in `backend_gates/schemas/` (endpoints-1.0, models-1.0).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .. import commands
from ..version import __version__

HELP = "write the API registry (endpoints.json) and the data-model registry (models.json)"
SCHEMA_VERSION = "1.0"
SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
ENDPOINTS_SCHEMA = SCHEMAS / f"endpoints-{SCHEMA_VERSION}.schema.json"
MODELS_SCHEMA = SCHEMAS / f"models-{SCHEMA_VERSION}.schema.json"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", help="files or directories (default: `paths` from config, else .)")
    p.add_argument("--out", metavar="DIR", default=".backend-gates/registry", help="where to write endpoints.json and models.json (default: .backend-gates/registry)")
    p.add_argument("--report", metavar="FILE", help="a report of `pytest --backend-gates`: add each endpoint's tests and p95")
    commands.add_config_options(p)


def _header(kind: str, root: Path) -> dict[str, Any]:
    return {
        "registry": kind,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "backend-gates", "version": __version__},
        "project": root.name,
    }


def endpoints(report: Any, project: Any, runtime: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    from ..routes import shape
    from ..routes.command import rows

    entries, _general, _unresolved = rows(report, project)
    documented = _documented(project)
    measured: dict[tuple[str, str], dict[str, Any]] = {}
    for item in runtime or []:
        measured[(str(item.get("method", "")).upper(), shape(str(item.get("path", ""))))] = item
    out = []
    for e in entries:
        key = (e["method"], shape(e["path"]))
        entry: dict[str, Any] = {
            "method": e["method"],
            "path": e["path"],
            "handler": {"name": e["handler"], "file": e["file"], "line": e["line"]},
            "framework": e["framework"],
            "guards": list(e["guards"]),
            "public": bool(e.get("public")),
            "documented": documented.get(key),
        }
        if runtime is not None:
            seen = measured.get(key) or _prefixed(key, measured, project)
            entry["tests"] = int(seen.get("tests") or 0) if seen else 0
            entry["p95_ms"] = seen.get("p95_ms") if seen else None
        out.append(entry)
    return {**_header("endpoints", Path(report.root)), "endpoints": out}


def _documented(project: Any) -> dict[tuple[str, str], str]:
    """(METHOD, shape) -> 'spec#/paths/...' for every documented operation (prefixes applied)."""
    from ..openapi.project import spec_facts
    from ..routes import shape

    out: dict[tuple[str, str], str] = {}
    for spec_path, summary in spec_facts(project):
        prefixes = [p for p in summary.get("prefixes", [""]) if isinstance(p, str)]
        for op in summary.get("operations", []):
            template = str(op.get("template") or op.get("path"))
            pointer = f"{summary.get('spec', spec_path)}#/paths/{template.replace('~', '~0').replace('/', '~1')}/{str(op.get('method', '')).lower()}"
            for prefix in dict.fromkeys(["", *prefixes]):
                out.setdefault((str(op.get("method", "")).upper(), shape(prefix + str(op.get("path", "")))), pointer)
    return out


def _prefixed(key: tuple[str, str], measured: dict[tuple[str, str], dict[str, Any]], project: Any) -> dict[str, Any] | None:
    from ..openapi.project import spec_facts
    from ..routes import shape

    method, route_shape = key
    for _path, summary in spec_facts(project):
        for prefix in summary.get("prefixes", []):
            if isinstance(prefix, str) and prefix and route_shape.startswith(prefix + "/"):
                hit = measured.get((method, shape(route_shape[len(prefix):])))
                if hit is not None:
                    return hit
    return None


def models(project: Any) -> dict[str, Any]:
    from ..sql.schema import build

    schema = build(project)
    out = []
    for name in sorted(schema.merged):
        merged = schema.merged[name]
        defs = sorted(schema.tables(name), key=lambda t: (t.path, t.line))
        columns = []
        for col in merged.columns.values():
            columns.append({
                "name": col.name,
                "type": col.type or None,
                "nullable": bool(col.nullable) and not col.pk,
                "primary_key": bool(col.pk) or col.name in merged.pk,
                "unique": bool(col.unique),
                "references": col.fk or None,
            })
        foreign_keys = []
        seen_fk: set[tuple[tuple[str, ...], str]] = set()
        for cols, target in merged.fks:
            key = (tuple(cols), target)
            if key not in seen_fk:
                seen_fk.add(key)
                foreign_keys.append({"columns": list(cols), "references": target})
        indexes = []
        seen_ix: set[tuple[tuple[str, ...], bool, str]] = set()
        for ix in merged.index_sets():
            key_ix = (tuple(ix.columns), ix.unique, ix.name)
            if key_ix in seen_ix or not ix.columns:
                continue
            seen_ix.add(key_ix)
            indexes.append({"name": ix.name or None, "columns": list(ix.columns), "unique": bool(ix.unique), "partial": bool(ix.partial)})
        out.append({
            "table": name,
            "models": sorted({t.model for t in defs if t.model}),
            "columns": columns,
            "primary_key": list(merged.pk),
            "foreign_keys": foreign_keys,
            "indexes": indexes,
            "sources": [{"kind": t.source, "file": t.path, "line": max(1, int(t.line or 1))} for t in defs],
        })
    return {**_header("models", Path(project.root)), "models": out}


def _runtime_endpoints(path: Path) -> list[dict[str, Any]]:
    from ..errors import UsageError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--report {path}: cannot read the report: {exc}") from None
    if not isinstance(data, dict) or data.get("event") != "backend.gates.report":
        raise UsageError(f"--report {path}: not a backend-gates report")
    items = data.get("endpoints") or []
    return [e for e in items if isinstance(e, dict)]


def write(out: Path, documents: dict[str, dict[str, Any]]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in documents.items():
        target = out / f"{name}.json"
        target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written


def run(args: argparse.Namespace) -> int:
    from ..engine import Run

    config = commands.load(args)
    runtime = _runtime_endpoints(Path(args.report)) if args.report else None
    run_ = Run(config)
    report = run_.finish(run_.static(args.paths))
    documents = {"endpoints": endpoints(report, run_.project, runtime), "models": models(run_.project)}
    out = Path(args.out)
    if not out.is_absolute():
        out = Path.cwd() / out
    for target in write(out, documents):
        key = "endpoints" if target.name == "endpoints.json" else "models"
        sys.stdout.write(f"wrote {target} ({len(documents[key][key])} {key})\n")
    return commands.EXIT_OK


commands.register(commands.Command("registry", HELP, configure, run))
