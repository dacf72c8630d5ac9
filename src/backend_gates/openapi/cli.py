"""`backend-gates spec-diff OLD NEW`: breaking changes between two spec files.

Exit status: 0 when nothing breaks (or every change is announced by a version bump), 1 when a
breaking change comes without a version bump, 2 when a file cannot be read or parsed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .. import commands


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", help="the previous spec (YAML or JSON)")
    p.add_argument("new", help="the new spec (YAML or JSON)")
    p.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from .diff import compare, version_bump
    from .loader import SpecParseError
    from .project import summary_of_text

    summaries = []
    for given in (args.old, args.new):
        path = Path(given)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{given}: cannot read: {exc.strerror or exc}") from None
        try:
            summaries.append(summary_of_text(given, str(path.resolve()), text))
        except SpecParseError as exc:
            raise UsageError(f"{given}:{exc.line}:{exc.column}: {exc.message}") from None
    old, new = summaries
    if not old.get("version") or not new.get("version"):
        raise UsageError("both files must be OpenAPI 3.x or Swagger 2.0 documents")
    changes = compare(old.get("contract", {}), new.get("contract", {}))
    bump = version_bump(old, new)
    if args.format == "json":
        data = {
            "old": args.old,
            "new": args.new,
            "version_bump": bump or None,
            "breaking": [{"kind": c.kind, "operation": c.operation, "detail": c.detail, "line": c.line} for c in changes],
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        for c in changes:
            level = "info" if bump else "breaking"
            sys.stdout.write(f"{args.new}:{c.line}: {level}: {c.text()} [{c.kind}]\n")
        if not changes:
            sys.stdout.write("no breaking changes\n")
        elif bump:
            sys.stdout.write(f"{len(changes)} breaking change(s), announced by a version bump ({bump})\n")
        else:
            sys.stdout.write(f"{len(changes)} breaking change(s) without a version bump\n")
    return commands.EXIT_FINDINGS if changes and not bump else commands.EXIT_OK


commands.register(commands.Command("spec-diff", "compare two OpenAPI specs and list the breaking changes", configure, run))
