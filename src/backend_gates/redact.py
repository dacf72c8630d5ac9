"""Redaction: secrets are never printed, in any output.

`redact_text` is applied where evidence is captured (source lines, SQL examples, request bodies),
so no formatter can leak a value. Checks that find a secret show `mask(value)` in messages.
"""

from __future__ import annotations

import re

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
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)")
DSN_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s'\"]*:)(?P<pw>[^@\s'\"/]+)(?P<at>@)")
# key=value connection strings (libpq "host=db password=x", ODBC "Server=db;PWD=x;")
KV_PASSWORD = re.compile(r"(?i)(\b(?:password|passwd|pwd)\s*=\s*)(?!['\"{%$<])([^\s;'\"]{3,})")
# name = "value" / name: "value" / name="value" (assignments, kwargs, dict entries, headers)
NAMED_VALUE = re.compile(
    r"(?P<name>[\w\-]*" + SECRET_NAME.pattern[4:] + r"[\w\-]*['\"]?\s*(?:=|:)\s*[bru]{0,2})"
    r"(?P<q>['\"])(?P<value>[^'\"\n]{3,})(?P=q)"
)
# SQL that carries a password: ALTER/CREATE USER ... PASSWORD '...', IDENTIFIED BY '...'
SQL_PASSWORD = re.compile(r"(?i)(\b(?:PASSWORD|IDENTIFIED\s+BY)\s+)(['\"])([^'\"\n]{3,})(\2)")
BEARER = re.compile(r"(?i)(\b(?:bearer|basic|token)\s+)([A-Za-z0-9_\-\.=+/]{12,})")


def mask(value: str) -> str:
    """A recognisable but useless form: `AKIA…Q7`; short values become `****`."""
    value = value.strip()
    if len(value) < 10:
        return "****"
    return f"{value[:4]}…{value[-2:]}"


def redact_text(text: str) -> str:
    """Mask every secret-looking value in a line of source, SQL or a body."""
    if not text:
        return text
    text = PRIVATE_KEY.sub("-----BEGIN PRIVATE KEY----- …redacted…", text)
    for _label, pattern in KEY_FORMATS:
        text = pattern.sub(lambda m: mask(m.group(0)), text)
    text = DSN_PASSWORD.sub(lambda m: f"{m.group('head')}****{m.group('at')}", text)
    text = NAMED_VALUE.sub(_mask_named, text)
    text = _QUOTED.sub(_mask_connection_string, text)
    text = SQL_PASSWORD.sub(lambda m: f"{m.group(1)}{m.group(2)}{mask(m.group(3))}{m.group(4)}", text)
    text = BEARER.sub(lambda m: m.group(1) + mask(m.group(2)), text)
    return text


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
