"""Regular expressions compiled on first use.

The rules define about 240 patterns at import; a one-file run (pre-commit, the editor) uses
fewer than half of them, and compiling the others cost about 15 ms of every such run (`re`
compiles in Python). `lazy(...)` stands for `re.compile(...)` at module level: the pattern is
compiled the first time one of its methods or attributes is read, and from then on its methods
are read from the instance as bound methods of the compiled pattern (no indirection per call).

A run that forks workers calls `compile_all()` first, so every worker inherits the patterns
compiled once, as before, instead of compiling those it uses on its own.
"""

from __future__ import annotations

import functools
import re
from typing import Any, cast

_METHODS = ("search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer", "scanner")
_MADE: list[LazyPattern] = []  # not yet compiled


class LazyPattern:
    """`re.compile(pattern, flags)`, done when first used. `pattern` is there from the start (other
    patterns are built from it without compiling it). The methods are instance attributes: until
    the first call, stand-ins that compile; from then on, the compiled pattern's bound methods (a
    plain attribute read, cheaper than from `re.Pattern`, which binds the method on every read)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None
        for name in _METHODS:
            setattr(self, name, functools.partial(self._first_call, name))
        _MADE.append(self)

    def _first_call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.compiled(), name)(*args, **kwargs)

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            compiled = re.compile(self.pattern, self._flags)
            for name in _METHODS:
                setattr(self, name, getattr(compiled, name))
            self._compiled = compiled
        return self._compiled

    @property
    def flags(self) -> int:
        return self.compiled().flags

    @property
    def groups(self) -> int:
        return self.compiled().groups

    @property
    def groupindex(self) -> Any:
        return self.compiled().groupindex

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r})"


def lazy(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """A pattern compiled on first use; typed as what it behaves as (never pass it to `re.*`
    functions or `isinstance(..., re.Pattern)`: use its methods)."""
    return cast("re.Pattern[str]", LazyPattern(pattern, flags))


def compile_all() -> int:
    """Compile every lazy pattern made so far (before a pool forks: the workers inherit them)."""
    made, _MADE[:] = list(_MADE), []
    for item in made:
        item.compiled()
    return len(made)
