"""Runtime checks evaluated from the HTTP requests a test run recorded (runtime/http.py).

Most classes document codes the HTTP observer reports itself; BG566 judges the replay observer's
`ReplayRecord` (runtime/replay.py).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re

from ...model import Finding, Location, Severity, fingerprint
from ...protocol.outcomes import Exercised, OutcomesRecord, RequestState, strip_prefix
from ...routes.model import normalize_path, shape
from ...runtime.replay import GuardedRoute, Replay, ReplayRecord
from ..base import Bad, Option, Recorded, RuntimeCheck, Verdict
from ...patterns import lazy

# bookkeeping a framework or middleware writes on any request: sessions, caches, request logs,
# rate-limit counters (fnmatch patterns, lower case)
BOOKKEEPING_TABLES = [
    "*session*", "*cache*", "*_log", "*_logs", "*log_entr*", "*logentr*", "*request_log*", "*access_log*",
    "log_*", "logs_*", "*ratelimit*", "*rate_limit*", "*throttl*", "*tokenbucket*", "*token_bucket*", "axes_access*", "silk_*",
]

# columns an UPDATE of one row may set as bookkeeping: when it was last seen or used, and
# visit/hit counters (fnmatch patterns, lower case). `col = col + n` is a counter whatever its name.
BOOKKEEPING_COLUMNS = [
    "last_seen*", "*_last_seen*", "last_login*", "last_activ*", "last_access*", "last_used*", "last_request*",
    "last_visit*", "last_view*", "last_ping*", "last_hit*", "*_seen_at", "seen_at", "accessed_at", "*_accessed_at", "used_at",
    "*_count", "count", "hits", "*_hits", "views", "*_views", "visits", "*_visits", "*_counter",
    "updated_at", "modified_at", "updated_on", "modified_on", "date_modified", "last_modified",
]
_KEY_COLUMNS = ("id", "pk", "uuid", "*_id", "*_pk", "*_uuid")
_UPDATE = lazy(
    r"^\s*update\s+(?:or\s+\w+\s+)?(?:only\s+)?(?P<table>\S+)\s+set\s+(?P<sets>.+?)\s+where\s+(?P<where>.+?)"
    r"\s*(?:\breturning\b.*)?;?\s*$",
    re.I | re.S,
)
_VALUE = r"(?:\?|%s|%\(\w+\)s|\$\d+|:\w+|'[^']*'|-?\d+(?:\.\d+)?)"
_TERM = lazy(rf"^\(?\s*(?P<col>[\w.\"`\[\]]+)\s*=\s*(?P<value>{_VALUE})\s*\)?$", re.I)
_STEP = lazy(rf"^(?:coalesce\(\s*)?(?P<col>[\w.\"`\[\]]+)(?:\s*,\s*0\s*\))?\s*[+-]\s*{_VALUE}$", re.I)


def _column(name: str) -> str:
    return name.split(".")[-1].strip('`"[]').lower()


def _split_top(text: str, sep: str = ",") -> list[str]:
    """`text` split at `sep` outside parentheses and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == sep and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts]


def bookkeeping_update(sql: str, columns: list[str]) -> bool:
    """Whether `sql` is an UPDATE of one row (WHERE: equalities only, one on a key column) that
    sets only bookkeeping columns (`columns`, fnmatch) or counters (`n = n + 1`)."""
    match = _UPDATE.match(sql)
    if match is None:
        return False
    for assignment in _split_top(match.group("sets")):
        name, eq, value = assignment.partition("=")
        if not eq:
            return False
        column = _column(name.strip())
        step = _STEP.match(value.strip())
        counter = step is not None and _column(step.group("col")) == column
        if not counter and not any(fnmatch.fnmatchcase(column, p) for p in columns):
            return False
    terms = re.split(r"\s+and\s+", match.group("where").strip(), flags=re.I)
    keyed = False
    for term in terms:
        found = _TERM.match(term.strip())
        if found is None:  # OR, IN, ranges, sub-queries: possibly many rows
            return False
        keyed = keyed or any(fnmatch.fnmatchcase(_column(found.group("col")), p) for p in _KEY_COLUMNS)
    return keyed


