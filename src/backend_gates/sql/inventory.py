"""`backend-gates sql [PATHS]`: every raw SQL statement found in the code (location, statement
kind, tables, whether parameterised, its findings), as text or JSON.

Statements come from `.sql` files, constant SQL handed to database APIs in Python (the sinks
of the SQL-injection rule; text with run-time parts is listed as dynamic) and Alembic
`op.execute`. Findings are those of the same run at the statement's line.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .. import commands


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", help="files or directories (default: `paths` from config)")
    p.add_argument("--format", "-f", choices=("text", "json"), default="text", help="output format")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    commands.add_config_options(p)


def inventory(report: Any, project: Any) -> list[dict[str, Any]]:
    by_line: dict[tuple[str, int], list[Any]] = {}
    for f in report.findings:
        by_line.setdefault((f.location.path, f.location.line), []).append(f)
    out = []
    for path, stmt in sorted(project.facts("sql_statement"), key=lambda ps: (ps[0], ps[1]["line"])):
        findings = [
            {"code": f.code, "name": f.name, "severity": f.severity.value, "message": f.message, "suppressed": f.suppressed}
            for f in by_line.get((path, stmt["line"]), [])
            if f.gate is None and f.code == "BG300" or (f.gate or "").startswith(("DB-", "SEC-SQLI"))
        ]
        out.append(
            {
                "path": path,
                "line": stmt["line"],
                "origin": stmt.get("where", ""),
                "kind": stmt.get("kind", ""),
                "tables": stmt.get("tables", []),
                "parameterised": bool(stmt.get("parameterised")),
                "dynamic": bool(stmt.get("dynamic")),
                "sink": stmt.get("sink", ""),
                "sql": stmt.get("sql", ""),
                "error": stmt.get("error", ""),
                "findings": findings,
            }
        )
    return out


def render_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no SQL statements found\n"
    lines = []
    for row in rows:
        flags = ["parameterised" if row["parameterised"] else "not parameterised"]
        if row["dynamic"]:
            flags.append("dynamic")
        tables = ", ".join(row["tables"]) or "-"
        lines.append(f"{row['path']}:{row['line']}: {row['kind']} [{tables}] ({', '.join(flags)}; {row['origin']})")
        lines.append(f"    {row['sql'][:160]}")
        if row["error"]:
            lines.append(f"    parse error: {row['error']}")
        for f in row["findings"]:
            lines.append(f"    {f['code']} {f['name']}: {f['message']}{' (suppressed)' if f['suppressed'] else ''}")
    kinds: dict[str, int] = {}
    for row in rows:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    summary = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    flagged = sum(1 for r in rows if r["findings"])
    lines.append(f"\n{len(rows)} statement(s): {summary}; {flagged} with findings")
    return "\n".join(lines) + "\n"


def _run(args: argparse.Namespace) -> int:
    from ..engine import Run

    config = commands.load(args)
    run = Run(config)
    report = run.finish(run.static(args.paths))
    rows = inventory(report, run.project)
    if args.format == "json":
        text = json.dumps({"statements": rows, "errors": [e.to_dict() for e in report.errors]}, indent=2) + "\n"
    else:
        text = render_text(rows)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return commands.EXIT_OK


commands.register(commands.Command("sql", "list every raw SQL statement in the code: kind, tables, parameters, findings", _configure, _run))
