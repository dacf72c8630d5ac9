"""`pytest --backend-gates-migrations`: the migration round trip as part of the test session.

At session end (controller only under xdist) every migration tree of the project is applied,
reversed and re-applied on a scratch database (SQLite; PostgreSQL from
`$BACKEND_GATES_ROUNDTRIP_DSN`, which must name an empty database). A migration that fails makes
the session fail; our own errors (no migrations found, refused env.py) become a warning.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import pytest


class MigrationsPlugin:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.results: list[Any] = []
        self.error = ""

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from ..errors import BackendGatesError
        from .roundtrip import run

        root = Path(str(self.config.rootpath))
        try:
            self.results = run(root, dsn=os.environ.get("BACKEND_GATES_ROUNDTRIP_DSN") or None)
        except BackendGatesError as exc:
            self.error = str(exc)
        except Exception as exc:  # our bug: never breaks the user's session
            self.error = f"internal error: {type(exc).__name__}: {exc}"
        if self.error:
            warnings.warn(f"backend-gates migrations round trip not run: {self.error}", stacklevel=1)
            return
        if not all(r.ok for r in self.results) and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        from .cli import render_text

        terminalreporter.section("backend-gates migrations round trip")
        if self.error:
            terminalreporter.write_line(f"not run: {self.error}")
            return
        for line in render_text(self.results).rstrip().splitlines():
            terminalreporter.write_line(line)
