"""Markdown summary of a run, for CI job pages (GitHub's `$GITHUB_STEP_SUMMARY`, GitLab notes).

Pure: `render(report) -> str`. The verdict, one row per gate, and the rules with most findings;
the full list lives in the SARIF / report / HTML files the job uploads.
"""

from __future__ import annotations

from ..model import GateStatus, Report

_ICON = {GateStatus.PASSED: "✅ passed", GateStatus.FAILED: "❌ failed", GateStatus.WARNED: "⚠️ warned", GateStatus.NOT_EVALUATED: "➖ not evaluated"}
TOP_RULES = 15


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def render(report: Report) -> str:
    failed = [g for g in report.gates if g.status is GateStatus.FAILED]
    verdict = "❌ **failed**" if report.failing_findings else "✅ **passed**"
    out = [
        "## backend-gates",
        "",
        f"{verdict}: {len(report.active_findings)} finding(s), {len(report.failing_findings)} at or above "
        f"`{report.fail_on.value}`, {len(report.findings) - len(report.active_findings)} suppressed, in {report.files} file(s)."
        + (f" Gates failed: {', '.join(f'`{g.id}`' for g in failed)}." if failed else ""),
        "",
        "| gate | status | findings | reason |",
        "|---|---|---:|---|",
    ]
    for g in report.gates:
        out.append(f"| `{g.id}` | {_ICON[g.status]} | {g.findings or ''} | {_cell(g.reason)} |")
    counts: dict[tuple[str, str], int] = {}
    for f in report.active_findings:
        counts[(f.code, f.name)] = counts.get((f.code, f.name), 0) + 1
    if counts:
        out += ["", "<details><summary>Findings by rule</summary>", "", "| rule | findings |", "|---|---:|"]
        for (code, name), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_RULES]:
            out.append(f"| `{code}` {_cell(name)} | {n} |")
        if len(counts) > TOP_RULES:
            out.append(f"| … {len(counts) - TOP_RULES} more rule(s) | |")
        out += ["", "</details>"]
    return "\n".join(out) + "\n"
