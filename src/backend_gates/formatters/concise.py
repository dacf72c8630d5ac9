"""`--format concise`: one `path:line:col: CODE message` line per finding (flake8 style)."""

from __future__ import annotations

from ..model import Report


def render(report: Report) -> str:
    lines = [
        f"{f.location.path}:{f.location.line}:{f.location.column}: {f.code} {f.message}"
        for f in report.active_findings
    ]
    return "\n".join(lines) + ("\n" if lines else "")
