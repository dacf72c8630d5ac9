"""Runtime observers for `pytest --backend-gates`: SQL capture, HTTP recording, coverage, test kinds.

An observer is a plain object registered by the plugin when enabled:

    class Observer:
        name = "sql"                                   # key for xdist worker output
        def start(self, plugin) -> None                # install capture (patches, event hooks)
        def stop(self) -> None                         # undo everything start() did
        def worker_data(self) -> dict                  # JSON-safe aggregates (xdist workers)
        def merge(self, data: dict) -> None            # controller: fold one worker's data in
        def recorded(self[, project][, endpoints]) -> <typed evidence>  # what it saw; judged by the runtime
                                                       # checks whose `observes` is its name (checks/runtime/);
                                                       # it may name `project` (the static run's facts) and
                                                       # `endpoints` (earlier observers' recorded endpoints)
        # or, for an observer that still judges itself:
        def evidence(self, settings[, project]) -> Evidence  # findings, Judged, metrics, endpoints (evidence.py);
                                                       # `project`: the static run's facts (engine.Project)

Observers never raise into a test: every capture path catches its own errors and records them
(`self.errors`), and an `evidence` failure makes the observer's `gates` not_evaluated with the
reason. Observers hand over evidence; they never edit a report (the run's `finish` builds it).

Contracts between observers (they run in one process; xdist workers each have their own):
- SQL capture, for every statement run while an HTTP request scope is open, increments
  `CONTEXT.request.data["sql_count"]`, and for INSERT/UPDATE/DELETE also `["sql_writes"]`
  (the HTTP observer reads them when the request ends: unsafe GET, queries per request).
- `CONTEXT.note("sql" | "http" | "contract")` marks evidence for T-KINDS (what the test's own
  call phase did: fixtures' set-up work does not make a test "integration").
- `RequestScope.data["view"]` = (file, first line, name) of the view serving the request (server
  hooks); `["sql_write_tables"]` = {table: writes} (SQL capture).
- Metric shapes (`Evidence.metrics`, then the report's; consumed by the HTML report and the
  event schema):
  `report.metrics["latency"]`  = {"GET /users/{id}": {"p95_ms", "max_ms", "samples", "judged_by": p95|max, "status": passed|failed|noisy,
                                   "cpu_wait_ms" (when some: time the request waited for a CPU, left out of the durations)}}
  `report.metrics["queries"]`  = {"<fingerprint>": {"sql" (redacted example), "count", "max_ms", "p95_ms", "tests" (up to 3 examples), "test_count"}}
  `report.metrics["errors"]`   = {"responses", "server_errors", "rate_percent", "excluded"}
  `report.metrics["coverage"]` = {"percent", "covered_lines", "num_statements", "files": {path: percent}}
  `report.metrics["spec_coverage"]` = {"operations", "exercised", "percent", "untested": ["GET /x"]}
  `report.metrics["test_kinds"]` = {"unit": n, "integration": n, "api": n, "contract": n, "load": n, "security": n, "missing": [...]}
  `report.endpoints` = [{"method", "path", "requests", "p95_ms", "documented", "conformant", "tests", "ready"}]
  N+1 / slow-query findings carry `extra` = {"scope", "fingerprint", "n", "d", "example", "call_site"}.

`OBSERVERS` lists "module:Class" paths; the plugin imports each only when enabled.
"""

from __future__ import annotations

from .context import CONTEXT, RunContext

OBSERVERS: list[str] = []
OBSERVERS.append("backend_gates.runtime.sql:SqlObserver")  # SQL capture: DB-PERF, M-QUERY, DB-INDEX, DB-MIGRATE

__all__ = ["CONTEXT", "OBSERVERS", "RunContext"]

# HTTP capture, conformance, latency/error metrics (runtime/http.py)
OBSERVERS.append("backend_gates.runtime.http:HttpObserver")
# test kinds (T-KINDS) and coverage (M-COVERAGE): runtime/kinds.py, runtime/covgate.py
OBSERVERS.append("backend_gates.runtime.kinds:KindsObserver")
OBSERVERS.append("backend_gates.runtime.covgate:CoverageObserver")
# test outcomes per endpoint (backend.api.ready) and untested contract requests: protocol/outcomes.py
OBSERVERS.append("backend_gates.protocol.outcomes:OutcomesObserver")
# SEC-AUTHN: opt-in replay of credentialed requests without credentials (runtime/replay.py)
OBSERVERS.append("backend_gates.runtime.replay:ReplayObserver")
