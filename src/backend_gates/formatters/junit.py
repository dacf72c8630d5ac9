"""`--format junit`: JUnit XML with one test case per gate, so CI test views list the gates.

A failed gate is a `<failure>` (message: the gate's reason; text: its findings), a gate that
was not evaluated is `<skipped>` with the reason, passed and warned gates pass (warned ones list
their findings in `<system-out>`). The tool's own findings (unreadable files, stale
suppressions) form one more case, `backend-gates.tool`, failing when any reaches `fail_on`.
Tool errors go to the suite's `<system-err>`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from . import one_line
from ..model import Finding, GateStatus, Report


def _line(f: Finding) -> str:
    loc = f.location
    where = f"{one_line(loc.path)}:{loc.line}:{loc.column}" if loc.path else "(project)"
    return f"{where}: {f.code} {f.severity.value} {one_line(f.message)}"


def _clean(text: str) -> str:
    """XML 1.0 cannot carry most control characters; drop them."""
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)


def render(report: Report) -> str:
    by_gate: dict[str | None, list[Finding]] = {}
    for f in report.active_findings:
        by_gate.setdefault(f.gate, []).append(f)
    seconds = float(report.extra.get("timing", {}).get("seconds", 0.0)) if isinstance(report.extra.get("timing"), dict) else 0.0
    suite = ET.Element("testsuite", name="backend-gates")
    failures = skipped = 0
    for g in report.gates:
        case = ET.SubElement(suite, "testcase", classname=f"backend-gates.{g.checklist}", name=f"{g.id} {g.title}", time="0")
        found = by_gate.get(g.id, [])
        if g.status is GateStatus.FAILED:
            failures += 1
            failure = ET.SubElement(case, "failure", message=_clean(g.reason), type="gate-failed")
            failure.text = _clean("\n".join(_line(f) for f in found))
        elif g.status is GateStatus.NOT_EVALUATED:
            skipped += 1
            ET.SubElement(case, "skipped", message=_clean(g.reason))
        elif found:
            ET.SubElement(case, "system-out").text = _clean(f"{g.status.value}: {g.reason}\n" + "\n".join(_line(f) for f in found))
    tool = by_gate.get(None, [])
    case = ET.SubElement(suite, "testcase", classname="backend-gates.tool", name="tool findings (unreadable files, suppressions)", time="0")
    failing_tool = [f for f in tool if f.severity.rank >= report.fail_on.rank]
    if failing_tool:
        failures += 1
        failure = ET.SubElement(case, "failure", message=f"{len(failing_tool)} tool finding(s) at or above '{report.fail_on.value}'", type="tool")
        failure.text = _clean("\n".join(_line(f) for f in tool))
    elif tool:
        ET.SubElement(case, "system-out").text = _clean("\n".join(_line(f) for f in tool))
    if report.errors:
        ET.SubElement(suite, "system-err").text = _clean(
            "\n".join(f"{one_line(e.path)}: {one_line(e.message)}" if e.path else one_line(e.message) for e in report.errors)
        )
    suite.set("tests", str(len(report.gates) + 1))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.set("time", f"{seconds:.3f}")
    if report.started_at:
        suite.set("timestamp", report.started_at)
    root = ET.Element("testsuites", name="backend-gates", tests=suite.get("tests", "0"), failures=str(failures), errors="0", skipped=str(skipped))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