class UndocumentedResponseStatus(RuntimeCheck):
    """A recorded response has a status code its spec operation does not document.

    Why it matters: Clients generated from the spec (and people reading it) do not expect the
    status; an undocumented 500 or 409 is an outage in someone else's code.
    Known limits: the lookup is exact code, then a `2XX`-style range, then `default`; requests that
    match no spec operation are not judged. Responses reached through redirects are judged against
    the final request.
    """

    code = "BG540"
    name = "undocumented-response-status"
    gate = "API-STATUS"
    severity = Severity.ERROR
    message = "{operation} answered {status}, which the spec does not document ({count} response(s), e.g. {test})"
    fix = "document the status in the operation's `responses`, or fix the handler"
    good = ["`GET /users/{id}` documents 200 and 404; the tests receive 200 and 404."]
    bad = [Bad("`GET /users/{id}` documents 200 only; a test receives 404.")]


class ResponseSchemaMismatch(RuntimeCheck):
    """A recorded response body does not match the schema documented for its status and media type.

    Why it matters: The documentation is out of date with the code, so clients built from it break.
    Known limits: JSON bodies only; validation uses openapi-schema-validator (OpenAPI 3.0 `nullable`,
    `readOnly`/`writeOnly`, 3.1 JSON Schema); unknown `format`s are ignored; only local `$ref`s
    (`#/...`) are resolved.
    """

    code = "BG541"
    name = "response-schema-mismatch"
    gate = "API-DOCS"
    severity = Severity.ERROR
    message = "{operation} {status} body does not match the spec at {schema_path}: {detail} ({count} response(s), e.g. {test})"
    fix = "update the response schema in the spec, or make the handler return what it documents"
    good = ["The spec says `id: integer`; the response has `\"id\": 7`."]
    bad = [Bad("The spec says `id: integer`; the response has `\"id\": \"7\"`.")]


class ResponseContentTypeMismatch(RuntimeCheck):
    """A response's Content-Type is missing or not among the media types documented for its status.

    Why it matters: A documented body sent without a Content-Type (or as another type) cannot be
    decoded the way the spec promises.
    Known limits: empty bodies are not judged; media ranges (`application/*`, `*/*`) are honoured.
    """

    code = "BG542"
    name = "response-content-type-mismatch"
    gate = "API-DOCS"
    severity = Severity.ERROR
    message = "{operation} {status}: {detail} ({count} response(s), e.g. {test})"
    fix = "send the documented Content-Type, or document the one the handler sends"
    good = ["`200` documents `application/json`; the response says `application/json; charset=utf-8`."]
    bad = [Bad("`200` documents `application/json`; the response has a body but no Content-Type.")]


class MissingResponseHeader(RuntimeCheck):
    """A header the spec marks `required: true` for a response is absent.

    Why it matters: Clients relying on the documented header (Location, rate-limit headers) break.
    Known limits: only headers declared with `required: true` are checked; values are not validated.
    """

    code = "BG543"
    name = "missing-response-header"
    gate = "API-DOCS"
    severity = Severity.WARNING
    message = "{operation} {status}: required header {header} is missing ({count} response(s), e.g. {test})"
    fix = "send the header, or stop documenting it as required"
    good = ["`201` requires `Location`; the response carries `Location: /users/7`."]
    bad = [Bad("`201` requires `Location`; the response has none.")]


class UntestedSpecOperation(RuntimeCheck):
    """A spec operation that no test exercised during the run.

    Why it matters: Nothing shows the documentation of that operation is true. The share of
    exercised operations is reported as `metrics.spec_coverage`.
    Known limits: an operation counts as exercised when any recorded request matched it, whatever
    the status; requests made by tools that bypass the supported test clients are not seen.
    """

    code = "BG544"
    name = "untested-spec-operation"
    gate = "API-DOCS"
    severity = Severity.INFO  # each one is a pointer; the gate fails on the share (BG567)
    message = "spec operation {operation} was not exercised by any test ({percent}% of {total} operations exercised)"
    fix = "add a test that calls the operation through a test client"
    good = ["Every operation in openapi.yaml is called by at least one test."]
    bad = [Bad("`DELETE /users/{id}` is in openapi.yaml; no test calls it.")]


