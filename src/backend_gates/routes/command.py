"""`backend-gates routes [PATHS] [--format text|json]`: the route table with each route's findings."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from .. import commands

HELP = "list every HTTP route found statically (method, path, handler, guards) with its findings"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", help="files or directories (default: `paths` from config, else .)")
    p.add_argument("--format", "-f", choices=("text", "json"), help="output format (default: text)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the output to FILE instead of stdout")
    commands.add_config_options(p)


def rows(report: Any, project: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """(one dict per route with its findings, project-level route findings, unresolved includes)."""
    from .discover import analyze, index_of
    from .judge import is_public

    views = analyze(project)
    by_route: dict[tuple[str, str], list[dict[str, Any]]] = {}
    general: list[dict[str, Any]] = []
    for f in report.findings:
        if f.suppressed:
            continue
        label = f.extra.get("route") if isinstance(f.extra, dict) else None
        item = {"code": f.code, "name": f.name, "severity": f.severity.value, "message": f.message, "file": f.location.path, "line": f.location.line}
        if not label:
            if isinstance(f.extra, dict) and "routes" in f.extra:
                general.append(item)
            continue
        methods, _, path = label.partition(" ")
        if not path:  # naming checks label by path only
            path, methods = methods, ""
        for method in methods.split("|") if methods else [""]:
            by_route.setdefault((method, path), []).append(item)
    out = []
    for view in views:
        r = view.route
        found = by_route.get((r.method, r.path), []) + by_route.get(("", r.path), [])
        entry = r.to_dict()
        entry.pop("extra", None)
        if r.extra:
            entry.update({k: v for k, v in r.extra.items() if k in ("action", "unresolved")})
        entry["public"] = is_public(view, project.config)
        entry["findings"] = found
        out.append(entry)
    return out, general, index_of(project).unresolved


def render_text(entries: list[dict[str, Any]], general: list[dict[str, Any]], unresolved: list[str], color: bool) -> str:
    if not entries:
        return "no HTTP routes found\n"
    headers = ("METHOD", "PATH", "HANDLER", "GUARDS", "FINDINGS")

    def guards_of(e: dict[str, Any]) -> str:
        if e["guards"]:
            return ", ".join(e["guards"])
        return "(public)" if e.get("public") else "-"

    table = []
    for e in entries:
        where = f"{e['file']}:{e['line']}"
        handler = e["handler"].rsplit(".", 2)
        short = ".".join(handler[-2:]) if len(handler) > 2 and handler[-2][:1].isupper() else handler[-1]
        codes = ", ".join(dict.fromkeys(f["code"] for f in e["findings"])) or "-"
        table.append((e["method"], e["path"], f"{short} ({where})", guards_of(e), codes))
    limits = (7, 60, 60, 48, 40)
    widths = [min(max(len(h), *(len(row[i]) for row in table)), limits[i]) for i, h in enumerate(headers)]

    def cut(text: str, width: int) -> str:
        return text if len(text) <= width else text[: width - 1] + "…"

    bold = ("\033[1m", "\033[0m") if color else ("", "")
    lines = [bold[0] + "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip() + bold[1]]
    for row in table:
        lines.append("  ".join(cut(v, w).ljust(w) for v, w in zip(row, widths)).rstrip())
    frameworks = Counter(e["framework"] for e in entries)
    total = len({(f["file"], f["line"], f["code"], f["message"]) for e in entries for f in e["findings"]})
    unguarded = sum(1 for e in entries if not e["guards"] and not e.get("public"))
    lines.append("")
    lines.append(
        f"{len(entries)} route(s) ({', '.join(f'{n} {k}' for k, n in frameworks.most_common())}); "
        f"{unguarded} without a guard; {total} finding(s) on routes"
    )
    listed: set[tuple[str, int, str, str]] = set()
    if any(e["findings"] for e in entries):
        lines.append("")
        for e in entries:
            for f in e["findings"]:
                key = (f["file"], f["line"], f["code"], f["message"])
                if key not in listed:
                    listed.add(key)
                    lines.append(f"  {f['file']}:{f['line']}: {f['code']} {f['message']}")
    for f in general:
        lines.append(f"  {f['file']}:{f['line']}: {f['code']} {f['message']}")
    if unresolved:
        lines.append("")
        lines.append("not followed (dynamic or outside the checked paths):")
        lines.extend(f"  {u}" for u in unresolved[:20])
        if len(unresolved) > 20:
            lines.append(f"  ... and {len(unresolved) - 20} more")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from ..engine import Run

    config = commands.load(args)
    run = Run(config)
    report = run.finish(run.static(args.paths))
    entries, general, unresolved = rows(report, run.project)
    fmt = args.format or "text"
    if fmt == "json":
        text = json.dumps(entries, indent=2) + "\n"
    else:
        color = not args.output and sys.stdout.isatty()
        text = render_text(entries, general, unresolved, color)
    if args.output:
        from pathlib import Path

        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return commands.EXIT_OK


commands.register(commands.Command("routes", HELP, configure, run))
