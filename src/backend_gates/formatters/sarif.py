"""`--format sarif`: SARIF 2.1.0 with rule metadata, stable fingerprints and suppressions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..version import __version__
from ..model import Report, Severity

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


def _help(code: str) -> str:
    from ..checks.base import REGISTRY
    from ..docgen import rule_help

    cls = REGISTRY.get(code)
    return rule_help(cls) if cls is not None else ""


def render(report: Report) -> str:
    return json.dumps(to_sarif(report), indent=2, ensure_ascii=False) + "\n"


def to_sarif(report: Report) -> dict[str, Any]:
    rules = sorted(report.rules, key=lambda r: r.code)
    index = {r.code: i for i, r in enumerate(rules)}
    sarif_rules = []
    for r in rules:
        rule: dict[str, Any] = {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary or r.name},
            "defaultConfiguration": {"level": _LEVEL[r.severity]},
            "properties": {"tags": [t for t in (r.gate, r.kind) if t]},
        }
        if r.help_url:
            rule["helpUri"] = r.help_url
        help_text = _help(r.code)
        if help_text:  # the rule's documentation page, the same text the site is built from
            rule["help"] = {"text": help_text, "markdown": help_text}
        sarif_rules.append(rule)
    results = []
    for f in report.findings:
        loc = f.location
        region: dict[str, Any] = {
            "startLine": loc.line,
            "startColumn": loc.column,
            "endLine": max(loc.end_line, loc.line),
            "endColumn": max(loc.end_column, 1),
        }
        if f.evidence:
            region["snippet"] = {"text": f.evidence}
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": _LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": loc.path, "uriBaseId": "%SRCROOT%"},
                        "region": region,
                    }
                }
            ],
            "partialFingerprints": {"backendGates/v1": f.fingerprint},
            **({"baselineState": "unchanged" if f.extra.get("existing") else "new"} if "new_code" in report.extra else {}),
            "properties": {"gate": f.gate, "name": f.name},
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if f.fix:
            result["properties"]["fix"] = f.fix
        if f.suppression is not None:
            result["suppressions"] = [
                {
                    "kind": "inSource" if f.suppression.kind == "inline" else "external",
                    "justification": f.suppression.reason,
                }
            ]
        results.append(result)
    notifications = [
        {
            "level": "error" if e.kind in ("parse", "read", "internal") else "warning",
            "message": {"text": f"{e.path}: {e.message}" if e.path else e.message},
        }
        for e in report.errors
    ]
    root_uri = Path(report.root).resolve().as_uri() + "/"
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "backend-gates",
                        "version": __version__,
                        "informationUri": "https://github.com/backend-gates/backend-gates",
                        "rules": sarif_rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri}},
                "invocations": [
                    {"executionSuccessful": True, "toolExecutionNotifications": notifications}
                ],
                "results": results,
                "properties": {
                    "gates": [{"id": g.id, "status": g.status.value, "reason": g.reason} for g in report.gates]
                },
            }
        ],
    }
