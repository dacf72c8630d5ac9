"""T-KINDS: which kinds of tests the suite has, from markers, folders, names and evidence.

A test that ran (not skipped) gets every kind any signal gives it:
- markers: `@pytest.mark.integration`, `api`, `load`/`performance`/`benchmark`, `security`, `contract`...
- folders and file names: `tests/integration/`, `tests/load/`, `test_security_*.py`...
- fixtures: `benchmark` (pytest-benchmark) is a load test; `live_server` is integration
- test names: `test_unauthorized_...`, `test_sql_injection_...` are security tests
- evidence from the run (CONTEXT.evidence): touched a database -> integration; used a test client
  -> api; a response validated against the spec -> contract; a 401/403 answer -> security.
A test with none of these is a unit test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .context import CONTEXT

KINDS = ("unit", "integration", "api", "load", "security", "contract")


@dataclass(frozen=True, slots=True)
class TestKinds:
    """What the kinds observer recorded: the kinds of every test that ran (not skipped)."""

    __test__ = False  # not a pytest test class

    tests: Mapping[str, tuple[str, ...]]  # nodeid -> kinds

MARKERS = {
    "unit": {"unit", "unittest", "unit_test", "unit_tests", "small"},
    "integration": {"integration", "integration_test", "integration_tests", "e2e", "end_to_end", "functional", "django_db", "db", "database", "system"},
    "api": {"api", "api_test", "api_tests", "http", "endpoint", "endpoints"},
    "load": {"load", "load_test", "performance", "perf", "benchmark", "stress", "locust", "soak"},
    "security": {"security", "sec", "auth", "authz", "authn", "authentication", "authorization", "pentest", "owasp"},
    "contract": {"contract", "contract_test", "schemathesis", "pact", "openapi", "schema"},
}
FOLDERS = {
    "unit": {"unit", "units", "unit_tests", "unittests"},
    "integration": {"integration", "integrations", "integration_tests", "it", "e2e", "functional", "system"},
    "api": {"api", "apis", "api_tests", "endpoints", "http"},
    "load": {"load", "perf", "performance", "benchmark", "benchmarks", "stress", "locust", "load_tests"},
    "security": {"security", "sec", "security_tests", "pentest"},
    "contract": {"contract", "contracts", "pact", "schemathesis", "contract_tests"},
}
FILE_TOKENS = {
    "integration": {"integration", "e2e"},
    "api": {"api", "endpoints"},
    "load": {"load", "perf", "performance", "benchmark", "benchmarks", "stress"},
    "security": {"security", "auth", "authz", "authn", "permissions", "csrf", "xss", "injection"},
    "contract": {"contract", "contracts", "schemathesis", "pact", "openapi"},
}
NAME_SECURITY = re.compile(
    r"unauthori[sz]ed|unauthenticated|forbidden|permission|injection|xss|csrf|security|without_auth|no_auth|"
    r"not_allowed|access_denied|requires_(?:auth|login)|invalid_token|expired_token|brute_force|"
    r"invalid_credentials|wrong_password|bad_password|rate_limit"
)
FIXTURES = {"load": {"benchmark", "aio_benchmark"}, "integration": {"live_server", "transactional_db", "db", "db_session", "dbsession", "django_db_setup", "postgresql", "postgresql_proc"}, "contract": {"schemathesis_case"}}
EVIDENCE = {"sql": "integration", "http": "api", "contract": "contract", "auth-denied": "security"}


def classify(nodeid: str, markers: set[str], fixtures: set[str], evidence: set[str]) -> list[str]:
    kinds: set[str] = set()
    for kind, names in MARKERS.items():
        if markers & names:
            kinds.add(kind)
    path = nodeid.split("::", 1)[0].replace("\\", "/")
    parts = [p.lower() for p in path.split("/")]
    for folder in parts[:-1]:
        for kind, names in FOLDERS.items():
            if folder in names:
                kinds.add(kind)
    stem = os.path.splitext(parts[-1])[0] if parts else ""
    tokens = set(re.split(r"[_\-.]+", stem)) - {"test", "tests"}
    for kind, names in FILE_TOKENS.items():
        if tokens & names:
            kinds.add(kind)
    func = nodeid.rsplit("::", 1)[-1].split("[", 1)[0].lower()
    if NAME_SECURITY.search(func):
        kinds.add("security")
    for kind, names in FIXTURES.items():
        if fixtures & names:
            kinds.add(kind)
    for ev, kind in EVIDENCE.items():
        if ev in evidence:
            kinds.add(kind)
    if not kinds:
        kinds.add("unit")
    return sorted(kinds)


class KindsObserver:
    name = "kinds"
    gates = ("T-KINDS",)

    def __init__(self) -> None:
        self.plugin: Any = None
        self.tests: dict[str, list[str]] = {}
        self.skipped: set[str] = set()
        self._items: dict[str, tuple[set[str], set[str]]] = {}

    def start(self, plugin: Any) -> None:
        self.plugin = plugin
        plugin.pytest_config.pluginmanager.register(self, "backend_gates_kinds")

    def stop(self) -> None:
        try:
            pm = self.plugin.pytest_config.pluginmanager
            if pm.is_registered(self):
                pm.unregister(self)
        except Exception:  # pragma: no cover - defensive
            pass

    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> None:
        try:
            markers = {m.name.lower() for m in item.iter_markers()}
            fixtures = set(getattr(item, "fixturenames", ()) or ())
            self._items[item.nodeid] = (markers, fixtures)
        except Exception:  # pragma: no cover - defensive
            self._items[item.nodeid] = (set(), set())

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.skipped and report.when in ("setup", "call") and not hasattr(report, "wasxfail"):
            self.skipped.add(report.nodeid)
        if report.when != "teardown":
            return
        markers, fixtures = self._items.pop(report.nodeid, (set(), set()))
        if report.nodeid in self.skipped:
            return
        evidence = set(CONTEXT.evidence.get(report.nodeid, ()))
        self.tests[report.nodeid] = classify(report.nodeid, markers, fixtures, evidence)

    def worker_data(self) -> dict[str, Any]:
        return {"tests": self.tests}

    def merge(self, data: dict[str, Any]) -> None:
        self.tests.update(data.get("tests", {}))

    def recorded(self) -> TestKinds:
        return TestKinds({nodeid: tuple(kinds) for nodeid, kinds in sorted(self.tests.items())})


def _severity(settings: Any, cls: Any) -> Any:
    """The configured severity of the missing-kinds verdict (info by default); None when ignored."""
    from ..model import Severity

    ignored = {t.upper() for t in settings["ignore"]}
    if {cls.code.upper(), cls.name.upper(), "T-KINDS", "TESTS"} & ignored:
        return None
    overrides = {k.upper(): v for k, v in settings["severity"].items()}
    for key in (cls.code.upper(), cls.name.upper(), "T-KINDS"):
        if key in overrides:
            return Severity.parse(overrides[key])
    return cls.severity

HOW = {
    "unit": "a test that needs no database or HTTP client",
    "integration": "@pytest.mark.integration, tests/integration/, or a test that touches the database",
    "api": "@pytest.mark.api, tests/api/, or a test that calls the app through a test client",
    "load": "@pytest.mark.load/performance/benchmark, tests/load/, or the pytest-benchmark fixture",
    "security": "@pytest.mark.security, tests/security/, or a test that checks a 401/403 answer",
    "contract": "@pytest.mark.contract, tests/contract/, or responses validated against the OpenAPI spec",
}
