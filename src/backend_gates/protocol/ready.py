"""`backend.api.ready`: announced for an endpoint only when the team can rely on it.

An endpoint recorded by the test run is ready when
- the spec documents it (`documentation` names the spec file and the operation's JSON pointer),
- every test that exercised it passed (`tests: "passed"`; a failed, errored, skipped or xfailed
  test that called it, or unknown outcomes, keep it back),
- no API-* finding at warning or above (static or runtime, not suppressed, not on existing code
  under a new-code base) concerns it; a failing API-* finding that names no endpoint concerns
  every endpoint,
- and so its contract requests, if any, are met (unmet ones are API-CONTRACT findings).

Shape (the card's, plus the numbers):

    {"event": "backend.api.ready", "endpoint": "/api/items", "method": "GET",
     "documentation": "openapi.yaml#/paths/~1api~1items/get", "tests": "passed",
     "performance": "18 ms avg, 42 ms p95 over 12 requests",
     "avg_ms": 18.0, "p95_ms": 42.0, "requests": 12, "test_count": 3}

Endpoints that were not announced are listed in `api_not_ready` with the reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model import Finding, Report, Severity

EVENT = "backend.api.ready"
EVENTS_FILE = ".backend-gates/events.jsonl"
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@dataclass(frozen=True, slots=True)
class ApiReady:
    endpoint: str
    method: str
    documentation: str
    performance: str
    avg_ms: float | None
    p95_ms: float | None
    requests: int
    test_count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": EVENT,
            "endpoint": self.endpoint,
            "method": self.method,
            "documentation": self.documentation,
            "tests": "passed",
            "performance": self.performance,
            "avg_ms": self.avg_ms,
            "p95_ms": self.p95_ms,
            "requests": self.requests,
            "test_count": self.test_count,
        }


@dataclass(frozen=True, slots=True)
class NotReady:
    endpoint: str
    method: str
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "method": self.method, "reasons": list(self.reasons)}


def _shape(path: str) -> str:
    from ..routes import shape

    return shape(path)


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def targets(f: Finding) -> list[tuple[str, str]] | None:
    """(METHOD or '*', path shape) pairs a finding concerns; None when it names no endpoint."""
    extra = f.extra if isinstance(f.extra, dict) else {}
    for key in ("endpoint", "operation", "route"):
        label = extra.get(key)
        if isinstance(label, str) and label.strip():
            methods, sep, path = label.strip().partition(" ")
            if not sep:  # path only: every method
                return [("*", _shape(methods))]
            return [(m.upper(), _shape(path)) for m in methods.split("|") if m]
    labels = extra.get("operations")
    if isinstance(labels, list) and labels:  # a finding about several operations (spec coverage)
        out = []
        for label in labels:
            methods, sep, path = str(label).partition(" ")
            if sep:
                out.append((methods.upper(), _shape(path)))
        return out
    if isinstance(extra.get("path"), str) and extra.get("path", "").startswith("/"):
        method = str(extra.get("method") or "*").upper()
        return [(method, _shape(extra["path"]))]
    pointer = extra.get("json_path")
    if isinstance(pointer, str):
        parts = pointer.lstrip("#").strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "paths":
            method = parts[2].upper() if len(parts) >= 3 and parts[2].lower() in _METHODS else "*"
            return [(method, _shape(_unescape(parts[1])))]
    return None


def _blocking(report: Report) -> list[Finding]:
    limit = min(Severity.WARNING.rank, report.fail_on.rank)
    return [
        f
        for f in report.findings
        if f.gate and f.gate.startswith("API-") and not f.suppressed and not f.extra.get("existing") and f.severity.rank >= limit
    ]


def _prefixes(report: Report, project: Any = None) -> list[str]:
    if project is None:
        return [""]
    try:
        from ..openapi.project import spec_facts

        out = [""]
        for _path, summary in spec_facts(project):
            out.extend(p for p in summary.get("prefixes", []) if isinstance(p, str) and p)
        return list(dict.fromkeys(out))
    except Exception:  # pragma: no cover - spec facts are best effort here
        return [""]


def _matches(method: str, path: str, target: tuple[str, str], prefixes: list[str]) -> bool:
    t_method, t_shape = target
    if t_method not in ("*", method):
        return False
    here = _shape(path)
    return any(here == _shape(p + t_shape) or _shape(p + here) == t_shape for p in prefixes)


def documentation(report: Report, method: str, path: str, prefixes: list[str], project: Any = None) -> str:
    """'openapi.yaml#/paths/~1items/get' for the documented operation, '' when none."""
    if project is None:
        return ""
    try:
        from ..openapi.project import operations
    except Exception:  # pragma: no cover
        return ""
    for op in operations(project):
        if str(op.get("method", "")).upper() != method:
            continue
        if _matches(method, path, (method, _shape(str(op.get("path", "")))), prefixes):
            template = str(op.get("template") or op.get("path"))
            escaped = template.replace("~", "~0").replace("/", "~1")
            return f"{op.get('spec', '')}#/paths/{escaped}/{method.lower()}"
    return ""


def performance(entry: dict[str, Any]) -> str:
    requests = int(entry.get("requests") or 0)
    avg = entry.get("avg_ms")
    p95 = entry.get("p95_ms")
    parts = []
    if isinstance(avg, (int, float)):
        parts.append(f"{_ms(avg)} ms avg")
    if isinstance(p95, (int, float)):
        parts.append(f"{_ms(p95)} ms p95")
    text = ", ".join(parts) or "not measured"
    return f"{text} over {requests} request{'s' if requests != 1 else ''}"


def _ms(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def evaluate(report: Report, project: Any = None) -> tuple[list[ApiReady], list[NotReady]]:
    """Which recorded endpoints are ready, and why the others are not."""
    blocking = _blocking(report)
    prefixes = _prefixes(report, project)
    general = [f for f in blocking if targets(f) is None]
    ready: list[ApiReady] = []
    not_ready: list[NotReady] = []
    for entry in report.endpoints:
        method = str(entry.get("method", "")).upper()
        path = str(entry.get("path", ""))
        if not method or not path.startswith("/"):
            continue
        reasons: list[str] = []
        doc = documentation(report, method, path, prefixes, project) if entry.get("documented") else ""
        if not doc:
            reasons.append("the spec does not document it")
        tests = int(entry.get("tests") or 0)
        failed = entry.get("tests_failed")
        if not tests:
            reasons.append("no test exercised it")
        elif not isinstance(failed, list):
            reasons.append("test outcomes were not recorded")
        elif failed:
            reasons.append(f"{len(failed)} test(s) exercising it did not pass (e.g. {failed[0]})")
        own = [f for f in blocking if any(_matches(method, path, t, prefixes) for t in targets(f) or ())]
        for f in own + general:
            reasons.append(f"{f.gate} {f.code} at {f.location.path}:{f.location.line}: {f.message}")
        entry["ready"] = not reasons
        if reasons:
            not_ready.append(NotReady(path, method, tuple(dict.fromkeys(reasons))))
            continue
        avg = entry.get("avg_ms")
        p95 = entry.get("p95_ms")
        ready.append(
            ApiReady(
                endpoint=path,
                method=method,
                documentation=doc,
                performance=performance(entry),
                avg_ms=float(avg) if isinstance(avg, (int, float)) else None,
                p95_ms=float(p95) if isinstance(p95, (int, float)) else None,
                requests=int(entry.get("requests") or 0),
                test_count=tests,
            )
        )
    return ready, not_ready


def apply(report: Report, project: Any = None, outcomes: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Compute readiness once, after the gates: `report.extra["api_ready"]` / `["api_not_ready"]`.

    `outcomes` (node id -> passed | failed | ...; the outcomes observer's) says how the tests that
    called each endpoint ended: each endpoint gets `tests_failed` (ids) and `tests_passed` (count)."""
    if outcomes is not None:
        from .outcomes import tests_of

        for entry in report.endpoints:
            ids = entry.get("test_ids")
            if isinstance(ids, list):
                entry["tests_failed"], entry["tests_passed"] = tests_of([str(t) for t in ids], outcomes)
    ready, not_ready = evaluate(report, project)
    events = [r.to_dict() for r in ready]
    report.extra["api_ready"] = events
    report.extra["api_not_ready"] = [n.to_dict() for n in not_ready]
    return events


