"""Answers of expensive pure functions, kept with a file's cached result for its next analysis.

An edited file keeps most of its SQL text, yet judging one SQL string with sqlglot means importing
sqlglot first (about 0.08 s of a one-file run). So an analysis records the answers it used
(`FileResult.memo`, stored in the file's cache entry), and the next analysis of that file, after an
edit, starts from them (`analysing(known)`). Keys are digests of the question and values short
labels: no source text is kept. The functions are pure, and the cache key names the parsers'
versions (engine.ruleset_key), so a remembered answer is the one the function would give.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

_KNOWN: dict[str, str] = {}
_USED: dict[str, str] = {}
_ACTIVE: list[bool] = []  # inside `analysing`: answers are kept (elsewhere, nothing is)


def key(question: str) -> str:
    return hashlib.blake2b(question.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def recall(digest: str) -> str | None:
    """The remembered answer for `digest` (see `key`), kept for the next version too."""
    answer = _KNOWN.get(digest)
    if answer is not None:
        _USED[digest] = answer
    return answer


def record(digest: str, answer: str) -> None:
    if _ACTIVE:
        _USED[digest] = answer


@contextmanager
def analysing(known: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """One file's analysis: `known` answers available; yields the answers it used or computed."""
    _KNOWN.clear()
    _KNOWN.update(known)
    _USED.clear()
    _ACTIVE.append(True)
    used: dict[str, str] = {}
    try:
        yield used
    finally:
        _ACTIVE.pop()
        used.update(_USED)
        _KNOWN.clear()
        _USED.clear()


def valid(data: object) -> dict[str, str]:
    """A stored memo as it may be used: string keys and values only, else nothing."""
    if isinstance(data, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        return data
    return {}
