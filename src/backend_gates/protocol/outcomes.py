"""The pytest-side half of the protocol: the tests' outcomes, judged by BG564 (a contract request
no test exercised) and read by readiness (`backend.api.ready` needs every test that exercised an
endpoint to have passed).

Observer protocol: see runtime/__init__.py. `recorded(project, endpoints)` receives the static
run's facts and the endpoints the HTTP observer recorded (with the ids of the tests that called
them), and returns an `OutcomesRecord`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PASSED = "passed"


@dataclass(frozen=True, slots=True)
class Exercised:
    """An endpoint the tests called (as the HTTP observer recorded it)."""

    method: str
    path: str
    tests: tuple[str, ...]  # node ids


@dataclass(frozen=True, slots=True)
class RequestState:
    """A contract request as the static run judged it: does its route exist?"""

    label: str  # "GET /api/items"
    method: str
    endpoint: str
    file: str
    line: int
    route_exists: bool


@dataclass(frozen=True, slots=True)
class OutcomesRecord:
    """What the outcomes observer hands to its runtime check (BG564)."""

    outcomes: Mapping[str, str] = field(default_factory=dict)  # node id -> passed | failed | skipped | xfailed
    exercised: tuple[Exercised, ...] = ()
    requests: tuple[RequestState, ...] | None = None  # None: not judged, and `reason` says why
    prefixes: tuple[str, ...] = ("",)  # the specs' server URL paths ('/api'): recorded paths may lack them
    reason: str = ""


class OutcomesObserver:
    name = "outcomes"
    gates = ("API-CONTRACT",)

    def __init__(self) -> None:
        self.plugin: Any = None
        self.outcomes: dict[str, str] = {}  # nodeid -> passed | failed | skipped | xfailed

    def start(self, plugin: Any) -> None:
        self.plugin = plugin
        plugin.pytest_config.pluginmanager.register(self, "backend_gates_outcomes")

    def stop(self) -> None:
        try:
            pm = self.plugin.pytest_config.pluginmanager
            if pm.is_registered(self):
                pm.unregister(self)
        except Exception:  # pragma: no cover - defensive
            pass

    def pytest_runtest_logreport(self, report: Any) -> None:
        nodeid = report.nodeid
        if report.failed:
            self.outcomes[nodeid] = "failed"
        elif report.skipped:
            if self.outcomes.get(nodeid) != "failed":
                self.outcomes[nodeid] = "xfailed" if hasattr(report, "wasxfail") else "skipped"
        elif report.when == "call" and nodeid not in self.outcomes:
            self.outcomes[nodeid] = PASSED

    def worker_data(self) -> dict[str, Any]:
        return {"outcomes": self.outcomes}

    def merge(self, data: dict[str, Any]) -> None:
        """Fold in a worker's outcomes; anything but a mapping of node ids is ignored (never raises)."""
        outcomes = data.get("outcomes") if isinstance(data, dict) else None
        for nodeid, outcome in (outcomes.items() if isinstance(outcomes, dict) else ()):
            if self.outcomes.get(str(nodeid)) != "failed":
                self.outcomes[str(nodeid)] = str(outcome)

    def recorded(self, project: Any = None, endpoints: Sequence[Mapping[str, Any]] = ()) -> OutcomesRecord:
        exercised = tuple(
            Exercised(str(e.get("method", "")).upper(), str(e.get("path", "")), tuple(str(t) for t in e.get("test_ids") or ()))
            for e in endpoints
            if e.get("tests")
        )
        requests = prefixes = None
        reason = ""
        if project is None:
            reason = "runtime: contract requests not judged: the static facts are needed (static gates were skipped)"
        elif not project.config["contracts.requests"]:
            reason = "no contract requests configured ([tool.backend-gates.contracts] requests)"
        else:
            from .contracts import judged

            _loaded, verdicts = judged(project)
            requests = tuple(
                RequestState(r.label, r.method, r.endpoint, r.file, r.line, not any(u.kind == "route" for u in unmet))
                for r, unmet in verdicts.items()
            )
            prefixes = spec_prefixes(project)
        return OutcomesRecord(dict(self.outcomes), exercised, requests, prefixes or ("",), reason)


def tests_of(test_ids: Sequence[str], outcomes: Mapping[str, str]) -> tuple[list[str], int]:
    """(the tests that did not pass, how many passed) among the tests that called an endpoint."""
    failed = sorted(t for t in test_ids if outcomes.get(t) != PASSED)
    return failed, sum(1 for t in test_ids if outcomes.get(t) == PASSED)


def spec_prefixes(project: Any) -> tuple[str, ...]:
    """Server URL paths of the specs: recorded endpoints carry the spec's path ('/items' for '/api/items')."""
    from ..openapi.project import spec_facts

    out = [""]
    for _path, summary in spec_facts(project):
        out.extend(p for p in summary.get("prefixes", []) if isinstance(p, str) and p)
    return tuple(dict.fromkeys(out))


def strip_prefix(path: str, prefix: str) -> str:
    return path[len(prefix):] if prefix and path.startswith(prefix + "/") else path
