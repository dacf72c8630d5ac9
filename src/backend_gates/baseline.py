"""Baseline: adopt backend-gates on existing code by recording today's findings.

`backend-gates check --write-baseline FILE` stores the current findings by their stable
fingerprints (rule + path + normalised source line + occurrence; never line numbers) and the
dotted name of the enclosing functions/classes (`scope`). `--baseline FILE` or config
`baseline` then marks those findings suppressed with kind "baseline" (JSON and SARIF keep the
audit trail) and reports only new ones. Entries that no longer occur are listed so the file can
shrink.

Matching is a multiset match in passes, each on what the previous ones left:
1. rule + path + source line + scope: lines inserted or deleted anywhere, code moved inside the
   file, and identical lines (two bare `except:`) in different functions told apart, so a new one
   is named, never a shifted old one;
2. rule + message + source line + scope in another file: a function moved to another module;
3. entries without a scope (written by hand or by an older version): fingerprint;
4. the enclosing function was renamed: rule + path + source line, only when the recorded
   function no longer exists in the file and the finding's function is not one the baseline
   knows. A fix in one function never pays for a new finding in another.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .version import __version__
from .errors import ConfigError
from .model import Finding, Suppression

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config

FORMAT = 1
# tool findings about the run itself (unreadable files, wrong suppressions) are never baselined
NEVER_BASELINED = frozenset({"BG001", "BG002", "BG003", "BG004"})


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    fingerprint: str
    rule: str
    path: str
    message: str
    evidence: str = ""
    scope: str = ""  # enclosing def/class names ("Service.get", "<module>"); "" = unknown
    line: int = 0  # where it was when first recorded (helps a reader); never matched on, never sorted by

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_finding(cls, f: Finding, scope: str = "") -> "Entry":
        return cls(f.fingerprint, f.code, f.location.path, f.message, f.evidence, scope, f.location.line)


LinesOf = Callable[[str], list[str]]


def _norm(text: str) -> str:
    return " ".join(text.split())


_DEF = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)")
MODULE = "<module>"


def scope_of(lines: list[str], line: int) -> str:
    """Dotted names of the defs/classes enclosing `line` (by indentation); MODULE at top level."""
    if not 0 < line <= len(lines):
        return ""
    text = lines[line - 1]
    indent = len(text) - len(text.lstrip())
    names: list[str] = []
    for index in range(line - 2, -1, -1):
        if indent == 0:
            break
        above = lines[index]
        stripped = above.strip()
        if not stripped or stripped.startswith(("#", "@", ")", "]", "}")):
            continue
        level = len(above) - len(above.lstrip())
        if level < indent:
            match = _DEF.match(above)
            if match:
                names.append(match.group(1))
            indent = level
    return ".".join(reversed(names)) or MODULE


def _defines(lines: list[str], scope: str) -> bool:
    """The file still defines the innermost def/class of `scope` (by name)."""
    if not scope or scope == MODULE:
        return True
    name = scope.rsplit(".", 1)[-1]
    return any((m := _DEF.match(text)) is not None and m.group(1) == name for text in lines)


def _snippet(f_evidence: str, message: str) -> str:
    return _norm(f_evidence) or _norm(message)


def resolve(config: "Config", given: str | None = None) -> Path | None:
    """The baseline file: `given` (command line) or config `baseline`, relative to the root."""
    raw = given if given is not None else config["baseline"]
    if not raw:
        return None
    path = Path(raw)
    return path if path.is_absolute() else config.root / path


def load(path: Path) -> list[Entry]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            "baseline file not found; create it with `backend-gates check --write-baseline FILE`", file=str(path)
        ) from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the baseline: {exc}", file=str(path)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("findings"), list):
        raise ConfigError(f"not a backend-gates baseline (format {FORMAT})", file=str(path))
    out = []
    for item in data["findings"]:
        try:
            out.append(
                Entry(
                    str(item["fingerprint"]),
                    str(item["rule"]),
                    str(item["path"]),
                    str(item.get("message", "")),
                    str(item.get("evidence", "")),
                    str(item.get("scope", "")),
                    int(item.get("line", 0)),
                )
            )
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"malformed baseline entry: {item!r}", file=str(path)) from None
    return out


def baselinable(findings: list[Finding]) -> list[Finding]:
    """Findings a baseline records: active ones (not inline-suppressed), minus the tool's own."""
    return [
        f
        for f in findings
        if f.code not in NEVER_BASELINED and (f.suppression is None or f.suppression.kind == "baseline")
    ]


def _scope(f: Finding, lines_of: LinesOf | None) -> str:
    if lines_of is None or not f.location.path:
        return ""
    return scope_of(lines_of(f.location.path), f.location.line)


def _order(e: Entry) -> tuple[str, str, str, str, str]:
    """File order: nothing that moves when lines shift (no line number), so diffs stay small."""
    return (e.path, e.scope, e.rule, _snippet(e.evidence, e.message), e.fingerprint)


