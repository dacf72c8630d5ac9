"""`backend-gates merge REPORT...`: combine the gate reports of several CI shards into one.

Findings are united (deduplicated by fingerprint), gate results re-derived from the merged
findings and the shards' statuses (a gate evaluated in any shard is evaluated), and metrics
combined where they add up (query counts, 5xx counts, test kinds, endpoints). Exit 1 when a
merged gate failed (like `check` with failing findings), unless --exit-zero.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import cli
from .errors import UsageError

_RANK = {"not_evaluated": 0, "passed": 1, "warned": 2, "failed": 3}
_SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("reports", nargs="+", metavar="REPORT", help="gate report files (backend.gates.report JSON) of the shards")
    p.add_argument("--output", "-o", metavar="FILE", help="write the merged report here (default: stdout)")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when a merged gate failed")


def run(args: argparse.Namespace) -> int:
    events = []
    for name in args.reports:
        path = Path(name)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(f"{name}: cannot read: {exc.strerror}") from None
        except ValueError as exc:
            raise UsageError(f"{name}: not JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("event") != "backend.gates.report":
            raise UsageError(f"{name}: not a backend-gates report (no event 'backend.gates.report')")
        events.append(data)
    merged = merge_events(events)
    text = json.dumps(merged, indent=2, default=str) + "\n"
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    failed = any(g["status"] == "failed" for g in merged["gates"])
    return cli.EXIT_FINDINGS if failed and not args.exit_zero else cli.EXIT_OK


def merge_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    if not events:
        raise UsageError("nothing to merge")
    base: dict[str, Any] = json.loads(json.dumps(events[0]))
    fail_on = base.get("summary", {}).get("fail_on", "warning")

    findings: dict[tuple[str, bool], dict[str, Any]] = {}
    for event in events:
        for f in event.get("findings", []):
            key = (f.get("fingerprint") or json.dumps(f, sort_keys=True), bool(f.get("suppressed")))
            findings.setdefault(key, f)
    merged_findings = sorted(findings.values(), key=lambda f: (f["path"], f["line"], f["column"], f["rule"]))

    gates = []
    for index, gate in enumerate(base["gates"]):
        shards = [e["gates"][index] for e in events if index < len(e.get("gates", [])) and e["gates"][index]["id"] == gate["id"]]
        mine = [f for f in merged_findings if f.get("gate") == gate["id"]]
        active = [f for f in mine if not f.get("suppressed") and not (f.get("extra") or {}).get("existing")]
        counts = {s: 0 for s in _SEVERITY_RANK}
        for f in active:
            counts[f["severity"]] = counts.get(f["severity"], 0) + 1
        failing = [f for f in active if _SEVERITY_RANK.get(f["severity"], 0) >= _SEVERITY_RANK.get(fail_on, 1)]
        worst = max(shards, key=lambda g: _RANK.get(g["status"], 0))
        status, reason = worst["status"], worst["reason"]
        if failing:
            status, reason = "failed", f"{len(failing)} finding(s) at or above '{fail_on}'"
        elif active and status != "failed":
            status, reason = "warned", f"{len(active)} finding(s) below '{fail_on}'"
        evidence = dict(worst.get("evidence") or {})
        evidence["merged_from"] = len(shards)
        gates.append({
            **gate, "status": status, "reason": reason, "findings": len(active), "counts": counts,
            "suppressed": len(mine) - len(active), "evidence": evidence,
        })

    base["findings"] = merged_findings
    base["gates"] = gates
    base["metrics"] = merge_metrics([e.get("metrics") or {} for e in events])
    base["endpoints"] = merge_endpoints([e.get("endpoints") or [] for e in events])
    base["api_ready"] = _ready(base["endpoints"], events)
    announced = {(r["method"], r["endpoint"]) for r in base["api_ready"]}
    held: dict[tuple[str, str], dict[str, Any]] = {}
    for event in events:
        for item in event.get("api_not_ready") or []:
            key = (str(item.get("method")), str(item.get("endpoint")))
            if key not in announced:
                mine = held.setdefault(key, {**item, "reasons": []})
                mine["reasons"] = list(dict.fromkeys(mine["reasons"] + list(item.get("reasons") or [])))
    base["api_not_ready"] = [held[k] for k in sorted(held)]
    base["errors"] = [err for e in events for err in e.get("errors", [])]
    base["rules"] = sorted({r["code"]: r for e in events for r in e.get("rules", [])}.values(), key=lambda r: r["code"])
    base["started_at"] = min(e.get("started_at") or "" for e in events) or base.get("started_at")
    base["finished_at"] = max(e.get("finished_at") or "" for e in events) or base.get("finished_at")
    base["summary"] = _summary(base, events, fail_on)
    base["status"] = base["summary"]["status"]
    return base


def _ready(endpoints: list[dict[str, Any]], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An endpoint ready in every shard that recorded it; numbers from the merged endpoint."""
    from .protocol.ready import performance

    announced: dict[tuple[str, str], dict[str, Any]] = {}
    for event in events:
        for item in event.get("api_ready") or []:
            announced.setdefault((str(item.get("method")), str(item.get("endpoint"))), item)
    out = []
    for e in endpoints:
        item = announced.get((str(e.get("method")), str(e.get("path"))))
        if e.get("ready") and item is not None:
            tests = e.get("tests")
            count = len(tests) if isinstance(tests, list) else int(tests or 0)
            out.append({**item, "performance": performance(e), "p95_ms": e.get("p95_ms"), "requests": e.get("requests"), "test_count": count})
    return out


