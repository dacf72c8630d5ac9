"""What the stages of a run hand to its finishing step: typed evidence, never a half-made report.

Static analysis (`Run.static`, `Run.source`), the semgrep pack and every runtime observer produce
an `Evidence`: findings (located, fingerprinted, redacted, but not yet overridden, suppressed or
baselined), which rules judged which gate (`Judged`) or why they could not, notes about gates,
metrics, endpoints, tool errors and the rules that took part. `Run.finish(*evidence)` turns any
number of them into one `Report` (see pipeline.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import Finding, GateNote, Judged, RuleInfo, SuppressionComment, ToolError

LinesOf = Callable[[str], list[str]]


@dataclass(frozen=True, slots=True)
class Sources:
    """The files a static stage read: what suppressions, baseline and fingerprints need."""

    files: int
    lines: int
    suppressions: Mapping[str, tuple[SuppressionComment, ...]]  # path -> comments (parsed files only)
    lines_of: LinesOf  # the text the findings point into (the editor's buffer for `Run.source`)
    analyzed: int = 0  # files analysed in this run (the rest replayed from the cache)
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Evidence:
    stage: str  # "static", "semgrep", "runtime:sql" ...
    findings: tuple[Finding, ...] = ()
    judged: tuple[Judged, ...] = ()
    notes: tuple[GateNote, ...] = ()
    metrics: Mapping[str, Any] = field(default_factory=dict)  # JSON-safe, described by the report schema
    endpoints: tuple[Mapping[str, Any], ...] = ()
    errors: tuple[ToolError, ...] = ()
    rules: tuple[RuleInfo, ...] = ()
    sources: Sources | None = None
    warnings: tuple[str, ...] = ()  # for the front end to show (the plugin turns them into warnings)


class EvidenceBuilder:
    """Collects one stage's evidence; `build()` freezes it. Runtime judges and observers use it."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.findings: list[Finding] = []
        self.judged: list[Judged] = []
        self.notes: list[GateNote] = []
        self.metrics: dict[str, Any] = {}
        self.endpoints: list[Mapping[str, Any]] = []
        self.errors: list[ToolError] = []
        self.rules: list[RuleInfo] = []
        self.warnings: list[str] = []

    def ran(self, code: str, gate: str | None) -> None:
        """`code` judged its gate's input in this run."""
        if gate:
            self.judged.append(Judged(code, gate))

    def not_judged(self, code: str, gate: str | None, reason: str) -> None:
        """`code` could not judge its gate, and why."""
        if gate:
            self.judged.append(Judged(code, gate, reason))

    def note(self, gate: str, **evidence: Any) -> None:
        self.notes.append(GateNote(gate, dict(evidence)))

    def void(self, gate: str, reason: str) -> None:
        """This stage failed in a way that makes `gate` unjudgeable (e.g. capture broke)."""
        self.notes.append(GateNote(gate, {}, reason))

    def add(self, other: Evidence) -> None:
        self.findings.extend(other.findings)
        self.judged.extend(other.judged)
        self.notes.extend(other.notes)
        self.metrics.update(other.metrics)
        self.endpoints.extend(other.endpoints)
        self.errors.extend(other.errors)
        self.rules.extend(other.rules)
        self.warnings.extend(other.warnings)

    def build(self) -> Evidence:
        return Evidence(
            self.stage,
            tuple(self.findings),
            tuple(self.judged),
            tuple(self.notes),
            dict(self.metrics),
            tuple(self.endpoints),
            tuple(self.errors),
            tuple(self.rules),
            None,
            tuple(self.warnings),
        )
