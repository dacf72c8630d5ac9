"""The pytest-side half of the protocol: test outcomes per endpoint, and contract requests no
test exercised (BG564).

Observer protocol: see runtime/__init__.py. It runs after the HTTP observer's `contribute`, so
`report.endpoints` carries the recorded endpoints with the tests that called them (`test_ids`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

PASSED = "passed"


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
        for nodeid, outcome in (data.get("outcomes") or {}).items():
            if self.outcomes.get(nodeid) != "failed":
                self.outcomes[str(nodeid)] = str(outcome)

    def contribute(self, report: Any, settings: Any) -> None:
        for entry in report.endpoints:
            ids = entry.get("test_ids")
            if not isinstance(ids, list):
                continue
            entry["tests_failed"] = sorted(t for t in ids if self.outcomes.get(t) != PASSED)
            entry["tests_passed"] = sum(1 for t in ids if self.outcomes.get(t) == PASSED)
        self._untested_requests(report, settings)

    def _untested_requests(self, report: Any, settings: Any) -> None:
        """BG564: a contract request whose route exists but no recorded test called it."""
        project = report.extra.get("project")
        if project is None or not settings["contracts.requests"]:
            return
        from ..checks import load_all
        from ..checks.base import REGISTRY
        from ..evidence import Coverage
        from ..model import Location, fingerprint
        from ..routes import shape
        from .contracts import judged

        load_all(("runtime",))
        cls = REGISTRY["BG564"]
        loaded, verdicts = judged(project)
        cov = report.extra.setdefault("coverage", {}).setdefault("API-CONTRACT", Coverage())
        cov.checks.append(cls.code)
        if cls.code not in {r.code for r in report.rules}:
            report.rules.append(cls.info())
            report.rules.sort(key=lambda r: r.code)
        exercised = {
            (str(e.get("method", "")).upper(), shape(str(e.get("path", ""))))
            for e in report.endpoints
            if e.get("tests")
        }
        prefixes = _prefixes(project)
        judged_any = False
        for request, unmet in verdicts.items():
            if any(u.kind == "route" for u in unmet):
                continue  # no route: BG560 already says so
            judged_any = True
            if any((request.method, shape(_strip(request.endpoint, prefix))) in exercised for prefix in prefixes):
                continue
            finding = cls.make_finding(
                Location(request.file, request.line, 1),
                extra={"endpoint": request.label, "request": request.file, "unmet": "tests"},
                endpoint=request.label,
            )
            report.findings.append(dataclasses.replace(finding, fingerprint=fingerprint(cls.code, request.file, request.label)))
        if judged_any:
            cov.evaluated = True
            cov.evidence["requests"] = len(loaded.requests)


def _prefixes(project: Any) -> list[str]:
    """Server URL paths of the specs: recorded endpoints carry the spec's path ('/items' for '/api/items')."""
    from ..openapi.project import spec_facts

    out = [""]
    for _path, summary in spec_facts(project):
        out.extend(p for p in summary.get("prefixes", []) if isinstance(p, str) and p)
    return list(dict.fromkeys(out))


def _strip(path: str, prefix: str) -> str:
    return path[len(prefix):] if prefix and path.startswith(prefix + "/") else path