def _summary(base: dict[str, Any], events: list[dict[str, Any]], fail_on: str) -> dict[str, Any]:
    active = [f for f in base["findings"] if not f.get("suppressed")]
    by_sev = {s: 0 for s in _SEVERITY_RANK}
    for f in active:
        by_sev[f["severity"]] = by_sev.get(f["severity"], 0) + 1
    gate_counts = {s: 0 for s in _RANK}
    for g in base["gates"]:
        gate_counts[g["status"]] += 1
    existing = [f for f in active if (f.get("extra") or {}).get("existing")]  # new-code base
    failing = [f for f in active if _SEVERITY_RANK.get(f["severity"], 0) >= _SEVERITY_RANK.get(fail_on, 1) and f not in existing]
    if gate_counts["failed"] or failing:
        status = "failed"
    elif gate_counts["warned"] or active:
        status = "warned"
    elif gate_counts["passed"]:
        status = "passed"
    else:
        status = "not_evaluated"
    first = events[0].get("summary", {})
    return {
        "status": status, "files": first.get("files", 0), "lines": first.get("lines", 0), "findings": len(active),
        "failing": len(failing), "suppressed": len(base["findings"]) - len(active), "existing": len(existing), "by_severity": by_sev,
        "gates": gate_counts, "errors": len(base["errors"]), "fail_on": fail_on,
    }


def merge_metrics(parts: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key not in out:
                out[key] = json.loads(json.dumps(value, default=str))
                continue
            mine = out[key]
            if key == "queries":
                for fp, q in value.items():
                    have = mine.get(fp)
                    if have is None:
                        mine[fp] = dict(q)
                        continue
                    total = have.get("count", 0) + q.get("count", 0)
                    if "mean_ms" in have and "mean_ms" in q and total:
                        have["mean_ms"] = round((have["mean_ms"] * have["count"] + q["mean_ms"] * q["count"]) / total, 3)
                    have["count"] = total
                    have["max_ms"] = max(have.get("max_ms", 0), q.get("max_ms", 0))
                    have["p95_ms"] = max(have.get("p95_ms", 0), q.get("p95_ms", 0))  # upper bound across shards
                    have["slow"] = have.get("slow", 0) + q.get("slow", 0)
                    have["tests"] = sorted(set(have.get("tests", [])) | set(q.get("tests", [])))[:20]
            elif key == "errors" and isinstance(mine, dict):
                for field in ("responses", "server_errors", "excluded"):
                    mine[field] = mine.get(field, 0) + value.get(field, 0)
                mine["rate_percent"] = round(100.0 * mine["server_errors"] / mine["responses"], 4) if mine.get("responses") else 0.0
            elif key == "test_kinds" and isinstance(mine, dict):
                for kind, count in value.items():
                    if kind != "missing" and isinstance(count, int):
                        mine[kind] = mine.get(kind, 0) + count
                mine["missing"] = sorted(k for k in set(mine.get("missing", [])) & set(value.get("missing", [])))
            elif key == "spec_coverage" and isinstance(mine, dict):
                untested = sorted(set(mine.get("untested", [])) & set(value.get("untested", [])))
                operations = max(mine.get("operations", 0), value.get("operations", 0))
                mine["untested"] = untested
                mine["exercised"] = operations - len(untested)
                mine["percent"] = round(100.0 * mine["exercised"] / operations, 2) if operations else 0.0
            elif key == "latency" and isinstance(mine, dict):
                for endpoint, lat in value.items():
                    have = mine.get(endpoint)
                    if have is None:
                        mine[endpoint] = dict(lat)
                        continue
                    have["samples"] = have.get("samples", 0) + lat.get("samples", 0)
                    have["max_ms"] = max(have.get("max_ms", 0), lat.get("max_ms", 0))
                    have["p95_ms"] = max(have.get("p95_ms", 0), lat.get("p95_ms", 0))
                    statuses = {have.get("status"), lat.get("status")}
                    have["status"] = "failed" if "failed" in statuses else ("passed" if "passed" in statuses else have.get("status"))
            elif isinstance(mine, dict) and isinstance(value, dict):
                for k, v in value.items():
                    mine.setdefault(k, v)
    return out


def merge_endpoints(parts: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for part in parts:
        for endpoint in part:
            key = (endpoint.get("method", ""), endpoint.get("path", ""))
            have = merged.get(key)
            if have is None:
                merged[key] = dict(endpoint)
                continue
            have["requests"] = have.get("requests", 0) + endpoint.get("requests", 0)
            have["p95_ms"] = max(have.get("p95_ms") or 0, endpoint.get("p95_ms") or 0)
            for flag in ("documented", "conformant", "ready"):
                if flag in endpoint:
                    have[flag] = bool(have.get(flag, True)) and bool(endpoint[flag])
            tests = have.get("tests")
            if isinstance(tests, list):
                have["tests"] = sorted(set(tests) | set(endpoint.get("tests") or []))
            elif isinstance(tests, int):
                have["tests"] = tests + int(endpoint.get("tests") or 0)
    return [merged[k] for k in sorted(merged)]


cli.COMMANDS["merge"] = (configure, run, "combine the gate reports of several CI shards into one")