def events_of(report: Report) -> list[dict[str, Any]]:
    events = report.extra.get("api_ready")
    return list(events) if isinstance(events, list) else apply(report)


def write_events(root: Path, events: list[dict[str, Any]]) -> Path:
    """One JSON event per line in `.backend-gates/events.jsonl` (rewritten every run)."""
    path = root / EVENTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(e, sort_keys=False, default=str) + "\n" for e in events)
    path.write_text(text, encoding="utf-8")
    return path


def publish(plugin: Any, report: Report) -> list[str]:
    """pytest plugin: events.jsonl, the `pytest_backend_gates_api_ready` hook, the webhook.
    Returns the problems met (each becomes a warning); never raises."""
    problems: list[str] = []
    settings = plugin.settings
    if settings is None:
        return problems
    events = events_of(report)
    try:
        write_events(Path(settings.root), events)
    except OSError as exc:
        problems.append(f"cannot write {EVENTS_FILE}: {exc.strerror or exc}")
    config = plugin.pytest_config
    for event in events:
        try:
            config.hook.pytest_backend_gates_api_ready(event=dict(event))
        except Exception as exc:
            problems.append(f"pytest_backend_gates_api_ready hook failed: {type(exc).__name__}: {exc}")
            break
    url = config.getoption("backend_gates_webhook") or settings["runtime.webhook"]
    if url and events:
        from ..runtime.webhook import post_webhook

        for event in events:
            problem = post_webhook(str(url), event)
            if problem:
                problems.append(problem)
                break
    return problems


def summary_lines(report: Report) -> list[str]:
    """Markdown lines for the CI step summary."""
    events = events_of(report)
    if not events:
        return []
    lines = ["", "Ready endpoints (`backend.api.ready`):", ""]
    for e in events:
        lines.append(f"- `{e['method']} {e['endpoint']}`: {e['performance']}; {e['documentation']}")
    return lines

