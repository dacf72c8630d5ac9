"""`backend-gates merge REPORT...`: combine the gate reports of several CI shards into one.

Each shard's report becomes evidence (findings united, deduplicated by fingerprint; which rules
judged which gate, from the event's `coverage`; metrics combined where they add up: query counts,
5xx counts, test kinds, endpoints) and the run's one finishing step scores every gate, as for a
single run: a rule that judged in any shard judged. Exit 1 when a merged gate failed (like
`check` with failing findings), unless --exit-zero.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import commands
from .config import Config
from .errors import ConfigError, UsageError
from .evidence import Evidence, Sources
from .model import Finding, GateNote, Judged, Report, RuleInfo, ToolError



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
    return commands.EXIT_FINDINGS if failed and not args.exit_zero else commands.EXIT_OK


def merge_events(events: list[dict[str, Any]], config: Config | None = None) -> dict[str, Any]:
    """The report event of the whole run, from its shards' events (through the run's `finish`)."""
    from .event import to_event

    event = to_event(merge_report(events, config), with_git=False) | _carried(events)
    event["api_ready"] = _ready(event["endpoints"], events)
    announced = {(r["method"], r["endpoint"]) for r in event["api_ready"]}
    held: dict[tuple[str, str], dict[str, Any]] = {}
    for shard in events:
        for item in shard.get("api_not_ready") or []:
            key = (str(item.get("method")), str(item.get("endpoint")))
            if key not in announced:
                mine = held.setdefault(key, {**item, "reasons": []})
                mine["reasons"] = list(dict.fromkeys(mine["reasons"] + list(item.get("reasons") or [])))
    event["api_not_ready"] = [held[k] for k in sorted(held)]
    return event


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


def merge_report(events: list[dict[str, Any]], config: Config | None = None) -> Report:
    """Shards' reports become evidence; one `finish` scores every gate of the whole run once."""
    from .engine import Run

    if not events:
        raise UsageError("nothing to merge")
    first = events[0]
    fail_on = (first.get("summary") or {}).get("fail_on", "warning")
    config = config or _config(fail_on)
    run = Run(config, mode=str(first.get("mode") or "check"))
    run.started = min((e.get("started_at") or "" for e in events), default="") or run.started
    # a gate no shard's rules spoke about keeps the shards' reason (e.g. static gates skipped)
    absent = {g["id"]: g["reason"] for g in reversed(first.get("gates", [])) if g.get("status") == "not_evaluated"}
    return run.finish(*_evidence(events), absent=absent)


def _config(fail_on: str) -> Config:
    """The configuration found from the current directory; the shards' fail-on; no second
    baseline or --diff (each shard applied its own)."""
    from .config import load_config

    overrides = {"fail-on": fail_on, "baseline": "", "diff": "", "cache": False}
    try:
        return load_config(overrides=overrides)
    except ConfigError:
        return load_config(Path(tempfile.gettempdir()), overrides=overrides, environ={})


def _evidence(events: list[dict[str, Any]]) -> list[Evidence]:
    seen: set[tuple[str, bool]] = set()
    findings: list[Finding] = []
    for event in events:
        for f in event.get("findings", []):
            key = (f.get("fingerprint") or json.dumps(f, sort_keys=True), bool(f.get("suppressed")))
            if key not in seen:
                seen.add(key)
                findings.append(Finding.from_dict(f))
    judged: list[Judged] = []
    notes: list[GateNote] = []
    shards: dict[str, int] = {}
    for event in events:
        judged.extend(_judged(event))
        for gate in event.get("gates", []):
            shards[gate["id"]] = shards.get(gate["id"], 0) + 1
            extra = {k: v for k, v in (gate.get("evidence") or {}).items() if k not in _DERIVED}
            if extra:
                notes.append(GateNote(gate["id"], extra))
    notes.extend(GateNote(gate, {"merged_from": n}) for gate, n in shards.items())
    summary = events[0].get("summary") or {}
    sources = Sources(int(summary.get("files", 0)), int(summary.get("lines", 0)), {}, lambda _path: [])
    return [
        Evidence(
            "merge",
            findings=tuple(findings),
            judged=tuple(judged),
            notes=tuple(notes),
            metrics=merge_metrics([e.get("metrics") or {} for e in events]),
            endpoints=tuple(merge_endpoints([e.get("endpoints") or [] for e in events])),
            errors=tuple(ToolError(**err) for e in events for err in e.get("errors", [])),
            rules=tuple(RuleInfo.from_dict(r) for e in events for r in e.get("rules", [])),
            sources=sources,
        )
    ]


_DERIVED = ("checks", "ran", "not_evaluated", "deselected", "merged_from")


def _judged(event: dict[str, Any]) -> list[Judged]:
    """Which rules judged which gate in one shard: the event's `coverage`, else from its gates."""
    if "coverage" in event:
        return [Judged(c["code"], c["gate"], c.get("reason")) for c in event["coverage"]]
    out: list[Judged] = []
    for gate in event.get("gates", []):
        evidence = gate.get("evidence") or {}
        checks = list(evidence.get("checks") or [])
        if gate.get("status") == "not_evaluated":
            out.extend(Judged(code, gate["id"], gate.get("reason") or "not evaluated") for code in checks)
        else:
            out.extend(Judged(code, gate["id"]) for code in evidence.get("ran", checks))
    return out


def _carried(events: list[dict[str, Any]]) -> dict[str, Any]:
    """What describes the shards' run rather than this merge: git, CI, project, timestamps."""
    first = events[0]
    out: dict[str, Any] = {key: first[key] for key in ("git", "ci", "project", "config") if key in first}
    finished = max((e.get("finished_at") or "" for e in events), default="")
    if finished:
        out["finished_at"] = finished
    return out


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


commands.register(commands.Command("merge", "combine the gate reports of several CI shards into one", configure, run))
