"""Redaction: secrets are never printed, in any output.

`redact_text` is applied where evidence is captured (source lines, SQL examples, request bodies),
so no formatter can leak a value. Checks that find a secret show `mask(value)` in messages.
"""

from __future__ import annotations

import re
from typing import Any, Callable

SECRET_NAME = re.compile(
    r"(?i)(pass(word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|client[_-]?secret|auth[_-]?key|credential|signing[_-]?key|encryption[_-]?key|session[_-]?key|salt|dsn)"
)

# Known key formats: (label, pattern). The whole match is masked.
KEY_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("aws-access-key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b")),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b")),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b")),
    ("stripe-key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("openai-key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{20,}\b")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}")),
    ("sendgrid-key", re.compile(r"\bSG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}\b")),
)
# all key formats in one pass (one scan of a large report instead of one per format)
_ANY_KEY_FORMAT = re.compile("|".join(f"(?:{pattern.pattern})" for _label, pattern in KEY_FORMATS))
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)")
DSN_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s'\"]*:)(?P<pw>[^@\s'\"/\\]+)(?P<at>@)")
# key=value connection strings (libpq "host=db password=x", ODBC "Server=db;PWD=x;")
KV_PASSWORD = re.compile(r"(?i)(\b(?:password|passwd|pwd)\s*=\s*)(?!['\"{%$<])([^\s;'\"\\]{3,})")
# name = "value" / name: "value" / name="value" (assignments, kwargs, dict entries, headers)
# (`(?<![\w\-])`: a name starts where a word does; the same matches, without retrying the
# name's tail at every character of every word, which made this pattern most of a warm run)
NAMED_VALUE = re.compile(
    r"(?<![\w\-])(?P<name>[\w\-]*" + SECRET_NAME.pattern[4:] + r"[\w\-]*['\"]?\s*(?:=|:)\s*[bru]{0,2})"
    r"(?P<q>['\"])(?P<value>[^'\"\n\\]{3,})(?P=q)"
)
# SQL that carries a password: ALTER/CREATE USER ... PASSWORD '...', IDENTIFIED BY '...'
SQL_PASSWORD = re.compile(r"(?i)(\b(?:PASSWORD|IDENTIFIED\s+BY)\s+)(['\"])([^'\"\n\\]{3,})(\2)")
# unquoted key=value anywhere (command output, log lines, URLs' query strings): `password=x`
KV_ANY = re.compile(
    r"(?i)(?P<key>\b(?:password|passwd|pwd|pass|secret|client_secret|token|access_token|api[_-]?key|apikey)\s*=\s*)"
    r"(?![\s'\"{%$<*=])(?P<value>[^\s;'\"&,()\[\]{}<>\\]{3,})(?P<call>\(?)"
)
_CODE_VALUE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$|^(?:password|passwd|pwd|pass|secret|token|none|null|true|false)$", re.I)
BEARER = re.compile(r"(?i)(\b(?:bearer|basic|token)\s+)([A-Za-z0-9_\-\.=+/]{12,})")


def mask(value: str) -> str:
    """A recognisable but useless form: `AKIA…Q7`; short values become `****`.

    Safe inside rendered JSON, XML and URLs: the kept ends never cut an escape sequence or an
    entity (`\\n`, `&amp;`, `%2F`), so masking finished output keeps it well-formed."""
    value = value.strip()
    if len(value) < 10:
        return "****"
    head = _ESCAPE_START.split(value[:4], maxsplit=1)[0]
    tail = value[-2:] if not _ESCAPE_START.search(value[-8:]) else ""
    return f"{head}…{tail}"


_ESCAPE_START = re.compile(r"[\\&%;]")


# lowercase words one of which every pattern below needs to match (in ASCII text): a name or
# keyword of a secret-bearing form, a key format's prefix, a URL, a PEM header
_MAY_HOLD = ("pass", "pwd", "secret", "token", "api", "access", "private", "client", "auth", "credential", "signing", "encryption",
             "session", "salt", "dsn", "identified", "bearer", "basic", "akia", "asia", "agpa", "aida", "aroa", "anpa", "gh", "xox",
             "sk_", "rk_", "sk-", "aiza", "eyj", "sg.", "github_pat", "://", "-----begin")


