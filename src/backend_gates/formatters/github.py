"""`--format github`: GitHub Actions workflow-command annotations.

GitHub shows at most 10 annotations of each level per step; the rest are summarised in one
notice so nothing is silently dropped.
"""

from __future__ import annotations

from ..model import Report, Severity

CAP_PER_LEVEL = 10
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    out: list[str] = []
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for f in report.active_findings:
        level = "notice" if f.extra.get("existing") else _LEVEL[f.severity]  # new-code base: old code
        if shown.get(level, 0) >= CAP_PER_LEVEL:
            hidden[level] = hidden.get(level, 0) + 1
            continue
        shown[level] = shown.get(level, 0) + 1
        loc = f.location
        title = f"{f.code} {f.name}" + (f" ({f.gate})" if f.gate else "")
        props = (
            f"file={_escape_prop(loc.path)},line={loc.line},endLine={loc.end_line},"
            f"col={loc.column},title={_escape_prop(title)}"
        )
        out.append(f"::{level} {props}::{_escape_data(f.message)}")
    if hidden:
        parts = ", ".join(f"{n} more {lvl}(s)" for lvl, n in sorted(hidden.items()))
        out.append(
            f"::notice title=backend-gates::{_escape_data(parts + ' not annotated (GitHub shows 10 per level); see the full report')}"
        )
    failed = [g for g in report.gates if g.status.value == "failed"]
    out.append(
        "::notice title=backend-gates::"
        + _escape_data(
            f"{len(report.active_findings)} finding(s); gates failed: {', '.join(g.id for g in failed) or 'none'}"
        )
    )
    return "\n".join(out) + "\n"
