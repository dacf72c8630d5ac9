"""Inline suppressions: `# backend-gates: ignore[BG201] why` (SQL: `-- backend-gates: ...`).

A comment at the end of a line applies to that line; a comment on a line of its own applies to
the next code line. `ignore[...]` takes rule codes, rule names or gate ids; `ignore-file[...]`
applies to the whole file. A reason is required; `expires=YYYY-MM-DD` makes it temporary.
"""

from __future__ import annotations

import datetime as _dt
import re

from .model import SuppressionComment

MARKER = "backend-gates:"
_RE = re.compile(
    r"(?P<lead>#|--)\s*backend-gates:\s*(?P<verb>ignore-file|ignore)\b"
    r"(?:\[(?P<codes>[^\]]*)\])?(?P<rest>.*)$"
)
_EXPIRES = re.compile(r"\bexpires=(\S+)")


def parse_suppressions(source: str) -> list[SuppressionComment]:
    if MARKER not in source:
        return []
    lines = source.splitlines()
    out: list[SuppressionComment] = []
    for index, text in enumerate(lines):
        if MARKER not in text:
            continue
        match = _RE.search(text)
        if match is None:
            continue
        number = index + 1
        before = text[: match.start()].strip()
        target = number
        if not before:  # own-line comment: applies to the next code line
            target = _next_code_line(lines, index + 1, match.group("lead"))
        codes = [c.strip() for c in (match.group("codes") or "").split(",") if c.strip()]
        rest = match.group("rest").strip()
        expires = ""
        exp = _EXPIRES.search(rest)
        if exp:
            expires = exp.group(1)
            rest = (rest[: exp.start()] + rest[exp.end() :]).strip()
        reason = rest.strip(" -:—")
        out.append(
            SuppressionComment(
                line=number,
                target=target,
                codes=codes,
                reason=reason,
                expires=expires,
                file_level=match.group("verb") == "ignore-file",
            )
        )
    return out


def _next_code_line(lines: list[str], start: int, lead: str) -> int:
    for index in range(start, len(lines)):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith(lead):
            return index + 1
    return start + 1 if start < len(lines) else start


def expiry_state(comment: SuppressionComment, today: _dt.date | None = None) -> str:
    """'' when not set or still valid, 'expired' when past, 'invalid' when unreadable."""
    if not comment.expires:
        return ""
    try:
        when = _dt.date.fromisoformat(comment.expires)
    except ValueError:
        return "invalid"
    today = today or _dt.date.today()
    return "expired" if when < today else ""


def covers(comment: SuppressionComment, code: str, name: str, gate: str | None) -> bool:
    if not comment.codes:
        return True
    wanted = {c.upper() for c in comment.codes}
    return code.upper() in wanted or name.upper() in wanted or (gate is not None and gate.upper() in wanted)
