"""HTTP observer: records requests made through test clients and judges them.

Per request: method, path, matched spec operation (the framework's route template when known),
status, content type and duration. The body is parsed and validated right away and then dropped:
only aggregates (per endpoint durations, counts per finding key) are kept, so memory stays flat.

Gates: API-STATUS (undocumented status, 2xx error bodies), API-DOCS (schema / content type /
required headers, untested operations), API-REST (unsafe GET, with the SQL observer's counts),
SEC-CRYPTO (sensitive field names), M-LATENCY (p95 per endpoint), M-ERRORS (5xx rate).
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

from ..evidence import Evidence, EvidenceBuilder
from ..model import Finding, Location, fingerprint
from ..redact import redact_text
from . import patches
from .context import CONTEXT

log = logging.getLogger(__name__)

MAX_BODY = 2_000_000  # bytes parsed for validation
MAX_SAMPLES = 10_000  # durations kept per endpoint
MAX_ENDPOINTS = 2_000  # distinct endpoints kept (undocumented concrete paths beyond fold into one)
GATES = ("API-STATUS", "API-DOCS", "API-REST", "SEC-CRYPTO", "M-LATENCY", "M-ERRORS")

ERROR_KEYS = frozenset(
    {"error", "errors", "message", "detail", "details", "code", "status", "status_code", "error_code",
     "error_description", "error_message", "description", "title", "type", "success", "ok", "timestamp",
     "path", "trace_id", "request_id", "instance"}
)

_SENSITIVE = re.compile(
    r"^(?:.*_)?(password|passwd|pwd|password_hash|hashed_password|passwordhash|pass_hash|secret|client_secret|secret_key|"
    r"api_key|apikey|private_key|signing_key|encryption_key|ssn|social_security_number|card_number|credit_card|"
    r"credit_card_number|cc_number|cvv|cvc|cvv2|card_cvv|card_cvc|otp_secret|totp_secret|mfa_secret)$"
)
_NOT_SENSITIVE = re.compile(
    r"(^(has|is|needs|require|requires|must|should|can|allow|allows)_)|(_(at|on|date|time|changed|set|expires|expiry|"
    r"expired|updated|length|policy|required|reset|hint|strength|last4|last_four|type|id|enabled|configured|present|"
    r"masked|count|version)$)"
)


ERROR_SUBTREES = frozenset({"error", "errors", "detail", "details", "messages", "field_errors", "validation_errors", "non_field_errors", "invalid_params"})


def _snake(name: str) -> str:
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def sensitive_fields(body: Any, limit: int = 8) -> set[str]:
    """Dotted paths of sensitive, non-empty fields in a JSON value (names only, never values)."""
    found: set[str] = set()

    def walk(node: Any, prefix: str, depth: int) -> None:
        if depth > limit:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                name = _snake(str(key))
                if name in ERROR_SUBTREES:  # validation errors are keyed by the (input) field names
                    continue
                path = f"{prefix}.{key}" if prefix else str(key)
                if _SENSITIVE.match(name) and not _NOT_SENSITIVE.search(name) and _secret_value(value):
                    found.add(path)
                walk(value, path, depth + 1)
        elif isinstance(node, list):
            for item in node[:50]:
                walk(item, f"{prefix}[]", depth + 1)

    if isinstance(body, dict) and ({"openapi", "swagger", "$schema", "asyncapi"} & set(body)):
        return found  # a spec or schema document names fields, it does not carry their values
    walk(body, "", 0)
    return found


def _secret_value(value: Any) -> bool:
    """A value that can be the secret itself: a non-empty string or number (not a description
    object like DRF's OPTIONS metadata or a schema's `properties.password`)."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, list):
        return any(isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v).strip() for v in value)
    return False


def error_object_keys(body: Any) -> list[str] | None:
    """The keys of `body` when it is an error object, else None."""
    if not isinstance(body, dict) or not body or len(body) > 6:
        return None
    keys = {str(k).lower() for k in body}
    if not keys <= ERROR_KEYS:
        return None
    lowered = {str(k).lower(): v for k, v in body.items()}
    err = lowered.get("error", lowered.get("errors"))
    if err not in (None, "", [], {}, False, 0):
        return sorted(str(k) for k in body)
    if str(lowered.get("status", "")).lower() in ("error", "fail", "failed", "failure") and ({"error", "errors", "message", "detail", "data"} & keys or len(keys) > 1):
        return sorted(str(k) for k in body)
    for flag in ("success", "ok"):
        if lowered.get(flag) is False and ({"error", "errors", "message", "detail"} & keys):
            return sorted(str(k) for k in body)
    return None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, math.ceil(q * len(ordered)) - 1)
    return ordered[k]


def _declares(schema: Any, names: set[str], spec: Any, depth: int = 0) -> bool:
    """Whether a response schema declares one of `names` as a property (then an error key is data)."""
    if depth > 6 or not isinstance(schema, dict):
        return False
    schema = spec.deref(schema) if spec is not None else schema
    if not isinstance(schema, dict):
        return False
    props = schema.get("properties")
    if isinstance(props, dict) and names & {str(k).lower() for k in props}:
        return True
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key) or []:
            if _declares(sub, names, spec, depth + 1):
                return True
    return schema.get("additionalProperties") not in (None, False) and not props


