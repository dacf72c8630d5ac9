"""Per-file analysis context and the plain, cacheable result of analysing one file."""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ..model import Finding, SuppressionComment, ToolError, fingerprint
from ..redact import redact_text
from . import memo

if TYPE_CHECKING:  # pragma: no cover
    from ..checks.base import Pending
    from ..config import Config


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
    memo: dict[str, str] = field(default_factory=dict)  # answers its analysis used (sources/memo.py)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "path": self.path,
            "kind": self.kind,
            "lines": self.lines,
            "findings": [f.to_dict() for f in self.findings],
            "facts": self.facts,
            "suppressions": [s.to_dict() for s in self.suppressions],
            "errors": [e.to_dict() for e in self.errors],
            "parsed": self.parsed,
        }
        if self.memo:
            data["memo"] = self.memo
        return data

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
            memo=memo.valid(data.get("memo")),
        )


class PathMatcher:
    """Glob patterns over '/'-separated relative paths, compiled once.

    A pattern matches the whole path (`*` crosses '/'), a pattern without '/' also matches the
    file or directory name alone, and `dir/*` / `*/dir/*` match everything below such a directory.
    """

    def __init__(self, patterns: list[str] | tuple[str, ...]) -> None:
        full: list[str] = []
        base: list[str] = []
        for pattern in patterns:
            full.append(fnmatch.translate(pattern))
            if "/" not in pattern:
                base.append(fnmatch.translate(pattern))
            if pattern.endswith("/*") or pattern.endswith("/**"):
                prefix = pattern.rstrip("*").rstrip("/")
                if prefix.startswith("*/"):
                    full.append(r"(?s:(?:.*/)?" + _glob_body(prefix[2:]) + r"/.*)\Z")
                else:
                    full.append(r"(?s:" + _glob_body(prefix) + r"/.*)\Z")
        self._full = re.compile("|".join(full)) if full else None
        self._base = re.compile("|".join(base)) if base else None

    def match(self, path: str) -> bool:
        if self._full is not None and self._full.match(path):
            return True
        if self._base is not None:
            name = path.rsplit("/", 1)[-1]
            return self._base.match(name) is not None
        return False


def _glob_body(pattern: str) -> str:
    translated = fnmatch.translate(pattern)  # '(?s:...)\\Z'
    return translated[len("(?s:") : -len(")\\Z")]


@functools.lru_cache(maxsize=64)
def _matcher(patterns: tuple[str, ...]) -> PathMatcher:
    return PathMatcher(patterns)


def matches_any(path: str, patterns: list[str] | tuple[str, ...]) -> bool:
    """Glob match on a '/'-separated relative path (see PathMatcher)."""
    return _matcher(tuple(patterns)).match(path)


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
        self.stmt_index: int | None = None  # top-level statement being walked
        self._wrapper: Any = None
        self._metadata: dict[Any, Any] = {}
        self.positions: dict[int, Any] = {}  # statement index -> {id(node): code range} (locate)
        self.statement_starts: list[int] = []  # first line of each top-level statement, as counted
        self.line_index: Any = None  # positions.LineIndex (fast positions); False: not for this file
        self.memo: dict[str, Any] = {}  # per-file caches of the readers' helpers (sources/scopes.py)
        # a semgrep rule test (`# ruleid:` annotations) is test code, not the application
        self.is_test_file = matches_any(path, config.test_paths) or "# ruleid:" in source
        self.locate: Callable[[Any], Any] | None = None  # node -> code range (sources/python.py)

    def release(self) -> None:
        """Drop the tree and everything derived from it once the file's result is made.

        The checks, the pending reports and `locate` refer back to this context, so without this
        the whole libcst tree would wait in a reference cycle for the garbage collector, which
        then walks every node of it (a sixth of a cold run's CPU)."""
        self.module = None
        self.pending = []
        self._wrapper = None
        self._metadata = {}
        self.positions = {}
        self.line_index = None
        self.memo = {}
        self.locate = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.source.splitlines()
        return self._lines

    def line_text(self, line: int) -> str:
        lines = self.lines
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def position(self, node: Any) -> Any:
        """The code range of `node` (`.start.line`, `.start.column` 0-based, `.end...`), cheaply.

        Use this instead of resolving libcst's PositionProvider for the whole module; the reader
        that parsed the file provides it (`locate`, set by sources/python.py).
        """
        return self.locate(node) if self.locate is not None else None

    def line(self, node: Any) -> int:
        """The first line of `node` (1 when it cannot be found); cheaper than `position` for
        statements, whose lines come from the stdlib parser."""
        fast = self.line_index
        if fast is None:
            from .positions import LineIndex

            fast = self.line_index = LineIndex(self.module, self.source)
        if fast is not False:
            from .positions import Mismatch

            try:
                line = fast.start_line(node, self.stmt_index)
            except Mismatch:
                self.line_index = False
            else:
                if line is not None:
                    return int(line)
        rng = self.position(node)
        return int(rng.start.line) if rng is not None else 1

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