def redact_text(text: str) -> str:
    """Mask every secret-looking value in a line of source, SQL or a body."""
    if not text:
        return text
    if len(text) > _LARGE:  # a run writes the same report to stdout or -o and to the event file
        if _LAST_LARGE and _LAST_LARGE[0] == text:
            return _LAST_LARGE[1]
        redacted = _redact(text)
        _LAST_LARGE[:] = [text, redacted]
        return redacted
    return _redact(text)


_LARGE = 20_000
_LAST_LARGE: list[str] = []  # [text, redacted] of the last large text


def _redact(text: str) -> str:
    if text.isascii():
        lowered = text.lower()
        for word in _MAY_HOLD:
            if word in lowered:
                break
        else:
            return text  # none of the patterns can match (most identifiers and messages in facts)
    text = PRIVATE_KEY.sub("-----BEGIN PRIVATE KEY----- …redacted…", text)
    if len(text) < _SCAN_WHERE_STARTS:  # a line, a name, a message: each pattern over it is cheaper
        text = _ANY_KEY_FORMAT.sub(lambda m: mask(m.group(0)), text)
        if "://" in text:
            text = DSN_PASSWORD.sub(_mask_dsn, text)
        text = _sub_at_secret_words(NAMED_VALUE, _mask_named, text)
        text = _QUOTED.sub(_mask_connection_string, text)
        text = SQL_PASSWORD.sub(_mask_sql_password, text)
        text = BEARER.sub(_mask_bearer, text)
        text = KV_ANY.sub(_mask_kv, text)
    else:
        text = _sub_at(_ANY_KEY_FORMAT, lambda m: mask(m.group(0)), text, _found(text, _KEY_FORMAT_HEADS))
        if "://" in text:
            text = _sub_at(DSN_PASSWORD, _mask_dsn, text, _scheme_starts(text))
        text = _sub_at_secret_words(NAMED_VALUE, _mask_named, text)
        text = _sub_ascii(_QUOTED, _mask_connection_string, text, _quote_starts, ("passw", "pwd"))
        text = _sub_ascii(SQL_PASSWORD, _mask_sql_password, text, _found, ("password", "identified"))
        text = _sub_ascii(BEARER, _mask_bearer, text, _found, ("bearer", "basic", "token"))
        text = _sub_ascii(KV_ANY, _mask_kv, text, _found, ("pass", "pwd", "secret", "client_secret", "token", "access_token", "api"))
    text = _sub_at_secret_words(SPEC_EXAMPLE, _mask_spec_example, text)
    if "://" in text:
        text = WEBHOOK_URL.sub(lambda m: m.group("keep") + "****", text)
    return text


def _mask_dsn(m: re.Match[str]) -> str:
    return f"{m.group('head')}****{m.group('at')}"


def _mask_sql_password(m: re.Match[str]) -> str:
    return f"{m.group(1)}{m.group(2)}{mask(m.group(3))}{m.group(4)}"


def _mask_bearer(m: re.Match[str]) -> str:
    return m.group(1) + mask(m.group(2))


# Where a match of each pattern can start. A large output (the 100-200 kB report, written to -o
# and to the event file) was scanned by every pattern at every character; a pattern that starts
# with a fixed word is tried only where that word occurs (as the name-based ones are, in
# `_sub_at_secret_words`), with the same result as `pattern.sub`.
# The key formats' fixed starts (case-sensitive: the patterns have no IGNORECASE), one or more
# per alternative of `_ANY_KEY_FORMAT`; a new format adds its own (tests/test_redaction.py).
_SCAN_WHERE_STARTS = 300  # from this length on, finding the starts first is cheaper (40 characters: 50 % dearer; 800: 3x cheaper)
_KEY_FORMAT_HEADS = ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "gh", "github_pat_", "xox", "sk_", "rk_", "AIza", "sk-", "eyJ", "SG.")
_SCHEME_CHAR = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")