class ErrorBodyWithSuccessStatus(RuntimeCheck):
    """A 2xx response whose JSON body is an error object (`{"error": ...}`, `{"success": false}`).

    Why it matters: Clients, proxies, retries and monitoring read the status code; an error hidden
    in a 200 is counted as a success everywhere.
    Known limits: recognises objects made only of error-style keys (`error`, `errors`, `message`,
    `detail`, `code`, `status` ...) with a non-empty `error`/`errors`, or `success`/`ok` false; a
    body whose documented schema declares such a key is not judged.
    """

    code = "BG545"
    name = "error-body-with-success-status"
    gate = "API-STATUS"
    severity = Severity.ERROR
    message = "{endpoint} answered {status} with an error object ({keys}) ({count} response(s), e.g. {test})"
    fix = "return a 4xx/5xx status with the error body"
    good = ["A validation failure answers `422` with `{\"error\": \"name is required\"}`."]
    bad = [Bad("A validation failure answers `200` with `{\"error\": \"name is required\"}`.")]


class UnsafeGetRequest(RuntimeCheck):
    """A GET/HEAD request during which INSERT, UPDATE or DELETE statements ran on application tables.

    Why it matters: GET must be safe: crawlers, prefetchers, caches and retries repeat it freely.
    The finding sits at the view that served the request and names the tables written.
    Bookkeeping is not a state change of the resource and is left out: writes to tables that
    frameworks and middleware write on any request (session saves, cache rows, request logs,
    rate-limit counters: `ignore_tables`), and an UPDATE of one row (equalities on a key column)
    that sets only when-last-seen/used timestamps and counters (`bookkeeping_columns`, or
    `n = n + 1` under any name), such as the authenticated user's `last_seen`.
    Known limits: needs the SQL capture (statements are attributed to the innermost recorded
    request, also when the app runs in another thread); writes by background workers are not seen;
    tables and columns are read from the statement's text (writes through CTEs count as "?"); an
    ORM that saves every column of the row (`user.save()` after touching `last_login`) is a
    full-row update and is reported. A route that writes the same tables on POST as on GET (a
    ping or webhook URL that accepts any method by design) is reported as a warning, not an error.
    """

    code = "BG546"
    name = "unsafe-get-request"
    gate = "API-REST"
    severity = Severity.ERROR
    message = "{endpoint} ({view}) wrote to {tables} during a {method} request ({count} request(s), e.g. {test})"
    fix = "move the write to a POST/PUT/PATCH/DELETE endpoint"
    options = {
        "ignore_tables": Option(list[str], BOOKKEEPING_TABLES, "Tables (fnmatch patterns) whose writes are bookkeeping, not a state change"),
        "bookkeeping_columns": Option(
            list[str], BOOKKEEPING_COLUMNS,
            "Columns (fnmatch patterns) a one-row UPDATE may set during a GET as bookkeeping (last seen, counters)",
        ),
    }
    # statements run during a GET: bookkeeping (good) or a state change (bad); the tests judge each
    good = [
        "UPDATE users SET last_seen=? WHERE users.id = ?",
        'UPDATE "auth_user" SET "last_login" = %s WHERE "auth_user"."id" = %s',
        "UPDATE articles SET views_count = views_count + 1, last_viewed_at = ? WHERE id = ?",
        "UPDATE api_keys SET last_used_at = now() WHERE api_keys.key_id = $1",
    ]
    bad = [
        Bad("UPDATE users SET last_seen=?, email=? WHERE users.id = ?"),
        Bad("UPDATE users SET last_name=? WHERE users.id = ?"),
        Bad("UPDATE users SET last_seen=? WHERE users.active = ?"),
        Bad("UPDATE users SET last_seen=? WHERE users.id IN (?, ?)"),
        Bad("UPDATE orders SET status = 'shipped' WHERE id = ?"),
        Bad("DELETE FROM posts WHERE id = ?"),
        Bad("INSERT INTO posts (text) VALUES (?)"),
    ]

    def writes_state(self, sql: str) -> bool:
        """Whether a statement run during a GET changes state (not bookkeeping of one row)."""
        return not bookkeeping_update(sql, [str(c).lower() for c in self.opts.get("bookkeeping_columns", BOOKKEEPING_COLUMNS)])


