"""Exceptions raised by backend-gates.

    BackendGatesError            base; every message names the file or setting and what to do
    ├── ConfigError              invalid [tool.backend-gates] / --config / env / CLI value (exit 2)
    └── UsageError               bad command-line use, unknown rule, missing path (exit 2)

A file that cannot be read or parsed is not an exception: it becomes a `ToolError` in the
report and a BG001 finding, and the run goes on.

Analysis never lets these escape into a user's test run: the pytest plugin turns them into a
warning and a `not_evaluated` gate.
"""

from __future__ import annotations


class BackendGatesError(Exception):
    """Base class for errors the tool reports to the user."""


class ConfigError(BackendGatesError):
    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.file = file
        self.key = key
        where = ""
        if file and key:
            where = f"{file}: key {key!r}: "
        elif file:
            where = f"{file}: "
        elif key:
            where = f"key {key!r}: "
        super().__init__(f"{where}{message}")


class UsageError(BackendGatesError):
    pass