def _found(text: str, heads: tuple[str, ...]) -> set[int]:
    """Every index at which one of `heads` occurs in `text`."""
    starts: set[int] = set()
    for head in heads:
        at = text.find(head)
        while at >= 0:
            starts.add(at)
            at = text.find(head, at + 1)
    return starts


def _scheme_starts(text: str) -> set[int]:
    """DSN_PASSWORD's possible starts: inside the run of scheme characters just before a `://`
    (a scheme holds no ':' nor '/', so a match's `://` is the first one after its start)."""
    starts: set[int] = set()
    for at in _found(text, ("://",)):
        start = at
        while start > 0 and text[start - 1] in _SCHEME_CHAR:
            start -= 1
            starts.add(start)
    return starts


def _quote_starts(lowered: str, heads: tuple[str, ...]) -> set[int]:
    """_QUOTED's possible starts: the quote opening the string that holds a password word (no
    quote nor line end comes between them)."""
    starts: set[int] = set()
    for at in _found(lowered, heads):
        quote = max(lowered.rfind("'", 0, at), lowered.rfind('"', 0, at))
        if quote >= 0 and lowered.rfind("\n", quote, at) < 0:
            starts.add(quote)
    return starts


def _sub_ascii(
    pattern: re.Pattern[str],
    repl: Callable[[re.Match[str]], str],
    text: str,
    starts_of: Callable[[str, tuple[str, ...]], set[int]],
    words: tuple[str, ...],
) -> str:
    """`pattern.sub(repl, text)` for a pattern whose matches start at (or open on) one of `words`,
    matched without regard to case: tried only where `starts_of` finds them in the lowered text.
    Text that is not ASCII takes `pattern.sub` (case folding reaches beyond ASCII there)."""
    if not text.isascii():
        return pattern.sub(repl, text)
    return _sub_at(pattern, repl, text, starts_of(text.lower(), words))


def _sub_at(pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str], text: str, starts: set[int]) -> str:
    """`pattern.sub(repl, text)` when every match starts at one of `starts`: the leftmost match is
    the first of them, in order, at which the pattern matches; the next is looked for after it."""
    if not starts:
        return text
    out: list[str] = []
    done = 0
    for start in sorted(starts):
        if start < done:
            continue
        found = pattern.match(text, start)
        if found is None:
            continue
        out.append(text[done:start])
        out.append(repl(found))
        done = found.end()
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


# a secret-named property's example/default in a spec: `token: {type: string, example: "x"}`
SPEC_EXAMPLE = re.compile(
    r"(?<![\w\-])(?P<head>[\w\-]*" + SECRET_NAME.pattern[4:] + r"[\w\-]*['\"]?\s*:\s*\{[^}\n]*?\b(?:example|default|const|x-example)['\"]?\s*:\s*)"
    r"(?P<q>['\"]?)(?P<value>[^,}'\"\n\\]{3,}?)(?P=q)(?=\s*[,}])"
)


def _mask_spec_example(match: re.Match[str]) -> str:
    return match.group("head") + match.group("q") + mask(match.group("value")) + match.group("q")


# the fixed starts of SECRET_NAME's alternatives (lowercase): a secret name holds one of them
_SECRET_WORD_HEADS = ("pass", "pwd", "secret", "token", "api", "access", "private", "client", "auth", "credential", "signing",
                      "encryption", "session", "salt", "dsn")
