"""`--format text`: findings with their source line, then a per-gate summary.

With `color=True` the text carries ANSI styles (rendered by rich); the CLI decides when
(`--color`, `NO_COLOR`, `FORCE_COLOR`, a terminal).
"""

from __future__ import annotations

from typing import Callable

from ..model import GateStatus, Report, Severity
from . import one_line

_MARK = {
    GateStatus.PASSED: "passed",
    GateStatus.FAILED: "FAILED",
    GateStatus.WARNED: "warned",
    GateStatus.NOT_EVALUATED: "not evaluated",
}


_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_STATUS_STYLE = {GateStatus.PASSED: "green", GateStatus.FAILED: "bold red", GateStatus.WARNED: "yellow", GateStatus.NOT_EVALUATED: "dim"}


def _styler(color: bool) -> Callable[[str, str], str]:
    """style(text, rich style) -> text with ANSI codes (or unchanged without colour)."""
    if not color:
        return lambda text, style: text
    from rich.console import Console
    from rich.text import Text

    console = Console(force_terminal=True, color_system="standard", width=1 << 20, highlight=False, no_color=False)

    def style(text: str, rich_style: str) -> str:
        with console.capture() as cap:
            console.print(Text(text, style=rich_style), end="")
        return cap.get()

    return style


def render(
    report: Report, *, show_source: bool = True, show_gates: bool = True, show_summary: bool = True, color: bool = False
) -> str:
    style = _styler(color)
    out: list[str] = []
    for f in report.active_findings:
        loc = f.location
        gate = f" [{f.gate}]" if f.gate else ""
        old = " (existing)" if f.extra.get("existing") else ""
        where = style(f"{one_line(loc.path)}:{loc.line}:{loc.column}:", "bold")
        what = style(f"{f.code} {f.severity.value}", _SEVERITY_STYLE[f.severity])
        out.append(f"{where} {what}{style(gate, 'dim')}{style(old, 'dim')} {one_line(f.message)}")
        if show_source and f.evidence:
            out.append(style(f"    | {one_line(f.evidence.strip())}", "dim"))
        if f.fix:
            out.append(f"    {style('= help:', 'cyan')} {one_line(f.fix)}")
    for err in report.errors:
        if err.kind not in ("parse", "read"):
            where = f"{one_line(err.path)}: " if err.path else ""
            if show_summary:
                out.append(f"{style('note:', 'magenta')} {where}{one_line(err.message)}")
    if out and (show_gates or show_summary):
        out.append("")
    if show_gates:
        out.append(style("Gates:", "bold"))
        width = max((len(g.id) for g in report.gates), default=10)
        for g in report.gates:
            count = f" ({g.findings})" if g.findings else ""
            out.append(f"  {g.id:<{width}}  {style(f'{_MARK[g.status]:<13}', _STATUS_STYLE[g.status])}{count}  {one_line(g.reason)}")
        out.append("")
    if not show_summary:
        return "\n".join(out) + "\n" if out else ""
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
    out.append(style(tail, "bold red" if failing else "bold green"))
    return "\n".join(out) + "\n"
