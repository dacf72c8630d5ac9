"""Normalise a SQL statement to a fingerprint: literals and placeholders -> ?, IN lists collapsed,
whitespace and case folded. Shared by static checks and the runtime plugin; cached, so a repeated
statement is parsed once.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|\?|:\w+|\$\d+")
_IN_LIST = re.compile(r"\bIN\s*\(\s*\?(?:\s*,\s*\?)*\s*\)", re.I)
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=8192)
def normalize(sql: str, dialect: str | None = None) -> str:
    """The normalised text of `sql` (what the fingerprint hashes)."""
    try:
        return _normalize_sqlglot(sql, dialect)
    except Exception:  # sqlglot cannot read it: fall back to a lexical normalisation
        return _normalize_lexical(sql)


def fingerprint(sql: str, dialect: str | None = None) -> str:
    return hashlib.sha1(normalize(sql, dialect).encode()).hexdigest()[:16]


def _normalize_lexical(sql: str) -> str:
    text = _STRING.sub("?", sql)
    text = _NUMBER.sub("?", text)
    text = _PLACEHOLDER.sub("?", text)
    text = _SPACE.sub(" ", text).strip().rstrip(";").strip()
    text = _IN_LIST.sub("IN (?)", text)
    return text.lower()


def _normalize_sqlglot(sql: str, dialect: str | None) -> str:
    import sqlglot
    from sqlglot import exp

    read = {"postgres": "postgres", "postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}.get(dialect or "", None)
    prepared = _PLACEHOLDER.sub("?", sql) if read is None else sql
    tree = sqlglot.parse_one(prepared, read=read)
    if tree is None:
        raise ValueError("empty")

    def strip(node: exp.Expression) -> exp.Expression:
        if isinstance(node, (exp.Literal, exp.Placeholder, exp.Parameter)):
            return exp.Placeholder()
        if isinstance(node, exp.In) and node.args.get("expressions"):
            node.set("expressions", [exp.Placeholder()])
        return node

    tree = tree.transform(strip)
    return _SPACE.sub(" ", tree.sql(dialect="sqlite", normalize=True, pretty=False)).lower()
