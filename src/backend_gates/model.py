"""Plain data shared by every part of backend-gates.

Analysis produces these values; formatters and sinks only read them. Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    """How serious a finding is. Ordered: info < warning < error."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, value: str) -> "Severity":
        try:
            return cls(value.lower())
        except ValueError:
            raise ValueError(
                f"unknown severity {value!r}; expected one of: info, warning, error"
            ) from None


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class GateStatus(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    WARNED = "warned"
    NOT_EVALUATED = "not_evaluated"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding is: path is relative to the project root, '/'-separated; 1-based."""

    path: str
    line: int = 1
    column: int = 1
    end_line: int = 0
    end_column: int = 0

    def __post_init__(self) -> None:
        if self.end_line < self.line:
            object.__setattr__(self, "end_line", self.line)
        if self.end_line == self.line and self.end_column < self.column:
            object.__setattr__(self, "end_column", self.column)


@dataclass(frozen=True, slots=True)
class Suppression:
    """An inline `# backend-gates: ignore[...] reason` that matched a finding."""

    reason: str
    line: int
    kind: str = "inline"  # inline | baseline


@dataclass(slots=True)
class SuppressionComment:
    """`# backend-gates: ignore[CODES] reason expires=YYYY-MM-DD` found in a file."""

    line: int  # the line the comment sits on
    target: int  # the line it applies to (same line, or the next code line for own-line comments)
    codes: list[str]  # empty = everything on that line
    reason: str
    expires: str = ""  # ISO date or ""
    file_level: bool = False
    tool: str = ""  # "" = ours; else the tool whose comment this is (ruff, bandit, ...): see suppress.py

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "target": self.target,
            "codes": self.codes,
            "reason": self.reason,
            "expires": self.expires,
            "file_level": self.file_level,
            "tool": self.tool,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SuppressionComment":
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Finding:
    code: str  # "BG201"
    name: str  # "string-built-sql"
    gate: str | None  # gate id from the catalogue; None for the tool's own findings
    severity: Severity
    message: str
    location: Location
    fix: str = ""  # optional hint: what to do instead
    evidence: str = ""  # the offending source line, already redacted
    fingerprint: str = ""
    help_url: str = ""
    suppression: Suppression | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # JSON-safe details (route, sql kind ...)

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.location.path, self.location.line, self.location.column, self.code)

    def to_dict(self) -> dict[str, Any]:
        loc = self.location
        data: dict[str, Any] = {
            "rule": self.code,
            "name": self.name,
            "gate": self.gate,
            "severity": self.severity.value,
            "path": loc.path,
            "line": loc.line,
            "column": loc.column,
            "end_line": loc.end_line,
            "end_column": loc.end_column,
            "message": self.message,
            "fix": self.fix or None,
            "evidence": self.evidence or None,
            "fingerprint": self.fingerprint,
            "help_url": self.help_url or None,
            "suppressed": self.suppressed,
        }
        if self.suppression is not None:
            data["suppression"] = {
                "reason": self.suppression.reason,
                "line": self.suppression.line,
                "kind": self.suppression.kind,
            }
        if self.extra:
            data["extra"] = self.extra
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        sup = data.get("suppression")
        return cls(
            code=data["rule"],
            name=data["name"],
            gate=data.get("gate"),
            severity=Severity(data["severity"]),
            message=data["message"],
            location=Location(
                data["path"], data["line"], data["column"], data["end_line"], data["end_column"]
            ),
            fix=data.get("fix") or "",
            evidence=data.get("evidence") or "",
            fingerprint=data.get("fingerprint", ""),
            help_url=data.get("help_url") or "",
            suppression=Suppression(sup["reason"], sup["line"], sup.get("kind", "inline"))
            if sup
            else None,
            extra=data.get("extra") or {},
        )


def fingerprint(code: str, path: str, anchor: str, occurrence: int = 0) -> str:
    """A stable id for a finding: rule, file and the normalised text it points at.

    Line numbers are deliberately not part of it, so unrelated edits above a finding keep it.
    `occurrence` separates identical snippets in one file.
    """
    normalised = " ".join(anchor.split())
    raw = f"{code}\x00{path}\x00{normalised}\x00{occurrence}"
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What outputs need to know about a rule, without importing the rule's module."""

    code: str
    name: str
    gate: str | None
    severity: Severity
    summary: str
    help_url: str = ""
    kind: str = "python"
    requires: tuple[tuple[str, ...], str] | None = None  # (fact kinds, reason when none exist)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "gate": self.gate,
            "severity": self.severity.value,
            "summary": self.summary,
            "help_url": self.help_url,
            "kind": self.kind,
        }
        if self.requires:
            data["requires"] = [list(self.requires[0]), self.requires[1]]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RuleInfo":
        return cls(
            data["code"],
            data["name"],
            data.get("gate"),
            Severity(data["severity"]),
            data["summary"],
            data.get("help_url", ""),
            data.get("kind", "python"),
            (tuple(data["requires"][0]), data["requires"][1]) if data.get("requires") else None,
        )