class SensitiveFieldInResponse(RuntimeCheck):
    """A recorded JSON response contains a sensitive field name (password, secret, SSN, card number).

    Why it matters: Hashes, secrets and card data leak to every client and every log that keeps
    responses. The value is never printed.
    Known limits: judged by field name (camelCase and snake_case), anywhere in a 2xx JSON body up
    to depth 8 except under error keys (`errors`, `detail`: validation errors name input fields);
    only string/number values count (a field described by an object, as in a schema document or
    DRF's OPTIONS metadata, is not a value); fields whose value is null or empty, and metadata fields (`password_changed_at`,
    `has_password`, `card_last4`), are not findings; issued tokens (`access_token`) are expected.
    """

    code = "BG547"
    name = "sensitive-field-in-response-body"
    gate = "SEC-CRYPTO"
    severity = Severity.ERROR
    message = "{endpoint} returned the sensitive field `{field}` ({count} response(s), e.g. {test})"
    fix = "leave the field out of the response model"
    good = ["`GET /users/7` returns `{\"id\": 7, \"email\": \"a@b.c\"}`."]
    bad = [Bad("`GET /users/7` returns `{\"id\": 7, \"password_hash\": \"...\"}`.")]


class SlowEndpoint(RuntimeCheck):
    """An endpoint's latency over the recorded requests is above the budget.

    Why it matters: P95 is what a fifth of busy users wait for; test-client latency is a floor,
    so a slow p95 here is slower in production.
    With at least `thresholds.latency-min-samples` requests the p95 is judged; with fewer (the
    common case in a test suite) the maximum is, and the message says how many samples there were.
    Either way the budget fails only on latency clearly above it (at least two requests over it, or,
    with enough samples for a p95, one at three times it); a lone slow request (often the app's
    cold first one) is reported at info as noise. Time a request spent waiting for a CPU (the
    machine busy with other work, measured from Linux's scheduler statistics of the client's
    thread and of the app's thread) is left out of its duration: a loaded CI machine does not
    make an endpoint slow, while time the endpoint spends running, sleeping or waiting for I/O
    counts.
    Known limits: latency includes the test client's own overhead; outside Linux, CPU waits are
    not known and the wall-clock duration is judged; the CPU waits of a thread-pool thread that
    runs a sync endpoint are not measured (they count as latency).
    """

    code = "BG548"
    name = "slow-endpoint"
    gate = "M-LATENCY"
    severity = Severity.ERROR
    message = "{endpoint}: {statistic} latency {p95} ms over {samples} request(s) is above the {budget} ms budget"
    fix = "profile the endpoint (queries per request, blocking calls) or raise thresholds.latency-p95-ms"
    good = ["`GET /users` p95 35 ms over 40 requests (budget 200 ms)."]
    bad = [Bad("`GET /report` p95 480 ms over 25 requests (budget 200 ms).")]


class ServerErrorRate(RuntimeCheck):
    """The share of 5xx responses among the recorded responses is above the budget.

    Why it matters: A server error in a test run is a crash users would see.
    Known limits: responses in tests marked xfail or `backend_gates_expect_errors`, made inside
    `pytest.raises`, or asserted by a passing test (its source compares with that 5xx status, e.g.
    `assert r.status_code == 503`) are excluded; a client call that raised (no response) is not counted.
    """

    code = "BG549"
    name = "server-error-rate"
    gate = "M-ERRORS"
    severity = Severity.ERROR
    message = "{server_errors} of {responses} responses were 5xx ({rate}%, budget {budget}%), e.g. {example}"
    fix = "fix the crashes, or mark tests that expect a 5xx with @pytest.mark.backend_gates_expect_errors"
    good = ["400 responses, none 5xx."]
    bad = [Bad("400 responses, 3 of them 500 in tests that do not expect errors.")]


_ITEMS_REQUEST = RequestState("GET /api/items", "GET", "/api/items", "contracts/web.json", 1, True)
_ITEMS_CALLED = Exercised("GET", "/api/items", ("tests/test_items.py::test_list",))


