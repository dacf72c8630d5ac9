"""The gate catalogue: the single source of truth for gate ids, checklists and titles.

Transcribed from CHECKLISTS.md (the product specification). A check names one of these ids.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Gate:
    id: str
    checklist: str
    title: str
    static: bool  # has static checks in the specification
    runtime: bool  # has runtime checks in the specification
    manual: bool = False  # cannot be inferred from code; needs configured evidence


GATES: tuple[Gate, ...] = (
    Gate("API-REST", "api", "RESTful design", True, True),
    Gate("API-STATUS", "api", "Proper status codes", True, True),
    Gate("API-NAMING", "api", "Consistent naming", True, False),
    Gate("API-VERSION", "api", "Versioning implemented", True, False),
    Gate("API-DOCS", "api", "Documentation updated", True, True),
    Gate("API-RATE", "api", "Rate limiting configured", True, False),
    Gate("API-CONTRACT", "api", "API contract agreement", True, True),
    Gate("DB-NORMAL", "database", "Normalized schema", True, False),
    Gate("DB-INDEX", "database", "Indexes optimized", True, True),
    Gate("DB-MIGRATE", "database", "Migrations tested", True, True),
    Gate("DB-ROLLBACK", "database", "Rollback plan", True, False),
    Gate("DB-BACKUP", "database", "Backup verified", False, False, manual=True),
    Gate("DB-PERF", "database", "Performance tested", True, True),
    Gate("SEC-AUTHN", "security", "Authentication required", True, True),
    Gate("SEC-AUTHZ", "security", "Authorization checked", True, False),
    Gate("SEC-INPUT", "security", "Input validated", True, False),
    Gate("SEC-SQLI", "security", "SQL injection prevented", True, False),
    Gate("SEC-CRYPTO", "security", "Sensitive data encrypted", True, True),
    Gate("SEC-AUDIT", "security", "Audit logging enabled", True, False),
    Gate("AP-DB-IN-ROUTE", "anti-patterns", "Direct database access from controllers", True, False),
    Gate("AP-LOGIC-IN-ROUTE", "anti-patterns", "Business logic in API routes", True, False),
    Gate("AP-HARDCODED-CONFIG", "anti-patterns", "Hardcoded configuration", True, False),
    Gate("AP-ERROR-HANDLING", "anti-patterns", "Missing error handling", True, False),
    Gate("AP-SYNC-LONG", "anti-patterns", "Synchronous long-running operations", True, False),
    Gate("M-LATENCY", "metrics", "p95 latency per endpoint", False, True),
    Gate("M-COVERAGE", "metrics", "Test coverage", False, True),
    Gate("M-VULNS", "metrics", "Zero security findings at error severity", True, False),
    Gate("M-QUERY", "metrics", "Every query under the time budget", False, True),
    Gate("M-ERRORS", "metrics", "5xx rate", False, True),
    Gate("T-KINDS", "tests", "Test kinds present", False, True),
)

GATES_BY_ID: dict[str, Gate] = {g.id: g for g in GATES}
CHECKLISTS: tuple[str, ...] = tuple(dict.fromkeys(g.checklist for g in GATES))


def gate(gate_id: str) -> Gate:
    return GATES_BY_ID[gate_id]
