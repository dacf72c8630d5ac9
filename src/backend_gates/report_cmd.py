"""`backend-gates report REPORT.json --html OUT.html`: render a gate report event as one HTML page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import commands


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("report", nargs="?", default=".backend-gates/report.json", help="the gate report event (default .backend-gates/report.json)")
    p.add_argument("--html", metavar="FILE", required=True, help="write the self-contained HTML page to FILE")
    p.add_argument("--trend", metavar="REPORT", action="append", default=[], help="an earlier report event for the trend chart; repeat, oldest first")


def _run(args: argparse.Namespace) -> int:
    from .html_report import load_event, write_html

    event = load_event(Path(args.report))
    target = Path(args.html)
    write_html(event, target, [load_event(Path(p)) for p in args.trend])
    sys.stderr.write(f"backend-gates: wrote {target} (overall {event.get('status', '?')})\n")
    return commands.EXIT_OK


commands.register(commands.Command("report", "render a gate report (JSON) as a self-contained HTML page", _configure, _run))