class ContractEndpointUntested(RuntimeCheck):
    """A contract request's endpoint exists, but no test of the run called it.

    Why it matters: the frontend is told the endpoint is ready only when tests show it works; an
    endpoint no test exercised is a promise nobody checked.
    Known limits: only requests through a supported test client are seen (see the plugin guide);
    evaluated by `pytest --backend-gates` only.
    """

    code = "BG564"
    name = "contract-endpoint-untested"
    gate = "API-CONTRACT"
    severity = Severity.WARNING
    message = "contract request {endpoint}: no test exercised the endpoint"
    fix = "add a test that calls the endpoint through the app's test client"
    good = ["`GET /api/items` is requested in contracts/web.json; tests/test_items.py calls it."]
    bad = [Bad("`GET /api/items` is requested in contracts/web.json; no test calls it.")]
    observes = "outcomes"
    examples = [
        Recorded(OutcomesRecord({}, (_ITEMS_CALLED,), (_ITEMS_REQUEST,)), 0, title="a test called the requested endpoint"),
        Recorded(OutcomesRecord({}, (), (_ITEMS_REQUEST,)), 1, title="no test called it"),
        Recorded(OutcomesRecord({}, (Exercised("GET", "/items", ("t",)),), (_ITEMS_REQUEST,), ("", "/api")), 0,
                 title="the recorded path lacks the spec's server prefix"),
        Recorded(OutcomesRecord({}, (), (dataclasses.replace(_ITEMS_REQUEST, route_exists=False),)), 0,
                 title="no route: BG560 says so, not judged here"),
        Recorded(OutcomesRecord(reason="no contract requests configured"), 0, title="no requests: not judged"),
    ]

    def judge(self, recorded: OutcomesRecord) -> Verdict:
        if recorded.requests is None:
            return Verdict(reason=recorded.reason or "contract requests not judged")
        exercised = {(e.method, shape(e.path)) for e in recorded.exercised}
        findings: list[Finding] = []
        judged = [r for r in recorded.requests if r.route_exists]  # no route: BG560 already says so
        if not judged:
            return Verdict(reason="no contract request's route exists (BG560)")
        for request in judged:
            if any((request.method, shape(strip_prefix(request.endpoint, p))) in exercised for p in recorded.prefixes):
                continue
            finding = self.make_finding(
                Location(request.file, request.line, 1),
                extra={"endpoint": request.label, "request": request.file, "unmet": "tests"},
                endpoint=request.label,
            )
            findings.append(dataclasses.replace(finding, fingerprint=fingerprint(self.code, request.file, request.label)))
        return Verdict(tuple(findings), notes={"requests": len(recorded.requests)})


class SpecCoverageBelowThreshold(RuntimeCheck):
    """The tests exercised a smaller share of the spec's operations than `thresholds.spec-coverage-percent`.

    Why it matters: documentation no test exercises is documentation nobody checked; below the
    threshold the spec as a whole is not shown to be true. The operations are listed one by one
    as BG544 (info) and in `metrics.spec_coverage.untested`.
    Known limits: an operation counts as exercised when any recorded request matched it, whatever
    the status; the threshold is in percent of distinct operations (method + path).
    """

    code = "BG567"
    name = "spec-coverage-below-threshold"
    gate = "API-DOCS"
    severity = Severity.WARNING
    message = "the tests exercised {exercised} of {total} spec operations ({percent}%), below thresholds.spec-coverage-percent ({threshold}%)"
    fix = "add tests for the untested operations (BG544), or lower thresholds.spec-coverage-percent"
    good = ["8 of the 10 operations in openapi.yaml are called by tests (threshold 50%)."]
    bad = [Bad("2 of the 10 operations in openapi.yaml are called by tests (threshold 50%).")]


_STATS = GuardedRoute("GET", "/admin/stats", "app/main.py", 12, ("require_user",))
_REPORT = GuardedRoute("GET", "/reports/{report_id}", "app/main.py", 20, ("get_current_user",))


def _replay(path: str, status: int, template: str | None = None) -> Replay:
    """One replayed request for the examples (removed: the Authorization header)."""
    return Replay("GET", path, path if template is None else template, "tests/test_api.py::test_it", status, ("authorization",))


