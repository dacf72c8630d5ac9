"""`--format concise`: one `path:line:col: CODE message` line per finding (flake8 style)."""

from __future__ import annotations

from ..model import Report
from . import one_line


def render(report: Report) -> str:
    lines = [
        f"{one_line(f.location.path)}:{f.location.line}:{f.location.column}: {f.code} {one_line(f.message)}"
        for f in report.active_findings
    ]
    return "\n".join(lines) + ("\n" if lines else "")