_STATUS_NAMES = {
    500: ("INTERNAL_SERVER_ERROR",), 501: ("NOT_IMPLEMENTED",), 502: ("BAD_GATEWAY",),
    503: ("SERVICE_UNAVAILABLE",), 504: ("GATEWAY_TIMEOUT",),
}


def _asserts_status(source: str, status: int) -> bool:
    """Whether a test's source names this 5xx status (a literal or an HTTPStatus/framework constant):
    the test checks for it, so the answer is expected."""
    compared = (
        rf"(?:==|!=|\bin\b|status(?:_code|_int)?\s*[=:]|assert\w*\(\s*)\s*[(\[{{]?\s*{status}(?![\w.])"
        rf"|(?<![\w./]){status}\s*(?:==|!=)"
        rf"|assert\w*\([^\n]*?,\s*{status}(?![\w.])"  # unittest: self.assertEqual(r.status_code, 503)
    )
    if re.search(compared, source) or f"HTTP_{status}" in source:
        return True
    return any(name in source for name in _STATUS_NAMES.get(status, ()))


class HttpObserver:
    name = "http"
    gates = GATES

    def __init__(self) -> None:
        self.plugin: Any = None
        self.spec: Any = None
        self.spec_errors: list[str] = []
        self.patcher = patches.Patcher()
        self.errors: list[str] = []
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.findings: dict[str, dict[str, Any]] = {}  # key -> {code, fmt, count, test, path, line, extra}
        self.exercised: set[str] = set()
        self.responses = 0
        self.server_errors = 0
        self.excluded = 0
        self.error_examples: list[str] = []
        self.raised = 0
        self.sql_seen = False
        self._pending: dict[str, list[tuple[int, bool, str]]] = {}  # test -> [(status, expect, endpoint)]
        self._locations: dict[str, tuple[str, int]] = {}
        self._item: Any = None
        self.uncaptured: list[str] = []  # test clients in use that the capture does not hook
        self.app_target = ""
        self.app_spec_pending = False
        self.cache_dir = ".backend-gates"
        self.spec_source = ""  # "" (files) | "openapi.app" | "discovered"
        self.ignore_tables: list[str] = []  # BG546: bookkeeping tables (fnmatch, lower case)
        self.unsafe_get: Any = None  # BG546's check: judges whether a write is bookkeeping
        self.unsafe_writes: dict[str, set[str]] = {}  # route -> tables written by its POST/PUT/PATCH requests
        self.root = ""
        self.asserted = 0  # 5xx responses a passing test asserted on (excluded from M-ERRORS)
        self._sources: dict[str, str] = {}  # test nodeid -> its function's source (for 5xx assertions)

    # ------------------------------------------------------------------ lifecycle
    def start(self, plugin: Any) -> None:
        self.plugin = plugin
        settings = plugin.settings
        import os

        from ..checks.runtime.http_checks import BOOKKEEPING_TABLES

        self.root = os.path.abspath(str(settings.root))
        from ..checks.runtime.http_checks import UnsafeGetRequest
        from ..selection import check_options

        options = check_options(UnsafeGetRequest, settings)
        self.ignore_tables = [str(t).lower() for t in options.get("ignore_tables", BOOKKEEPING_TABLES)]
        self.unsafe_get = UnsafeGetRequest(options, settings)
        try:
            from .spec import SpecIndex

            self.spec = SpecIndex.build(settings.root, list(settings["openapi.spec"]))
            self.spec_errors = list(self.spec.errors)
            patches.EXTRA_HOSTS.update(self.spec.server_hosts())
            # no spec file: the app's generated spec (openapi.app, or the FastAPI app the tests call)
            self.app_target = str(settings["openapi.app"] or "").strip()
            self.app_spec_pending = not self.spec.operations and not self.spec.docs and not self.spec.errors
            self.cache_dir = str(settings["cache-dir"])
        except Exception as exc:
            self.spec_errors.append(f"cannot load the OpenAPI spec: {exc}")
            self.spec = None
        self.patcher.refresh()
        patches._SINK[:] = [self]
        plugin.pytest_config.pluginmanager.register(self, "backend_gates_http")

    def stop(self) -> None:
        patches._SINK.clear()
        patches.APPS.clear()
        self.patcher.undo()
        try:
            if self.plugin is not None and self.plugin.pytest_config.pluginmanager.is_registered(self):
                self.plugin.pytest_config.pluginmanager.unregister(self)
        except Exception:  # pragma: no cover - defensive
            pass

    # pytest hooks (this object is registered as a plugin while started)
    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> None:
        self._item = item
        self.patcher.refresh()

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" and hasattr(report, "wasxfail"):
            for _status, _expect, _endpoint in self._pending.pop(report.nodeid, []):
                self.excluded += 1
            return
        if report.when == "call" and report.passed:
            self._asserted(report.nodeid)
        if report.when == "teardown":
            self._settle(report.nodeid)
            self._sources.pop(report.nodeid, None)

    def pytest_runtest_call(self, item: Any) -> None:
        self.patcher.refresh()
        self._item = item

    def _asserted(self, nodeid: str) -> None:
        """A passing test whose source compares with the 5xx it received asserted it on purpose."""
        pending = self._pending.get(nodeid)
        if not pending or not any(status >= 500 for status, _e, _ep in pending):
            return
        source = self._sources.get(nodeid)
        if source is None:
            return
        kept = []
        for status, expect, endpoint in pending:
            if status >= 500 and not expect and _asserts_status(source, status):
                self.asserted += 1
                kept.append((status, True, endpoint))
            else:
                kept.append((status, expect, endpoint))
        self._pending[nodeid] = kept

    def _remember_source(self, test: str) -> None:
        if test in self._sources:
            return
        item = self._item
        text = ""
        if item is not None and getattr(item, "nodeid", None) == test:
            try:
                import inspect

                text = inspect.getsource(getattr(item, "function", None) or item.obj)
            except Exception:
                text = ""
        self._sources[test] = text

    def _settle(self, nodeid: str) -> None:
        for status, expect, endpoint in self._pending.pop(nodeid, []):
            if expect:
                self.excluded += 1
                continue
            self.responses += 1
            if status >= 500:
                self.server_errors += 1
                if len(self.error_examples) < 5:
                    self.error_examples.append(f"{endpoint} -> {status} in {nodeid}")

    def capture_error(self, exc: BaseException) -> None:
        from .notices import short

        text = short(exc)  # a Resolver404 or a validator error can carry kilobytes
        if len(self.errors) < 20 and text not in self.errors:
            self.errors.append(text)

    # ------------------------------------------------------------------ recording
    def _where(self, test: str | None) -> tuple[str, int]:
        if test is None:
            return ("", 1)
        hit = self._locations.get(test)
        if hit is not None:
            return hit
        path, line = test.split("::", 1)[0], 1
        item = self._item
        if item is not None and getattr(item, "nodeid", None) == test:
            try:
                fspath, lineno, _ = item.location
                path, line = str(fspath).replace("\\", "/"), (lineno or 0) + 1
            except Exception:
                pass
        self._locations[test] = (path, line)
        return path, line

    def _hit(self, key: str, code: str, test: str | None, fmt: dict[str, Any], *, path: str | None = None, line: int | None = None, extra: dict[str, Any] | None = None) -> None:
        entry = self.findings.get(key)
        if entry is None:
            where = self._where(test)
            entry = self.findings[key] = {
                "code": code,
                "fmt": fmt,
                "count": 0,
                "test": test or "(outside tests)",
                "path": path if path is not None else where[0],
                "line": line if line is not None else where[1],
                "extra": extra or {},
            }
        elif test and test < entry["test"]:  # the example is the first test by id: same with xdist
            where = self._where(test)
            entry.update(test=test, path=path if path is not None else where[0], line=line if line is not None else where[1])
        entry["count"] += 1

    def record_exception(self, token: Any) -> None:
        self.raised += 1
        if token.test and getattr(token, "phase", "call") in (None, "call"):
            CONTEXT.evidence.setdefault(token.test, set()).add("http")

    def record(self, token: Any, info: dict[str, Any], duration_ms: float) -> None:
        test = token.test
        scope = token.scope
        method = str(info["method"]).upper()
        path = str(info["path"] or "/")
        status = int(info["status"])
        template = info.get("template") or (scope.template if scope is not None else None)
        if test:
            self._where(test)
            if getattr(token, "phase", "call") in (None, "call"):  # the test's own requests, not a fixture's
                CONTEXT.evidence.setdefault(test, set()).add("http")
                if status in (401, 403):
                    CONTEXT.evidence.setdefault(test, set()).add("auth-denied")
        if self.app_spec_pending:
            self._app_spec()
        op = self.spec.match(method, path, template) if self.spec is not None and self.spec.operations else None
        if op is not None:
            endpoint = op.label
        elif info.get("unresolved"):  # no route matched (Django's 404 before any view): one bucket
            endpoint = f"{method} (no matching route)"
        else:
            from ..routes import normalize_path

            endpoint = f"{method} {normalize_path(template) if template else path}"
            if endpoint not in self.endpoints and len(self.endpoints) >= MAX_ENDPOINTS:
                endpoint = f"{method} (other undocumented paths)"
        ep = self.endpoints.get(endpoint)
        if ep is None:
            ep = self.endpoints[endpoint] = {
                "method": method,
                "path": endpoint.split(" ", 1)[1],
                "requests": 0,
                "durations": [],
                "documented": op is not None,
                "tests": [],
                "statuses": {},
            }
        ep["requests"] += 1
        if len(ep["durations"]) < MAX_SAMPLES:
            ep["durations"].append(round(duration_ms, 3))
        waited = float(info.get("waited_ms") or 0.0)
        if waited:  # waiting for a CPU on a loaded machine: left out of `duration_ms`, told in the metrics
            ep["waited_ms"] = ep.get("waited_ms", 0.0) + waited
        if test and test not in ep["tests"] and len(ep["tests"]) < 200:
            ep["tests"].append(test)
        ep["statuses"][str(status)] = ep["statuses"].get(str(status), 0) + 1
        if op is not None:
            self.exercised.add(op.label)

        # M-ERRORS: settled when the test ends (xfail and passing assertions are known only then)
        if test and status >= 500:
            self._remember_source(test)
        if test:
            self._pending.setdefault(test, []).append((status, token.expect, endpoint))
        elif token.expect:
            self.excluded += 1
        else:
            self.responses += 1
            if status >= 500:
                self.server_errors += 1

        # API-REST: unsafe GET (the SQL observer counts writes in the request scope)
        if scope is not None and "sql_count" in scope.data:
            self.sql_seen = True
        writes = int(scope.data.get("sql_writes", 0)) if scope is not None else 0
        if method in ("GET", "HEAD") and writes > 0 and scope is not None:
            self._unsafe_get(scope, endpoint, method, test)
        elif writes > 0 and scope is not None and method in ("POST", "PUT", "PATCH") and len(self.unsafe_writes) < MAX_ENDPOINTS:
            # the same route writing on POST too: a method-agnostic (ping, webhook) endpoint
            route = endpoint.split(" ", 1)[-1]
            tables = scope.data.get("sql_write_tables") or ()
            self.unsafe_writes.setdefault(route, set()).update(tables)
            view_text, _where = self._view_of(scope)
            if view_text != "view unknown":  # the same view serves sibling routes (`/ping/{code}/fail`)
                self.unsafe_writes.setdefault(f"view:{view_text}", set()).update(tables)

        headers = info.get("headers") or {}
        content_type = headers.get("content-type", "")
        raw = info.get("body")
        body: Any = None
        parsed = False
        from .spec import is_json

        wanted = op is not None or 200 <= status < 300  # error answers without a spec: nothing to judge
        if wanted and isinstance(raw, (bytes, bytearray)) and raw and len(raw) <= MAX_BODY and is_json(content_type):
            try:
                body = json.loads(raw)
                parsed = True
            except ValueError:
                body = None

        documented_schema: Any = None
        if op is not None:
            documented_schema = self._conformance(op, status, headers, content_type, raw, body, parsed, test)

        if parsed and 200 <= status < 300:
            keys = error_object_keys(body)
            if keys and not (documented_schema is not None and _declares(documented_schema, {k.lower() for k in keys}, op.spec if op else None)):
                self._hit(f"BG545|{endpoint}|{status}", "BG545", test, {"endpoint": endpoint, "status": status, "keys": ", ".join(keys)}, extra={"endpoint": endpoint, "status": status})
        if parsed and 200 <= status < 300:  # error answers name the input fields they reject
            for field_path in sorted(sensitive_fields(body)):
                self._hit(f"BG547|{endpoint}|{field_path}", "BG547", test, {"endpoint": endpoint, "field": field_path}, extra={"endpoint": endpoint, "field": field_path})

    def _app_spec(self) -> None:
        """Load the app's generated spec once: `openapi.app` (imported if the tests did not), else
        the FastAPI app that served a recorded request."""
        import importlib
        import sys
        from pathlib import Path

        from .spec import SpecIndex

        app: Any = None
        source = ""
        try:
            if self.app_target:
                module_name, _, attr = self.app_target.partition(":")
                module = sys.modules.get(module_name) or importlib.import_module(module_name)
                app = module
                for part in (attr or "app").split("."):
                    app = getattr(app, part)
                source = "openapi.app"
            elif patches.APPS:
                app = patches.APPS[0]
                source = "discovered"
            else:
                return  # not yet: the first request through a FastAPI app will tell
            self.app_spec_pending = False
            self.spec = SpecIndex.from_app(app, Path(self.root), f"{self.cache_dir}/app-openapi.json")
            self.spec_source = source
        except Exception as exc:
            self.app_spec_pending = False
            self.spec_errors.append(f"cannot use the app's generated spec ({self.app_target or type(app).__name__}): {type(exc).__name__}: {exc}"[:300])

    def _view_of(self, scope: Any) -> tuple[str, dict[str, Any]]:
        """("name at path:line", {"path", "line"}) of the view that served the request."""
        view = scope.data.get("view")
        if not view:
            return "view unknown", {}
        import os

        filename, line, name = view
        absolute = os.path.abspath(filename)
        if absolute.startswith(self.root + os.sep):
            rel = os.path.relpath(absolute, self.root).replace(os.sep, "/")
            return f"{name} at {rel}:{line}", {"path": rel, "line": int(line)}
        return str(name), {}

    def _unsafe_get(self, scope: Any, endpoint: str, method: str, test: str | None) -> None:
        """BG546 at the view, naming the application tables written (bookkeeping left out)."""
        import fnmatch

        written = dict(scope.data.get("sql_write_tables") or {"?": int(scope.data.get("sql_writes", 0))})
        for table, sql in scope.data.get("sql_write_statements") or ():
            if self.unsafe_get is not None and not self.unsafe_get.writes_state(sql):  # bookkeeping of one row
                written[table] = written.get(table, 0) - 1
        tables = {
            t: n for t, n in written.items() if n > 0 and not any(fnmatch.fnmatchcase(t, pat) for pat in self.ignore_tables)
        }
        if not tables:
            return
        view_text, where = self._view_of(scope)
        key = f"BG546|{endpoint}"
        self._hit(key, "BG546", test, {"endpoint": endpoint, "method": method, "view": view_text, "tables": ""},
                  extra={"endpoint": endpoint, "view": view_text}, **where)
        entry = self.findings[key]
        seen = entry["extra"].setdefault("tables", {})
        for table, count in tables.items():
            seen[table] = seen.get(table, 0) + count

    def _conformance(self, op: Any, status: int, headers: dict[str, str], content_type: str, raw: Any, body: Any, parsed: bool, test: str | None) -> Any:
        spec = op.spec
        where = {"path": spec.path, "line": op.line}
        found = op.response_for(status)
        if found is None:
            self._hit(f"BG540|{op.label}|{status}", "BG540", test, {"operation": op.label, "status": status}, extra={"operation": op.label, "status": status, "spec": spec.path}, **where)
            return None
        key, response = found
        pointer = f"{op.pointer}/responses/{key}"
        if test:
            CONTEXT.evidence.setdefault(test, set()).add("contract")
        # required headers
        for name, header in (response.get("headers") or {}).items():
            header = spec.deref(header)
            if isinstance(header, dict) and header.get("required") and str(name).lower() not in headers and str(name).lower() != "content-type":
                self._hit(f"BG543|{op.label}|{key}|{name}", "BG543", test, {"operation": op.label, "status": status, "header": name}, extra={"operation": op.label, "status": status, "header": name}, **where)
        has_body = isinstance(raw, (bytes, bytearray)) and len(raw) > 0 and op.method != "HEAD"
        if spec.version.startswith("2"):
            schema = response.get("schema")
            if schema is None or not has_body or not parsed:
                return schema
            return self._validate(op, status, spec, f"{pointer}/schema", schema, body, test, where)
        content = response.get("content")
        if not isinstance(content, dict) or not content or not has_body:
            return None
        if not content_type:
            self._hit(f"BG542|{op.label}|{key}|none", "BG542", test, {"operation": op.label, "status": status, "detail": "a body was sent without a Content-Type; the spec documents " + ", ".join(map(str, content))}, extra={"operation": op.label, "status": status}, **where)
            return None
        from .spec import media_type_for

        media = media_type_for(content, content_type)
        if media is None:
            ct = content_type.split(";", 1)[0].strip()
            self._hit(f"BG542|{op.label}|{key}|{ct}", "BG542", test, {"operation": op.label, "status": status, "detail": f"Content-Type {ct} is not documented (documented: {', '.join(map(str, content))})"}, extra={"operation": op.label, "status": status}, **where)
            return None
        media_obj = spec.deref(content[media]) or {}
        schema = media_obj.get("schema") if isinstance(media_obj, dict) else None
        if schema is None:
            return None
        if not parsed:
            from .spec import is_json

            if is_json(content_type):
                self._hit(f"BG541|{op.label}|{key}|json", "BG541", test, {"operation": op.label, "status": status, "schema_path": f"{pointer}/content/{media}", "detail": "the body is not valid JSON"}, extra={"operation": op.label, "status": status}, **where)
            return schema
        from .spec import _escape

        return self._validate(op, status, spec, f"{pointer}/content/{_escape(media)}/schema", schema, body, test, where)

    def _validate(self, op: Any, status: int, spec: Any, base: str, schema: Any, body: Any, test: str | None, where: dict[str, Any]) -> Any:
        try:
            validator = spec.validator(base, schema)
            from jsonschema.exceptions import best_match

            error = best_match(validator.iter_errors(body))
        except Exception as exc:  # unresolvable $ref, broken schema: not the response's fault
            self.capture_error(exc)
            return schema
        if error is not None:
            schema_path = spec.schema_pointer(base, schema, list(error.relative_schema_path))
            instance = "/" + "/".join(str(p) for p in error.absolute_path)
            detail = redact_text(f"at body {instance}: {error.message}")[:300]
            self._hit(
                f"BG541|{op.label}|{status}|{schema_path}",
                "BG541",
                test,
                {"operation": op.label, "status": status, "schema_path": schema_path, "detail": detail},
                extra={"operation": op.label, "status": status, "schema_path": schema_path, "instance_path": instance},
                **where,
            )
        return schema

    # ------------------------------------------------------------------ xdist
    def _note_uncaptured(self) -> None:
        from .notices import uncaptured_clients

        self.uncaptured = sorted(set(self.uncaptured) | set(uncaptured_clients()))

    def worker_data(self) -> dict[str, Any]:
        for nodeid in list(self._pending):
            self._settle(nodeid)
        self._note_uncaptured()
        return {
            "app_spec": [self.spec.docs[0].path, self.app_target] if self.spec_source and self.spec is not None and self.spec.docs else None,
            "uncaptured": self.uncaptured,
            "endpoints": self.endpoints,
            "findings": self.findings,
            "exercised": sorted(self.exercised),
            "responses": self.responses,
            "server_errors": self.server_errors,
            "excluded": self.excluded,
            "error_examples": self.error_examples,
            "raised": self.raised,
            "asserted": self.asserted,
            "sql_seen": self.sql_seen,
            "unsafe_writes": {route: sorted(tables) for route, tables in self.unsafe_writes.items()},
            "errors": self.errors,
            "locations": {t: list(w) for t, w in list(self._locations.items())[:20000]},
        }

    def merge(self, data: dict[str, Any]) -> None:
        """Fold in one worker's data; damaged data becomes an error of the run (never raises)."""
        try:
            self._merge(data)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            self.errors.append(f"worker: damaged evidence not merged ({type(exc).__name__})")

    def _merge(self, data: dict[str, Any]) -> None:
        if "error" in data and len(data) == 1:
            self.errors.append(f"worker: {data['error']}")
            return
        for route, tables in (data.get("unsafe_writes") or {}).items():
            self.unsafe_writes.setdefault(route, set()).update(tables)
        for key, ep in data.get("endpoints", {}).items():
            mine = self.endpoints.get(key)
            if mine is None:
                self.endpoints[key] = ep
                continue
            mine["requests"] += ep["requests"]
            mine["durations"] = (mine["durations"] + ep["durations"])[:MAX_SAMPLES]
            if ep.get("waited_ms"):
                mine["waited_ms"] = mine.get("waited_ms", 0.0) + ep["waited_ms"]
            mine["documented"] = mine["documented"] or ep["documented"]
            mine["tests"] = list(dict.fromkeys(mine["tests"] + ep["tests"]))[:200]
            for s, n in ep["statuses"].items():
                mine["statuses"][s] = mine["statuses"].get(s, 0) + n
        for key, entry in data.get("findings", {}).items():
            mine = self.findings.get(key)
            if mine is None:
                self.findings[key] = entry
            else:
                mine["count"] += entry["count"]
                tables = mine["extra"].get("tables")
                if isinstance(tables, dict):
                    for t, n in (entry["extra"].get("tables") or {}).items():
                        tables[t] = tables.get(t, 0) + n
                if entry["test"] < mine["test"]:  # deterministic example, whatever the worker order
                    mine.update(test=entry["test"], path=entry["path"], line=entry["line"])
        self.exercised.update(data.get("exercised", []))
        self.responses += data.get("responses", 0)
        self.server_errors += data.get("server_errors", 0)
        self.excluded += data.get("excluded", 0)
        self.error_examples = sorted(self.error_examples + data.get("error_examples", []))[:5]
        self.raised += data.get("raised", 0)
        self.asserted += data.get("asserted", 0)
        self.sql_seen = self.sql_seen or data.get("sql_seen", False)
        self.errors.extend(e for e in data.get("errors", []) if e not in self.errors)
        self.uncaptured = sorted(set(self.uncaptured) | set(data.get("uncaptured", [])))
        app_spec = data.get("app_spec")
        if app_spec and not (self.spec is not None and self.spec.operations):
            try:  # a worker used the app's generated spec: the controller judges with the same one
                from pathlib import Path

                from .spec import SpecIndex

                self.spec = SpecIndex.build(Path(self.root), [str(app_spec[0])])
                self.spec_source = "openapi.app" if app_spec[1] else "discovered"
                self.app_target = str(app_spec[1] or "")
                self.app_spec_pending = False
            except Exception as exc:
                self.spec_errors.append(f"cannot read the generated spec from a worker: {exc}"[:300])
        for test, where in (data.get("locations") or {}).items():
            self._locations.setdefault(test, (str(where[0]), int(where[1])))

    # ------------------------------------------------------------------ gates
    def evidence(self, settings: Any, project: Any = None) -> Evidence:
        from ..checks import load_all
        from ..checks.base import REGISTRY

        load_all(("runtime",))
        for nodeid in list(self._pending):
            self._settle(nodeid)
        self._note_uncaptured()
        out = EvidenceBuilder("runtime:http")
        findings = out.findings
        for key in sorted(self.findings):
            entry = self.findings[key]
            cls = REGISTRY[entry["code"]]
            fmt = dict(entry["fmt"])
            fmt.update(count=entry["count"], test=entry["test"])
            agnostic = False
            if entry["code"] == "BG546":
                written = entry["extra"].get("tables") or {}
                fmt["tables"] = ", ".join(f"{t} ({n}x)" for t, n in sorted(written.items()))
                route = str(entry["extra"].get("endpoint", "")).split(" ", 1)[-1]
                on_post = self.unsafe_writes.get(route, set()) | self.unsafe_writes.get(f"view:{entry['extra'].get('view')}", set())
                agnostic = bool(written) and set(written) <= on_post
            extra = dict(entry["extra"], count=entry["count"], test=entry["test"])
            finding = self._finding(cls, entry["path"], entry["line"], key, extra, fmt)
            if agnostic:  # it writes the same on POST: deliberate (a ping or webhook URL), still unsafe for crawlers
                import dataclasses

                from ..model import Severity

                finding = dataclasses.replace(
                    finding, severity=Severity.WARNING, message=finding.message + "; the route writes the same on POST (a ping/webhook-style endpoint)",
                    extra={**finding.extra, "method_agnostic": True},
                )
            findings.append(finding)

        # untested operations
        spec_ops = self.spec.operations if self.spec is not None else []
        if spec_ops:
            labels = list(dict.fromkeys(op.label for op in spec_ops))
            exercised = [l for l in labels if l in self.exercised]
            percent = round(100.0 * len(exercised) / len(labels), 1)
            untested = [op for op in spec_ops if op.label not in self.exercised]
            out.metrics["spec_coverage"] = {
                "operations": len(labels),
                "exercised": len(exercised),
                "percent": percent,
                "untested": [op.label for op in untested],
                "specs": [d.path for d in self.spec.docs],
            }
            if self.spec_source:
                out.metrics["spec_coverage"]["generated_from"] = self.app_target or "the FastAPI app the tests called"
            cls = REGISTRY["BG544"]
            for op in untested:
                findings.append(self._finding(cls, op.spec.path, op.line, f"BG544|{op.label}", {"operation": op.label}, {"operation": op.label, "percent": percent, "total": len(labels)}))
            threshold = float(settings["thresholds.spec-coverage-percent"])
            if percent < threshold:  # the gate fails on the share, not on each untested operation
                first = self.spec.docs[0].path if self.spec.docs else spec_ops[0].spec.path
                fmt = {"exercised": len(exercised), "total": len(labels), "percent": percent, "threshold": threshold}
                # about the untested operations (readiness: it does not hold back the tested ones)
                findings.append(self._finding(REGISTRY["BG567"], first, 1, "BG567", {**fmt, "operations": [op.label for op in untested]}, fmt))

        # latency
        budget = float(settings["thresholds.latency-p95-ms"])
        min_samples = int(settings["thresholds.latency-min-samples"])
        latency: dict[str, Any] = {}
        judged = 0
        from . import noise

        for key in sorted(self.endpoints):
            ep = self.endpoints[key]
            durations = ep["durations"]
            samples = len(durations)
            p95 = round(percentile(durations, 0.95), 2)
            peak = round(max(durations, default=0.0), 2)
            few = samples < min_samples  # too few for a p95: the maximum is judged
            value = peak if few else p95
            verdict = noise.judge(durations, budget)
            # a single request (often the app's first, cold) never fails the budget on its own
            clearly = verdict.above >= noise.REPEATS if few else verdict.clearly
            over = value > budget
            status = ("failed" if clearly else "noisy") if over else "passed"
            latency[key] = {"p95_ms": p95, "max_ms": peak, "samples": samples, "status": status, "judged_by": "max" if few else "p95"}
            if ep.get("waited_ms"):  # left out of the durations: the machine was busy, not the endpoint
                latency[key]["cpu_wait_ms"] = round(ep["waited_ms"], 1)
            if samples:
                judged += 1
            if over:
                where = self._where(ep["tests"][0]) if ep["tests"] else ("", 1)
                f = self._finding(REGISTRY["BG548"], where[0], where[1], f"BG548|{key}",
                                  {"endpoint": key, "p95_ms": p95, "max_ms": peak, "samples": samples, "judged_by": "max" if few else "p95", "noisy": not clearly},
                                  {"endpoint": key, "statistic": "max" if few else "p95", "p95": value, "samples": samples, "budget": budget})
                if not clearly:
                    import dataclasses

                    from ..model import Severity

                    f = dataclasses.replace(f, severity=Severity.INFO)
                findings.append(f)
        out.metrics["latency"] = latency

        # errors
        rate = round(100.0 * self.server_errors / self.responses, 3) if self.responses else 0.0
        out.metrics["errors"] = {"responses": self.responses, "server_errors": self.server_errors, "rate_percent": rate, "excluded": self.excluded}
        if self.asserted:
            out.metrics["errors"]["asserted"] = self.asserted
        err_budget = float(settings["thresholds.error-rate-percent"])
        if self.responses and rate > err_budget:
            example = self.error_examples[0] if self.error_examples else ""
            path, line = self._where(example.rsplit(" in ", 1)[-1]) if " in " in example else ("", 1)
            findings.append(self._finding(REGISTRY["BG549"], path, line, "BG549", {"rate_percent": rate}, {"server_errors": self.server_errors, "responses": self.responses, "rate": rate, "budget": err_budget, "example": example or "-"}))

        # endpoints (judged on findings the configuration keeps)
        from ..pipeline import apply_overrides
        from ..selection import is_enabled

        kept = [f for f in apply_overrides(findings, settings) if is_enabled(REGISTRY[f.code], settings)]
        by_endpoint: dict[str, list[Finding]] = {}
        for f in kept:
            ep_key = f.extra.get("endpoint") or f.extra.get("operation")
            if ep_key:
                by_endpoint.setdefault(ep_key, []).append(f)
        for key in sorted(self.endpoints):
            ep = self.endpoints[key]
            own = by_endpoint.get(key, [])
            conformant = ep["documented"] and not any(f.gate in ("API-STATUS", "API-DOCS") for f in own)
            lat = latency.get(key, {})
            ready = bool(ep["documented"] and conformant and not own and lat.get("status") != "failed" and ep["tests"])
            out.endpoints.append({
                "method": ep["method"],
                "path": ep["path"],
                "requests": ep["requests"],
                "p95_ms": lat.get("p95_ms"),
                "documented": ep["documented"],
                "conformant": conformant,
                "tests": len(ep["tests"]),
                "test_ids": sorted(ep["tests"]),  # readiness: every test that called it must pass
                "avg_ms": round(sum(ep["durations"]) / len(ep["durations"]), 2) if ep["durations"] else None,
                "statuses": dict(sorted(ep["statuses"].items())),
                "ready": ready,
            })

        # what could be judged, rule by rule
        recorded = sum(ep["requests"] for ep in self.endpoints.values())
        no_requests = "runtime: no HTTP request was recorded through a supported test client"
        if self.uncaptured:  # evidence we could not see is never a pass
            no_requests += f"; requests through {', '.join(self.uncaptured)} are not captured"
        spec_reason = "; ".join(self.spec_errors) or "no OpenAPI spec found (config `openapi.spec`, or openapi.yaml/json, swagger.*, docs/openapi*)"
        needs_spec = ("BG540", "BG541", "BG542", "BG543")
        for code in ("BG540", "BG541", "BG542", "BG543", "BG544", "BG545", "BG546", "BG547", "BG548", "BG549", "BG567"):
            cls = REGISTRY[code]
            gate = str(cls.gate)
            out.rules.append(cls.info())
            if code in needs_spec or code in ("BG544", "BG567"):
                if not spec_ops:
                    why = f"runtime: {spec_reason}" if code in ("BG544", "BG567") or gate == "API-DOCS" else f"runtime: status conformance not judged: {spec_reason}"
                    out.not_judged(code, gate, why if recorded or code in ("BG544", "BG567") else no_requests)
                elif code in ("BG544", "BG567") or recorded:
                    out.ran(code, gate)
                else:
                    out.not_judged(code, gate, no_requests)
            elif not recorded:
                out.not_judged(code, gate, no_requests)
            elif code == "BG546" and not self.sql_seen:
                out.not_judged(code, gate, "runtime: unsafe GET not judged: no SQL was captured during a recorded request")
            elif code == "BG548" and not judged:
                out.not_judged(code, gate, f"runtime: insufficient samples: no endpoint has {min_samples} recorded requests (thresholds.latency-min-samples)")
            elif code == "BG549" and not self.responses:
                out.not_judged(code, gate, "runtime: every recorded response was excluded (expected errors)")
            else:
                out.ran(code, gate)
        if recorded:
            out.note("API-STATUS", requests=recorded)
        if spec_ops:
            out.note("API-DOCS", spec_coverage_percent=out.metrics["spec_coverage"]["percent"])
        if self.responses:
            out.note("M-ERRORS", **out.metrics["errors"])
        insufficient = [k for k, v in latency.items() if v["status"] == "insufficient"]
        if judged and insufficient:
            out.note("M-LATENCY", insufficient_samples=insufficient)
        from ..model import ToolError

        if self.errors:
            for gate_id in GATES:
                out.note(gate_id, capture_errors=len(self.errors))  # the texts: report errors
        for message in self.errors[:5]:  # in the report, never a Python warning: `-W error` safe
            out.errors.append(ToolError("", f"runtime http capture: {message}", "runtime"))
        for client in self.uncaptured:
            out.errors.append(ToolError("", f"runtime http: {client} is in use and not captured; its requests are not judged", "runtime"))
        return out.build()

    def _finding(self, cls: Any, path: str, line: int, key: str, extra: dict[str, Any], fmt: dict[str, Any]) -> Finding:
        fmt = {k: redact_text(str(v)) if isinstance(v, str) else v for k, v in fmt.items()}
        message = redact_text(cls.message.format(**fmt))
        finding = cls.make_finding(Location(path or ".", max(1, int(line)), 1), message=message, extra=extra)
        import dataclasses

        out: Finding = dataclasses.replace(finding, fingerprint=fingerprint(cls.code, path, key))
        return out