def write(path: Path, findings: list[Finding], lines_of: LinesOf | None = None) -> int:
    """Record `findings` in `path`. Findings that an existing baseline at `path` already records
    keep their entry unchanged (its `line` is where it was first recorded), so rewriting after
    code moved rewrites nothing but what really changed."""
    recorded = baselinable(findings)
    previous: list[Entry] = []
    if path.is_file():
        try:
            previous = load(path)
        except ConfigError:
            previous = []  # not a baseline we can read: write a fresh one
    kept: dict[int, Entry] = {}
    if previous:
        fresh = [dataclasses.replace(f, suppression=None) for f in recorded]
        paired = _pairs(fresh, previous, lines_of)
        kept = {i: previous[j] for i, j in paired.items()}
    entries = sorted(
        (kept.get(i) or Entry.from_finding(f, _scope(f, lines_of)) for i, f in enumerate(recorded)),
        key=_order,
    )
    data = {
        "format": FORMAT,
        "tool": f"backend-gates {__version__}",
        "note": "findings recorded here are not reported; regenerate with `backend-gates check --write-baseline`",
        "findings": [e.to_dict() for e in entries],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(entries)


def match(
    findings: list[Finding], entries: list[Entry], label: str, lines_of: LinesOf | None = None
) -> tuple[list[Finding], list[Entry]]:
    """Mark findings recorded in the baseline suppressed (kind "baseline"); return the unused entries."""
    matched = _pairs(findings, entries, lines_of)
    out = list(findings)
    for i in matched:
        out[i] = dataclasses.replace(out[i], suppression=Suppression(f"recorded in baseline {label}", 0, "baseline"))
    used = set(matched.values())
    unused = [e for index, e in enumerate(entries) if index not in used]
    return out, unused


def _pairs(findings: list[Finding], entries: list[Entry], lines_of: LinesOf | None) -> dict[int, int]:
    """finding index -> entry index, by the passes described at the top of this module."""
    candidates = [i for i, f in enumerate(findings) if f.suppression is None and f.code not in NEVER_BASELINED]
    scopes = {i: _scope(findings[i], lines_of) for i in candidates}

    def snippet(i: int) -> str:
        return _snippet(findings[i].evidence, findings[i].message)

    known_scopes: dict[tuple[str, str, str], set[str]] = {}
    for e in entries:
        known_scopes.setdefault((e.rule, e.path, _snippet(e.evidence, e.message)), set()).add(e.scope)

    def renamed_entry(e: Entry) -> Any:
        if not e.scope or lines_of is None or _defines(lines_of(e.path), e.scope):
            return None
        return (e.rule, e.path, _snippet(e.evidence, e.message))

    def renamed_finding(i: int) -> Any:
        f = findings[i]
        key = (f.code, f.location.path, snippet(i))
        if not scopes[i] or scopes[i] in known_scopes.get(key, ()):
            return None
        return key

    passes: list[tuple[Callable[[Entry], Any], Callable[[int], Any]]] = [
        (
            lambda e: (e.rule, e.path, _snippet(e.evidence, e.message), e.scope) if e.scope else None,
            lambda i: (findings[i].code, findings[i].location.path, snippet(i), scopes[i]) if scopes[i] else None,
        ),
        (
            lambda e: (e.rule, _norm(e.message), _snippet(e.evidence, e.message), e.scope)
            if e.scope and e.scope != MODULE and e.evidence.strip()
            else None,
            lambda i: (findings[i].code, _norm(findings[i].message), snippet(i), scopes[i])
            if scopes[i] and scopes[i] != MODULE and findings[i].evidence.strip()
            else None,
        ),
        (lambda e: e.fingerprint if not e.scope else None, lambda i: findings[i].fingerprint),
        (renamed_entry, renamed_finding),
    ]
    used: set[int] = set()
    matched: dict[int, int] = {}  # finding index -> entry index
    for entry_key, finding_key in passes:
        pools: dict[Any, list[int]] = {}
        for index, entry in enumerate(entries):
            if index not in used:
                k = entry_key(entry)
                if k is not None:
                    pools.setdefault(k, []).append(index)
        if not pools:
            continue
        for i in candidates:
            if i in matched:
                continue
            k = finding_key(i)
            pool = pools.get(k) if k is not None else None
            if pool:
                matched[i] = pool.pop(0)
                used.add(matched[i])
    return matched


def apply(
    findings: list[Finding], config: "Config", lines_of: LinesOf | None = None
) -> tuple[list[Finding], dict[str, Any] | None]:
    """Engine hook: apply the configured baseline. Returns findings and a summary for the report."""
    path = resolve(config)
    if path is None:
        return findings, None
    entries = load(path)
    label = _label(path, config.root)
    out, unused = match(findings, entries, label, lines_of)
    matched = sum(1 for f in out if f.suppression is not None and f.suppression.kind == "baseline")
    summary = {
        "file": label,
        "entries": len(entries),
        "matched": matched,
        "unused": [e.to_dict() for e in unused],
    }
    return out, summary


def _label(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def narrow(
    findings: list[Finding], config: "Config", lines_of: LinesOf | None = None
) -> tuple[list[Finding], dict[str, Any]]:
    """The engine's hook after suppressions: baseline, then `--diff`. Returns report extras."""
    from . import diff

    extra: dict[str, Any] = {}
    findings, info = apply(findings, config, lines_of)
    if info is not None:
        extra["baseline"] = info
    findings, scope = diff.apply(findings, config)
    if scope is not None:
        extra["diff"] = scope
    from .protocol.newcode import mark

    findings, new_code = mark(findings, config)  # new-code base: older findings marked existing
    if new_code is not None:
        extra["new_code"] = new_code
    return findings, extra


def lines_from_disk(root: Path) -> LinesOf:
    def lines_of(path: str) -> list[str]:
        try:
            return (root / path).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []

    return lines_of
