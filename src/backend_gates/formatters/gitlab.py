"""`--format gitlab`: GitLab code-quality report (a JSON list of issues).

Each unsuppressed finding becomes `{description, check_name, fingerprint, severity,
location: {path, lines: {begin, end}}}` plus `categories` and `content` (CodeClimate fields
GitLab accepts). Severity: error -> critical for security gates (SEC-*), else major;
warning -> minor; info -> info.
"""

from __future__ import annotations

import json
from typing import Any

from ..model import Finding, Report, Severity


def severity(f: Finding) -> str:
    if f.severity is Severity.ERROR:
        return "critical" if (f.gate or "").startswith("SEC-") else "major"
    return "minor" if f.severity is Severity.WARNING else "info"


def issue(f: Finding) -> dict[str, Any]:
    loc = f.location
    gate = f" [{f.gate}]" if f.gate else ""
    body = f.fix or ""
    if f.help_url:
        body = f"{body}\n\n{f.help_url}".strip()
    item: dict[str, Any] = {
        "type": "issue",
        "description": f"{f.code} {f.message}{gate}",
        "check_name": f"{f.code} {f.name}",
        "fingerprint": f.fingerprint,
        "severity": severity(f),
        "categories": ["Security"] if (f.gate or "").startswith("SEC-") else ["Bug Risk"],
        "location": {"path": loc.path, "lines": {"begin": loc.line, "end": max(loc.end_line, loc.line)}},
    }
    if body:
        item["content"] = {"body": body}
    return item


def render(report: Report) -> str:
    return json.dumps([issue(f) for f in report.active_findings], indent=2, ensure_ascii=False) + "\n"
