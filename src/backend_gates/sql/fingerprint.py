"""Normalise a SQL statement to a fingerprint: literals and placeholders -> ?, IN lists and
multi-row VALUES collapsed, whitespace and case folded. Shared by static checks and the runtime
plugin; cached, so a repeated statement is parsed once.

Two stages: a cheap lexical pass (regexes) turns literals and placeholders into `?` and folds
case and whitespace; its result is the cache key of the sqlglot stage, so statements that differ
only in their values (`id = 1`, `id = 2`) share one sqlglot parse. Text sqlglot cannot read
keeps the lexical normalisation (the fallback).

API (stable, used by the runtime plugin): `fingerprint(sql, dialect=None) -> str` (16 hex
digits) and `normalize(sql, dialect=None) -> str`.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

_STRING = re.compile(r"'(?:[^'\\]|''|\\.)*'")
_NUMBER = re.compile(r"(?<![\w.$])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.])", re.I)
_PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|\$\d+|(?<![:\w]):(?!:)[A-Za-z_]\w*|\?")
_IN_LIST = re.compile(r"\bin\s*\(\s*\?(?:\s*,\s*\?)*\s*\)", re.I)
_VALUES_ROWS = re.compile(r"(\(\s*\?(?:\s*,\s*\?)*\s*\))(?:\s*,\s*\(\s*\?(?:\s*,\s*\?)*\s*\))+")
_SPACE = re.compile(r"\s+")
_DIALECTS = {"postgres": "postgres", "postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}


def _lexical(sql: str) -> str:
    text = _STRING.sub("?", sql)
    text = _PLACEHOLDER.sub("?", text)
    text = _NUMBER.sub("?", text)
    text = _SPACE.sub(" ", text).strip().rstrip(";").strip()
    text = _IN_LIST.sub("in (?)", text)
    text = _VALUES_ROWS.sub(r"\1", text)
    return text.lower()


@lru_cache(maxsize=16384)
def normalize(sql: str, dialect: str | None = None) -> str:
    """The normalised text of `sql` (what the fingerprint hashes)."""
    return _normalize_key(_lexical(sql), _DIALECTS.get((dialect or "").lower()))


@lru_cache(maxsize=8192)
def _normalize_key(key: str, read: str | None) -> str:
    try:
        return _normalize_sqlglot(key, read)
    except Exception:  # sqlglot cannot read it: keep the lexical normalisation
        return key


@lru_cache(maxsize=16384)
def fingerprint(sql: str, dialect: str | None = None) -> str:
    return hashlib.sha1(normalize(sql, dialect).encode()).hexdigest()[:16]


def _normalize_sqlglot(key: str, read: str | None) -> str:
    import sqlglot
    from sqlglot import exp

    trees = sqlglot.parse(key, read=read)
    if len(trees) != 1 or trees[0] is None or isinstance(trees[0], exp.Command):
        raise ValueError("not one statement sqlglot understands")
    tree = trees[0]

    def strip(node: exp.Expression) -> exp.Expression:
        if isinstance(node, (exp.Literal, exp.Placeholder, exp.Parameter)):
            return exp.Placeholder()
        if isinstance(node, exp.In) and node.args.get("expressions"):
            node.set("expressions", [exp.Placeholder()])
        if isinstance(node, exp.Values) and len(node.expressions) > 1:
            node.set("expressions", node.expressions[:1])
        return node

    tree = tree.transform(strip, copy=False)
    return _SPACE.sub(" ", tree.sql(dialect="sqlite", normalize=True, pretty=False)).lower()
