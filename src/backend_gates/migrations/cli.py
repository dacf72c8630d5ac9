"""`backend-gates migrations roundtrip`: up, down, up again for every migration, on a scratch
database (SQLite by default, an empty PostgreSQL database given with --dsn)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .. import commands


def _configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="migrations_command", metavar="ACTION")
    rt = sub.add_parser("roundtrip", help="apply, reverse and re-apply every migration on a scratch database")
    rt.add_argument("path", nargs="?", default=".", help="project directory (default: .)")
    rt.add_argument("--alembic-ini", metavar="FILE", help="Alembic ini file (default: ./alembic.ini or */alembic.ini)")
    rt.add_argument("--django-settings", metavar="MODULE", help="Django settings module (default: from manage.py)")
    rt.add_argument("--app", action="append", default=[], help="Django app label to round-trip (repeatable; default: the project's apps)")
    rt.add_argument(
        "--dsn", metavar="URL",
        help="an EMPTY PostgreSQL database to use instead of a scratch SQLite file (env BACKEND_GATES_ROUNDTRIP_DSN)",
    )
    rt.add_argument("--format", "-f", choices=("text", "json"), default="text")


def render_text(results: list[Any]) -> str:
    lines = []
    for result in results:
        lines.append(f"{result.tool} round trip on {result.database}:")
        for step in result.steps:
            mark = {"ok": "ok  ", "skipped": "skip"}.get(step.status, "FAIL")
            detail = f": {step.detail}" if step.detail else ""
            lines.append(f"  {mark} {step.migration} {'' if step.status in ('ok', 'skipped') else step.status}{detail}".rstrip())
        if result.error:
            lines.append(f"  error: {result.error}")
        verdict = "passed" if result.ok else f"failed ({len(result.problems)} migration(s) with problems)" if result.problems else "failed"
        lines.append(f"  {verdict}")
    return "\n".join(lines) + "\n"


def _run(args: argparse.Namespace) -> int:
    from .roundtrip import run

    if getattr(args, "migrations_command", None) != "roundtrip":
        sys.stderr.write("usage: backend-gates migrations roundtrip [PATH] [--dsn URL]\n")
        return commands.EXIT_USAGE
    root = Path(args.path).resolve()
    dsn = args.dsn or os.environ.get("BACKEND_GATES_ROUNDTRIP_DSN") or None
    results = run(
        root,
        alembic_ini=Path(args.alembic_ini).resolve() if args.alembic_ini else None,
        django_settings=args.django_settings,
        apps=args.app or None,
        dsn=dsn,
    )
    if args.format == "json":
        sys.stdout.write(json.dumps({"results": [r.to_dict() for r in results], "ok": all(r.ok for r in results)}, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(results))
    return commands.EXIT_OK if all(r.ok for r in results) else commands.EXIT_FINDINGS


commands.register(commands.Command("migrations", "migration evidence: `migrations roundtrip` applies, reverses and re-applies every migration", _configure, _run))
