"""Inline suppressions: `# backend-gates: ignore[BG201] why` (SQL: `-- backend-gates: ...`).

A comment at the end of a line applies to that line; a comment on a line of its own applies to
the next code line. `ignore[...]` takes rule codes, rule names or gate ids; `ignore-file[...]`
applies to the whole file. A reason is required; `expires=YYYY-MM-DD` makes it temporary.

Other tools' suppression comments are honoured for the rules that name the same concern: a rule
lists its equivalents in `external_ids` (`"ruff:S608"`, `"bandit:B608"`, ...), and a comment
written for that tool suppresses the rule where the tool itself would be silenced:

  ruff / flake8  `# noqa: S608, E722` (that line); bare `# noqa` = every rule with a ruff id;
                 `# ruff: noqa: S608` / `# flake8: noqa` on a line of its own = the whole file
  bandit         `# nosec B608` / `# nosec: B608,B110` (that line); bare `# nosec` = every rule
                 with a bandit id
  semgrep        `# nosemgrep: rule-id` or bare `# nosemgrep`, on the line or the line before
  SonarQube      `# NOSONAR` (that line; Sonar takes no ids) = every rule with a sonar id
  squawk         `-- squawk-ignore rule-a, rule-b` before the statement; `-- squawk-ignore-file`
  pylint         `# pylint: disable=bare-except` (that line), `# pylint: disable-next=...`

A finding that names the lines where its text was built (`extra["built_at"]`, e.g. BG201's SQL
string assembled above the `execute()`) is also silenced by another tool's comment on those lines,
where that tool reports it.

Such comments carry the tool in `SuppressionComment.tool` and a reason naming the tool and the
comment; they never count as unused or reason-less (they are the other tool's business). Which
tools are honoured is the `external-suppressions` setting. The table per rule is generated into
docs/suppressions.md from `external_ids`.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Iterable

from .model import Finding, SuppressionComment
from .patterns import lazy

MARKER = "backend-gates:"
_RE = lazy(
    r"(?P<lead>#|--)\s*backend-gates:\s*(?P<verb>ignore-file|ignore)\b"
    r"(?:\[(?P<codes>[^\]]*)\])?(?P<rest>.*)$"
)
_EXPIRES = lazy(r"\bexpires=(\S+)")
_PLACEHOLDER = lazy(r"(?i)<[^>]*>|\.{2,}|…|todo|fixme|xxx|tbd|reason|why")

EXTERNAL_TOOLS = ("ruff", "bandit", "semgrep", "sonar", "squawk", "pylint")
# cheap pre-check: does any other tool's suppression occur in the file at all?
_ANY_EXTERNAL = lazy(r"(?i)noqa|nosec|nosemgrep|NOSONAR|squawk-ignore|pylint:")
_IDS = r"(?P<ids>[A-Za-z0-9_.\-]+(?:\s*,\s*[A-Za-z0-9_.\-]+)*)"
_BANDIT_ID = r"(?:B[0-9]{3}|[a-z]+(?:_[a-z0-9]+)+)"  # test id or test name
# (tool, pattern, applies to: "line" | "next" | "line-or-next" | "file")
_EXTERNAL: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("ruff", lazy(r"#\s*(?:ruff|flake8)\s*:\s*noqa\b(?:\s*:\s*" + _IDS + r")?", re.I), "file"),
    ("ruff", lazy(r"#\s*noqa\b(?::\s*(?P<ids>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I), "line"),
    ("bandit", lazy(r"#\s*nosec\b(?::?\s*(?P<ids>" + _BANDIT_ID + r"(?:\s*,\s*" + _BANDIT_ID + r")*))?"), "line"),
    ("semgrep", lazy(r"(?:#|--|//)\s*nosemgrep\b(?:\s*:\s*" + _IDS + r")?"), "line-or-next"),
    ("sonar", lazy(r"(?:#|--|//)\s*NOSONAR\b"), "line"),
    ("squawk", lazy(r"--\s*squawk-ignore-file\b(?:\s+" + _IDS + r")?"), "file"),
    ("squawk", lazy(r"--\s*squawk-ignore\b(?!-)(?:\s+" + _IDS + r")?"), "next"),
    ("pylint", lazy(r"#\s*pylint\s*:\s*disable-next\s*=\s*" + _IDS), "next"),
    ("pylint", lazy(r"#\s*pylint\s*:\s*disable\s*=\s*" + _IDS), "line"),
)


_EXTERNAL_WORDS = ("noqa", "nosec", "nosemgrep", "nosonar", "squawk-ignore", "pylint:")


def _mentions_external(source: str) -> bool:
    """`_ANY_EXTERNAL.search(source) is not None`, cheaply: a case-insensitive regex scan of a whole
    file cost ten times the rest of this module. On ASCII text, substring tests on the lowered
    text give the same answer; other text (where case folding matches more) keeps the regex."""
    if not source.isascii():
        return _ANY_EXTERNAL.search(source) is not None
    lowered = source.lower()
    return any(word in lowered for word in _EXTERNAL_WORDS)


def parse_suppressions(source: str) -> list[SuppressionComment]:
    out: list[SuppressionComment] = []
    ours = MARKER in source
    theirs = _mentions_external(source)
    if not ours and not theirs:
        return out
    lines = source.splitlines()
    for index, text in enumerate(lines):
        if ours and MARKER in text:
            comment = _ours(lines, index, text)
            if comment is not None:
                out.append(comment)
                continue
        if theirs and _ANY_EXTERNAL.search(text):
            out.extend(_external(lines, index, text))
    return out


def _ours(lines: list[str], index: int, text: str) -> SuppressionComment | None:
    match = _RE.search(text)
    if match is None:
        return None
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
    if _PLACEHOLDER.fullmatch(reason):
        reason = ""  # `<reason>`, `<why>`, `TODO`, `...`: a placeholder left in, not a reason
    return SuppressionComment(
        line=number,
        target=target,
        codes=codes,
        reason=reason,
        expires=expires,
        file_level=match.group("verb") == "ignore-file",
    )


def _external(lines: list[str], index: int, text: str) -> Iterable[SuppressionComment]:
    number = index + 1
    seen: set[str] = set()
    for tool, pattern, scope in _EXTERNAL:
        if tool in seen:
            continue
        match = pattern.search(text)
        if match is None or not _in_comment(text, match.start()):
            continue
        own_line = not text[: match.start()].strip()
        if scope == "file" and not own_line:
            continue
        seen.add(tool)
        ids = [i for i in re.split(r"[\s,]+", (match.groupdict().get("ids") or "").strip()) if i]
        lead = "--" if match.group(0).startswith("--") else "#"
        target = number
        if scope == "next" or (scope == "line-or-next" and own_line):
            target = _next_code_line(lines, index + 1, lead)
        yield SuppressionComment(
            line=number,
            target=target,
            codes=ids,
            reason=f"{tool}: `{match.group(0).strip()}`",
            file_level=scope == "file",
            tool=tool,
        )


def _in_comment(text: str, start: int) -> bool:
    """The match sits in a comment, not inside a string literal (rough but sufficient: no quote
    character is open before it)."""
    before = text[:start]
    return before.count('"') % 2 == 0 and before.count("'") % 2 == 0


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


def applies(comment: SuppressionComment, finding: Finding) -> bool:
    """Does the comment's target line fall on the finding? Its own lines; for another tool's
    comment also the lines where the finding's text was built (`extra["built_at"]`, pairs of first
    and last line): ruff and bandit report a built SQL string where it is built, not at the
    `execute()` that runs it, so that is where their noqa / nosec comment sits."""
    if comment.file_level:
        return True
    loc = finding.location
    if loc.line <= comment.target <= max(loc.end_line, loc.line):
        return True
    if not comment.tool:
        return False
    built = finding.extra.get("built_at")
    if not isinstance(built, list):
        return False
    return any(
        isinstance(span, list) and len(span) == 2 and all(isinstance(n, int) for n in span) and span[0] <= comment.target <= span[1]
        for span in built
    )


def covers(comment: SuppressionComment, code: str, name: str, gate: str | None) -> bool:
    if comment.tool:
        return covers_external(comment.tool, comment.codes, external_ids(code, name))
    if not comment.codes:
        return True
    wanted = {c.upper() for c in comment.codes}
    return code.upper() in wanted or name.upper() in wanted or (gate is not None and gate.upper() in wanted)


def covers_external(tool: str, named: list[str], rule_ids: tuple[str, ...]) -> bool:
    """Does a `tool` comment naming `named` (empty = bare) silence a rule with `rule_ids`?"""
    mine = [i.split(":", 1)[1] for i in rule_ids if i.split(":", 1)[0] == tool]
    if not mine:
        return False  # the rule has no equivalent in that tool: its comment is not about us
    if not named:
        return True  # a bare noqa, nosec, nosemgrep or NOSONAR comment: everything that tool reports there
    if tool == "semgrep":  # semgrep ids may be given qualified (`python.lang.security.x`): compare the last part
        return any(n == m or n.endswith("." + m) or m.endswith("." + n) for n in named for m in mine)
    upper = {m.upper() for m in mine}
    return any(n.upper() in upper for n in named)


def external_ids(code: str, name: str = "") -> tuple[str, ...]:
    """The rule's `external_ids`; a result of a user's own semgrep rule (extra-rules) is its rule id."""
    from .checks.base import REGISTRY
    from .sources.semgrep import EXTRA_CODE

    cls = REGISTRY.get(code)
    if cls is None or code == EXTRA_CODE:
        return (f"semgrep:{name}",) if name else ()
    return tuple(cls.external_ids)