_WORD_CHAR = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def _sub_at_secret_words(pattern: re.Pattern[str], repl: Any, text: str) -> str:
    """`pattern.sub(repl, text)` for NAMED_VALUE and SPEC_EXAMPLE, tried only where a match can
    start: the first character of a word (`[\\w-]+`) holding a secret name. Those patterns begin
    with `(?<![\\w-])[\\w-]*` and a SECRET_NAME word, so no match starts anywhere else; on a large
    output (a 200 kB report) trying them at every character was most of the redaction. Text that
    is not ASCII takes `pattern.sub` (case folding and `\\w` reach beyond ASCII there)."""
    if not text.isascii():
        return pattern.sub(repl, text)
    lowered = text.lower()
    starts: set[int] = set()
    for head in _SECRET_WORD_HEADS:
        at = lowered.find(head)
        while at >= 0:
            start = at
            while start > 0 and text[start - 1] in _WORD_CHAR:
                start -= 1
            starts.add(start)
            at = lowered.find(head, at + 1)
    return _sub_at(pattern, repl, text, starts)


def _mask_kv(match: re.Match[str]) -> str:
    """`password=x` outside quotes: masked unless the value is code (an attribute chain, a call,
    the key's own name) or already masked."""
    value = match.group("value")
    if match.group("call") or _CODE_VALUE.match(value) or "…" in value or value.startswith("****"):
        return match.group(0)
    return f"{match.group('key')}{mask(value)}"


# incoming-webhook URLs carry their credential in the path: keep scheme and host only
WEBHOOK_URL = re.compile(
    r"(?P<keep>https?://(?:hooks\.slack\.com/(?:services|workflows|triggers)/|(?:[\w-]+\.)?discord(?:app)?\.com/api/webhooks/"
    r"|[\w.-]+\.webhook\.office\.com/|outlook\.office\.com/webhook/|chat\.googleapis\.com/v1/spaces/))[^\s'\"<>]+"
)


_QUOTED = re.compile(r"(['\"])([^'\"\n]*?(?i:password|passwd|pwd)\s*=[^'\"\n]*)(\1)")


def _mask_connection_string(match: re.Match[str]) -> str:
    """Inside a quoted string only: `"host=db password=x"` -> `"host=db password=****"`."""
    inner = KV_PASSWORD.sub(lambda m: m.group(1) + "****", match.group(2))
    return f"{match.group(1)}{inner}{match.group(3)}"


def _mask_named(match: re.Match[str]) -> str:
    value = match.group("value")
    if value.startswith(("{", "%(", "$", "<")) or "****" in value or "…" in value:
        return match.group(0)
    q = match.group("q")
    return f"{match.group('name')}{q}{mask(value)}{q}"


class RedactingStream:
    """The output choke point: a text stream whose every write passes through `redact_text`.

    The CLI wraps stdout and stderr in it (findings, messages, evidence, captured command output,
    library messages, tracebacks: whatever is printed). Writes are buffered up to a line end so a
    secret split over two writes is still seen whole."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        if self._pending.endswith("\n") or len(self._pending) > 1 << 20:
            self._emit()
        return len(text)

    def _emit(self) -> None:
        if self._pending:
            chunk, self._pending = self._pending, ""
            self._stream.write(redact_text(chunk))

    def flush(self) -> None:
        self._emit()
        self._stream.flush()

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def redact_data(data: Any) -> Any:
    """JSON-safe data (facts stored in the cache) with every string redacted."""
    if isinstance(data, str):
        return redact_text(data) if len(data) > 5 else data
    if isinstance(data, list):
        return [redact_data(v) for v in data]
    if isinstance(data, dict):
        return {k: redact_data(v) for k, v in data.items()}
    return data


def write_file(path: Any, text: str) -> None:
    """Write an output file (report, -o, HTML) through the same redaction as the streams."""
    from pathlib import Path

    Path(path).write_text(redact_text(text), encoding="utf-8", errors="backslashreplace")


_URL_QUERY_VALUE = re.compile(r"([?&][^=&#\s]+=)[^&#\s]+")


def redact_setting(value: object) -> object:
    """A configuration value as it may be shown: URL query values and credentials masked."""
    if isinstance(value, str):
        text = redact_text(value)
        if "://" in text:
            text = _URL_QUERY_VALUE.sub(lambda m: m.group(1) + "****", text)
        return text
    if isinstance(value, list):
        return [redact_setting(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_setting(v) for k, v in value.items()}
    return value
