"""Per-file analysis context and the plain, cacheable result of analysing one file."""

from __future__ import annotations

import dataclasses
import fnmatch
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..model import Finding, ToolError, fingerprint
from ..redact import redact_text

if TYPE_CHECKING:  # pragma: no cover
    from ..checks.base import Pending
    from ..config import Config


@dataclass(slots=True)
class SuppressionComment:
    """`# backend-gates: ignore[CODES] reason expires=YYYY-MM-DD` found in a file."""

    line: int  # the line the comment sits on
    target: int  # the line it applies to (same line, or the next code line for own-line comments)
    codes: list[str]  # empty = everything on that line
    reason: str
    expires: str = ""  # ISO date or ""
    file_level: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "target": self.target,
            "codes": self.codes,
            "reason": self.reason,
            "expires": self.expires,
            "file_level": self.file_level,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SuppressionComment":
        return cls(**data)


@dataclass(slots=True)
class FileResult:
    """What analysing one file produced: JSON-safe, cached by content hash."""

    path: str
    kind: str
    lines: int
    findings: list[Finding] = field(default_factory=list)
    facts: dict[str, list[Any]] = field(default_factory=dict)
    suppressions: list[SuppressionComment] = field(default_factory=list)
    errors: list[ToolError] = field(default_factory=list)
    parsed: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "lines": self.lines,
            "findings": [f.to_dict() for f in self.findings],
            "facts": self.facts,
            "suppressions": [s.to_dict() for s in self.suppressions],
            "errors": [e.to_dict() for e in self.errors],
            "parsed": self.parsed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FileResult":
        return cls(
            path=data["path"],
            kind=data["kind"],
            lines=data["lines"],
            findings=[Finding.from_dict(f) for f in data["findings"]],
            facts=data["facts"],
            suppressions=[SuppressionComment.from_dict(s) for s in data["suppressions"]],
            errors=[ToolError(**e) for e in data["errors"]],
            parsed=data.get("parsed", True),
        )


def matches_any(path: str, patterns: list[str]) -> bool:
    """Glob match on a '/'-separated relative path, or on any of its trailing parts."""
    for pattern in patterns:
        if fnmatch.fnmatchcase(path, pattern):
            return True
        if "/" not in pattern and fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern):
            return True
        if pattern.endswith("/*") or pattern.endswith("/**"):
            prefix = pattern.rstrip("*").rstrip("/")
            if prefix.startswith("*/"):
                if f"/{prefix[2:]}/" in f"/{path}":
                    return True
            elif path.startswith(prefix + "/"):
                return True
    return False


class FileContext:
    """What a check sees of the file being analysed. Shared by every check of the walk."""

    def __init__(self, path: str, source: str, config: "Config", abs_path: str = "") -> None:
        self.path = path
        self.abs_path = abs_path
        self.source = source
        self.config = config
        self.module: Any = None  # libcst.Module for python files
        self.pending: list["Pending"] = []
        self.findings: list[Finding] = []
        self.facts: dict[str, list[Any]] = {}
        self._lines: list[str] | None = None
        self._wrapper: Any = None
        self._metadata: dict[Any, Any] = {}
        self.is_test_file = matches_any(path, config.test_paths)

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.source.splitlines()
        return self._lines

    def line_text(self, line: int) -> str:
        lines = self.lines
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def metadata(self, provider: Any) -> Any:
        """Resolve a libcst metadata provider for this file once, on first request."""
        if provider not in self._metadata:
            if self._wrapper is None:
                import libcst as cst

                self._wrapper = cst.MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._metadata[provider] = self._wrapper.resolve(provider)
        return self._metadata[provider]


def finalize_findings(path: str, lines: list[str], findings: list[Finding]) -> list[Finding]:
    """Fill evidence (redacted source line) and stable fingerprints; sort."""
    seen: dict[tuple[str, str], int] = {}
    out = []
    for f in sorted(findings, key=Finding.sort_key):
        line = f.location.line
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        anchor = " ".join(text.split())
        key = (f.code, anchor)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        changes: dict[str, Any] = {}
        if not f.fingerprint:
            changes["fingerprint"] = fingerprint(f.code, path, anchor or f.message, occurrence)
        if not f.evidence and text.strip():
            changes["evidence"] = redact_text(text.rstrip())[:240]
        elif f.evidence:
            changes["evidence"] = redact_text(f.evidence)[:240]
        changes["message"] = redact_text(f.message)
        out.append(dataclasses.replace(f, **changes) if changes else f)
    return out
