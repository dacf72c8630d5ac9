"""`--format text`: findings with their source line, then a per-gate summary."""

from __future__ import annotations

from ..model import GateStatus, Report
from . import one_line

_MARK = {
    GateStatus.PASSED: "passed",
    GateStatus.FAILED: "FAILED",
    GateStatus.WARNED: "warned",
    GateStatus.NOT_EVALUATED: "not evaluated",
}


def render(report: Report, *, show_source: bool = True, show_gates: bool = True) -> str:
    out: list[str] = []
    for f in report.active_findings:
        loc = f.location
        gate = f" [{f.gate}]" if f.gate else ""
        old = " (existing)" if f.extra.get("existing") else ""
        out.append(f"{one_line(loc.path)}:{loc.line}:{loc.column}: {f.code} {f.severity.value}{gate}{old} {one_line(f.message)}")
        if show_source and f.evidence:
            out.append(f"    | {one_line(f.evidence.strip())}")
        if f.fix:
            out.append(f"    = help: {one_line(f.fix)}")
    for err in report.errors:
        if err.kind not in ("parse", "read"):
            where = f"{one_line(err.path)}: " if err.path else ""
            out.append(f"note: {where}{one_line(err.message)}")
    if out:
        out.append("")
    if show_gates:
        out.append("Gates:")
        width = max((len(g.id) for g in report.gates), default=10)
        for g in report.gates:
            count = f" ({g.findings})" if g.findings else ""
            out.append(f"  {g.id:<{width}}  {_MARK[g.status]:<13}{count}  {one_line(g.reason)}")
        out.append("")
    suppressed = len(report.findings) - len(report.active_findings)
    failing = len(report.failing_findings)
    tail = f"{len(report.active_findings)} finding(s), {failing} at or above '{report.fail_on.value}'"
    existing = len(report.existing_findings)
    if existing:
        base = (report.extra.get("new_code") or {}).get("ref", "the base")
        tail += f" ({existing} existing: on code unchanged since {base}, not failing)"
    if suppressed:
        tail += f", {suppressed} suppressed"
    tail += f" in {report.files} file(s)"
    counts = {s: 0 for s in GateStatus}
    for g in report.gates:
        counts[g.status] += 1
    tail += (
        f"; gates: {counts[GateStatus.FAILED]} failed, {counts[GateStatus.WARNED]} warned, "
        f"{counts[GateStatus.PASSED]} passed, {counts[GateStatus.NOT_EVALUATED]} not evaluated"
    )
    out.append(tail)
    return "\n".join(out) + "\n"
