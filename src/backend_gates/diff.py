"""`--diff REF`: keep only findings on lines changed since a git ref (new-code gates).

Changed lines come from `git diff -U0 REF` (working tree against REF, so uncommitted edits
count); files git does not track yet count as changed everywhere. Findings without a file
(project-wide ones) are kept: they cannot be attributed to a line.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .model import Finding

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
ALL_LINES = None  # marker: every line of the file is new


def _git(root: Path, *args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=60, encoding="utf-8", errors="surrogateescape"
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise UsageError(f"--diff needs git: {exc}") from None
    if out.returncode != 0:
        detail = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"
        raise UsageError(f"--diff: `git {' '.join(args)}` failed in {root}: {detail}")
    return out.stdout


def parse_unified(text: str) -> dict[str, set[int]]:
    """Added/changed line numbers (new side) per path, from `git diff -U0` output."""
    out: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in text.splitlines():
        if line.startswith("+++ "):
            target = line[4:].strip()
            if target == "/dev/null":
                current = None
                continue
            if target.startswith('"') and target.endswith('"') and len(target) > 1:
                target = unquote_c(target[1:-1])
            if target.startswith("b/"):
                target = target[2:]
            current = out.setdefault(target, set())
            continue
        match = _HUNK.match(line)
        if match and current is not None:
            start = int(match.group(1))
            count = int(match.group(2)) if match.group(2) is not None else 1
            current.update(range(start, start + count))
    return out


_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def unquote_c(text: str) -> str:
    """Undo git's C-style quoting of a path (`\\303\\251` octal bytes, `\\t`, `\\"`), as UTF-8."""
    raw = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in "01234567" and i + 3 < len(text) + 1 and all(c in "01234567" for c in text[i + 1 : i + 4]):
                raw.append(int(text[i + 1 : i + 4], 8))
                i += 4
                continue
            if nxt in _C_ESCAPES:
                raw.append(_C_ESCAPES[nxt])
                i += 2
                continue
        raw.extend(ch.encode("utf-8", "surrogateescape"))
        i += 1
    return raw.decode("utf-8", "surrogateescape")


def changed_lines(root: Path, ref: str) -> dict[str, set[int] | None]:
    """Path relative to `root` -> changed line numbers (None: the whole file is new)."""
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip())
    _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    # core.quotePath=off: non-ASCII names come through as UTF-8; names with quotes, tabs or
    # newlines are still C-quoted, which parse_unified undoes
    diff = _git(top, "-c", "core.quotePath=off", "diff", "-U0", "--no-color", "--no-ext-diff", "--no-relative", "-M", ref, "--")
    untracked = _git(top, "ls-files", "--others", "--exclude-standard", "-z")
    root = root.resolve()
    out: dict[str, set[int] | None] = {}

    def key(rel: str) -> str | None:
        try:
            return (top / rel).resolve().relative_to(root).as_posix()
        except ValueError:
            return None

    for rel, lines in parse_unified(diff).items():
        k = key(rel)
        if k is not None:
            out[k] = lines
    for rel in untracked.split("\0"):
        if rel:
            k = key(rel)
            if k is not None:
                out[k] = ALL_LINES
    return out


def on_changed_line(f: Finding, changed: dict[str, set[int] | None]) -> bool:
    path = f.location.path
    if not path:
        return True
    if path not in changed:
        return False
    lines = changed[path]
    if lines is None:
        return True
    first = f.location.line
    last = max(f.location.end_line, first)
    return any(n in lines for n in range(first, last + 1))


def apply(findings: list[Finding], config: "Config") -> tuple[list[Finding], dict[str, Any] | None]:
    ref = config["diff"]
    if not ref:
        return findings, None
    changed = changed_lines(config.root, ref)
    kept = [f for f in findings if on_changed_line(f, changed)]
    return kept, {"ref": ref, "files_changed": len(changed), "dropped": len(findings) - len(kept)}
