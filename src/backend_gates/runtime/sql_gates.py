"""From the SQL observer's aggregates to findings, gate coverage and `metrics["queries"]`.

DB-PERF (N+1, duplicate queries, slow queries, request budgets, unused allowances), M-QUERY
(time budget per fingerprint), DB-INDEX runtime (full scans from EXPLAIN), DB-MIGRATE runtime
(migrations applied during the tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..evidence import Evidence, EvidenceBuilder
from ..model import Finding, Location, Severity, Suppression, ToolError, fingerprint
from . import noise

if TYPE_CHECKING:  # pragma: no cover
    from .sql import SqlObserver

GATES = ("DB-PERF", "M-QUERY", "DB-INDEX", "DB-MIGRATE")
MAX_QUERY_METRICS = 500
_RANK = {"info": 1, "warning": 2, "error": 3}


def _site_text(site: list[Any] | None) -> str:
    if not site:
        return "an unknown call site"
    path, line, func = site
    return f"{path}:{line}" + (f" ({func})" if func else "")


def _scope_text(c: dict[str, Any]) -> str:
    scope = c.get("scope") or ""
    test = c.get("test")
    if c.get("request") and test:
        return f"request {scope} in {test}"
    return scope or (test or "the test run")


def _location(c: dict[str, Any]) -> Location:
    site = c.get("site")
    if site and site[0]:
        return Location(str(site[0]), int(site[1] or 1))
    test = c.get("test") or ""
    return Location(test.split("::", 1)[0] or ".", 1)


def evidence(obs: "SqlObserver", settings: Any, project: Any = None) -> Evidence:
    from ..checks.base import REGISTRY
    from ..selection import selected

    runtime_checks: list[Any] = [cls for cls, _opts in selected(settings, ("runtime",))]
    enabled: dict[str, Any] = {cls.code: cls for cls in runtime_checks}
    out = EvidenceBuilder("runtime:sql")
    threshold = float(settings["thresholds.slow-query-ms"])
    findings: list[Finding] = out.findings

    def make(code: str, loc: Location, anchor: str, *, severity: str | None = None, allowed: str | None = None,
             allowed_line: int = 0, evidence: str = "", extra: dict[str, Any] | None = None, **fmt: Any) -> None:
        cls = enabled.get(code)
        if cls is None:
            return
        finding = cls.make_finding(
            loc, evidence=evidence, extra=extra or {}, severity=Severity(severity) if severity else None, **fmt
        )
        from ..redact import redact_text

        changes: dict[str, Any] = {
            "fingerprint": fingerprint(code, loc.path, anchor),
            "message": redact_text(finding.message),
        }
        if allowed is not None:
            changes["suppression"] = Suppression(allowed, allowed_line or loc.line, "allowance")
        import dataclasses

        findings.append(dataclasses.replace(finding, **changes))

    # N+1, duplicates, budgets, unused allowances ------------------------------------------
    seen: set[tuple[Any, ...]] = set()
    candidates = sorted(
        obs.candidates,
        key=lambda c: (c["code"], str(c.get("site")), str(c.get("test")), str(c.get("scope")), str(c.get("fingerprint"))),
    )
    # one finding per place: the same statement from the same call site, whatever the test or request
    places: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for c in candidates:
        if c["code"] in ("BG500", "BG501"):
            places.setdefault((c["code"], str(c.get("site")), c.get("fingerprint"), str(c.get("allowed"))), []).append(c)
    for (code, _site, _fp, _allowed), group in sorted(places.items(), key=lambda kv: str(kv[0])):
        cls = enabled.get(code)
        if cls is None:
            continue
        default = cls.severity.value

        def rank(c: dict[str, Any], default: str = default) -> int:
            return _RANK.get(c.get("severity") or default, 2)

        top = max(group, key=lambda c: (rank(c), c["d"], c["n"]))
        first = group[0]
        loc = _location(first)
        site = _site_text(first.get("site"))
        scopes = list(dict.fromkeys(_scope_text(c) for c in group))
        scope = scopes[0] + (f" (and {len(scopes) - 1} more)" if len(scopes) > 1 else "")
        tests = sorted({str(c.get("test")) for c in group if c.get("test")})
        origin = top.get("origin", "code")
        extra = {
            "scope": scope, "fingerprint": first["fingerprint"], "n": top["n"], "d": top["d"], "example": first["example"],
            "call_site": site, "test": first.get("test"), "phase": first.get("phase"), "confidence": top.get("confidence"),
            "orm_lazy_load": any(c.get("lazy") for c in group), "occurrences": len(group), "tests": tests[:5],
            "origin": origin,
        }
        allowed_at = first.get("allowed_at") or [None, 0]
        make(code, loc, f"{first['fingerprint']}|{site}", severity=top.get("severity"), allowed=first.get("allowed"),
             allowed_line=int(allowed_at[1] or 0), evidence=first["example"], extra=extra,
             n=top["n"], d=top["d"], site=site, scope=scope)
    for c in candidates:
        code = c["code"]
        if code in ("BG500", "BG501"):
            continue
        key = (code, str(c.get("site")), c.get("test"), c.get("scope"), c.get("fingerprint"), c.get("phase"), c.get("reason"))
        if key in seen:
            continue
        seen.add(key)
        loc = _location(c)
        scope = _scope_text(c)
        site = _site_text(c.get("site"))
        if code == "BG503":
            make(code, loc, f"{scope}|{c['n']}", extra={"scope": scope, "n": c["n"], "budget": c["budget"], "call_site": site},
                 scope=scope, n=c["n"], budget=c["budget"])
        elif code == "BG504":
            make(code, loc, f"{c.get('test')}|{c.get('reason')}", extra={"reason": c.get("reason"), "test": c.get("test"), "kind": c.get("kind")},
                 reason=c.get("reason") or "no reason", test=c.get("test") or "the run")

    # slow queries and the M-QUERY budget ---------------------------------------------------
    metrics: dict[str, Any] = {}
    ordered = sorted(obs.stats.items(), key=lambda kv: (-kv[1].total_ms, kv[0]))
    for fp, stats in ordered:
        p95 = stats.p95()
        if len(metrics) < MAX_QUERY_METRICS:
            metrics[fp] = {
                "sql": stats.sql, "count": stats.count, "max_ms": round(stats.max_ms, 3), "p95_ms": round(p95, 3),
                "mean_ms": round(stats.total_ms / stats.count, 3) if stats.count else 0.0,
                "tests": sorted(stats.tests), "kind": stats.kind, "dialect": stats.dialect, "slow": stats.slow_count,
            }
        if not stats.slow_count:
            continue
        first = stats.slow[0] if stats.slow else {}
        c = {"site": first.get("site"), "test": first.get("test")}
        loc = _location(c)
        extra = {
            "scope": first.get("test"), "fingerprint": fp, "n": stats.count, "d": None, "example": stats.sql,
            "call_site": _site_text(first.get("site")), "slow": stats.slow_count, "max_ms": round(stats.max_ms, 1),
        }
        verdict = noise.judge([stats.max_ms], threshold, above=stats.slow_count)
        reliable = verdict.clearly  # one execution just over the threshold is noise: info
        make("BG502", loc, fp, severity=None if reliable else "info", evidence=stats.sql, extra={**extra, "noisy": not reliable},
             count=stats.slow_count, threshold=f"{threshold:g}", max_ms=f"{stats.max_ms:.1f}", test=first.get("test") or "the test run")
        make("BG505", loc, fp, severity=None if reliable else "info", evidence=stats.sql,
             extra={**extra, "noisy": not reliable, "p95_ms": round(p95, 1)},
             threshold=f"{threshold:g}", max_ms=f"{stats.max_ms:.1f}", p95_ms=f"{p95:.1f}", slow=stats.slow_count, count=stats.count)
    out.metrics["queries"] = metrics

    # full scans ------------------------------------------------------------------------------
    scanned: set[tuple[str, str]] = set()
    for scan in sorted(obs.scans, key=lambda s: (s["fingerprint"], s["table"], str(s.get("test")))):
        scan_key = (scan["fingerprint"], scan["table"])
        if scan_key in scanned:
            continue
        scanned.add(scan_key)
        make("BG506", _location(scan), f"{scan['fingerprint']}|{scan['table']}", evidence=scan["example"],
             extra={"fingerprint": scan["fingerprint"], "table": scan["table"], "rows": scan["rows"], "example": scan["example"],
                    "call_site": _site_text(scan.get("site")), "test": scan.get("test"), "dialect": scan["dialect"]},
             table=scan["table"], rows=f">{obs.full_scan_rows}" if scan["rows"] > obs.full_scan_rows else scan["rows"])

    # DB-MIGRATE runtime ------------------------------------------------------------------------
    if "BG507" not in enabled:
        pass  # deselected by configuration: the runtime part says nothing
    elif obs.migrations:
        out.ran("BG507", "DB-MIGRATE")
        out.note("DB-MIGRATE", runtime_migrations={
            tool: f"{count} migration record write(s) seen ({'alembic upgrade' if tool == 'alembic' else 'Django migrate'})"
            for tool, count in sorted(obs.migrations.items())
        })
    elif settings["db.require-migrations-applied"]:
        out.ran("BG507", "DB-MIGRATE")
        where = settings.describe_file() if settings.file else "pyproject.toml"
        make("BG507", Location(where, 1), "no-migrations")
    else:
        present = _migration_files(project)
        if present:  # the static lint ran, but nothing shows the migrations work: not tested
            out.void("DB-MIGRATE", (
                f"runtime: {present} migration file(s) present but none was applied during the tests "
                "(run them in a fixture, or set db.require-migrations-applied to fail instead)"
            ))
            out.not_judged("BG507", "DB-MIGRATE", "runtime: no migration ran during the tests")
        else:
            out.not_judged("BG507", "DB-MIGRATE", "runtime: no migration ran during the tests (set db.require-migrations-applied to fail instead)")

    # what the other rules could judge ----------------------------------------------------------
    captured = obs.statements > 0
    for gate_id, codes in (("DB-PERF", ("BG500", "BG501", "BG502", "BG503", "BG504")), ("M-QUERY", ("BG505",))):
        if not any(c in enabled for c in codes):
            continue
        out.note(gate_id, runtime_sql={"statements": obs.statements, "fingerprints": len(obs.stats)})
        for code in codes:
            if code not in enabled:
                continue
            if captured:
                out.ran(code, gate_id)
            else:
                why = "runtime: no SQL statement was captured during the tests"
                if obs.uncaptured:  # evidence we could not see is never a pass
                    why += f"; statements through {', '.join(obs.uncaptured)} are not captured"
                out.not_judged(code, gate_id, why)
    if "BG506" not in enabled:
        pass
    elif not obs.explain:
        out.not_judged("BG506", "DB-INDEX", "runtime: full-scan check off (set runtime.explain = true)")
    elif obs.explained:
        out.ran("BG506", "DB-INDEX")
        out.note("DB-INDEX", runtime_explained=len(obs.explained) - obs.explain_errors)
        if obs.explain_errors:
            out.note("DB-INDEX", runtime_explain_failures=obs.explain_failures)
    else:
        out.not_judged("BG506", "DB-INDEX", "runtime: no SELECT could be explained (sqlite3/psycopg/psycopg2 connections only)")

    # fault isolation -------------------------------------------------------------------------
    for driver in obs.uncaptured:
        out.errors.append(ToolError("", f"runtime sql: {driver} is in use and not captured; its statements are not judged", "runtime"))
    install_errors = [e for e in obs.errors if "capture not installed" in e]
    broken = [e for e in obs.errors if e not in install_errors]
    for message in install_errors:
        out.errors.append(ToolError("", f"runtime sql: {message}", "runtime"))
    if broken:
        reason = f"runtime sql capture error: {broken[0]}"
        for gate_id in GATES:
            out.void(gate_id, reason)
        for message in broken:
            out.errors.append(ToolError("", f"runtime sql: {message}", "internal"))
        out.warnings.append(f"backend-gates: {reason}")

    for code in sorted(enabled):
        if code in REGISTRY and code in {"BG500", "BG501", "BG502", "BG503", "BG504", "BG505", "BG506", "BG507"}:
            out.rules.append(REGISTRY[code].info())
    return out.build()


def _migration_files(project: Any) -> int:
    """Migration files in the checked tree (Alembic revisions, Django migrations, SQL migrations)."""
    if project is None:
        return 0
    from ..sql.paths import is_migration_path

    configured = list(project.config["db.migrations"])
    kinds = ("migration_file", "migration_op")
    with_facts = {path for kind in kinds for path, _data in project.facts(kind)}
    sql = {p for p in project.results if p.endswith(".sql") and is_migration_path(p, configured)}
    return len(with_facts | sql)