@dataclass(frozen=True, slots=True)
class ToolError:
    """Something the tool could not read or run: named file, cause; the run went on."""

    path: str
    message: str
    kind: str = "parse"  # parse | config | internal | semgrep | spec ...

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class Judged:
    """One rule's part in its gate for one run: it judged the input (`reason` is None), or it
    could not, and why ("no migrations found"). Gate reasons are built from these, never guessed."""

    code: str
    gate: str
    reason: str | None = None

    @property
    def ran(self) -> bool:
        return self.reason is None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "gate": self.gate, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class GateNote:
    """What a stage says about a gate beyond its rules: facts shown with the gate (`evidence`,
    e.g. {"requests": 12}) and, when the stage itself failed, `void`: the gate cannot be judged."""

    gate: str
    evidence: dict[str, Any] = field(default_factory=dict)
    void: str | None = None
    # a gate-level judgement that is no finding at a file line (T-KINDS: missing test kinds):
    # (severity, reason); decides the status when the gate has no active findings
    verdict: tuple[Severity, str] | None = None


@dataclass(slots=True)
class GateResult:
    id: str
    checklist: str
    title: str
    status: GateStatus
    reason: str
    counts: dict[str, int] = field(default_factory=dict)  # severity -> unsuppressed findings
    suppressed: int = 0
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def findings(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "checklist": self.checklist,
            "title": self.title,
            "status": self.status.value,
            "reason": self.reason,
            "findings": self.findings,
            "counts": {s.value: self.counts.get(s.value, 0) for s in Severity},
            "suppressed": self.suppressed,
            "evidence": self.evidence,
        }


@dataclass(slots=True)
class Report:
    """Everything one run found; the gate report event is rendered from this."""

    root: str
    findings: list[Finding]
    gates: list[GateResult]
    rules: list[RuleInfo]
    errors: list[ToolError] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    fail_on: Severity = Severity.WARNING
    config: dict[str, Any] = field(default_factory=dict)  # key -> {"value", "source"}
    metrics: dict[str, Any] = field(default_factory=dict)
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # JSON-safe: baseline, diff, timing ...
    coverage: list[Judged] = field(default_factory=list)  # which rules judged which gate, or why not
    started_at: str = ""
    finished_at: str = ""
    mode: str = "check"  # check | pytest

    @property
    def active_findings(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]

    @property
    def failing_findings(self) -> list[Finding]:
        """Active findings at or above fail-on, minus those on existing code (new-code base)."""
        limit = self.fail_on.rank
        return [f for f in self.active_findings if f.severity.rank >= limit and not f.extra.get("existing")]

    @property
    def existing_findings(self) -> list[Finding]:
        """Active findings on code unchanged since the new-code base: listed, never failing."""
        return [f for f in self.active_findings if f.extra.get("existing")]

    @property
    def status(self) -> GateStatus:
        statuses = {g.status for g in self.gates}
        if GateStatus.FAILED in statuses or self.failing_findings:
            return GateStatus.FAILED
        if GateStatus.WARNED in statuses or self.active_findings:
            return GateStatus.WARNED
        if GateStatus.PASSED in statuses:
            return GateStatus.PASSED
        return GateStatus.NOT_EVALUATED
