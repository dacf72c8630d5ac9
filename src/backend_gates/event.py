"""The gate report event (`backend.gates.report`): a versioned JSON document built from a Report.

The JSON Schema is published in `schemas/report-<SCHEMA_VERSION>.schema.json`; changes to this
document are additive within a major version.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from .version import __version__
from .model import GateStatus, Report, Severity

EVENT = "backend.gates.report"
SCHEMA_VERSION = "1.0"
SCHEMA_FILE = Path(__file__).parent / "schemas" / f"report-{SCHEMA_VERSION}.schema.json"


def git_info(root: str) -> dict[str, Any]:
    def run(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = run("rev-parse", "HEAD")
    return {"commit": commit, "branch": run("rev-parse", "--abbrev-ref", "HEAD") if commit else None}


def summary(report: Report) -> dict[str, Any]:
    gates = {s.value: 0 for s in GateStatus}
    for g in report.gates:
        gates[g.status.value] += 1
    by_sev = {s.value: 0 for s in Severity}
    for f in report.active_findings:
        by_sev[f.severity.value] += 1
    return {
        "status": report.status.value,
        "files": report.files,
        "lines": report.lines,
        "findings": len(report.active_findings),
        "failing": len(report.failing_findings),
        "suppressed": len(report.findings) - len(report.active_findings),
        "existing": len(report.existing_findings),  # on code unchanged since the new-code base
        "by_severity": by_sev,
        "gates": gates,
        "errors": len(report.errors),
        "fail_on": report.fail_on.value,
    }


def to_event(report: Report, *, with_git: bool = True) -> dict[str, Any]:
    from .protocol.ready import events_of

    root = Path(report.root)
    ready = events_of(report)
    return {
        "event": EVENT,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "backend-gates", "version": __version__},
        "mode": report.mode,
        "project": {"name": root.name, "root": str(root)},
        "git": git_info(report.root) if with_git else {"commit": None, "branch": None},
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "status": report.status.value,
        "summary": summary(report),
        "gates": [g.to_dict() for g in report.gates],
        "metrics": report.metrics,
        "endpoints": report.endpoints,
        "api_ready": ready,
        "api_not_ready": report.extra.get("api_not_ready", []),
        "findings": [f.to_dict() for f in report.findings],
        "coverage": [j.to_dict() for j in report.coverage],  # which rule judged which gate, or why not
        "rules": [r.to_dict() for r in report.rules],
        "errors": [e.to_dict() for e in report.errors],
        "config": report.config,
        "ci": {"provider": _ci_provider()},
        # baseline: {file, entries, matched, unused: [...]}; diff: {ref, files_changed, dropped};
    # new_code: {ref, source, commit, existing, files_changed[, problem]}
        **{key: report.extra[key] for key in ("baseline", "diff", "new_code") if key in report.extra},
    }


def empty_report(root: str, reason: str, *, mode: str = "check") -> Report:
    """A report in which every gate is `not_evaluated` with `reason` (never `passed`)."""
    import datetime as _dt

    from .gates import GATES
    from .model import GateResult

    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    gates = [GateResult(g.id, g.checklist, g.title, GateStatus.NOT_EVALUATED, reason) for g in GATES]
    return Report(root=root, findings=[], gates=gates, rules=[], started_at=now, finished_at=now, mode=mode)


def write_event(report: Report, path: Path) -> dict[str, Any]:
    import json

    event = to_event(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(event, indent=2, default=str) + "\n", encoding="utf-8")
    return event


def _ci_provider() -> str | None:
    env = os.environ
    if env.get("GITHUB_ACTIONS") == "true":
        return "github"
    if env.get("GITLAB_CI"):
        return "gitlab"
    if env.get("CI"):
        return "generic"
    return None