class GuardNotEnforcedAtRuntime(RuntimeCheck):
    """A route with an authentication guard answered 2xx when its test's request was replayed without credentials.

    Opt-in: `[tool.backend-gates.runtime] replay-unauthenticated = true`. After a test's call
    phase, the first credentialed request per endpoint is sent again through the same in-process
    client with its Authorization/Cookie/API-key headers, credential query parameters and client
    auth removed (safe methods only unless `runtime.replay-methods` allows more).

    Why it matters: the code declares a guard, but at runtime it lets an anonymous request through
    (a no-op dependency, a guard that only logs, an override left in place, a misordered
    middleware): the endpoint is public in fact.
    Known limits: only the first credentialed request per endpoint is replayed; requests made
    without credentials are not; clients: httpx/httpx2 sync and async (TestClient,
    `AsyncClient(transport=ASGITransport(app))`), Werkzeug/Flask and Django test clients (DRF's
    APIClient included; Django's async client is not replayed); a replay the app answers by
    raising counts as rejected.
    """

    code = "BG566"
    name = "guard-not-enforced-at-runtime"
    gate = "SEC-AUTHN"
    severity = Severity.ERROR
    message = "{endpoint} answered {status} to a replay without credentials ({removed} removed; from {test}); its guard {guards} did not reject it"
    fix = "make the guard reject requests without valid credentials (raise 401/403), and test that it does"
    good = ["`GET /admin/stats` depends on `require_user`; replayed without the Authorization header it answers 401."]
    bad = [Bad("`GET /admin/stats` depends on `require_user`, which returns None when the header is missing; the replay answers 200.")]
    observes = "replay"
    examples = [
        Recorded(ReplayRecord(True, (_replay("/admin/stats", 401),), (_STATS,)), 0, title="the guard rejects the replay"),
        Recorded(ReplayRecord(True, (_replay("/admin/stats", 200),), (_STATS,)), 1, title="the guard lets the replay through"),
        Recorded(ReplayRecord(True, (_replay("/admin/stats", 200, template="/admin/stats"),), ()), 0,
                 title="a route without a guard in the code: public by design, not judged"),
        Recorded(ReplayRecord(True, (_replay("/reports/7", 200, template=""),), (_REPORT,)), 1,
                 title="no template from the framework: the concrete path matches the guarded route"),
        Recorded(ReplayRecord(False), 0, title="replay off: not judged"),
        Recorded(ReplayRecord(True, (_replay("/admin/stats", 200),), None), 0, title="no static route table: not judged"),
    ]

    def judge(self, recorded: ReplayRecord) -> Verdict:
        if not recorded.enabled:
            return Verdict(reason="runtime: unauthenticated replay is off (set runtime.replay-unauthenticated = true)")
        if recorded.guarded is None:
            return Verdict(reason="runtime: unauthenticated replay not judged: the static route table is needed (static gates were skipped)")
        guarded = {(r.method.upper(), shape(r.path)): r for r in recorded.guarded}
        seen: set[tuple[str, str]] = set()
        findings: list[Finding] = []
        for replay in sorted(recorded.replays, key=lambda r: (r.method, r.template, r.test)):
            key = (replay.method, shape(normalize_path(replay.template or replay.path)))
            route = guarded.get(key) or _match_concrete(replay, guarded)
            if route is None:
                continue
            key = (route.method.upper(), shape(route.path))
            if key in seen:
                continue
            seen.add(key)
            if not 200 <= replay.status < 300:
                continue
            label = f"{replay.method} {route.path}"
            finding = self.make_finding(
                Location(route.file, route.line, 1),
                extra={"endpoint": label, "route": label, "status": replay.status, "test": replay.test,
                       "removed": list(replay.removed), "guards": list(route.guards)},
                endpoint=label, status=replay.status, guards=", ".join(route.guards), test=replay.test,
                removed=", ".join(replay.removed),
            )
            findings.append(dataclasses.replace(finding, fingerprint=fingerprint(self.code, route.file, label)))
        notes = {"unauthenticated_replays": {"replayed": len(recorded.replays), "guarded_endpoints_judged": len(seen)}}
        if not seen:
            return Verdict(reason="runtime: no credentialed request to a guarded route was replayed", notes=notes)
        return Verdict(tuple(findings), notes=notes)


def _match_concrete(replay: Replay, guarded: dict[tuple[str, str], GuardedRoute]) -> GuardedRoute | None:
    """A replay without a route template: match its concrete path against the guarded templates."""
    for (method, template_shape), route in guarded.items():
        if method != replay.method:
            continue
        pattern = "^" + re.escape(template_shape).replace(r"\{\}", "[^/]+") + "/?$"
        if re.match(pattern, replay.path):
            return route
    return None
